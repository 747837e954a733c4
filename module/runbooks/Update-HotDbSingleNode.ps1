<#
.SYNOPSIS
    Upgrades a single-node HotDB compute node and its ConfigDB, the manual's section 3.2, with rollback.
.DESCRIPTION
    1. Reads the node (version, ConfigDB url) and checks the upgrade SQL (Test-HotDbUpgradeSql).
    2. Uploads the package (and JDK) to the staging folder while the old version still serves.
       Stops the node, backs up the ConfigDB (Backup-HotDbConfigDb) and runs the upgrade SQL
       (Invoke-HotDbConfigDbUpgrade; a failing statement restores the backup by itself).
    3. Upgrades the node (Update-HotDbComputeNode): old install kept as hotdb_server_<version>, package
       extracted, NDB SQL and configuration carried, JDK and license when needed, start verified.
    4. On any failure after the stop: the node is rolled back to the old directory, the ConfigDB is restored
       from the backup and verified by table checksums, and the old version is started and verified.
    -WhatIf prints the whole plan (the ConfigDB scripts and every node stage) and changes nothing.
    Every step goes to a transcript-like log (no secrets: credentials are never written). The exit code is 0
    on success, 1 on a failure that was rolled back, 2 when the rollback needs a hand, 3 for bad input.
.EXAMPLE
    ./Update-HotDbSingleNode.ps1 -ComputerName hotdb-01 -Credential $root -KeyFile ~/.ssh/id_ed25519 `
        -Package ./hotdb-server-2.5.4-ga-20190812.tar.gz -ScriptsPath ./upgrade-sql -ConfigDbCredential $configDbLogin
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The compute node host.
    [Parameter(Mandatory)] [string] $ComputerName,
    [ValidateRange(1, 65535)] [int] $Port = 22,
    # SSH login (root, or a sudo user with -Elevation Sudo); with -KeyFile its password is the key's passphrase.
    [Parameter(Mandatory)] [pscredential] $Credential,
    [string] $KeyFile,
    [string] $KnownHostsPath,
    [ValidateSet('None', 'Sudo')] [string] $Elevation = 'None',
    [pscredential] $SudoCredential,
    # The compute node package, hotdb-server-<version>-ga-<date>.tar.gz.
    [Parameter(Mandatory)] [string] $Package,
    # The folder of ConfigDB upgrade scripts (hotdb_config_<version>.sql).
    [Parameter(Mandatory)] [string] $ScriptsPath,
    # The ConfigDB login (a user allowed to dump and alter the compute node's ConfigDB).
    [Parameter(Mandatory)] [pscredential] $ConfigDbCredential,
    # host:port of the ConfigDB; default: the url in the node's server.xml.
    [string] $ConfigDb,
    [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    [string] $JdkPackage,
    [string] $JavaBin,
    [string] $JdkRoot = '/usr/local/jdk8',
    [string] $LicenseFile,
    # Folder on the host for the ConfigDB dump.
    [string] $BackupDirectory,
    [int] $StartTimeout = 180,
    [int] $StopTimeout = 120,
    # The log file; default: ./Update-HotDbSingleNode-<host>-<yyyyMMdd-HHmmss>.log
    [string] $LogPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }
$whatIf = [bool]$WhatIfPreference
# The log lines go to the console too, unless the caller chose an -InformationAction.
$showInformation = -not $PSBoundParameters.ContainsKey('InformationAction')
if (-not $LogPath) { $LogPath = Join-Path (Get-Location) ("Update-HotDbSingleNode-{0}-{1:yyyyMMdd-HHmmss}.log" -f $ComputerName, (Get-Date)) }
$LogPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($LogPath)
New-Item -ItemType File -Path $LogPath -Force -WhatIf:$false | Out-Null
if ($IsLinux -or $IsMacOS) { & chmod 600 $LogPath }

function Write-Log([string] $Message, [string] $Level = 'INFO') {
    $line = '{0:yyyy-MM-dd HH:mm:ss} [{1}] {2}' -f (Get-Date), $Level, $Message
    Add-Content -Path $LogPath -Value $line -WhatIf:$false
    if ($showInformation) { Write-Information $line -InformationAction Continue } else { Write-Information $line }
}

# Runs a module command, logging its verbose stream (stage notes) and returning its output objects.
function Invoke-Logged([scriptblock] $Command) {
    $VerbosePreference = 'Continue'
    & $Command 4>&1 | ForEach-Object {
        if ($_ -is [System.Management.Automation.VerboseRecord]) { Write-Log $_.Message 'STEP' } else { $_ }
    }
}

function Write-Plan($Object, [string] $Title) {
    Write-Log $Title 'PLAN'
    foreach ($line in (($Object | Format-List | Out-String -Width 200) -split "`n")) { if ($line.Trim()) { Write-Log "  $($line.TrimEnd())" 'PLAN' } }
}

$exitCode = 0
$session = $null
$backup = $null
$nodeStopped = $false
$configDbChanged = $false
$old = $null
try {
    Write-Log "Single-node upgrade of $ComputerName ($InstallPath) with $(Split-Path $Package -Leaf)$(if ($whatIf) { ' -- WhatIf: nothing will be changed' })"
    $target = Get-HotDbPackage -Path $Package
    $connect = @{ ComputerName = $ComputerName; Port = $Port; Credential = $Credential; Elevation = $Elevation }
    if ($KeyFile) { $connect.KeyFile = $KeyFile }
    if ($KnownHostsPath) { $connect.KnownHostsPath = $KnownHostsPath }
    if ($SudoCredential) { $connect.SudoCredential = $SudoCredential }
    $session = New-HotDbSession @connect -WhatIf:$false -Confirm:$false
    Write-Log "SSH session $($session.UserName)@$($session.ComputerName):$($session.Port), host key $($session.HostKeyFingerprint)"

    $old = Get-HotDbComputeNode -Session $session -InstallPath $InstallPath
    Write-Log "Node: HotDB Server $($old.Version) ($($old.Role)), running: $($old.Running), ConfigDB $($old.ConfigDbUrl)"
    if (-not $ConfigDb) {
        if (-not $old.ConfigDbServer -or -not $old.ConfigDbDatabase) { throw "server.xml has no usable ConfigDB url ('$($old.ConfigDbUrl)'); give -ConfigDb host:port." }
        $ConfigDb = $old.ConfigDbServer
        $database = $old.ConfigDbDatabase
    }
    else { $database = if ($old.ConfigDbDatabase) { $old.ConfigDbDatabase } else { 'hotdb_config' } }
    $configDbTarget = New-HotDbConfigDb -ComputerName $ConfigDb -Database $database -Credential $ConfigDbCredential -Session $session
    Write-Log "ConfigDB target: $ConfigDb/$database"

    $scripts = @(Get-ChildItem -Path $ScriptsPath -Filter '*.sql' -File)
    if ($scripts) {
        $sqlCheck = Test-HotDbUpgradeSql -Path $scripts.FullName
        foreach ($finding in @($sqlCheck | ForEach-Object { $_.Findings } | Where-Object { $_ })) {
            Write-Log ('SQL check: {0} {1} {2}:{3} {4}' -f $finding.RuleId, $finding.Severity, (Split-Path $finding.File -Leaf), $finding.Line, $finding.Message) 'NOTE'
        }
    }

    $nodeParameters = @{ Session = $session; InstallPath = $InstallPath; Package = $Package; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout; JdkRoot = $JdkRoot }
    foreach ($name in 'JdkPackage', 'JavaBin', 'LicenseFile') { if ($PSBoundParameters.ContainsKey($name)) { $nodeParameters[$name] = $PSBoundParameters[$name] } }

    if ($whatIf) {
        Write-Log "Plan: 1. stop the node; 2. back up $ConfigDb/$database; 3. upgrade the ConfigDB $($old.Version) -> $($target.Version); 4. upgrade the node; on failure roll back the node, restore the ConfigDB and start $($old.Version)" 'PLAN'
        $sqlPlan = Invoke-HotDbConfigDbUpgrade -Path $ScriptsPath -ConfigDb $configDbTarget -From "$($old.Version)" -To "$($target.Version)" -WhatIf
        Write-Plan $sqlPlan 'ConfigDB upgrade plan:'
        $nodePlan = Update-HotDbComputeNode @nodeParameters -WhatIf
        foreach ($stage in $nodePlan.Stages) { Write-Log ('  {0,2}. {1}: {2}' -f $stage.Index, $stage.Stage, $stage.Description) 'PLAN' }
        Write-Log 'WhatIf: nothing was changed.'
        return
    }

    # The transfers come first, so a slow or broken link costs no downtime and changes nothing on the node.
    $staging = $InstallPath.TrimEnd('/').Substring(0, $InstallPath.TrimEnd('/').LastIndexOf('/')) + '/Install_Package'
    $null = Invoke-HotDbCommand -Session $session 'mkdir -p --' -ArgumentList $staging -Elevate -Confirm:$false
    foreach ($file in @($Package) + @($JdkPackage | Where-Object { $_ })) {
        $sent = Send-HotDbFile -Session $session -Path $file -Destination "$staging/" -Confirm:$false
        Write-Log "Staged $(Split-Path $file -Leaf) in $staging ($($sent.Status), SHA-256 $($sent.Sha256))"
    }

    if ($old.Running) {
        $null = Invoke-Logged { Stop-HotDbComputeNode -Session $session -InstallPath $InstallPath -Timeout $StopTimeout -Confirm:$false }
        $nodeStopped = $true
        Write-Log "Stopped HotDB Server $($old.Version)"
    }
    $backupParameters = @{ ConfigDb = $configDbTarget; Version = "$($old.Version)"; Confirm = $false }
    if ($BackupDirectory) { $backupParameters.Directory = $BackupDirectory }
    $backup = Invoke-Logged { Backup-HotDbConfigDb @backupParameters }
    Write-Log "ConfigDB backup $($backup.Path) (SHA-256 $($backup.Sha256), $(@($backup.Tables).Count) tables checksummed)"

    $configDbChanged = $true
    $upgrade = Invoke-Logged { Invoke-HotDbConfigDbUpgrade -Path $ScriptsPath -ConfigDb $configDbTarget -From "$($old.Version)" -To "$($target.Version)" -Backup $backup -Confirm:$false }
    Write-Log "ConfigDB upgraded to $($target.Version) ($(@($upgrade).Count) result(s))"

    $result = Invoke-Logged { Update-HotDbComputeNode @nodeParameters -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable nodeErrors }
    foreach ($stage in $result.Stages) { Write-Log ('Stage {0,2} {1}: {2}{3}' -f $stage.Index, $stage.Stage, $stage.Status, $(if ($stage.Error) { ' - ' + $stage.Error })) }
    if (-not $result.Succeeded) { throw "the node upgrade failed at $($result.FailedStage): $($result.Error)" }
    Write-Log "Success: $ComputerName runs HotDB Server $($result.After.Version); the old install is kept in $($result.BackupPath); the ConfigDB backup is $($backup.Path)"
}
catch {
    $exitCode = 1
    Write-Log "FAILED: $($_.Exception.Message)" 'ERROR'
    if ($whatIf -or -not $session) { $exitCode = 3 }
    else {
        try {
            $now = Get-HotDbComputeNode -Session $session -InstallPath $InstallPath -ErrorAction SilentlyContinue
            if ($old -and (-not $now -or $now.Version -ne $old.Version)) {
                throw "$InstallPath does not hold $($old.Version) after the node rollback; see the stage results above."
            }
            if ($configDbChanged -and $backup) {
                Write-Log "Restoring the ConfigDB from $($backup.Path)" 'ROLLBACK'
                $restore = Invoke-Logged { Restore-HotDbConfigDb -Backup $backup -ConfigDb $configDbTarget -Force -Confirm:$false }
                Write-Log "ConfigDB restored and verified against the backup's table checksums ($($restore.Database))" 'ROLLBACK'
            }
            if ($nodeStopped -or ($old -and $old.Running)) {
                $started = Invoke-Logged { Start-HotDbComputeNode -Session $session -InstallPath $InstallPath -Timeout $StartTimeout -Confirm:$false }
                Write-Log "HotDB Server $($started.Version) is running again (service port open: $($started.ServerPortOpen), manager port open: $($started.ManagerPortOpen))" 'ROLLBACK'
            }
        }
        catch {
            $exitCode = 2
            Write-Log "ROLLBACK INCOMPLETE: $($_.Exception.Message). The host needs a hand: check $InstallPath, the ConfigDB and the backup $(if ($backup) { $backup.Path })." 'ERROR'
        }
    }
}
finally {
    if ($session) { $session | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    Write-Log "Log: $LogPath; exit code $exitCode"
}
exit $exitCode
