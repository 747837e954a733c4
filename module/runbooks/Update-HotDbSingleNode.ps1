<#
.SYNOPSIS
    Upgrades a single-node HotDB compute node and its ConfigDB, the manual's section 3.2, as a plan with a journal.
.DESCRIPTION
    1. Opens the SSH session and builds the plan (New-HotDbUpgradePlan -Mode SingleNode): every read-only check runs
       before anything stops (node, version path, package, JDK, license, disk, the ConfigDB login and its upgrade
       scripts, SQL check). A failed check refuses the upgrade with the node still running (exit code 3).
    2. Runs the plan (Invoke-HotDbUpgradePlan): upload while the old version serves, stop, ConfigDB backup and
       upgrade, keep the old install as hotdb_server_<version>, extract, NDB SQL, configuration, JDK, license, start
       and verify. On any failure the plan runner rolls back every step that ran, in reverse order: the ConfigDB is
       restored from its backup (verified by table checksums) before the old version is started again. This script
       holds no rollback logic of its own.
    3. With -Resume, continues from the journal (-JournalPath) a run whose control machine died
       (Resume-HotDbUpgradePlan): the upgrade completes or is rolled back.
    -WhatIf runs the checks and prints the whole plan; nothing is changed. Every step goes to a log (no secrets:
    credentials are never written); the journal (mode 0600) defaults to the log's path with .journal.json. The exit
    code is 0 on success, 1 on a failure that was rolled back, 2 when the rollback needs a hand, 3 for bad input or
    a refusal before any change.
.EXAMPLE
    ./Update-HotDbSingleNode.ps1 -ComputerName hotdb-01 -Credential $root -KeyFile ~/.ssh/id_ed25519 `
        -Package ./hotdb-server-2.5.4-ga-20190812.tar.gz -ScriptsPath ./upgrade-sql -ConfigDbCredential $configDbLogin -LogPath ./hotdb-01.log
.EXAMPLE
    # The admin machine died mid-upgrade: the same log path finds the journal beside it.
    ./Update-HotDbSingleNode.ps1 -ComputerName hotdb-01 -Credential $root -KeyFile ~/.ssh/id_ed25519 `
        -ConfigDbCredential $configDbLogin -Resume -JournalPath ./hotdb-01.journal.json
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Run')]
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
    [Parameter(Mandatory, ParameterSetName = 'Run')] [string] $Package,
    # The folder of ConfigDB upgrade scripts (hotdb_config_<version>.sql).
    [Parameter(Mandatory, ParameterSetName = 'Run')] [string] $ScriptsPath,
    # The ConfigDB login (a user allowed to dump and alter the compute node's ConfigDB).
    [Parameter(Mandatory)] [pscredential] $ConfigDbCredential,
    # host:port of the ConfigDB; default: the url in the node's server.xml.
    [Parameter(ParameterSetName = 'Run')] [string] $ConfigDb,
    [Parameter(ParameterSetName = 'Run')] [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    [Parameter(ParameterSetName = 'Run')] [string] $JdkPackage,
    [Parameter(ParameterSetName = 'Run')] [string] $JavaBin,
    [Parameter(ParameterSetName = 'Run')] [string] $JdkRoot = '/usr/local/jdk8',
    [Parameter(ParameterSetName = 'Run')] [string] $LicenseFile,
    # Folder on the host for the ConfigDB dump.
    [Parameter(ParameterSetName = 'Run')] [string] $BackupDirectory,
    [Parameter(ParameterSetName = 'Run')] [int] $StartTimeout = 180,
    [Parameter(ParameterSetName = 'Run')] [int] $StopTimeout = 120,
    # Continue the run the journal describes instead of starting one.
    [Parameter(Mandatory, ParameterSetName = 'Resume')] [switch] $Resume,
    # The plan's journal; default: the log's path with .journal.json.
    [string] $JournalPath,
    # The log file; default: ./Update-HotDbSingleNode-<host>-<yyyyMMdd-HHmmss>.log
    [string] $LogPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }
. (Join-Path $PSScriptRoot 'HotDbRunbook.Support.ps1')
$whatIf = [bool]$WhatIfPreference
$resumeWithoutJournal = $Resume -and -not $JournalPath -and -not $LogPath
$run = Initialize-RunbookLog -LogPath $LogPath -JournalPath $JournalPath -DefaultName "Update-HotDbSingleNode-$ComputerName" -BoundParameters $PSBoundParameters
$LogPath = $run.LogPath
$JournalPath = $run.JournalPath

$exitCode = 3
$session = $null
$started = $false
try {
    if ($resumeWithoutJournal) { throw 'With -Resume give -JournalPath (or the -LogPath of the interrupted run, whose journal is beside it).' }
    $session = New-RunbookSession -ComputerName $ComputerName -Port $Port -Credential $Credential -KeyFile $KeyFile -KnownHostsPath $KnownHostsPath -Elevation $Elevation -SudoCredential $SudoCredential

    if ($Resume) {
        Write-Log "Resuming the single-node upgrade of $ComputerName from the journal $JournalPath$(if ($whatIf) { ' -- WhatIf: nothing will be changed' })"
        $started = $true
        $result = Invoke-Logged { Resume-HotDbUpgradePlan -JournalPath $JournalPath -Session $session -ConfigDbCredential $ConfigDbCredential -Confirm:$false -WhatIf:$whatIf -ErrorAction Continue }
    }
    else {
        Write-Log "Single-node upgrade of $ComputerName ($InstallPath) with $(Split-Path $Package -Leaf)$(if ($whatIf) { ' -- WhatIf: nothing will be changed' })"
        $planParameters = @{
            Mode = 'SingleNode'; Session = $session; InstallPath = $InstallPath; Package = $Package; ScriptsPath = $ScriptsPath
            ConfigDbCredential = $ConfigDbCredential; JdkRoot = $JdkRoot; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout
        }
        Add-BoundParameter $planParameters $PSBoundParameters 'JdkPackage', 'JavaBin', 'LicenseFile', 'BackupDirectory', 'ConfigDb'
        $plan = Invoke-Logged { New-HotDbUpgradePlan @planParameters -ErrorAction Continue }
        if (-not $plan) { throw 'no plan could be built; see the errors above' }
        Write-RunbookPlan -Plan $plan -JournalPath $JournalPath -Unchanged "$ComputerName was not changed"
        if ($whatIf) {
            Write-Log 'WhatIf: nothing was changed.'
            $exitCode = 0
            return
        }
        $started = $true
        $result = Invoke-Logged { Invoke-HotDbUpgradePlan -Plan $plan -JournalPath $JournalPath -Confirm:$false -ErrorAction Continue }
    }
    $exitCode = Get-RunbookExitCode -Result $result -JournalPath $JournalPath
    if ($exitCode -eq 0 -and -not $whatIf) {
        $after = Get-HotDbComputeNode -Session $session -InstallPath $result.InstallPath -ErrorAction SilentlyContinue
        Write-Log "Success: $ComputerName runs HotDB Server $($after.Version) (running: $($after.Running)); journal $JournalPath"
    }
    elseif ($exitCode -eq 1) {
        $after = Get-HotDbComputeNode -Session $session -InstallPath $result.InstallPath -ErrorAction SilentlyContinue
        if ($after -and $after.Running) { Write-Log "HotDB Server $($after.Version) is running again (service port open: $($after.ServerPortOpen), manager port open: $($after.ManagerPortOpen))" 'ROLLBACK' }
    }
}
catch {
    $exitCode = Get-RunbookFailureExitCode -ErrorRecord $_ -Started $started -JournalPath $JournalPath -Subject 'The host'
}
finally {
    if ($session) { $session | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    Write-Log "Log: $LogPath; exit code $exitCode"
}
exit $exitCode
