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
[CmdletBinding(SupportsShouldProcess, PositionalBinding = $false)]
param(
    # Offline: the manual's 3.3 (service stopped); Online: 3.4 (without stopping the service). Required for a new run.
    [ArgumentCompletions('Offline', 'Online')] [string] $Mode,
    # Both hosts of the pair, in any order (an array, or one string of names separated by commas). Required.
    [string[]] $ComputerName,
    # The SSH port of every host (1-65535).
    [object] $Port = 22,
    # SSH login as a PSCredential (root, or a sudo user with -Elevation Sudo); with -KeyFile its password is the key's
    # passphrase. Required unless -CredentialSecret, or -UserName with -KeyFile, gives the login.
    [object] $Credential,
    # A key-only SSH login without a PSCredential: the user name, with -KeyFile (a key without passphrase).
    [string] $UserName,
    # The SSH private key file.
    [string] $KeyFile,
    # The known_hosts file the host keys are checked against; default ~/.ssh/known_hosts.
    [string] $KnownHostsPath,
    # None (the login is root) or Sudo.
    [ArgumentCompletions('None', 'Sudo')] [string] $Elevation = 'None',
    # The sudo password of the login, with -Elevation Sudo.
    [object] $SudoCredential,
    # The compute node package, hotdb-server-<version>-ga-<date>.tar.gz. Required for a new run.
    [string] $Package,
    # The folder of ConfigDB upgrade scripts (hotdb_config_<version>.sql). Required for a new run.
    [string] $ScriptsPath,
    # The ConfigDB login (a user allowed to dump and alter the compute node's ConfigDB). Required unless
    # -ConfigDbCredentialSecret gives it.
    [object] $ConfigDbCredential,
    # A Microsoft.PowerShell.SecretManagement vault holding the secrets named by the *Secret parameters.
    [string] $SecretVault,
    # The name of a PSCredential secret for -Credential (needs Microsoft.PowerShell.SecretManagement).
    [string] $CredentialSecret,
    # The name of a PSCredential secret for -ConfigDbCredential.
    [string] $ConfigDbCredentialSecret,
    # The name of a PSCredential secret for -SudoCredential.
    [string] $SudoCredentialSecret,
    # host:port of the ConfigDB; default: the url in the nodes' server.xml.
    [string] $ConfigDb,
    # The compute node directory on every host.
    [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    # A local JDK 8 package, installed when the target version needs JDK 8.
    [string] $JdkPackage,
    # A JDK 8 java already on the hosts, used instead of -JdkPackage.
    [string] $JavaBin,
    # Where -JdkPackage is installed on the hosts.
    [string] $JdkRoot = '/usr/local/jdk8',
    # A local license file installed into each new install's keys/.
    [string] $LicenseFile,
    # Folder on the host for the ConfigDB dump.
    [string] $BackupDirectory,
    # Seconds a compute node may take to start (1-3600).
    [object] $StartTimeout = 180,
    # Seconds a compute node may take to stop (1-3600).
    [object] $StopTimeout = 120,
    # The keepalived configuration file on both hosts.
    [string] $KeepalivedConfigPath = '/etc/keepalived/keepalived.conf',
    # Continue the run the journal describes instead of starting one.
    [switch] $Resume,
    # The plan's journal; default: the log's path with .journal.json.
    [string] $JournalPath,
    # The log file; default: ./Update-HotDbMasterSlave-<hosts>-<yyyyMMdd-HHmmss>.log
    [string] $LogPath,
    # Not a parameter: catches unknown or positional arguments so that they are refused with exit code 3.
    [Parameter(ValueFromRemainingArguments, DontShow)] [object[]] $UnknownArgument
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$exitCode = 3
. (Join-Path $PSScriptRoot 'HotDbRunbook.Support.ps1')
trap { Write-RunbookTrap $_; exit $exitCode }
$ComputerName = Split-RunbookHostName $ComputerName
$whatIf = [bool]$WhatIfPreference
$resumeWithoutJournal = $Resume -and -not $JournalPath -and -not $LogPath
$run = Initialize-RunbookLog -LogPath $LogPath -JournalPath $JournalPath -DefaultName "Update-HotDbMasterSlave-$($ComputerName -join '-')" -BoundParameters $PSBoundParameters
$LogPath = $run.LogPath
$JournalPath = $run.JournalPath
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }

$exitCode = 3
$sessions = [System.Collections.Generic.List[object]]::new()
$started = $false
try {
    Assert-RunbookInput -BoundParameters $PSBoundParameters -UnknownArgument $UnknownArgument -Resume:$Resume `
        -Required $(if ($Resume) { @('ComputerName') } else { @('Mode', 'ComputerName', 'Package', 'ScriptsPath') }) `
        -Choice @{ Mode = 'Offline', 'Online'; Elevation = 'None', 'Sudo' } -Range @{ Port = 1, 65535; StartTimeout = 1, 3600; StopTimeout = 1, 3600 } `
        -File 'Package', 'KeyFile', 'JdkPackage', 'LicenseFile' -Folder 'ScriptsPath' `
        -RunOnly 'Mode', 'Package', 'ScriptsPath', 'ConfigDb', 'InstallPath', 'JdkPackage', 'JavaBin', 'JdkRoot', 'LicenseFile', 'BackupDirectory', 'StartTimeout', 'StopTimeout', 'KeepalivedConfigPath'
    if ($ComputerName.Count -ne 2) { throw "bad parameters: -ComputerName takes both hosts of the pair; $($ComputerName.Count) given." }
    if ($resumeWithoutJournal) { throw 'With -Resume give -JournalPath (or the -LogPath of the interrupted run, whose journal is beside it).' }
    $Credential = Resolve-RunbookCredential -Name Credential -Value $Credential -SecretName $CredentialSecret -Vault $SecretVault -UserName $UserName -KeyFile $KeyFile
    $ConfigDbCredential = Resolve-RunbookCredential -Name ConfigDbCredential -Value $ConfigDbCredential -SecretName $ConfigDbCredentialSecret -Vault $SecretVault
    $SudoCredential = Resolve-RunbookCredential -Name SudoCredential -Value $SudoCredential -SecretName $SudoCredentialSecret -Vault $SecretVault -Optional
    $Port = [int]"$Port"; $StartTimeout = [int]"$StartTimeout"; $StopTimeout = [int]"$StopTimeout"
    foreach ($session in New-RunbookSession -ComputerName $ComputerName -Port $Port -Credential $Credential -KeyFile $KeyFile -KnownHostsPath $KnownHostsPath -Elevation $Elevation -SudoCredential $SudoCredential) { $sessions.Add($session) }

    $planParameters = @{
        Mode = "MasterSlave$Mode"; Session = $sessions.ToArray(); KeepalivedConfigPath = $KeepalivedConfigPath; InstallPath = $InstallPath; Package = $Package; ScriptsPath = $ScriptsPath
        ConfigDbCredential = $ConfigDbCredential; JdkRoot = $JdkRoot; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout
    }
    Add-BoundParameter $planParameters $PSBoundParameters 'JdkPackage', 'JavaBin', 'LicenseFile', 'BackupDirectory', 'ConfigDb'
    $outcome = Invoke-RunbookPlan -Resume:$Resume -JournalPath $JournalPath -Session $sessions.ToArray() -WhatIf:$whatIf `
        -ResumeMessage "master/slave upgrade of $($ComputerName -join ', ')" -ResumeParameters @{ ConfigDbCredential = $ConfigDbCredential } `
        -PlanMessage "Master/slave upgrade ($Mode) of $($ComputerName -join ', ') ($InstallPath) with $(if ($Package) { Split-Path $Package -Leaf })" -PlanParameters $planParameters `
        -Unchanged "$($ComputerName -join ' and ') were not changed" -RefusalHint {
            param($plan)
            if ($Mode -eq 'Online' -and ($plan.Checks | Where-Object { "$($_.Status)" -eq 'Failed' -and $_.Step -in 'CheckHaSwitch', 'CheckOnlineSql' })) { ' (an upgrade with the service stopped, -Mode Offline, does not need the failed online check)' }
        }
    $result = $outcome.Result
    $exitCode = $outcome.ExitCode
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
