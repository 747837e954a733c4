<#
.SYNOPSIS
    Upgrades a whole HotDB estate described by an inventory file (estate.psd1): the management platform, the HotDB
    Listeners, every compute-node group in its own mode, then the HotDB Backup agents, stopping at the first failure.
.DESCRIPTION
    1. Reads and validates the inventory (Import-PowerShellDataFile; relative paths are relative to its folder; its
       format is described in about_HotDb.Upgrade). A missing file, an unknown key, an unknown Mode, a package or
       folder that does not exist or is not the right package, or a wrong number of hosts is refused with every
       problem named, before any SSH connection (exit code 3).
    2. Opens one SSH session per host and reads each component's version (Get-HotDbManagement, Get-HotDbListener,
       Get-HotDbComputeNode, Get-HotDbBackup) against its package's (Get-HotDbPackage). A component already at the
       target version is skipped and logged "already at <version>", so running the estate again after a fixed failure
       continues where it stopped.
    3. Preflight, before anything changes: every component still to upgrade runs its read-only checks (the
       Update-HotDb* cmdlets with -WhatIf; each compute-node group's mode runbook with -WhatIf). If any refuses, the
       run stops with exit code 3, nothing changed, and the log naming every refusal.
    4. The upgrade, one component after the other, in this order:
       - the management platform (Update-HotDbManagement): the manual upgrades it first (its section 2); it manages
         and monitors every other component, and from 2.5.3 it upgrades its own ConfigDB at start;
       - the HotDB Listeners (Update-HotDbListener), one host at a time: the manual has the Listener restarted before
         the cluster, because the compute nodes register with the Listeners when they start;
       - the compute-node groups in inventory order, each with its own mode runbook invoked in this process
         (Update-HotDbSingleNode.ps1, Update-HotDbMasterSlave.ps1, Update-HotDbCluster.ps1 or
         Update-HotDbDisasterRecovery.ps1), which owns that group's checks, journal and rollback;
       - the HotDB Backup agents (Update-HotDbBackup), one host at a time, last: each reconnects to the platform
         upgraded before it, and its start is verified by that connection.
       On the first failure the run stops. The failed component's own plan runner has rolled it back (or says what
       needs a hand); every component before it stays upgraded and consistent, and the later ones are not touched.
    -WhatIf runs steps 1 to 3 and prints the whole ordered plan (every component, its hosts, from -> to versions and
    its steps); nothing is changed. The estate log (mode 0600, no secrets) names each component's own log and
    journals, which sit beside it (<log>.<group>.log for a compute-node group). A run whose control machine died is
    continued with the failed component's own runbook or Resume-HotDbUpgradePlan and its journal, then this runbook
    again. The exit code is 0 when every component is upgraded (or, with -WhatIf, planned), 1 when a component failed
    and was rolled back (or refused after other components were upgraded in this run), 2 when a rollback needs a
    person, 3 for bad input or a refusal before any change.
.EXAMPLE
    ./Update-HotDbEstate.ps1 -Inventory ./estate.psd1 -Credential $root -ConfigDbCredential $configDbLogin `
        -ManagementConfigDbCredential $cloudLogin -LogPath ./estate.log -WhatIf
.EXAMPLE
    # From a scheduled task: the logins come from a SecretManagement vault, the SSH key and user from the inventory.
    pwsh -NonInteractive -File ./Update-HotDbEstate.ps1 -Inventory ./estate.psd1 -SecretVault HotDb `
        -ConfigDbCredentialSecret hotdb-configdb -ManagementConfigDbCredentialSecret hotdb-cloud -LogPath ./estate.log
#>
[CmdletBinding(SupportsShouldProcess, PositionalBinding = $false)]
param(
    # The estate inventory, a .psd1 data file (see about_HotDb.Upgrade). Required.
    [string] $Inventory,
    # The SSH port of every host (1-65535); default: the inventory's Ssh.Port, else 22.
    [object] $Port,
    # SSH login as a PSCredential (root, or a sudo user with -Elevation Sudo); with a key file its password is the
    # key's passphrase. Required unless -CredentialSecret, or a user name with a key file (-UserName and -KeyFile, or
    # the inventory's Ssh.UserName and Ssh.KeyFile), gives the login.
    [object] $Credential,
    # A key-only SSH login without a PSCredential: the user name, with a key file; default: the inventory's Ssh.UserName.
    [string] $UserName,
    # The SSH private key file; default: the inventory's Ssh.KeyFile.
    [string] $KeyFile,
    # The known_hosts file the host keys are checked against; default: the inventory's Ssh.KnownHostsPath, else
    # ~/.ssh/known_hosts.
    [string] $KnownHostsPath,
    # None (the login is root) or Sudo; default: the inventory's Ssh.Elevation, else None.
    [ArgumentCompletions('None', 'Sudo')] [string] $Elevation,
    # The sudo password of the login, with -Elevation Sudo.
    [object] $SudoCredential,
    # The compute nodes' ConfigDB login (a user allowed to dump and alter hotdb_config). Needed when the inventory
    # has compute-node groups, unless -ConfigDbCredentialSecret gives it.
    [object] $ConfigDbCredential,
    # The management platform's ConfigDB login (hotdb_cloud_config: dumped before, restored on a rollback). Needed
    # when the inventory has a management platform, unless -ManagementConfigDbCredentialSecret gives it.
    [object] $ManagementConfigDbCredential,
    # A manager-port login with the SUPER privilege (HotDB's own user), for cluster groups (show @@cluster).
    [object] $ManagerCredential,
    # A Microsoft.PowerShell.SecretManagement vault holding the secrets named by the *Secret parameters.
    [string] $SecretVault,
    # The name of a PSCredential secret for -Credential (needs Microsoft.PowerShell.SecretManagement).
    [string] $CredentialSecret,
    # The name of a PSCredential secret for -ConfigDbCredential.
    [string] $ConfigDbCredentialSecret,
    # The name of a PSCredential secret for -ManagementConfigDbCredential.
    [string] $ManagementConfigDbCredentialSecret,
    # The name of a PSCredential secret for -ManagerCredential.
    [string] $ManagerCredentialSecret,
    # The name of a PSCredential secret for -SudoCredential.
    [string] $SudoCredentialSecret,
    # Seconds a component may take to start (1-3600), unless its inventory entry sets StartTimeout.
    [object] $StartTimeout = 180,
    # Seconds a component may take to stop (1-3600), unless its inventory entry sets StopTimeout.
    [object] $StopTimeout = 120,
    # The estate log; default: ./Update-HotDbEstate-<inventory name>-<yyyyMMdd-HHmmss>.log. The components' logs and
    # journals are written beside it.
    [string] $LogPath,
    # Not a parameter: catches unknown or positional arguments so that they are refused with exit code 3.
    [Parameter(ValueFromRemainingArguments, DontShow)] [object[]] $UnknownArgument
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$exitCode = 3
. (Join-Path $PSScriptRoot 'HotDbRunbook.Support.ps1')
trap { Write-RunbookTrap $_; exit $exitCode }
$whatIf = [bool]$WhatIfPreference
$inventoryName = if ($Inventory) { [IO.Path]::GetFileNameWithoutExtension("$Inventory") } else { 'unknown' }
$run = Initialize-RunbookLog -LogPath $LogPath -DefaultName "Update-HotDbEstate-$inventoryName" -BoundParameters $PSBoundParameters
$LogPath = $run.LogPath
$logFolder = Split-Path $LogPath
$logBase = [IO.Path]::GetFileNameWithoutExtension($LogPath)
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }
. (Join-Path $PSScriptRoot '../HotDbInventory.ps1')

# Copies lines of a component's log into the estate log (its plan, errors and outcome), marked with the component.
function Copy-ChildLog([string] $Path, [string] $Component, [long] $From, [switch] $Plan) {
    if (-not (Test-Path -LiteralPath $Path)) { return }
    $lines = @(Get-Content -LiteralPath $Path | Select-Object -Skip $From)
    foreach ($line in $lines) {
        if ($line -match '^\S+ \S+ \[(PLAN|ERROR|ROLLBACK)\] (.*)$' -and ($Plan -or $Matches[1] -ne 'PLAN')) { Write-Log "  $Component | $($Matches[2])" $Matches[1] }
        elseif ($line -match '^\S+ \S+ \[INFO\] (Success.*|Check \S+: Failed.*)$') { Write-Log "  $Component | $($Matches[1])" }
    }
}

# Logs a component cmdlet's PlanRunResult: its steps (the plan) and, when it did not succeed, why.
# With -Plan each step with its description (a -WhatIf check), else each step's outcome (a run).
function Write-HostPlanResult($Result, [string] $Component, [switch] $Plan) {
    $index = 0
    foreach ($step in $Result.Steps) {
        $index++
        $problem = "$(if ($step.Error) { ' - ' + $step.Error })$(if ($step.RollbackError) { '; rollback failed - ' + $step.RollbackError })"
        if ($Plan) {
            Write-Log ('  {0} | {1,2}. {2} {3}: {4}{5}' -f $Component, $index, $step.Host, $step.Step, $step.Description, $(if ("$($step.Status)" -ne 'Planned') { " - $($step.Status)$problem" })) 'PLAN'
        }
        else { Write-Log ('  {0} | Step {1,2} {2} {3}: {4}{5}' -f $Component, $index, $step.Host, $step.Step, $step.Status, $problem) }
    }
}

$exitCode = 3
$sessions = @{}
$changed = $false
$done = [System.Collections.Generic.List[string]]::new()
$skipped = [System.Collections.Generic.List[string]]::new()
$components = [System.Collections.Generic.List[object]]::new()
try {
    Assert-RunbookInput -BoundParameters $PSBoundParameters -UnknownArgument $UnknownArgument -Required 'Inventory' `
        -Choice @{ Elevation = 'None', 'Sudo' } -Range @{ Port = 1, 65535; StartTimeout = 1, 3600; StopTimeout = 1, 3600 } `
        -File 'Inventory', 'KeyFile'
    $estate = Read-HotDbInventory -Inventory $Inventory -Upgrade
    Write-Log "Estate upgrade from the inventory $((Resolve-Path -LiteralPath $Inventory).ProviderPath)$(if ($whatIf) { ' -- WhatIf: nothing will be changed' })"

    # Connection: the runbook's parameters win over the inventory's Ssh values.
    $ssh = $estate.Ssh
    if (-not $PSBoundParameters.ContainsKey('Port')) { $Port = if ($ssh.Contains('Port')) { $ssh.Port } else { 22 } }
    if (-not $UserName -and $ssh.Contains('UserName')) { $UserName = "$($ssh.UserName)" }
    if (-not $KeyFile -and $ssh.Contains('KeyFile')) { $KeyFile = $ssh.KeyFile }
    if (-not $KnownHostsPath -and $ssh.Contains('KnownHostsPath')) { $KnownHostsPath = $ssh.KnownHostsPath }
    if (-not $Elevation) { $Elevation = if ($ssh.Contains('Elevation')) { "$($ssh.Elevation)" } else { 'None' } }
    $Port = [int]"$Port"; $StartTimeout = [int]"$StartTimeout"; $StopTimeout = [int]"$StopTimeout"
    if ($KeyFile) { $KeyFile = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($KeyFile) }
    if ($KnownHostsPath) { $KnownHostsPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($KnownHostsPath) }
    $Credential = Resolve-RunbookCredential -Name Credential -Value $Credential -SecretName $CredentialSecret -Vault $SecretVault -UserName $UserName -KeyFile $KeyFile
    $ConfigDbCredential = Resolve-RunbookCredential -Name ConfigDbCredential -Value $ConfigDbCredential -SecretName $ConfigDbCredentialSecret -Vault $SecretVault -Optional:(-not $estate.Groups)
    $ManagementConfigDbCredential = Resolve-RunbookCredential -Name ManagementConfigDbCredential -Value $ManagementConfigDbCredential -SecretName $ManagementConfigDbCredentialSecret -Vault $SecretVault -Optional:(-not $estate.Management)
    $ManagerCredential = Resolve-RunbookCredential -Name ManagerCredential -Value $ManagerCredential -SecretName $ManagerCredentialSecret -Vault $SecretVault -Optional:(-not @($estate.Groups | Where-Object Mode -EQ 'Cluster'))
    $SudoCredential = Resolve-RunbookCredential -Name SudoCredential -Value $SudoCredential -SecretName $SudoCredentialSecret -Vault $SecretVault -Optional
    $packages = $estate.Packages
    $target = @{}
    foreach ($key in 'ComputeNode', 'Management', 'Backup', 'Listener') { if ($packages.Contains($key)) { $target[$key] = "$((Get-HotDbPackage -LiteralPath $packages[$key]).Version)" } }

    # The components in the order they are upgraded (see the help for why).
    if ($estate.Management) { $components.Add([pscustomobject]@{ Kind = 'Management'; Name = 'management platform'; Hosts = $estate.Management.ComputerName; Options = $estate.Management.Options; Target = $target.Management; Pending = @(); From = '' }) }
    if ($estate.Listener) { $components.Add([pscustomobject]@{ Kind = 'Listener'; Name = 'HotDB Listener'; Hosts = $estate.Listener.ComputerName; Options = $estate.Listener.Options; Target = $target.Listener; Pending = @(); From = '' }) }
    foreach ($group in $estate.Groups) {
        $components.Add([pscustomobject]@{ Kind = 'ComputeNodes'; Name = "compute nodes '$($group.Name)' ($($group.Mode))"; Group = $group; Hosts = $group.Hosts; Options = $group.Options; Target = $target.ComputeNode; Pending = @(); From = '' })
    }
    if ($estate.Backup) { $components.Add([pscustomobject]@{ Kind = 'Backup'; Name = 'HotDB Backup'; Hosts = $estate.Backup.ComputerName; Options = $estate.Backup.Options; Target = $target.Backup; Pending = @(); From = '' }) }
    Write-Log "Order: $(@($components | ForEach-Object { "$($_.Name) on $($_.Hosts -join ', ')" }) -join '; then ')" 'PLAN'

    $connection = @{ Port = $Port; Credential = $Credential; KeyFile = $KeyFile; KnownHostsPath = $KnownHostsPath; Elevation = $Elevation; SudoCredential = $SudoCredential }
    $allHosts = @($components | ForEach-Object { $_.Hosts } | Select-Object -Unique)
    $opened = @(New-RunbookSession -ComputerName $allHosts @connection)
    for ($i = 0; $i -lt $allHosts.Count; $i++) { $sessions[$allHosts[$i]] = $opened[$i] }
    function Get-ComponentSession([string[]] $Name) { foreach ($n in $Name) { $sessions[$n] } }

    # The versions each component runs now (hosts whose version cannot be read count as not upgraded).
    function Get-ComponentVersion($Component) {
        $read = @{ Session = @(Get-ComponentSession $Component.Hosts); ErrorAction = 'Continue' }
        if ($Component.Options.Contains('InstallPath')) { $read.InstallPath = "$($Component.Options.InstallPath)" }
        $found = switch ($Component.Kind) {
            'Management' { Invoke-Logged { Get-HotDbManagement @read } }
            'Listener' { Invoke-Logged { Get-HotDbListener @read } }
            'Backup' { Invoke-Logged { Get-HotDbBackup @read } }
            'ComputeNodes' {
                if (-not $read.ContainsKey('InstallPath')) { $read.InstallPath = '/usr/local/hotdb/hotdb-server' }
                Invoke-Logged { Get-HotDbComputeNode @read }
            }
        }
        $versions = [ordered]@{}
        foreach ($name in $Component.Hosts) {
            $info = @($found | Where-Object { $_.ComputerName -eq $sessions[$name].ComputerName }) | Select-Object -First 1
            $versions[$name] = if ($info -and $info.Version) { "$($info.Version)" } else { '' }
        }
        $versions
    }

    # Parameters of a compute-node group's mode runbook: its hosts, the connection, the package, the group's options.
    function Get-GroupRunbook($Component, [string] $ChildLog, [bool] $Check) {
        $group = $Component.Group
        $options = $group.Options
        $child = @{
            Port = $Port; Credential = $Credential; Elevation = $Elevation; ConfigDbCredential = $ConfigDbCredential
            Package = $packages.ComputeNode; ScriptsPath = $packages.ConfigDbScripts; LogPath = $ChildLog; InformationAction = 'SilentlyContinue'
            StartTimeout = $(if ($options.Contains('StartTimeout')) { [int]"$($options.StartTimeout)" } else { $StartTimeout })
            StopTimeout = $(if ($options.Contains('StopTimeout')) { [int]"$($options.StopTimeout)" } else { $StopTimeout })
        }
        if ($KeyFile) { $child.KeyFile = $KeyFile }
        if ($KnownHostsPath) { $child.KnownHostsPath = $KnownHostsPath }
        if ($SudoCredential) { $child.SudoCredential = $SudoCredential }
        if ($packages.Contains('Jdk')) { $child.JdkPackage = $packages.Jdk }
        if ($packages.Contains('License')) { $child.LicenseFile = $packages.License }
        foreach ($key in 'InstallPath', 'ConfigDb') { if ($options.Contains($key)) { $child[$key] = "$($options[$key])" } }
        $online = $options.Contains('Online') -and $options.Online
        switch ($group.Mode) {
            'SingleNode' { $path = 'Update-HotDbSingleNode.ps1'; $child.ComputerName = $group.Hosts[0] }
            'MasterSlave' {
                $path = 'Update-HotDbMasterSlave.ps1'; $child.ComputerName = $group.Hosts; $child.Mode = $(if ($online) { 'Online' } else { 'Offline' })
                if ($options.Contains('KeepalivedConfigPath')) { $child.KeepalivedConfigPath = "$($options.KeepalivedConfigPath)" }
            }
            'Cluster' { $path = 'Update-HotDbCluster.ps1'; $child.ComputerName = $group.Hosts; $child.Mode = $(if ($online) { 'Online' } else { 'Offline' }); $child.ManagerCredential = $ManagerCredential }
            'DisasterRecovery' {
                $path = 'Update-HotDbDisasterRecovery.ps1'
                $child.MasterCentreMode = "$($options.MasterCentreMode)"
                $child.ComputerName = @($group.ComputerName)
                $child.DrComputerName = @($group.DrComputerName)
                if ($options.Contains('DrConfigDb')) { $child.DrConfigDb = "$($options.DrConfigDb)" }
                if ($options.Contains('KeepalivedConfigPath')) { $child.KeepalivedConfigPath = "$($options.KeepalivedConfigPath)" }
            }
        }
        @{ Path = (Join-Path $PSScriptRoot $path); Parameters = $child }
    }

    # Runs a group's mode runbook in this process; returns its exit code and copies its plan, errors and outcome here.
    function Invoke-GroupRunbook($Component, [bool] $Check) {
        $runbook = Get-GroupRunbook $Component $Component.Log $Check
        $from = if (Test-Path -LiteralPath $Component.Log) { @(Get-Content -LiteralPath $Component.Log).Count } else { 0 }
        Write-Log "$($Component.Name): $(Split-Path $runbook.Path -Leaf)$(if ($Check) { ' -WhatIf' }), log $($Component.Log)"
        $childParameters = $runbook.Parameters
        $global:LASTEXITCODE = 3
        & $runbook.Path @childParameters -WhatIf:$Check
        $code = $LASTEXITCODE
        Copy-ChildLog $Component.Log $Component.Name $from -Plan:$Check
        $code
    }

    # Runs a component cmdlet on one host's session with its own options; returns its PlanRunResult (or none).
    function Invoke-HostComponent($Component, $Session, [bool] $Check) {
        $options = $Component.Options
        $parameters = @{
            Session = $Session; JournalDirectory = $logFolder; Confirm = $false; ErrorAction = 'Continue'
            StartTimeout = $(if ($options.Contains('StartTimeout')) { [int]"$($options.StartTimeout)" } else { $StartTimeout })
            StopTimeout = $(if ($options.Contains('StopTimeout')) { [int]"$($options.StopTimeout)" } else { $StopTimeout })
        }
        if ($Check) { $parameters.WhatIf = $true }
        if ($options.Contains('InstallPath')) { $parameters.InstallPath = "$($options.InstallPath)" }
        switch ($Component.Kind) {
            'Management' {
                $parameters.Package = $packages.Management; $parameters.ConfigDbCredential = $ManagementConfigDbCredential
                if ($packages.Contains('ManagementScripts')) { $parameters.ScriptsPath = $packages.ManagementScripts }
                if ($packages.Contains('Jdk')) { $parameters.JdkPackage = $packages.Jdk }
                Invoke-Logged { Update-HotDbManagement @parameters }
            }
            'Listener' { $parameters.Package = $packages.Listener; Invoke-Logged { Update-HotDbListener @parameters } }
            'Backup' { $parameters.Package = $packages.Backup; Invoke-Logged { Update-HotDbBackup @parameters } }
        }
    }

    # Preflight: what each component runs now, and the read-only checks of every one that is not at its target.
    $refusals = [System.Collections.Generic.List[string]]::new()
    $number = 0
    foreach ($component in $components) {
        $number++
        $versions = Get-ComponentVersion $component
        $component.Pending = @($versions.Keys | Where-Object { $versions[$_] -ne $component.Target })
        $component.From = (@($versions.Values | ForEach-Object { if ($_) { $_ } else { '(unknown)' } }) | Select-Object -Unique) -join '/'
        if ($component.Kind -eq 'ComputeNodes') {
            $component | Add-Member -NotePropertyName Log -NotePropertyValue (Join-Path $logFolder "$logBase.$($component.Group.Name).log")
        }
        if (-not $component.Pending) {
            Write-Log "$number. $($component.Name) on $($component.Hosts -join ', '): already at $($component.Target); skipped" 'PLAN'
            $skipped.Add($component.Name)
            continue
        }
        $package = Split-Path $(switch ($component.Kind) { 'ComputeNodes' { $packages.ComputeNode } default { $packages[$component.Kind] } }) -Leaf
        $atTarget = @($component.Hosts | Where-Object { $_ -notin $component.Pending })
        Write-Log ("$number. $($component.Name) on $($component.Pending -join ', '): $($component.From) -> $($component.Target) with $package" +
            $(if ($atTarget -and $component.Kind -ne 'ComputeNodes') { " ($($atTarget -join ', ') already at $($component.Target))" })) 'PLAN'
        if ($component.Kind -eq 'ComputeNodes') {
            $code = Invoke-GroupRunbook $component $true
            if ($code -ne 0) { $refusals.Add("$($component.Name): its runbook's checks refused (exit code $code; see $($component.Log))") }
            continue
        }
        foreach ($name in $component.Pending) {
            $result = @(Invoke-HostComponent $component $sessions[$name] $true) | Select-Object -Last 1
            if (-not $result) { $refusals.Add("$($component.Name) on ${name}: no plan could be built (see the errors above)"); continue }
            Write-HostPlanResult $result $component.Name -Plan
            if ("$($result.Status)" -ne 'Planned') { $refusals.Add("$($component.Name) on ${name}: refused at $($result.FailedStep): $($result.Error)") }
        }
    }
    if ($refusals.Count) {
        foreach ($refusal in $refusals) { Write-Log "REFUSED: $refusal" 'ERROR' }
        throw "the preflight refused the estate upgrade ($($refusals.Count) component$(if ($refusals.Count -ne 1) { 's' })); nothing was changed"
    }
    if ($whatIf) {
        Write-Log 'WhatIf: nothing was changed.'
        $exitCode = 0
        exit $exitCode
    }

    # The upgrade, component by component; the first failure stops the run.
    $exitCode = 0
    foreach ($component in @($components | Where-Object { $_.Pending })) {
        Write-Log "Upgrading $($component.Name) on $($component.Pending -join ', ') to $($component.Target)"
        $failure = $null
        if ($component.Kind -eq 'ComputeNodes') {
            $code = Invoke-GroupRunbook $component $false
            $changed = $changed -or $code -ne 3
            if ($code -ne 0) { $failure = @{ Code = $code; Message = "its runbook ended with exit code $code (see $($component.Log))" } }
        }
        else {
            foreach ($name in $component.Pending) {
                $result = @(Invoke-HostComponent $component $sessions[$name] $false) | Select-Object -Last 1
                if (-not $result) { $failure = @{ Code = 3; Message = "on ${name}: the plan did not run (see the errors above)" }; break }
                $changed = $changed -or "$($result.Status)" -ne 'Refused'
                Write-HostPlanResult $result $component.Name
                if ($result.JournalPath) { Write-Log "  $($component.Name) | ${name}: journal $($result.JournalPath)" }
                $code = switch ("$($result.Status)") { 'Succeeded' { 0 } 'RolledBack' { 1 } 'RollbackFailed' { 2 } default { 3 } }
                if ($code -ne 0) { $failure = @{ Code = $code; Message = "on ${name}: $($result.Status) at $($result.FailedStep): $($result.Error)$(if ($result.RecommendedAction) { ' ' + $result.RecommendedAction })" }; break }
            }
        }
        if (-not $failure) {
            $versions = Get-ComponentVersion $component
            $stale = @($versions.Keys | Where-Object { $versions[$_] -ne $component.Target })
            if ($stale) { $failure = @{ Code = 2; Message = "it reports success but $(@($stale | ForEach-Object { "$_ runs $(if ($versions[$_]) { $versions[$_] } else { '(unknown)' })" }) -join ', '), not $($component.Target)" } }
        }
        if ($failure) {
            # A refusal leaves the component untouched: no refusal of the run once this run upgraded something.
            $exitCode = if ($failure.Code -eq 3 -and $changed) { 1 } elseif ($failure.Code -in 1, 2, 3) { $failure.Code } else { 2 }
            $what = switch ($failure.Code) { 1 { 'FAILED and was rolled back' } 3 { 'was REFUSED and not changed' } default { 'FAILED and NEEDS A HAND (the rollback did not complete or the result does not verify)' } }
            Write-Log "$($component.Name) $what`: $($failure.Message)" 'ERROR'
            $later = @($components | Where-Object { $_.Pending -and $_ -ne $component -and $components.IndexOf($_) -gt $components.IndexOf($component) } | ForEach-Object Name)
            Write-Log ("STOPPED at $($component.Name). Upgraded in this run: $(if ($done) { $done -join ', ' } else { 'none' }); already at the target: $(if ($skipped) { $skipped -join ', ' } else { 'none' }); " +
                "not started: $(if ($later) { $later -join ', ' } else { 'none' }). Fix the cause and run the estate again: what is done is skipped.") 'ERROR'
            exit $exitCode
        }
        Write-Log "Done: $($component.Name) on $($component.Hosts -join ', ') at $($component.Target)"
        $done.Add($component.Name)
    }
    Write-Log "Success: every component is at its target version (upgraded: $(if ($done) { $done -join ', ' } else { 'none' }); already at the target: $(if ($skipped) { $skipped -join ', ' } else { 'none' }))"
}
catch {
    if (-not $changed) { $exitCode = Get-RunbookFailureExitCode -ErrorRecord $_ -Started $false -JournalPath $logFolder }
    else {
        # Stopped by an error after this run changed a component: only the logs and journals beside this log describe it.
        $exitCode = 2
        Write-Log "FAILED: $($_.Exception.Message) The estate needs a hand: read the component logs and journals in $logFolder (upgraded in this run: $(if ($done) { $done -join ', ' } else { 'none' }))." 'ERROR'
    }
}
finally {
    foreach ($session in $sessions.Values) { $session | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    Write-Log "Log: $LogPath; exit code $exitCode"
}
exit $exitCode
