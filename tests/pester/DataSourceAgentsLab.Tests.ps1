# HotDB Backup and HotDB Listener upgrades (the manual's sections 4 and 5) on the lab (tests/lab): ds1 and ds2 run a
# simulated 2.5.3 backup agent connected to the platform on mgmt (its ConfigDB on configdb) and a 2.5.5 listener. The
# module reads and upgrades them over SSH only; faults are made through the lab. Run under flock /tmp/hotdb-lab.flock.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

    $topology = @{
        Defaults = @{ HotDbSize = '128M' }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'mgmt'; Address = '198.18.0.11'; Roles = @('management') }
            @{ Name = 'ds1'; Address = '198.18.0.51'; Roles = @('backup', 'listener') }
            @{ Name = 'ds2'; Address = '198.18.0.52'; Roles = @('backup', 'listener') }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology
    $script:ds1 = Connect-LabHost 'ds1'
    $script:ds2 = Connect-LabHost 'ds2'
    $script:backupPackage = Get-LabPackage 'hotdb-backup-2.5.6-*.tar.gz'
    $script:listenerPackage = Get-LabPackage 'hotdb-listener-2.5.6-linux.tar.gz'
    $script:journals = Join-Path $TestDrive 'journals'
    New-Item -ItemType Directory $journals | Out-Null

    # The component JVMs of a host (the simulated JDK's processes are named java), to prove a refusal left them alone.
    function script:Get-JavaProcess([string] $Name) { Invoke-OnHost $Name 'pgrep -a -x java | sort' }
    function script:Wait-Until([scriptblock] $Condition, [int] $Seconds = 20) {
        $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
        while ([datetime]::UtcNow -lt $deadline) { if (& $Condition) { return $true }; Start-Sleep -Milliseconds 500 }
        $false
    }
    # The agents the platform lists as connected: one "host version" line each.
    function script:Get-PlatformAgent { (Invoke-WebRequest 'http://198.18.0.11:3324/api/backup/agents' -UseBasicParsing).Content.Trim() -split "`n" }
}

AfterAll { Stop-LabFixture }

Describe 'HotDB Backup and Listener on the data-source hosts' -Tag Lab, Upgrade, Agents -Skip:$labSkip {
    It 'reads each backup agent with the platform it was started with, and each listener with its port' {
        $agents = @(Get-HotDbBackup -Session $ds1, $ds2)
        $agents.Count | Should -Be 2
        foreach ($agent in $agents) {
            $agent.Version.ToString() | Should -Be '2.5.3'
            $agent.Running | Should -BeTrue
            $agent.InstallPath | Should -Be '/usr/local/hotdb/hotdb-backup'
            $agent.Platform | Should -Be '198.18.0.11:3322'
            $agent.Connected | Should -BeTrue
            $agent.RunningTasks | Should -BeNullOrEmpty
        }
        $listeners = @(Get-HotDbListener -Session $ds1, $ds2)
        foreach ($listener in $listeners) {
            $listener.Version.ToString() | Should -Be '2.5.5'
            $listener.ListenerPort | Should -Be 3330
            $listener.PortOpen | Should -BeTrue
            $listener.Listening | Should -BeTrue
        }
        ($agents | Out-String -Width 120) | Should -Match '198\.18\.0\.11:3322'
    }

    It 'refuses a Backup agent with a running backup task and changes nothing' {
        Set-HotDbLabComponentFault -HostName ds1 -Component hotdb-backup -Fault BackupTask -Message '42'
        try {
            Wait-Until { (Get-HotDbBackup -Session $ds1).RunningTasks -contains '42' } | Should -BeTrue
            $files = Get-LabFileListing ds1
            $processes = Get-JavaProcess ds1
            $result = $ds1 | Update-HotDbBackup -Package $backupPackage -JournalDirectory $journals -Confirm:$false -ErrorVariable failure -ErrorAction SilentlyContinue
            $result.Status | Should -Be 'Refused'
            $result.FailedStep | Should -Be 'CheckAgent'
            $failure.Count | Should -Be 1
            $failure[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeRefused*'
            $failure[0].Exception.Message | Should -Match 'backup task is running.*task 42'
            Get-LabFileListing ds1 | Should -Be $files
            Get-JavaProcess ds1 | Should -Be $processes
            (Get-HotDbBackup -Session $ds1).Version.ToString() | Should -Be '2.5.3'
        }
        finally {
            Clear-HotDbLabComponentFault -HostName ds1 -Component hotdb-backup
        }
        Wait-Until { -not (Get-HotDbBackup -Session $ds1).TaskRunning } | Should -BeTrue
    }

    It 'upgrades HotDB Backup on ds1 and ds2 in one call; each agent reconnects to the platform it used' {
        $results = @($ds1, $ds2 | Update-HotDbBackup -Package $backupPackage -JournalDirectory $journals -Confirm:$false)
        $results.Status | Should -Be 'Succeeded', 'Succeeded'
        $results | ForEach-Object { Test-Path $_.JournalPath | Should -BeTrue }
        foreach ($agent in Get-HotDbBackup -Session $ds1, $ds2) {
            $agent.Version.ToString() | Should -Be '2.5.6'
            $agent.Platform | Should -Be '198.18.0.11:3322'
            $agent.Connected | Should -BeTrue
        }
        foreach ($name in 'ds1', 'ds2') {
            Invoke-OnHost $name 'ls /usr/local/hotdb/hotdb-backup_2.5.3/lib' | Should -Match 'hotdb-backup-2\.5\.3\.jar'
            (Invoke-OnHost $name 'stat -c %U:%G /usr/local/hotdb/hotdb-backup/bin/hotdb_backup').Trim() | Should -Be 'hotdb:hotdb'
        }
        Wait-Until { $agents = Get-PlatformAgent; ($agents -contains 'ds1 2.5.6') -and ($agents -contains 'ds2 2.5.6') } | Should -BeTrue
    }

    It 'rolls a listener whose new version fails to start back to the old directory and version' {
        Set-HotDbLabComponentFault -HostName ds2 -Component hotdb-listener -Fault StartFailure -Message 'java.net.BindException: Address already in use'
        try {
            $result = Update-HotDbListener -Session $ds2 -Package $listenerPackage -JournalDirectory $journals -Confirm:$false -ErrorVariable failure -ErrorAction SilentlyContinue
        }
        finally { Clear-HotDbLabComponentFault -HostName ds2 -Component hotdb-listener }
        $result.Status | Should -Be 'RolledBack'
        $result.FailedStep | Should -Be 'StartService'
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeRolledBack*'
        $listener = Get-HotDbListener -Session $ds2
        $listener.Version.ToString() | Should -Be '2.5.5'
        $listener.Listening | Should -BeTrue
        Test-LabPort ds2 3330 | Should -BeTrue
        Invoke-OnHost ds2 'ls /usr/local/hotdb/hotdb-listener_failed_2.5.6/lib' | Should -Match 'hotdb-listener-2\.5\.6\.jar'
    }

    It 'upgrades HotDB Listener on ds1 and ds2 in one call, carrying an edited port (and the post= misprint)' {
        # ds1: the port edited to 3331; ds2: the misprinted key of some releases, 3332. Both restarted on them first.
        Invoke-OnHost ds1 "sed -i 's/^port=.*/port=3331/' /usr/local/hotdb/hotdb-listener/conf/config.properties && sh /usr/local/hotdb/hotdb-listener/bin/hotdb_listener restart" | Out-Null
        Invoke-OnHost ds2 "printf 'host=0.0.0.0\npost=3332\n' > /usr/local/hotdb/hotdb-listener/conf/config.properties && sh /usr/local/hotdb/hotdb-listener/bin/hotdb_listener restart" | Out-Null
        (Get-HotDbListener -Session $ds1).ListenerPort | Should -Be 3331
        (Get-HotDbListener -Session $ds2).PortKey | Should -Be 'post'

        $results = @($ds1, $ds2 | Update-HotDbListener -Package $listenerPackage -JournalDirectory $journals -Confirm:$false)
        $results.Status | Should -Be 'Succeeded', 'Succeeded'
        $listeners = @(Get-HotDbListener -Session $ds1, $ds2)
        @($listeners | ForEach-Object { $_.Version.ToString() }) | Should -Be '2.5.6', '2.5.6'
        $listeners.ListenerPort | Should -Be 3331, 3332
        $listeners.Listening | Should -Be $true, $true
        Test-LabPort ds1 3331 | Should -BeTrue
        Test-LabPort ds2 3332 | Should -BeTrue
        (Invoke-OnHost ds1 'cat /usr/local/hotdb/hotdb-listener/conf/config.properties') -split '\r?\n' | Should -Contain 'port=3331'
        Invoke-OnHost ds1 'cat /usr/local/hotdb/hotdb-listener/logs/hotdb-listener.log' | Should -Match 'Listener-Manager start listening on host 0\.0\.0\.0 port 3331'
        (Invoke-OnHost ds2 'ls -d /usr/local/hotdb/hotdb-listener_2.5.5').Trim() | Should -Be '/usr/local/hotdb/hotdb-listener_2.5.5'
    }
}
