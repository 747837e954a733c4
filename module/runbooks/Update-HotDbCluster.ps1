<#
.SYNOPSIS
    Upgrades a HotDB multi-node cluster (haMode 1) and its ConfigDB, the manual's sections 3.5 (-Mode Offline) and 3.6
    (-Mode Online), as a plan with a journal.
.DESCRIPTION
    1. Opens an SSH session to each member and builds the plan (New-HotDbUpgradePlan -Mode ClusterOffline or
       ClusterOnline): the PRIMARY is read from show @@cluster on the manager ports, not from the order of
       -ComputerName. Every read-only check runs before anything changes (each member's package, JDK, license and disk
       checks; the cluster checks CL1..CL6: every member joined, one PRIMARY, clusterSize, majority, one version, a
       newer package; the ConfigDB login and scripts; Online also CL7 and CL8: the source version and the upgrade SQL
       allow an upgrade without stopping the service). A failed check refuses the upgrade with the cluster untouched
       (exit code 3); when an Online check fails, the log says so and suggests -Mode Offline.
    2. Runs the plan (Invoke-HotDbUpgradePlan). Offline: upload on every member while the cluster serves, stop the
       secondaries then the primary, ConfigDB backup and upgrade, replace every install at once, start the primary then
       the secondaries (a member alone waits in Started for a majority), then show @@cluster must list every member,
       one PRIMARY, all at the new version. On a failure the plan runner rolls back every step that ran.
       Online: upload, ConfigDB upgrade while serving, each secondary in turn (stopped, replaced, started, until it is a
       SECONDARY at the new version again), then the primary once every other member is in the cluster: it stops and
       its install is replaced while the others elect, and a new PRIMARY must lead within -ElectionTimeout before its
       new version starts (otherwise it is started again on its old install); then it rejoins. A member that fails is rolled back and rejoins on its old install, and the run
       stops there: members that already rejoined at the new version stay upgraded and the cluster serves (the log
       names them). This script holds no rollback logic of its own.
    3. With -Resume, continues from the journal a run whose control machine died (Resume-HotDbUpgradePlan).
    -WhatIf runs the checks and prints the whole plan; nothing is changed. Every step goes to a log (no secrets); the
    journal (mode 0600) defaults to the log's path with .journal.json. The exit code is 0 on success, 1 on a failure
    that was rolled back, 2 when the rollback needs a hand, 3 for bad input or a refusal before any change.
.PARAMETER Mode
    Offline: the manual's 3.5 (service stopped); Online: 3.6 (one member at a time, the cluster serving).
.PARAMETER ComputerName
    Every member of the cluster, in any order (an array, or one string of names separated by commas) (at least two; show @@cluster must list no member without one).
.PARAMETER Port
    The SSH port of every member.
.PARAMETER Credential
    SSH login as a PSCredential (root, or a sudo user with -Elevation Sudo); with -KeyFile its password is the key's
    passphrase. Required unless -CredentialSecret, or -UserName with -KeyFile, gives the login.
.PARAMETER UserName
    A key-only SSH login without a PSCredential: the user name, with -KeyFile (a key without passphrase).
.PARAMETER SecretVault
    A Microsoft.PowerShell.SecretManagement vault holding the secrets named by the *Secret parameters.
.PARAMETER CredentialSecret
    The name of a PSCredential secret for -Credential (needs Microsoft.PowerShell.SecretManagement).
.PARAMETER ConfigDbCredentialSecret
    The name of a PSCredential secret for -ConfigDbCredential.
.PARAMETER SudoCredentialSecret
    The name of a PSCredential secret for -SudoCredential.
.PARAMETER ManagerCredentialSecret
    The name of a PSCredential secret for -ManagerCredential.
.PARAMETER UnknownArgument
    Not a parameter: catches unknown or positional arguments so that they are refused with exit code 3.
.PARAMETER KeyFile
    The SSH private key file.
.PARAMETER KnownHostsPath
    The known_hosts file the members' host keys are checked against.
.PARAMETER Elevation
    None (the login is root) or Sudo.
.PARAMETER SudoCredential
    The sudo password of the login, with -Elevation Sudo.
.PARAMETER ManagerCredential
    A manager-port login with the SUPER privilege (HotDB's own user), for show @@cluster and show @@version.
.PARAMETER Package
    The compute node package, hotdb-server-<version>-ga-<date>.tar.gz.
.PARAMETER ScriptsPath
    The folder of ConfigDB upgrade scripts (hotdb_config_<version>.sql).
.PARAMETER ConfigDbCredential
    The ConfigDB login (a user allowed to dump and alter the compute node's ConfigDB).
.PARAMETER ConfigDb
    host:port of the ConfigDB; default: the url in the members' server.xml.
.PARAMETER InstallPath
    The compute node directory on every member.
.PARAMETER JdkPackage
    A local JDK 8 package installed on every member when the target version needs JDK 8.
.PARAMETER JavaBin
    A JDK 8 java already on every member, used instead of -JdkPackage.
.PARAMETER JdkRoot
    Where -JdkPackage is installed on the members.
.PARAMETER LicenseFile
    A local license file installed into every new install's keys/.
.PARAMETER BackupDirectory
    Folder on the primary's host for the ConfigDB dump.
.PARAMETER StartTimeout
    Seconds a member's compute node may take to start.
.PARAMETER StopTimeout
    Seconds a member's compute node may take to stop.
.PARAMETER ElectionTimeout
    Online: seconds the other members may take to elect a new PRIMARY once the primary stops.
.PARAMETER RejoinTimeout
    Seconds a started member may take to show as PRIMARY or SECONDARY again (and the cluster to settle at the end).
.PARAMETER Resume
    Continue the run the journal describes instead of starting one.
.PARAMETER JournalPath
    The plan's journal; default: the log's path with .journal.json.
.PARAMETER LogPath
    The log file; default: ./Update-HotDbCluster-<host1>-<host2>-...-<yyyyMMdd-HHmmss>.log
.EXAMPLE
    ./Update-HotDbCluster.ps1 -Mode Online -ComputerName hotdb-01, hotdb-02, hotdb-03 -Credential $root -KeyFile ~/.ssh/id_ed25519 `
        -ManagerCredential $hotdbRoot -Package ./hotdb-server-2.5.6-ga-20201101.tar.gz -ScriptsPath ./upgrade-sql -ConfigDbCredential $configDbLogin -LogPath ./cluster.log
.EXAMPLE
    ./Update-HotDbCluster.ps1 -ComputerName hotdb-01, hotdb-02, hotdb-03 -Credential $root -KeyFile ~/.ssh/id_ed25519 `
        -ManagerCredential $hotdbRoot -ConfigDbCredential $configDbLogin -Resume -JournalPath ./cluster.journal.json
#>
[CmdletBinding(SupportsShouldProcess, PositionalBinding = $false)]
param(
    [ArgumentCompletions('Offline', 'Online')] [string] $Mode,
    [string[]] $ComputerName,
    [object] $Port = 22,
    [object] $Credential,
    [string] $UserName,
    [string] $KeyFile,
    [string] $KnownHostsPath,
    [ArgumentCompletions('None', 'Sudo')] [string] $Elevation = 'None',
    [object] $SudoCredential,
    [object] $ManagerCredential,
    [string] $Package,
    [string] $ScriptsPath,
    [object] $ConfigDbCredential,
    [string] $SecretVault,
    [string] $CredentialSecret,
    [string] $ConfigDbCredentialSecret,
    [string] $SudoCredentialSecret,
    [string] $ManagerCredentialSecret,
    [string] $ConfigDb,
    [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    [string] $JdkPackage,
    [string] $JavaBin,
    [string] $JdkRoot = '/usr/local/jdk8',
    [string] $LicenseFile,
    [string] $BackupDirectory,
    [object] $StartTimeout = 180,
    [object] $StopTimeout = 120,
    [object] $ElectionTimeout = 60,
    [object] $RejoinTimeout = 120,
    [switch] $Resume,
    [string] $JournalPath,
    [string] $LogPath,
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
$run = Initialize-RunbookLog -LogPath $LogPath -JournalPath $JournalPath -DefaultName "Update-HotDbCluster-$($ComputerName -join '-')" -BoundParameters $PSBoundParameters
$LogPath = $run.LogPath
$JournalPath = $run.JournalPath
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }

$exitCode = 3
$sessions = [System.Collections.Generic.List[object]]::new()
$started = $false
try {
    Assert-RunbookInput -BoundParameters $PSBoundParameters -UnknownArgument $UnknownArgument -Resume:$Resume `
        -Required $(if ($Resume) { @('ComputerName') } else { @('Mode', 'ComputerName', 'Package', 'ScriptsPath') }) `
        -Choice @{ Mode = 'Offline', 'Online'; Elevation = 'None', 'Sudo' } `
        -Range @{ Port = 1, 65535; StartTimeout = 1, 3600; StopTimeout = 1, 3600; ElectionTimeout = 1, 3600; RejoinTimeout = 1, 3600 } `
        -File 'Package', 'KeyFile', 'JdkPackage', 'LicenseFile' -Folder 'ScriptsPath' `
        -RunOnly 'Mode', 'Package', 'ScriptsPath', 'ConfigDb', 'InstallPath', 'JdkPackage', 'JavaBin', 'JdkRoot', 'LicenseFile', 'BackupDirectory', 'StartTimeout', 'StopTimeout', 'ElectionTimeout', 'RejoinTimeout'
    if ($ComputerName.Count -lt 2 -or $ComputerName.Count -gt 9) { throw "bad parameters: -ComputerName takes every member of the cluster (2 to 9); $($ComputerName.Count) given." }
    if ($resumeWithoutJournal) { throw 'With -Resume give -JournalPath (or the -LogPath of the interrupted run, whose journal is beside it).' }
    $Credential = Resolve-RunbookCredential -Name Credential -Value $Credential -SecretName $CredentialSecret -Vault $SecretVault -UserName $UserName -KeyFile $KeyFile
    $ConfigDbCredential = Resolve-RunbookCredential -Name ConfigDbCredential -Value $ConfigDbCredential -SecretName $ConfigDbCredentialSecret -Vault $SecretVault
    $SudoCredential = Resolve-RunbookCredential -Name SudoCredential -Value $SudoCredential -SecretName $SudoCredentialSecret -Vault $SecretVault -Optional
    $Port = [int]"$Port"; $StartTimeout = [int]"$StartTimeout"; $StopTimeout = [int]"$StopTimeout"
    $ManagerCredential = Resolve-RunbookCredential -Name ManagerCredential -Value $ManagerCredential -SecretName $ManagerCredentialSecret -Vault $SecretVault
    $ElectionTimeout = [int]"$ElectionTimeout"; $RejoinTimeout = [int]"$RejoinTimeout"
    foreach ($session in New-RunbookSession -ComputerName $ComputerName -Port $Port -Credential $Credential -KeyFile $KeyFile -KnownHostsPath $KnownHostsPath -Elevation $Elevation -SudoCredential $SudoCredential) { $sessions.Add($session) }

    $planParameters = @{
        Mode = "Cluster$Mode"; Session = $sessions.ToArray(); Credential = $ManagerCredential; InstallPath = $InstallPath; Package = $Package; ScriptsPath = $ScriptsPath
        ConfigDbCredential = $ConfigDbCredential; JdkRoot = $JdkRoot; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout
        ElectionTimeout = $ElectionTimeout; RejoinTimeout = $RejoinTimeout
    }
    Add-BoundParameter $planParameters $PSBoundParameters 'JdkPackage', 'JavaBin', 'LicenseFile', 'BackupDirectory', 'ConfigDb'
    $outcome = Invoke-RunbookPlan -Resume:$Resume -JournalPath $JournalPath -Session $sessions.ToArray() -WhatIf:$whatIf `
        -ResumeMessage "cluster upgrade of $($ComputerName -join ', ')" -ResumeParameters @{ ConfigDbCredential = $ConfigDbCredential; Credential = $ManagerCredential } `
        -PlanMessage "Cluster upgrade ($Mode) of $($ComputerName -join ', ') ($InstallPath) with $(if ($Package) { Split-Path $Package -Leaf })" -PlanParameters $planParameters `
        -Unchanged "$($ComputerName -join ', ') were not changed" -RefusalHint {
            param($plan)
            # The cluster check's notes (each member's role and version) before the verdict.
            foreach ($check in @($plan.Checks | Where-Object Step -EQ 'CheckCluster')) { foreach ($note in $check.Notes) { Write-Log "  $note" } }
            if ($Mode -eq 'Online' -and ($plan.Checks | Where-Object { "$($_.Status)" -eq 'Failed' -and $_.Step -eq 'CheckCluster' -and $_.Error -match 'CL[78] ' })) { ' (an upgrade with the service stopped, -Mode Offline, does not need the failed online check)' }
        }
    $result = $outcome.Result
    $exitCode = $outcome.ExitCode
    if ($result -and $result.Outcome) { Write-Log "STOPPED PART-WAY: $($result.Outcome)" 'ERROR' }
    if ($exitCode -eq 0 -and -not $whatIf) {
        Write-ComputeNodeState -Session $sessions.ToArray() -InstallPath $result.InstallPath -Prefix 'Success: '
        Write-Log "Journal $JournalPath"
    }
    elseif ($exitCode -eq 1) { Write-ComputeNodeState -Session $sessions.ToArray() -InstallPath $result.InstallPath -Level 'ROLLBACK' }
}
catch {
    $exitCode = Get-RunbookFailureExitCode -ErrorRecord $_ -Started $started -JournalPath $JournalPath -Subject 'The cluster'
}
finally {
    foreach ($session in $sessions) { $session | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    Write-Log "Log: $LogPath; exit code $exitCode"
}
exit $exitCode
