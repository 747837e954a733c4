# Master/slave upgrades with Update-HotDbMasterSlave.ps1 on the lab (tests/lab): ms1 (keepalived master) and ms2
# (backup) with real sshd and keepalived, the simulated compute node at 2.4.9 and a real MariaDB ConfigDB. A client
# probe queries through the VIP every 50 ms during each run. The Its run in order on one pair: each starts from where
# the previous one left it. Run under flock /tmp/hotdb-lab.flock (one lab per machine).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

    # 2.4.9 -> 2.5.1 only adds tables, columns and rows (allowed online); 2.5.1 -> 2.5.4 modifies columns (offline only).
    $topology = @{
        Defaults = @{ HotDbSize = '128M' }
        Groups   = @{ ms = @{ Mode = 'MasterSlave'; Vip = '198.18.0.140'; VirtualRouterId = 89 } }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'ms1'; Address = '198.18.0.31'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'master'; Options = @{ HotDbVersion = '2.4.9' } }
            @{ Name = 'ms2'; Address = '198.18.0.32'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'backup'; Options = @{ HotDbVersion = '2.4.9' } }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology
    $script:configDbLogin = New-LabConfigDbLogin
    $script:dbSecret = $configDbLogin.GetNetworkCredential().Password
    $script:scripts = Get-LabScriptsPath
    $script:runbook = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbMasterSlave.ps1'
    # ms2 first: the runbook must read the roles from the pair, not take them from the order.
    function script:Invoke-Runbook([string] $Mode, [string] $Package, [hashtable] $Extra = @{}, [string] $LogPath) {
        $log = if ($LogPath) { $LogPath } else { Join-Path $TestDrive "ms-$Mode-$([guid]::NewGuid().ToString('N').Substring(0, 6)).log" }
        $connection = Get-LabRunbookConnection
        & $runbook -Mode $Mode -ComputerName (Get-LabHost 'ms2').Address, (Get-LabHost 'ms1').Address @connection -Package $Package -ScriptsPath $scripts `
            -ConfigDbCredential $configDbLogin -LogPath $log -StartTimeout 120 -StopTimeout 60 -InformationAction SilentlyContinue @Extra
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Log = (Get-Content $log -Raw) }
    }
    # A client through the VIP, a query every 50 ms.
    function script:Start-VipProbe { Start-ClientProbe -Server '198.18.0.140' }

    $script:ms1 = Connect-LabHost 'ms1'
    $script:ms2 = Connect-LabHost 'ms2'
    function script:Get-FailedCheck { @(Test-HotDbHaSwitch -Session $ms1, $ms2 | Where-Object Status -EQ 'Failed' | ForEach-Object { "$($_.Id) $($_.Host): $($_.Actual)" }) }
    function script:Get-Versions { (Get-HotDbComputeNode -Session $ms1, $ms2 | Sort-Object ComputerName | ForEach-Object { "$($_.Version)" }) -join ',' }
    # Roles agree: the VIP holder serves and server.xml calls it master; the other is backup pointing at it.
    function script:Assert-ConsistentRoles {
        $pair = Get-HotDbHaEnvironment -Session $ms1, $ms2
        $pair.Master.Holds([Net.IPAddress]::Parse('198.18.0.140')) | Should -BeTrue
        $pair.Master.ServerPortOpen | Should -BeTrue
        $pair.Master.ConfiguredRole.ToString() | Should -Be 'Master'
        $pair.Backup.ConfiguredRole.ToString() | Should -Be 'Backup'
        $pair.Backup.ServerPortOpen | Should -BeFalse
        $pair.Backup.HaNodeHost | Should -Be "$($pair.Master.ComputerName):$($pair.Master.ManagerPort)"
        $pair
    }

    # What a refusal must leave alone on both hosts: the HA files, the install folders, the long-lived processes
    # (daemons and keepalived's own, not the check scripts it spawns), the listening ports and the addresses (the VIP).
    function script:Get-PairSnapshot {
        foreach ($name in 'ms1', 'ms2') {
            "== $name"
            Get-LabFileListing $name
            Get-LabFileListing $name '/etc/keepalived'
            Invoke-OnHost $name ("sha256sum /usr/local/hotdb/hotdb-server/conf/server.xml /etc/keepalived/keepalived.conf; " +
                "ps -eo pid=,ppid=,comm= | awk '`$2 == 1 || `$3 == `"keepalived`"' | sort -n; " +
                "ss -ltnH | awk '{print `$4}' | sort; ip -o -4 addr show eth0 | awk '{print `$4}' | sort")
        }
    }
    # The runbook in its own process, so that the plan runner's test hook can kill it like a dying admin machine
    # (HOTDB_UPGRADE_KILL_AFTER_STEP / _IN_STEP); its parameters and the ConfigDB secret reach it in its environment.
    $script:driver = Join-Path $TestDrive 'run-ms-runbook.ps1'
    Set-Content -Path $driver -Value @'
Import-Module $env:HOTDB_UPGRADE_MODULE
$parameters = @{}
foreach ($p in ($env:HOTDB_TEST_RUNBOOK_ARGS | ConvertFrom-Json).psobject.Properties) { $parameters[$p.Name] = if ($p.Value -is [array]) { [string[]]$p.Value } else { $p.Value } }
$db = [pscredential]::new('upgrader', (ConvertTo-SecureString $env:HOTDB_TEST_CONFIGDB_SECRET -AsPlainText -Force))
& $env:HOTDB_TEST_RUNBOOK @parameters -Credential ([pscredential]::new('root', [securestring]::new())) -ConfigDbCredential $db -InformationAction SilentlyContinue
exit $LASTEXITCODE
'@
    function script:Invoke-RunbookProcess([hashtable] $Parameters, [string] $LogPath, [string] $KillAfter, [string] $KillIn) {
        $ms1Host = Get-LabHost 'ms1'
        $base = @{ ComputerName = @((Get-LabHost 'ms2').Address, $ms1Host.Address); KeyFile = $ms1Host.RootKeyPath; KnownHostsPath = $ms1Host.KnownHostsPath; LogPath = $LogPath }
        $env:HOTDB_TEST_RUNBOOK_ARGS = ($base + $Parameters) | ConvertTo-Json -Compress
        $env:HOTDB_TEST_RUNBOOK = $runbook
        $env:HOTDB_TEST_CONFIGDB_SECRET = $dbSecret
        $env:HOTDB_UPGRADE_KILL_AFTER_STEP = $KillAfter
        $env:HOTDB_UPGRADE_KILL_IN_STEP = $KillIn
        try {
            Push-Location (Join-Path $PSScriptRoot '../..')
            & dotnet pwsh -NoProfile -NonInteractive -File $driver 2>&1 | Out-Null
            $LASTEXITCODE
        }
        finally {
            Pop-Location
            Remove-Item Env:HOTDB_TEST_RUNBOOK_ARGS, Env:HOTDB_TEST_RUNBOOK, Env:HOTDB_TEST_CONFIGDB_SECRET, Env:HOTDB_UPGRADE_KILL_AFTER_STEP, Env:HOTDB_UPGRADE_KILL_IN_STEP -ErrorAction SilentlyContinue
        }
    }
    function script:Get-JournalStep([string] $Journal, [string] $HostAddress, [string] $Name) {
        (Get-Content $Journal -Raw | ConvertFrom-Json).steps | Where-Object { $_.host -eq $HostAddress -and $_.name -eq $Name }
    }
    # Clients through the VIP get answers now (a short probe).
    function script:Assert-VipServes {
        $probe = Start-VipProbe
        Start-Sleep -Seconds 3
        $served = Stop-ClientProbe $probe
        $served.Probes | Should -BeGreaterThan 0
        $served.Failures | Should -Be 0 -Because "the VIP must serve ($($served.LastError))"
    }
    # The pair as before an upgrade: 2.4.9 on both, ms1 master holding the VIP and serving, every HA check passing.
    function script:Assert-BackAsBefore {
        Get-Versions | Should -Be '2.4.9,2.4.9'
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
        (Assert-ConsistentRoles).Master.ComputerName | Should -Be '198.18.0.31'
        # A node re-reads its ConfigDB every 2 s: a read caught during the rollback's ConfigDB restore stays stale until the next one.
        Wait-SimCondition { $p = Start-VipProbe; Start-Sleep -Milliseconds 500; (Stop-ClientProbe $p).Failures -eq 0 } 30 | Should -BeTrue
        Assert-VipServes
    }
    # A rollback before the switch: the master never stops. Its only refusals may come from the rollback's ConfigDB
    # restore: a node reads its ConfigDB every 2 s, and a read caught while the restore recreates a table refuses
    # clients until the next read.
    function script:Assert-MasterNeverStopped($Probed) {
        $Probed.Probes | Should -BeGreaterThan 0
        @($Probed.Errors | Where-Object { $_ -notmatch 'Wrong HotDB Config' }) | Should -BeNullOrEmpty -Because 'the master is never stopped'
        $Probed.LongestOutageMs | Should -BeLessThan 3000 -Because "at most one ConfigDB read of the master sees the restore ($($Probed.LastError))"
    }
    # One fault per HA check, each making only that check fail (files edited without a keepalived reload).
    $script:keepalivedConf = '/etc/keepalived/keepalived.conf'
    $script:serverXml = '/usr/local/hotdb/hotdb-server/conf/server.xml'
    function script:Set-HaCheckFault([string] $Check) {
        switch ($Check) {
            'HA1' { $null = Stop-HotDbComputeNode -Session $ms2 -Confirm:$false }
            'HA2' { $null = Invoke-OnHost ms2 "cp -p $serverXml /tmp/fault.bak && sed -i 's#198.18.0.31:3325#198.18.0.99:3325#' $serverXml" }
            'HA3' { $null = Invoke-OnHost ms2 "cp -p $keepalivedConf /tmp/fault.bak && sed -i '/priority 95/i\    nopreempt' $keepalivedConf" }
            'HA5' { $null = Invoke-HotDbLabFault -HostName ms2 -Fault KillProcess -ProcessName keepalived }
            'HA6' { foreach ($name in 'ms1', 'ms2') { $null = Invoke-OnHost $name "cp -p $keepalivedConf /tmp/fault.bak && sed -i 's#198.18.0.140/24#198.18.0.141/24#' $keepalivedConf" } }
        }
    }
    function script:Clear-HaCheckFault([string] $Check) {
        switch ($Check) {
            'HA1' { $null = Start-HotDbComputeNode -Session $ms2 -Confirm:$false }
            'HA2' { $null = Invoke-OnHost ms2 "cp -p /tmp/fault.bak $serverXml" }
            'HA3' { $null = Invoke-OnHost ms2 "cp -p /tmp/fault.bak $keepalivedConf" }
            'HA5' { Clear-HotDbLabFault -HostName ms2 }
            'HA6' { foreach ($name in 'ms1', 'ms2') { $null = Invoke-OnHost $name "cp -p /tmp/fault.bak $keepalivedConf" } }
        }
    }
}

AfterAll { Stop-LabFixture }

Describe 'Update-HotDbMasterSlave.ps1 on ms1/ms2' -Tag Ha, Upgrade, Lab, MasterSlave -Skip:$labSkip {
    It 'starts from a healthy pair at 2.4.9 with ms1 master' {
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
        Get-Versions | Should -Be '2.4.9,2.4.9'
    }

    It 'New-HotDbUpgradePlan refuses a master/slave mode with one session' {
        { New-HotDbUpgradePlan -Mode MasterSlaveOnline -Session $ms1 -Package (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz') -ScriptsPath $scripts `
                -ConfigDbCredential $configDbLogin } |
            Should -Throw -ErrorId 'SessionCountMismatch*'
    }

    It 'refuses an online upgrade whose SQL modifies columns, naming the check and the offline mode' {
        $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz')
        $run.ExitCode | Should -Be 3 -Because $run.Log
        $run.Log | Should -Match 'Check CheckOnlineSql: Failed'
        $run.Log | Should -Match '-Mode Offline'
        Get-Versions | Should -Be '2.4.9,2.4.9'
    }

    # HA4 is not here: the plan does not run reload @@config, so it cannot refuse on it (Test-HotDbHaSwitch -Reload does).
    It 'refuses an online upgrade when only <Check> fails, naming it, with nothing changed' -ForEach @(
        @{ Check = 'HA1'; FailsOn = '198.18.0.32' }
        @{ Check = 'HA2'; FailsOn = '198.18.0.32' }
        @{ Check = 'HA3'; FailsOn = '198.18.0.32' }
        @{ Check = 'HA5'; FailsOn = '198.18.0.32' }
        @{ Check = 'HA6'; FailsOn = '198.18.0.31' }
    ) {
        Set-HaCheckFault $Check
        try {
            $failed = @(Test-HotDbHaSwitch -Session $ms1, $ms2 | Where-Object Status -EQ 'Failed')
            $failed.Id | Should -Be @($Check) -Because ($failed | Out-String)
            $failed.Host | Should -Be $FailsOn
            $before = Get-PairSnapshot
            $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz')
            $after = Get-PairSnapshot
        }
        finally { Clear-HaCheckFault $Check }
        $run.ExitCode | Should -Be 3 -Because $run.Log
        $run.Log | Should -Match "Check CheckHaSwitch: Failed - .*\b$Check\b"
        $run.Log | Should -Match '-Mode Offline'
        ($before -join "`n") | Should -Match 'keepalived\.conf[\s\S]*== ms2[\s\S]*keepalived\.conf'
        ($after -join "`n") | Should -Be ($before -join "`n")
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
    }

    It 'rolls back when the VIP cannot move to the slave (its keepalived killed during the run): old master restarted (exit 1)' {
        # Killed once the checks passed: HA5 must not refuse the run first.
        $log = Join-Path $TestDrive 'ms-keepalived-down.log'
        $journal = [IO.Path]::ChangeExtension($log, '.journal.json')
        $killer = Start-ThreadJob -ArgumentList (Join-Path $PSScriptRoot '../lab/HotDbLab.psm1'), $journal -ScriptBlock {
            param($labModule, $journal)
            Import-Module $labModule
            $watch = [Diagnostics.Stopwatch]::StartNew()
            # The runner runs the checks again under the journal: wait for the first step that changes something.
            while (-not ((Test-Path $journal) -and ((Get-Content $journal -Raw | ConvertFrom-Json).steps | Where-Object { $_.name -eq 'BackupConfigDb' -and $_.status -ne 'NotRun' }))) {
                if ($watch.Elapsed.TotalSeconds -gt 600) { return 'the run never reached BackupConfigDb' }
                Start-Sleep -Milliseconds 100
            }
            $null = Invoke-HotDbLabFault -HostName ms2 -Fault KillProcess -ProcessName keepalived
            'killed'
        }
        $probe = Start-VipProbe
        try { $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz') -LogPath $log }
        finally {
            $probed = Stop-ClientProbe $probe
            $killed = $killer | Wait-Job -Timeout 60 | Receive-Job
            $killer | Remove-Job -Force
            Clear-HotDbLabFault -HostName ms2
        }
        $killed | Should -Be 'killed'
        $run.ExitCode | Should -Be 1 -Because $run.Log
        $run.Log | Should -Match 'Switch: Failed - The switch from 198\.18\.0\.31 to 198\.18\.0\.32 failed'
        $run.Log | Should -Match 'keepalived does not run\. 198\.18\.0\.31''s compute node was started again'
        $probed.Probes | Should -BeGreaterThan 0
        Get-Versions | Should -Be '2.4.9,2.4.9'
        $pair = Get-HotDbHaEnvironment -Session $ms1, $ms2
        $pair.Master.ComputerName | Should -Be '198.18.0.31'
        $pair.Master.ServerPortOpen | Should -BeTrue
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
    }

    It 'rolls the slave back when its new version fails to start, the master serving throughout (exit 1)' {
        Set-HotDbLabComponentFault -HostName ms2 -Component hotdb-server -Fault StartFailure -Message 'injected by the lab test: new version start failure'
        $probe = Start-VipProbe
        try { $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz') }
        finally { $probed = Stop-ClientProbe $probe; Clear-HotDbLabComponentFault -HostName ms2 }
        $run.ExitCode | Should -Be 1 -Because $run.Log
        $run.Log | Should -Match 'StartNewVersion: Failed'
        $run.Log | Should -Not -Match '\bSwitch: Succeeded|\[Switch\] Succeeded'
        Assert-MasterNeverStopped $probed
        Get-Versions | Should -Be '2.4.9,2.4.9'
        (Get-HotDbHaEnvironment -Session $ms1, $ms2).Master.ComputerName | Should -Be '198.18.0.31'
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
    }

    It 'switches back when the old master''s new version fails to start after the switch (exit 1), the VIP serving again' {
        # The old master's next start is its new version's: the switch only stops it.
        Set-HotDbLabComponentFault -HostName ms1 -Component hotdb-server -Fault StartFailure -Message 'injected by the lab test: old master new version start failure'
        $probe = Start-VipProbe
        try { $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz') }
        finally { $null = Stop-ClientProbe $probe; Clear-HotDbLabComponentFault -HostName ms1 }
        $run.ExitCode | Should -Be 1 -Because $run.Log
        $run.Log | Should -Match '198\.18\.0\.31 StartNewVersion: Failed'
        $run.Log | Should -Match '198\.18\.0\.31 Switch: RolledBack'
        $run.Log | Should -Match 'ROLLED BACK after .*StartNewVersion'
        Assert-BackAsBefore
    }

    It 'resumes a run killed in the slave''s KeepOldInstall (before the switch): rolled back, the master serving throughout' {
        $log = Join-Path $TestDrive 'ms-kill-before-switch.log'
        $journal = [IO.Path]::ChangeExtension($log, '.journal.json')
        $probe = Start-VipProbe
        try {
            $killed = Invoke-RunbookProcess @{ Mode = 'Online'; Package = (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz'); ScriptsPath = $scripts; StartTimeout = 120; StopTimeout = 60 } -LogPath $log -KillIn KeepOldInstall
            (Get-JournalStep $journal '198.18.0.32' 'KeepOldInstall').status | Should -Be 'Running'
            (Get-JournalStep $journal '198.18.0.32' 'StopService').status | Should -Be 'Succeeded'
            $resumed = Invoke-RunbookProcess @{ Resume = $true; JournalPath = $journal } -LogPath $log
        }
        finally { $probed = Stop-ClientProbe $probe }
        $killed | Should -Not -Be 0
        $resumed | Should -Be 1 -Because (Get-Content $log -Raw)
        (Get-Content $journal -Raw | ConvertFrom-Json).status | Should -Be 'RolledBack'
        Assert-MasterNeverStopped $probed
        Assert-BackAsBefore
    }

    It 'resumes a run killed after the switch; the old master''s new version then fails and the resumed run switches back (exit 1)' {
        $log = Join-Path $TestDrive 'ms-kill-after-switch.log'
        $journal = [IO.Path]::ChangeExtension($log, '.journal.json')
        $killed = Invoke-RunbookProcess @{ Mode = 'Online'; Package = (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz'); ScriptsPath = $scripts; StartTimeout = 120; StopTimeout = 60 } -LogPath $log -KillAfter Switch
        $killed | Should -Not -Be 0
        (Get-JournalStep $journal '198.18.0.31' 'Switch').status | Should -Be 'Succeeded'
        (Get-HotDbHaEnvironment -Session $ms1, $ms2).Master.ComputerName | Should -Be '198.18.0.32'
        Set-HotDbLabComponentFault -HostName ms1 -Component hotdb-server -Fault StartFailure -Message 'injected by the lab test: old master new version start failure after resume'
        try { $resumed = Invoke-RunbookProcess @{ Resume = $true; JournalPath = $journal } -LogPath $log }
        finally { Clear-HotDbLabComponentFault -HostName ms1 }
        $resumed | Should -Be 1 -Because (Get-Content $log -Raw)
        (Get-JournalStep $journal '198.18.0.31' 'Switch').status | Should -Be 'RolledBack'
        Assert-BackAsBefore
    }

    It 'upgrades online to 2.5.1: slave first, switch, old master as backup, reconstruction' {
        $probe = Start-VipProbe
        try { $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz') }
        finally { $probed = Stop-ClientProbe $probe }
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $run.Log | Should -Not -Match $dbSecret
        $probed.Probes | Should -BeGreaterThan 0
        Get-Versions | Should -Be '2.5.1,2.5.1'
        (Assert-ConsistentRoles).Master.ComputerName | Should -Be '198.18.0.32'
        Get-FailedCheck | Should -BeNullOrEmpty
    }

    It 'upgrades offline to 2.5.4 with the service stopped' {
        $run = Invoke-Runbook Offline (Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz')
        $run.ExitCode | Should -Be 0 -Because $run.Log
        Get-Versions | Should -Be '2.5.4,2.5.4'
        $null = Assert-ConsistentRoles
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
    }
}
