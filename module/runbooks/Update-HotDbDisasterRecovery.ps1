<#
.SYNOPSIS
    Upgrades a HotDB estate in disaster-recovery mode, the manual's section 3.7: the master centre first in its own
    mode, then the DR centre's compute nodes without any ConfigDB SQL.
.DESCRIPTION
    1. Opens SSH sessions to both IDCs' compute nodes and runs Test-HotDbDisasterRecovery (DR1..DR4): master-centre
       nodes serving, DR-centre nodes stopped or with the manager port only, ConfigDB replication master centre to DR
       centre running (IO and SQL threads, no lag, GTID), no IDC switch in effect. Any failure refuses the upgrade
       with both IDCs untouched (exit code 3).
    2. Upgrades the master centre with its own runbook, in this log: Update-HotDbSingleNode.ps1 (-MasterCentreMode
       SingleNode) or Update-HotDbMasterSlave.ps1 (MasterSlaveOffline or MasterSlaveOnline). Its ConfigDB is backed
       up and upgraded there, and rolled back there on failure; the DR centre is then not touched.
    3. Verifies the master centre: every node at the package's version, and the DR checks again.
    4. Upgrades the DR centre with the DisasterRecovery plan (New-HotDbUpgradePlan -Mode DisasterRecovery): its
       checks, the upload, a wait until the DR ConfigDB shows the master centre's upgrade (upgrade ledger and table
       checksums equal, -ReplicationTimeout), then each DR node's upgrade, each ending in its previous state (manager
       port only, or stopped); no ConfigDB backup or SQL, as the DR ConfigDB receives the upgrade by replication.
    -WhatIf prints both plans (the DR plan's checks run against the DR centre as it is) and changes nothing. The
    journals sit beside the log: <journal>.master.journal.json and <journal>.dr.journal.json. With -Resume a run whose
    control machine died continues: the master centre's journal is resumed, then the DR centre's (or its plan is
    built when the run died before it). The exit code is 0 on success, 1 on a failure that was rolled back (a DR
    failure leaves the master centre upgraded), 2 when a hand is needed, 3 for bad input or a refusal before any change.
    Multi-node (cluster) master centres are not supported yet.
.EXAMPLE
    ./Update-HotDbDisasterRecovery.ps1 -MasterCentreMode MasterSlaveOffline -ComputerName hotdb-01, hotdb-02 -DrComputerName hotdb-dr1, hotdb-dr2 `
        -Credential $root -KeyFile ~/.ssh/id_ed25519 -Package ./hotdb-server-2.5.4-ga-20190812.tar.gz -ScriptsPath ./upgrade-sql `
        -ConfigDbCredential $configDbLogin -LogPath ./dr.log
.EXAMPLE
    ./Update-HotDbDisasterRecovery.ps1 -MasterCentreMode MasterSlaveOffline -ComputerName hotdb-01, hotdb-02 -DrComputerName hotdb-dr1, hotdb-dr2 `
        -Credential $root -KeyFile ~/.ssh/id_ed25519 -ConfigDbCredential $configDbLogin -Package ./hotdb-server-2.5.4-ga-20190812.tar.gz -Resume -LogPath ./dr.log
#>
[CmdletBinding(SupportsShouldProcess, PositionalBinding = $false)]
param(
    # How the master centre's compute nodes are deployed: SingleNode, MasterSlaveOffline or MasterSlaveOnline. Required.
    [ArgumentCompletions('SingleNode', 'MasterSlaveOffline', 'MasterSlaveOnline')] [string] $MasterCentreMode,
    # The master centre's compute node hosts (one, or both of the pair in any order; names separated by commas). Required.
    [string[]] $ComputerName,
    # The DR centre's compute node hosts (names separated by commas). Required.
    [string[]] $DrComputerName,
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
    # The folder of ConfigDB upgrade scripts (hotdb_config_<version>.sql), for the master centre's ConfigDB. Required for a new run.
    [string] $ScriptsPath,
    # The ConfigDB login: dumps and alters the master centre's ConfigDB, only reads the DR centre's. Required unless
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
    # host:port of the master centre's ConfigDB; default: the url in its nodes' server.xml.
    [string] $ConfigDb,
    # host:port of the DR centre's ConfigDB; default: the url in its nodes' server.xml.
    [string] $DrConfigDb,
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
    # Folder on the master centre's host for the ConfigDB dump.
    [string] $BackupDirectory,
    # Seconds a compute node may take to start (1-3600).
    [object] $StartTimeout = 180,
    # Seconds a compute node may take to stop (1-3600).
    [object] $StopTimeout = 120,
    # The keepalived configuration file on a master/slave master centre.
    [string] $KeepalivedConfigPath = '/etc/keepalived/keepalived.conf',
    # Seconds the DR ConfigDB may take to show the master centre's upgrade (1-86400).
    [object] $ReplicationTimeout = 300,
    # Continue the run the journals describe instead of starting one.
    [switch] $Resume,
    # The base of the plans' journals; default: the log's path with .journal.json.
    [string] $JournalPath,
    # The log file; default: ./Update-HotDbDisasterRecovery-<host>-<yyyyMMdd-HHmmss>.log
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
$DrComputerName = Split-RunbookHostName $DrComputerName
$whatIf = [bool]$WhatIfPreference
$resumeWithoutJournal = $Resume -and -not $JournalPath -and -not $LogPath
$run = Initialize-RunbookLog -LogPath $LogPath -JournalPath $JournalPath -DefaultName "Update-HotDbDisasterRecovery-$(if ($ComputerName) { $ComputerName[0] } else { 'unknown' })" -BoundParameters $PSBoundParameters
$LogPath = $run.LogPath
$JournalPath = $run.JournalPath
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }
$journalBase = if ($JournalPath.EndsWith('.journal.json')) { $JournalPath.Substring(0, $JournalPath.Length - '.journal.json'.Length) } else { $JournalPath }
$masterJournal = "$journalBase.master.journal.json"
$drJournal = "$journalBase.dr.journal.json"

$exitCode = 3
$sessions = [System.Collections.Generic.List[object]]::new()
$drSessions = [System.Collections.Generic.List[object]]::new()
$started = $false
# Set once this run changed the master centre: a DR refusal after that is no refusal of the run.
$masterChanged = $false
try {
    $both = @($ComputerName | Where-Object { $_ -in $DrComputerName })
    if ($both) { throw "$($both -join ', ') given as both master centre (-ComputerName) and DR centre (-DrComputerName)." }
    Assert-RunbookInput -BoundParameters $PSBoundParameters -UnknownArgument $UnknownArgument -Resume:$Resume `
        -Required 'MasterCentreMode', 'ComputerName', 'DrComputerName' `
        -Choice @{ MasterCentreMode = 'SingleNode', 'MasterSlaveOffline', 'MasterSlaveOnline'; Elevation = 'None', 'Sudo' } `
        -Range @{ Port = 1, 65535; StartTimeout = 1, 3600; StopTimeout = 1, 3600; ReplicationTimeout = 1, 86400 } `
        -File 'Package', 'KeyFile', 'JdkPackage', 'LicenseFile' -Folder 'ScriptsPath'
    if ($ComputerName.Count -lt 1 -or $ComputerName.Count -gt 2) { throw "bad parameters: -ComputerName takes the master centre's one or two hosts; $($ComputerName.Count) given." }
    if ($resumeWithoutJournal) { throw 'With -Resume give -JournalPath (or the -LogPath of the interrupted run, whose journals are beside it).' }
    $Credential = Resolve-RunbookCredential -Name Credential -Value $Credential -SecretName $CredentialSecret -Vault $SecretVault -UserName $UserName -KeyFile $KeyFile
    $ConfigDbCredential = Resolve-RunbookCredential -Name ConfigDbCredential -Value $ConfigDbCredential -SecretName $ConfigDbCredentialSecret -Vault $SecretVault
    $SudoCredential = Resolve-RunbookCredential -Name SudoCredential -Value $SudoCredential -SecretName $SudoCredentialSecret -Vault $SecretVault -Optional
    $Port = [int]"$Port"; $StartTimeout = [int]"$StartTimeout"; $StopTimeout = [int]"$StopTimeout"; $ReplicationTimeout = [int]"$ReplicationTimeout"
    if (-not $Resume -and (-not $Package -or -not $ScriptsPath)) { throw 'Give -Package and -ScriptsPath (only -Resume may go without them).' }
    $connection = @{ Port = $Port; Credential = $Credential; KeyFile = $KeyFile; KnownHostsPath = $KnownHostsPath; Elevation = $Elevation; SudoCredential = $SudoCredential }
    foreach ($session in New-RunbookSession -ComputerName $ComputerName @connection) { $sessions.Add($session) }
    foreach ($session in New-RunbookSession -ComputerName $DrComputerName @connection) { $drSessions.Add($session) }

    if (-not ($Resume -and (Test-Path $drJournal))) {
        if (-not $Resume -or -not (Test-Path $masterJournal)) {
            Write-Log "DR estate upgrade: master centre $($ComputerName -join ', ') ($MasterCentreMode), then DR centre $($DrComputerName -join ', ')$(if ($whatIf) { ' -- WhatIf: nothing will be changed' })"
            $checks = @(Invoke-Logged { Test-HotDbDisasterRecovery -Session $sessions.ToArray() -DrSession $drSessions.ToArray() -InstallPath $InstallPath -ErrorAction Continue })
            foreach ($check in $checks) { Write-Log ('Check {0} {1}: {2} - {3}' -f $check.Id, $check.Host, $check.Status, $check.Actual) }
            $failed = @($checks | Where-Object { "$($_.Status)" -eq 'Failed' })
            if (-not $checks -or $failed) {
                throw "the DR checks refused the upgrade ($(@($failed | ForEach-Object { "$($_.Id) $($_.Host)" }) -join ', ')$(if ($failed) { ': ' + $failed[0].Remedy })); neither IDC was changed"
            }
        }
        # The master centre's own runbook, in this log, with its own journal; it owns that rollback.
        $child = @{ ComputerName = $ComputerName; Port = $Port; Credential = $Credential; Elevation = $Elevation; ConfigDbCredential = $ConfigDbCredential; LogPath = $LogPath; JournalPath = $masterJournal }
        Add-BoundParameter $child $PSBoundParameters 'KeyFile', 'KnownHostsPath', 'InformationAction'
        if ($SudoCredential) { $child.SudoCredential = $SudoCredential }
        if ($Resume -and (Test-Path $masterJournal)) { $child.Resume = $true }
        else {
            $child += @{ Package = $Package; ScriptsPath = $ScriptsPath; InstallPath = $InstallPath; JdkRoot = $JdkRoot; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout }
            Add-BoundParameter $child $PSBoundParameters 'JdkPackage', 'JavaBin', 'LicenseFile', 'BackupDirectory', 'ConfigDb'
        }
        if ($MasterCentreMode -eq 'SingleNode') {
            if ($ComputerName.Count -ne 1) { throw "A SingleNode master centre is one host; $($ComputerName.Count) were given." }
            $child.ComputerName = $ComputerName[0]
            $runbook = Join-Path $PSScriptRoot 'Update-HotDbSingleNode.ps1'
        }
        else {
            if (-not $child.ContainsKey('Resume')) { $child.Mode = $MasterCentreMode -replace '^MasterSlave', ''; $child.KeepalivedConfigPath = $KeepalivedConfigPath }
            $runbook = Join-Path $PSScriptRoot 'Update-HotDbMasterSlave.ps1'
        }
        Write-Log "Master centre: $(Split-Path $runbook -Leaf)$(if ($child.ContainsKey('Resume')) { ' -Resume' }), journal $masterJournal"
        & $runbook @child -WhatIf:$whatIf
        $masterExit = $LASTEXITCODE
        if ($masterExit -ne 0) {
            $exitCode = $masterExit
            Write-Log "The master centre's upgrade ended with exit code $masterExit; the DR centre was not changed." 'ERROR'
            exit $exitCode
        }
        $masterChanged = -not $whatIf
        if (-not $whatIf) {
            # 3.7: the DR centre only after the master centre is known good.
            $target = if ($Package) { (Get-HotDbPackage -Path $Package).Version } else { $null }
            $nodes = @(Get-HotDbComputeNode -Session $sessions.ToArray() -InstallPath $InstallPath)
            foreach ($node in $nodes) { Write-Log "Master centre: $($node.ComputerName) runs HotDB Server $($node.Version) (service port open: $($node.ServerPortOpen))" }
            $stale = @($nodes | Where-Object { -not $_.Version -or ($target -and "$($_.Version)" -ne "$target") })
            $checks = @(Invoke-Logged { Test-HotDbDisasterRecovery -Session $sessions.ToArray() -DrSession $drSessions.ToArray() -InstallPath $InstallPath -ErrorAction Continue })
            $failed = @($checks | Where-Object { "$($_.Status)" -eq 'Failed' -and $_.Id -in 'DR1', 'DR2', 'DR4' })
            foreach ($check in $failed) { Write-Log ('Check {0} {1}: {2} - {3}' -f $check.Id, $check.Host, $check.Status, $check.Actual) 'ERROR' }
            if ($stale -or $failed -or -not $checks) {
                $exitCode = 2
                Write-Log "The master centre was upgraded but does not verify$(if ($stale) { " ($(@($stale | ForEach-Object { "$($_.ComputerName) runs $($_.Version)" }) -join ', '), not $target)" }); the DR centre was not changed. Fix it, then run with -Resume." 'ERROR'
                exit $exitCode
            }
            Write-Log "Master centre verified at $target; DR centre next."
        }
    }

    $resumeDr = $Resume -and (Test-Path $drJournal)
    $planParameters = @{}
    $masterConfigDb = $null
    if (-not $resumeDr) {
        if (-not $Package) { throw 'The DR centre has no journal yet: give -Package to build its plan.' }
        $masterConfigDb = if ($ConfigDb) { $ConfigDb } else { @(Get-HotDbComputeNode -Session $sessions.ToArray() -InstallPath $InstallPath | Where-Object ConfigDbServer | Select-Object -First 1 -ExpandProperty ConfigDbServer) }
        if (-not $masterConfigDb) { throw "No master-centre server.xml names its ConfigDB; give -ConfigDb." }
        $planParameters = @{
            Mode = 'DisasterRecovery'; Session = $drSessions.ToArray(); InstallPath = $InstallPath; Package = $Package; MasterConfigDb = $masterConfigDb
            ConfigDbCredential = $ConfigDbCredential; JdkRoot = $JdkRoot; StartTimeout = $StartTimeout; StopTimeout = $StopTimeout; ReplicationTimeout = $ReplicationTimeout
        }
        Add-BoundParameter $planParameters $PSBoundParameters 'JdkPackage', 'JavaBin', 'LicenseFile'
        if ($DrConfigDb) { $planParameters.ConfigDb = $DrConfigDb }
    }
    $outcome = Invoke-RunbookPlan -Resume:$resumeDr -JournalPath $drJournal -Session $drSessions.ToArray() -WhatIf:$whatIf `
        -ResumeMessage "DR centre's upgrade of $($DrComputerName -join ', ')" -ResumeParameters @{ ConfigDbCredential = $ConfigDbCredential } `
        -PlanMessage "DR centre: $($DrComputerName -join ', ') without ConfigDB SQL; its ConfigDB must show the upgrade of $masterConfigDb" -PlanParameters $planParameters `
        -Unchanged "$($DrComputerName -join ' and ') were not changed$(if ($masterChanged) { ' (the master centre is upgraded)' })"
    $result = $outcome.Result
    $exitCode = $outcome.ExitCode
    # A refused DR plan after the master centre's upgrade is no refusal of the run: the master centre changed.
    if ($exitCode -eq 3 -and $masterChanged) { $exitCode = 2 }
    if ($exitCode -eq 0 -and -not $whatIf) {
        Write-ComputeNodeState -Session $sessions.ToArray() -InstallPath $InstallPath -Prefix 'Success (master centre): '
        Write-ComputeNodeState -Session $drSessions.ToArray() -InstallPath $InstallPath -Prefix 'Success (DR centre): '
        Write-Log "Journals $masterJournal, $drJournal"
    }
    elseif ($exitCode -eq 1) {
        Write-Log 'The DR centre was rolled back to its old version; the master centre stays upgraded (the manual upgrades it first).' 'ROLLBACK'
        Write-ComputeNodeState -Session $drSessions.ToArray() -InstallPath $InstallPath -Level 'ROLLBACK'
    }
}
catch {
    $exitCode = Get-RunbookFailureExitCode -ErrorRecord $_ -Started ($started -or $masterChanged) -JournalPath $JournalPath -Subject 'The DR estate'
}
finally {
    foreach ($session in @($sessions) + @($drSessions)) { $session | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    Write-Log "Log: $LogPath; exit code $exitCode"
}
exit $exitCode
