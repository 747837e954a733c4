<#
    The HotDb.Upgrade compliance pack (Pester 5): one It per check object of the Test-HotDb* cmdlets, so a failure
    names the check (Id, Name, Host, Expected, Actual, Remedy). Read-only: it changes nothing on the hosts.
    Run it with Invoke-HotDbCompliance.ps1 beside it, or:

        $pack = Join-Path (Split-Path (Get-Module HotDb.Upgrade).Path) 'compliance'
        Invoke-Pester -Container (New-PesterContainer -Path $pack -Data @{ Inventory = './estate.psd1' }) -Output Detailed

    Data (New-PesterContainer -Data):
        Session       open HotDb.Upgrade sessions (with or instead of Inventory)
        Inventory     the estate inventory (a .psd1 path or hashtable, the estate inventory format: Ssh,
                      Packages.ComputeNode and ConfigDbScripts, ComputeNodes groups by Mode), or the older flat one
                      (ComputerName, Port, UserName, KeyFile, KnownHostsPath); the pack opens the sessions it needs
                      and closes them again
        Credential    the SSH login (PSCredential; with a key file its password is the passphrase); default: the
                      inventory's Ssh.UserName (or root) by key only
        UserName, KeyFile, KnownHostsPath, Port, Elevation, SudoCredential
                      override the inventory's Ssh values
        ManagerCredential  a manager-port login with SUPER (HotDB's own user): needed by the cluster checks
        InstallPath   the compute node directory where a group gives none (default /usr/local/hotdb/hotdb-server)
        Package       a compute node package (overrides Packages.ComputeNode): adds the upgrade pre-checks
        ScriptsPath   the ConfigDB upgrade scripts folder (overrides Packages.ConfigDbScripts)
        ConfigDb      a ConfigDB target (New-HotDbConfigDb): adds Test-HotDbConfigDb
    Per group: the session checks (Test-HotDbSession) on every host; MasterSlave: Test-HotDbHaSwitch (HA1..HA6);
    Cluster: Test-HotDbClusterUpgrade (-Online when the group is Online); DisasterRecovery: Test-HotDbDisasterRecovery
    (and Test-HotDbHaSwitch on a master/slave master centre); with a package, Test-HotDbComputeNode.
    Only Passed passes: a check that failed or could not be verified fails its test, so a host without HotDB never
    passes. A check this read-only pack cannot run is skipped with its reason: HA4 (it needs reload @@config), the
    package pre-checks without a package, CN6 without both ConfigDb and scripts, CL8 without upgrade scripts, the
    cluster checks without ManagerCredential.
#>
param(
    [object[]] $Session,
    [object] $Inventory,
    [pscredential] $Credential,
    [string] $UserName,
    [string] $KeyFile,
    [string] $KnownHostsPath,
    [int] $Port,
    [string] $Elevation,
    [pscredential] $SudoCredential,
    [pscredential] $ManagerCredential,
    [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    [string] $Package,
    [string] $ScriptsPath,
    [object] $ConfigDb
)

BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../HotDbInventory.ps1')
    $script:complianceChecks = [System.Collections.Generic.List[hashtable]]::new()

    function Add-Check([string] $Id, [string] $Name, [string] $ComputerName, [string] $Status, [string] $Expected, [string] $Actual, [string] $Remedy, [string] $Reason) {
        $script:complianceChecks.Add(@{ Id = $Id; Name = $Name; ComputerName = $ComputerName; Status = $Status; Expected = $Expected; Actual = $Actual; Remedy = $Remedy; Reason = $Reason })
    }

    # Runs one Test-HotDb* call; each check object becomes a test. $Skip maps a check to the reason it is skipped, or
    # to a hashtable of values to report instead, or nothing: only a check this pack chose not to run is skipped.
    function Add-ComplianceCheck([string] $Source, [scriptblock] $Run, [scriptblock] $Skip = { }) {
        $problems = [System.Collections.Generic.List[object]]::new()
        try { $checks = @(& $Run 2>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $problems.Add($_) } else { $_ } }) }
        catch { $checks = @(); $problems.Add($_) }
        foreach ($check in $checks) {
            $row = @{ Id = "$($check.Id)"; Name = "$($check.Name)"; ComputerName = "$($check.Host)"; Status = "$($check.Status)"
                Expected = "$($check.Expected)"; Actual = "$($check.Actual)"; Remedy = "$($check.Remedy)"; Reason = '' }
            $verdict = & $Skip $check
            if ($verdict -is [System.Collections.IDictionary]) { foreach ($key in @($verdict.Keys)) { $row[$key] = $verdict[$key] } }
            elseif ($verdict) { $row.Status = 'Skipped'; $row.Reason = "$verdict" }
            $script:complianceChecks.Add($row)
        }
        # A cmdlet that could not check at all is a failed check of its own, never a silent pass.
        foreach ($problem in @($problems)) {
            Add-Check 'ERR' "$Source could not run" "$($problem.TargetObject)" 'Failed' "$Source returns its checks" "$($problem.Exception.Message)" "$($problem.ErrorDetails.RecommendedAction)"
        }
    }

    if (-not (Get-Module HotDb.Upgrade)) { Import-Module HotDb.Upgrade -ErrorAction Stop }
    $haSkip = { param($check) if ($check.Id -eq 'HA4' -and "$($check.Status)" -eq 'NotVerified') { 'HA4 runs reload @@config on the master, which this read-only pack never does (Test-HotDbHaSwitch -Reload checks it)' } }

    # The groups to check: from the inventory, plus the given sessions that it does not list.
    $groups = @()
    $ssh = @{}
    if ($Inventory) {
        try {
            $estate = Read-HotDbInventory -Inventory $Inventory -Component ComputeNodes -InstallPath $InstallPath
            $groups = @($estate.Groups)
            $ssh = $estate.Ssh
            if (-not $Package -and $estate.Packages.ComputeNode) { $Package = $estate.Packages.ComputeNode }
            if (-not $ScriptsPath -and $estate.Packages.ConfigDbScripts) { $ScriptsPath = $estate.Packages.ConfigDbScripts }
        }
        catch { Add-Check 'ERR' 'Inventory readable' "$Inventory" 'Failed' 'a valid estate inventory' "$($_.Exception.Message)" 'Correct the inventory (see Invoke-HotDbCompliance.ps1 -?).' }
    }
    foreach ($key in 'UserName', 'KeyFile', 'KnownHostsPath', 'Port', 'Elevation') { if ((Get-Variable $key -ValueOnly)) { $ssh[$key] = Get-Variable $key -ValueOnly } }

    $sessions = @{}
    foreach ($one in @($Session | Where-Object { $_ })) { if (-not $sessions.ContainsKey($one.ComputerName)) { $sessions[$one.ComputerName] = $one } }
    $listed = @($groups | ForEach-Object { $_.ComputerName; $_.DrComputerName })
    $extra = @($sessions.Keys | Where-Object { $listed -notcontains $_ })
    if ($extra) {
        $groups += [pscustomobject]@{ Name = 'sessions'; Mode = 'Hosts'; ComputerName = $extra; DrComputerName = @(); Online = $false
            MasterCentreMode = $null; InstallPath = $InstallPath; KeepalivedConfigPath = $null; ConfigDb = $null; DrConfigDb = $null }
    }

    $opened = @()
    try {
        # One session per inventory host that has none yet; a host that cannot be reached fails SS1.
        $login = if ($Credential) { $Credential } else { [pscredential]::new($(if ($ssh.UserName) { "$($ssh.UserName)" } else { 'root' }), [securestring]::new()) }
        foreach ($name in $listed) {
            if ($sessions.ContainsKey($name)) { continue }
            $connect = @{ ComputerName = $name; Credential = $login; ErrorAction = 'SilentlyContinue'; ErrorVariable = 'connectProblem'; WhatIf = $false; Confirm = $false }
            foreach ($key in 'Port', 'KeyFile', 'KnownHostsPath', 'Elevation') { if ($ssh[$key]) { $connect[$key] = $ssh[$key] } }
            if ($SudoCredential) { $connect.SudoCredential = $SudoCredential }
            $connectProblem = $null
            $new = @(New-HotDbSession @connect)
            $opened += $new
            if ($new) { $sessions[$name] = $new[0] }
            foreach ($problem in @($connectProblem)) {
                Add-Check 'SS1' 'Connected (a command runs)' $name 'Failed' 'the session is open and runs a command' "$($problem.Exception.Message)" "$($problem.ErrorDetails.RecommendedAction)"
            }
        }
        function Get-GroupSession([string[]] $Name) { @($Name | ForEach-Object { $sessions[$_] } | Where-Object { $_ }) }
        # A group check needs every host of the group: without one it fails, naming the hosts (their SS1 says why).
        function Test-GroupReachable([object] $Group, [string] $Source, [string[]] $Name) {
            $missing = @($Name | Where-Object { -not $sessions.ContainsKey($_) })
            if ($missing) { Add-Check 'ERR' "$Source could not run" ($missing -join ', ') 'Failed' "a session to every host of $($Group.Name)" "no session to $($missing -join ', ') (see SS1)" 'Make the hosts reachable over SSH, then run the pack again.' }
            -not $missing
        }

        foreach ($group in $groups) {
            $hosts = @($group.ComputerName) + @($group.DrComputerName)
            $groupSessions = Get-GroupSession $hosts
            if ($groupSessions) { Add-ComplianceCheck 'Test-HotDbSession' { Test-HotDbSession -Session $groupSessions -InstallPath $group.InstallPath } }
            $ha = @{ InstallPath = $group.InstallPath; WhatIf = $false; Confirm = $false }
            if ($group.KeepalivedConfigPath) { $ha.KeepalivedConfigPath = $group.KeepalivedConfigPath }

            switch ($group.Mode) {
                'MasterSlave' {
                    if (Test-GroupReachable $group 'Test-HotDbHaSwitch' $group.ComputerName) {
                        Add-ComplianceCheck 'Test-HotDbHaSwitch' { Test-HotDbHaSwitch -Session (Get-GroupSession $group.ComputerName) @ha } $haSkip
                    }
                }
                'Cluster' {
                    if (-not $ManagerCredential) {
                        Add-Check 'CL' 'Cluster checks (Test-HotDbClusterUpgrade)' ($group.ComputerName -join ', ') 'Skipped' '' '' '' 'no ManagerCredential (a manager-port login with SUPER) was given'
                    }
                    elseif (Test-GroupReachable $group 'Test-HotDbClusterUpgrade' $group.ComputerName) {
                        $cluster = @{ Session = (Get-GroupSession $group.ComputerName); Credential = $ManagerCredential; InstallPath = $group.InstallPath }
                        if ($Package) { $cluster.Package = $Package }
                        if ($group.Online) { $cluster.Online = $true; if ($ScriptsPath) { $cluster.ScriptsPath = $ScriptsPath } }
                        Add-ComplianceCheck 'Test-HotDbClusterUpgrade' { Test-HotDbClusterUpgrade @cluster } {
                            param($check)
                            if ("$($check.Status)" -ne 'NotVerified') { return }
                            if ($check.Id -eq 'CL6' -or ($check.Id -eq 'CL8' -and -not $Package)) { 'no compute node package (Packages.ComputeNode or -Package) to compare with' }
                            elseif ($check.Id -eq 'CL8') { 'no ConfigDB upgrade scripts (Packages.ConfigDbScripts or -ScriptsPath) to check' }
                        }
                    }
                }
                'DisasterRecovery' {
                    if (Test-GroupReachable $group 'Test-HotDbDisasterRecovery' $hosts) {
                        Add-ComplianceCheck 'Test-HotDbDisasterRecovery' { Test-HotDbDisasterRecovery -Session (Get-GroupSession $group.ComputerName) -DrSession (Get-GroupSession $group.DrComputerName) -InstallPath $group.InstallPath }
                        if ($group.MasterCentreMode -like 'MasterSlave*') {
                            Add-ComplianceCheck 'Test-HotDbHaSwitch' { Test-HotDbHaSwitch -Session (Get-GroupSession $group.ComputerName) @ha } $haSkip
                        }
                    }
                }
            }

            if (-not $groupSessions) { continue }
            if ($Package) {
                $nodeParameters = @{ Session = $groupSessions; InstallPath = $group.InstallPath; Package = $Package }
                # CN6 needs both the ConfigDB login and the scripts; with only one of them it is skipped, saying which.
                if ($ScriptsPath -and $ConfigDb) { $nodeParameters.ScriptsPath = $ScriptsPath; $nodeParameters.ConfigDb = $ConfigDb }
                elseif ($ScriptsPath -or $ConfigDb) {
                    Add-Check 'CN6' 'ConfigDB login, ledger and upgrade scripts' ($hosts -join ', ') 'Skipped' '' '' '' $(if ($ConfigDb) { 'no ConfigDB upgrade scripts (Packages.ConfigDbScripts or -ScriptsPath) were given' } else { 'no ConfigDB target (-ConfigDb) was given for the upgrade scripts' })
                }
                Add-ComplianceCheck 'Test-HotDbComputeNode' { Test-HotDbComputeNode @nodeParameters }
            }
            elseif ($Inventory -and $group.Mode -ne 'Hosts') {
                Add-Check 'CN' 'Upgrade pre-checks (Test-HotDbComputeNode)' ($hosts -join ', ') 'Skipped' '' '' '' 'no compute node package (Packages.ComputeNode or -Package) was given'
            }
        }
        if ($ConfigDb) { Add-ComplianceCheck 'Test-HotDbConfigDb' { Test-HotDbConfigDb -ConfigDb $ConfigDb } }
    }
    finally {
        foreach ($one in $opened) { $one | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    }
}

Describe 'HotDB compliance' -Tag Compliance {
    It 'has hosts to check' -ForEach @(@{ Count = @($complianceChecks | Where-Object { $_.Status -ne 'Skipped' }).Count }) {
        $Count | Should -BeGreaterThan 0 -Because 'the pack needs -Data @{ Session = ... } or @{ Inventory = ... }; nothing checked is no pass'
    }

    It '<Id> <Name> on <ComputerName>' -ForEach @($complianceChecks | Where-Object { $_.Status -ne 'Skipped' }) {
        $Status | Should -Be 'Passed' -Because "$Id $Name on ${ComputerName}: expected $Expected; actual: $Actual; remedy: $Remedy"
    }

    # The reason is in the name: Pester's NUnit report keeps no skip reason.
    It '<Id> <Name> on <ComputerName> (skipped: <Reason>)' -ForEach @($complianceChecks | Where-Object { $_.Status -eq 'Skipped' }) {
        Set-ItResult -Skipped -Because $Reason
    }
}
