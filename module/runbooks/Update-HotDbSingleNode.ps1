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
[CmdletBinding(SupportsShouldProcess, PositionalBinding = $false)]
param(
    # The compute node host. Required.
    [string] $ComputerName,
    # The SSH port (1-65535).
    [object] $Port = 22,
    # SSH login as a PSCredential (root, or a sudo user with -Elevation Sudo); with -KeyFile its password is the key's
    # passphrase. Required unless -CredentialSecret, or -UserName with -KeyFile, gives the login.
    [object] $Credential,
    # A key-only SSH login without a PSCredential: the user name, with -KeyFile (a key without passphrase).
    [string] $UserName,
    # The SSH private key file.
    [string] $KeyFile,
    # The known_hosts file the host key is checked against; default ~/.ssh/known_hosts.
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
    # host:port of the ConfigDB; default: the url in the node's server.xml.
    [string] $ConfigDb,
    # The compute node directory on the host.
    [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    # A local JDK 8 package, installed when the target version needs JDK 8.
    [string] $JdkPackage,
    # A JDK 8 java already on the host, used instead of -JdkPackage.
    [string] $JavaBin,
    # Where -JdkPackage is installed on the host.
    [string] $JdkRoot = '/usr/local/jdk8',
    # A local license file installed into the new install's keys/.
    [string] $LicenseFile,
    # Folder on the host for the ConfigDB dump.
    [string] $BackupDirectory,
    # Seconds the compute node may take to start (1-3600).
    [object] $StartTimeout = 180,
    # Seconds the compute node may take to stop (1-3600).
    [object] $StopTimeout = 120,
    # Continue the run the journal describes instead of starting one.
    [switch] $Resume,
    # The plan's journal; default: the log's path with .journal.json.
    [string] $JournalPath,
    # The log file; default: ./Update-HotDbSingleNode-<host>-<yyyyMMdd-HHmmss>.log
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
$resumeWithoutJournal = $Resume -and -not $JournalPath -and -not $LogPath
$run = Initialize-RunbookLog -LogPath $LogPath -JournalPath $JournalPath -DefaultName "Update-HotDbSingleNode-$(if ($ComputerName) { $ComputerName } else { 'unknown' })" -BoundParameters $PSBoundParameters
$LogPath = $run.LogPath
$JournalPath = $run.JournalPath
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }

$exitCode = 3
$session = $null
$started = $false
try {
    Assert-RunbookInput -BoundParameters $PSBoundParameters -UnknownArgument $UnknownArgument -Resume:$Resume `
        -Required $(if ($Resume) { @('ComputerName') } else { @('ComputerName', 'Package', 'ScriptsPath') }) `
        -Choice @{ Elevation = 'None', 'Sudo' } -Range @{ Port = 1, 65535; StartTimeout = 1, 3600; StopTimeout = 1, 3600 } `
        -File 'Package', 'KeyFile', 'JdkPackage', 'LicenseFile' -Folder 'ScriptsPath' `
        -RunOnly 'Package', 'ScriptsPath', 'ConfigDb', 'InstallPath', 'JdkPackage', 'JavaBin', 'JdkRoot', 'LicenseFile', 'BackupDirectory', 'StartTimeout', 'StopTimeout'
    if ($resumeWithoutJournal) { throw 'With -Resume give -JournalPath (or the -LogPath of the interrupted run, whose journal is beside it).' }
    $Credential = Resolve-RunbookCredential -Name Credential -Value $Credential -SecretName $CredentialSecret -Vault $SecretVault -UserName $UserName -KeyFile $KeyFile
    $ConfigDbCredential = Resolve-RunbookCredential -Name ConfigDbCredential -Value $ConfigDbCredential -SecretName $ConfigDbCredentialSecret -Vault $SecretVault
    $SudoCredential = Resolve-RunbookCredential -Name SudoCredential -Value $SudoCredential -SecretName $SudoCredentialSecret -Vault $SecretVault -Optional
    $Port = [int]"$Port"; $StartTimeout = [int]"$StartTimeout"; $StopTimeout = [int]"$StopTimeout"
    $session = New-RunbookSession -ComputerName $ComputerName -Port $Port -Credential $Credential -KeyFile $KeyFile -KnownHostsPath $KnownHostsPath -Elevation $Elevation -SudoCredential $SudoCredential

    $planParameters = @{
        Mode = 'SingleNode'; Session = $session; InstallPath = $InstallPath; Package = $Package; ScriptsPath = $ScriptsPath
        ConfigDbCredential = $ConfigDbCredential; JdkRoot = $JdkRoot; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout
    }
    Add-BoundParameter $planParameters $PSBoundParameters 'JdkPackage', 'JavaBin', 'LicenseFile', 'BackupDirectory', 'ConfigDb'
    $outcome = Invoke-RunbookPlan -Resume:$Resume -JournalPath $JournalPath -Session $session -WhatIf:$whatIf `
        -ResumeMessage "single-node upgrade of $ComputerName" -ResumeParameters @{ ConfigDbCredential = $ConfigDbCredential } `
        -PlanMessage "Single-node upgrade of $ComputerName ($InstallPath) with $(if ($Package) { Split-Path $Package -Leaf })" -PlanParameters $planParameters `
        -Unchanged "$ComputerName was not changed"
    $result = $outcome.Result
    $exitCode = $outcome.ExitCode
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
