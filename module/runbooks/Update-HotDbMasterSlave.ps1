<#
.SYNOPSIS
    Upgrades a HotDB compute node master/slave pair and its ConfigDB, the manual's sections 3.3 (-Mode Offline) and
    3.4 (-Mode Online), as a plan with a journal.
.DESCRIPTION
    1. Opens an SSH session to each host and builds the plan (New-HotDbUpgradePlan -Mode MasterSlaveOffline or
       MasterSlaveOnline): the master and the slave are read from the pair, not from the order of -ComputerName. Every
       read-only check runs before anything changes (both nodes at one version, package, JDK, license, disk on each
       host, the ConfigDB login and scripts; Online also the six HA switch checks and whether the upgrade SQL may run
       while the old version serves). A failed check refuses the upgrade with the pair untouched (exit code 3); when
       an Online check fails, the log says so and suggests -Mode Offline.
    2. Runs the plan (Invoke-HotDbUpgradePlan). Offline: upload on both, stop keepalived and node on the slave then on
       the master, ConfigDB backup and upgrade, replace both installs at once, start master node, master keepalived,
       wait for the VIP, slave node, slave keepalived, HA checks. Online: upload, ConfigDB upgrade while serving, the
       slave's upgrade, the switch to it, the old master's upgrade (started as backup), HA reconstruction, HA checks.
       On any failure the plan runner rolls back every step that ran, in reverse order; this script holds no rollback
       logic of its own.
    3. With -Resume, continues from the journal a run whose control machine died (Resume-HotDbUpgradePlan).
    -WhatIf runs the checks and prints the whole plan; nothing is changed. Every step goes to a log (no secrets); the
    journal (mode 0600) defaults to the log's path with .journal.json. The exit code is 0 on success, 1 on a failure
    that was rolled back, 2 when the rollback needs a hand, 3 for bad input or a refusal before any change.
.EXAMPLE
    ./Update-HotDbMasterSlave.ps1 -Mode Online -ComputerName hotdb-01, hotdb-02 -Credential $root -KeyFile ~/.ssh/id_ed25519 `
        -Package ./hotdb-server-2.5.6-ga-20201101.tar.gz -ScriptsPath ./upgrade-sql -ConfigDbCredential $configDbLogin -LogPath ./pair.log
.EXAMPLE
    ./Update-HotDbMasterSlave.ps1 -Mode Online -ComputerName hotdb-01, hotdb-02 -Credential $root -KeyFile ~/.ssh/id_ed25519 `
        -ConfigDbCredential $configDbLogin -Resume -JournalPath ./pair.journal.json
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Run')]
param(
    # Offline: the manual's 3.3 (service stopped); Online: 3.4 (without stopping the service).
    [Parameter(Mandatory, ParameterSetName = 'Run')] [ValidateSet('Offline', 'Online')] [string] $Mode,
    # Both hosts of the pair, in any order.
    [Parameter(Mandatory)] [ValidateCount(2, 2)] [string[]] $ComputerName,
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
    [Parameter(ParameterSetName = 'Run')] [string] $KeepalivedConfigPath = '/etc/keepalived/keepalived.conf',
    # Continue the run the journal describes instead of starting one.
    [Parameter(Mandatory, ParameterSetName = 'Resume')] [switch] $Resume,
    # The plan's journal; default: the log's path with .journal.json.
    [string] $JournalPath,
    # The log file; default: ./Update-HotDbMasterSlave-<host1>-<host2>-<yyyyMMdd-HHmmss>.log
    [string] $LogPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }
. (Join-Path $PSScriptRoot 'HotDbRunbook.Support.ps1')
$whatIf = [bool]$WhatIfPreference
$resumeWithoutJournal = $Resume -and -not $JournalPath -and -not $LogPath
$run = Initialize-RunbookLog -LogPath $LogPath -JournalPath $JournalPath -DefaultName "Update-HotDbMasterSlave-$($ComputerName -join '-')" -BoundParameters $PSBoundParameters
$LogPath = $run.LogPath
$JournalPath = $run.JournalPath

$exitCode = 3
$sessions = [System.Collections.Generic.List[object]]::new()
$started = $false
try {
    if ($resumeWithoutJournal) { throw 'With -Resume give -JournalPath (or the -LogPath of the interrupted run, whose journal is beside it).' }
    foreach ($session in New-RunbookSession -ComputerName $ComputerName -Port $Port -Credential $Credential -KeyFile $KeyFile -KnownHostsPath $KnownHostsPath -Elevation $Elevation -SudoCredential $SudoCredential) { $sessions.Add($session) }

    if ($Resume) {
        Write-Log "Resuming the master/slave upgrade of $($ComputerName -join ', ') from the journal $JournalPath$(if ($whatIf) { ' -- WhatIf: nothing will be changed' })"
        $started = $true
        $result = Invoke-Logged { Resume-HotDbUpgradePlan -JournalPath $JournalPath -Session $sessions.ToArray() -ConfigDbCredential $ConfigDbCredential -Confirm:$false -WhatIf:$whatIf -ErrorAction Continue }
    }
    else {
        Write-Log "Master/slave upgrade ($Mode) of $($ComputerName -join ', ') ($InstallPath) with $(Split-Path $Package -Leaf)$(if ($whatIf) { ' -- WhatIf: nothing will be changed' })"
        $planParameters = @{
            Mode = "MasterSlave$Mode"; Session = $sessions.ToArray(); KeepalivedConfigPath = $KeepalivedConfigPath; InstallPath = $InstallPath; Package = $Package; ScriptsPath = $ScriptsPath
            ConfigDbCredential = $ConfigDbCredential; JdkRoot = $JdkRoot; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout
        }
        Add-BoundParameter $planParameters $PSBoundParameters 'JdkPackage', 'JavaBin', 'LicenseFile', 'BackupDirectory', 'ConfigDb'
        $plan = Invoke-Logged { New-HotDbUpgradePlan @planParameters -ErrorAction Continue }
        if (-not $plan) { throw 'no plan could be built; see the errors above' }
        $hint = if ($Mode -eq 'Online' -and ($plan.Checks | Where-Object { "$($_.Status)" -eq 'Failed' -and $_.Step -in 'CheckHaSwitch', 'CheckOnlineSql' })) { ' (an upgrade with the service stopped, -Mode Offline, does not need the failed online check)' }
        Write-RunbookPlan -Plan $plan -JournalPath $JournalPath -Unchanged "$($ComputerName -join ' and ') were not changed" -RefusalHint $hint
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
        Write-ComputeNodeState -Session $sessions.ToArray() -InstallPath $result.InstallPath -Prefix 'Success: '
        Write-Log "Journal $JournalPath"
    }
    elseif ($exitCode -eq 1) { Write-ComputeNodeState -Session $sessions.ToArray() -InstallPath $result.InstallPath -Level 'ROLLBACK' }
}
catch {
    $exitCode = Get-RunbookFailureExitCode -ErrorRecord $_ -Started $started -JournalPath $JournalPath -Subject 'The pair'
}
finally {
    foreach ($session in $sessions) { $session | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    Write-Log "Log: $LogPath; exit code $exitCode"
}
exit $exitCode
