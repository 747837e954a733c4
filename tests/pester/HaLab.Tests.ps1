# The master/slave (HA) checks on the lab (tests/lab): ms1 (keepalived master) and ms2 (backup) with real sshd and
# keepalived, the simulated compute node and a real MariaDB ConfigDB. The module reads the pair over SSH; each fault
# is made and undone through the lab, and must fail its own check and no other.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

    # Only what a master/slave pair needs: its ConfigDB and the two keepalived hosts.
    $topology = @{
        Defaults = @{ HotDbSize = '64M' }
        Groups   = @{ ms = @{ Mode = 'MasterSlave'; Vip = '198.18.0.140'; VirtualRouterId = 89 } }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'ms1'; Address = '198.18.0.31'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'master' }
            @{ Name = 'ms2'; Address = '198.18.0.32'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'backup' }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology

    # A manager-port command sent from this machine, as an operator would (root/root is the simulated node's own user).
    function script:Invoke-ManagerCommand([string] $Name, [string] $Sql) {
        Import-SimMySqlConnector
        $builder = [MySqlConnector.MySqlConnectionStringBuilder]::new()
        $builder.Server = (Get-LabHost $Name).Address; $builder.Port = 3325; $builder.UserID = 'root'; $builder.Password = 'root'; $builder.Pooling = $false
        $connection = [MySqlConnector.MySqlConnection]::new($builder.ConnectionString)
        try { $connection.Open(); $command = $connection.CreateCommand(); $command.CommandText = $Sql; [void]$command.ExecuteNonQuery() } finally { $connection.Dispose() }
    }

    $script:ms1 = Connect-LabHost 'ms1'
    $script:ms2 = Connect-LabHost 'ms2'
    $script:managerLogin = [pscredential]::new('root', (ConvertTo-SecureString 'root' -AsPlainText -Force))
    function script:Test-Pair([switch] $Quiet) { Test-HotDbHaSwitch -Session $ms1, $ms2 -Reload -Credential $managerLogin -Confirm:$false -Quiet:$Quiet }
    # The checks that did not pass, as 'HA3 198.18.0.32'.
    function script:Get-FailedCheck { @(Test-Pair | Where-Object Status -NE 'Passed' | ForEach-Object { "$($_.Id) $($_.Host)" }) }
    $script:conf = '/etc/keepalived/keepalived.conf'
    # How many reloads the master's log shows: proves -Reload reloaded, and -WhatIf did not.
    function script:Get-ReloadCount { [int](Invoke-OnHost ms1 'grep -ci "reload config success" /usr/local/hotdb/hotdb-server/logs/hotdb.log || true') }
    $script:serverXml = '/usr/local/hotdb/hotdb-server/conf/server.xml'
}

AfterAll { Stop-LabFixture }

Describe 'Get-HotDbHaEnvironment on ms1/ms2' -Tag Ha, Lab -Skip:$labSkip {
    It 'names ms1 master and VIP holder whatever the order of the sessions' {
        $environment = Get-HotDbHaEnvironment -Session $ms2, $ms1

        $environment.Master.ComputerName | Should -Be '198.18.0.31'
        $environment.Backup.ComputerName | Should -Be '198.18.0.32'
        $environment.RoleBasis | Should -Be 'service port open'
        "$($environment.Vip)" | Should -Be '198.18.0.140'
        @($environment.VipHolders).ComputerName | Should -Be '198.18.0.31'
        $environment.Master.KeepalivedRunning | Should -BeTrue
        $environment.Backup.KeepalivedRunning | Should -BeTrue
        $environment.Backup.HaNodeHost | Should -Be '198.18.0.31:3325'
        $environment.Master.KeepalivedConfig.Instances[0].Nopreempt | Should -BeTrue
        $environment.Backup.KeepalivedConfigPath | Should -Be $conf
        "$($environment.Master.KeepalivedConfig.Instances[0].AuthPass)" | Should -Be '********'
        ($environment | Out-String -Width 120) | Should -Match '198\.18\.0\.31\s+198\.18\.0\.32\s+198\.18\.0\.140\s+198\.18\.0\.31'
    }
}

Describe 'Test-HotDbHaSwitch on ms1/ms2' -Tag Ha, Lab -Skip:$labSkip {
    It 'passes all six checks on the healthy pair, HA4 through reload @@config' {
        $reloads = Get-ReloadCount
        $checks = Test-Pair
        Get-ReloadCount | Should -Be ($reloads + 1)
        @($checks.Id | Select-Object -Unique) | Should -Be @('HA1', 'HA2', 'HA3', 'HA4', 'HA5', 'HA6')
        @($checks | Where-Object Status -NE 'Passed') | Should -BeNullOrEmpty
        Test-Pair -Quiet | Should -BeTrue
    }

    It 'leaves HA4 not verified without -Reload or with -WhatIf, so -Quiet is false' {
        $reloads = Get-ReloadCount
        (Test-HotDbHaSwitch -Session $ms1, $ms2 | Where-Object Id -EQ 'HA4').Status | Should -Be 'NotVerified'
        (Test-HotDbHaSwitch -Session $ms1, $ms2 -Reload -Credential $managerLogin -WhatIf | Where-Object Id -EQ 'HA4').Passed | Should -BeNullOrEmpty
        Test-HotDbHaSwitch -Session $ms1, $ms2 -Quiet | Should -BeFalse
        Get-ReloadCount | Should -Be $reloads
    }

    It 'refuses one session, and -Reload without a credential, before reading anything' {
        { Test-HotDbHaSwitch -Session $ms1 -ErrorAction Stop } | Should -Throw -ErrorId 'HaPairRequired,HotDb.Upgrade.Commands.TestHotDbHaSwitchCommand'
        { Test-HotDbHaSwitch -Session $ms1, $ms2 -Reload -ErrorAction Stop } | Should -Throw -ErrorId 'CredentialRequired,HotDb.Upgrade.Commands.TestHotDbHaSwitchCommand'
    }

    It 'passes no check where there is no compute node' {
        $checks = Test-HotDbHaSwitch -Session $ms1, $ms2 -InstallPath /usr/local/hotdb/no-such-node -Reload -Credential $managerLogin -Confirm:$false
        @($checks | Where-Object Status -NE 'Failed') | Should -BeNullOrEmpty
        @($checks).Count | Should -Be 10
    }
}

Describe 'Each HA check fails on its own fault' -Tag Ha, Lab -Skip:$labSkip {
    BeforeEach {
        # Every fault starts from a healthy pair (the previous one is undone, and the nodes may need a moment).
        Wait-SimCondition { Test-Pair -Quiet } 30 | Should -BeTrue -Because "the pair must be healthy before a fault: $(Get-FailedCheck)"
    }

    It 'HA1: the master''s service port closed (offline on ms1)' {
        try {
            Invoke-ManagerCommand ms1 'offline'
            Wait-SimCondition { -not (Test-LabPort ms1 3323) } 10 | Should -BeTrue
            Get-FailedCheck | Should -Be @('HA1 198.18.0.31')
            Test-Pair -Quiet | Should -BeFalse
        }
        finally { Invoke-ManagerCommand ms1 'online' }
    }

    It 'HA2: the slave''s haNodeHost names another address' {
        Invoke-OnHost ms2 "cp -p $serverXml /root/server.xml.ha-test && sed -i 's#198.18.0.31:3325#198.18.0.99:3325#' $serverXml" | Out-Null
        try {
            Get-FailedCheck | Should -Be @('HA2 198.18.0.32')
            Test-Pair -Quiet | Should -BeFalse
        }
        finally { Invoke-OnHost ms2 "mv /root/server.xml.ha-test $serverXml" | Out-Null }
    }

    It 'HA3: nopreempt added to the backup''s keepalived.conf' {
        Invoke-OnHost ms2 "cp -p $conf /root/keepalived.conf.ha-test && sed -i 's/^\( *\)priority 95/\1nopreempt\n\1priority 95/' $conf" | Out-Null
        try {
            $checks = Test-Pair
            @($checks | Where-Object Status -NE 'Passed' | ForEach-Object { "$($_.Id) $($_.Host)" }) | Should -Be @('HA3 198.18.0.32')
            ($checks | Where-Object { $_.Id -eq 'HA3' -and $_.Host -eq '198.18.0.32' }).Actual | Should -Match 'nopreempt set'
            Test-Pair -Quiet | Should -BeFalse
        }
        finally { Invoke-OnHost ms2 "mv /root/keepalived.conf.ha-test $conf" | Out-Null }
    }

    It 'HA5: the slave''s keepalived stopped' {
        Invoke-OnHost ms2 'service keepalived stop' | Out-Null
        try {
            Get-FailedCheck | Should -Be @('HA5 198.18.0.32')
            Test-Pair -Quiet | Should -BeFalse
        }
        finally { Invoke-OnHost ms2 'service keepalived start' | Out-Null }
    }

    It 'HA6: keepalived.conf on both names a VIP the master does not hold' {
        # Taking the VIP itself away would also take the simulated node offline (it watches the VIP), failing HA1 too;
        # a VIP changed in both files (not yet reloaded) leaves the configured VIP off the master and nothing else wrong.
        foreach ($name in 'ms1', 'ms2') { Invoke-OnHost $name "cp -p $conf /root/keepalived.conf.ha-test && sed -i 's#198.18.0.140/24#198.18.0.141/24#' $conf" | Out-Null }
        try {
            $checks = Test-Pair
            @($checks | Where-Object Status -NE 'Passed' | ForEach-Object { "$($_.Id) $($_.Host)" }) | Should -Be @('HA6 198.18.0.31')
            ($checks | Where-Object Id -EQ 'HA6').Actual | Should -Be 'VIP 198.18.0.141 on no host'
            Test-Pair -Quiet | Should -BeFalse
        }
        finally { foreach ($name in 'ms1', 'ms2') { Invoke-OnHost $name "mv /root/keepalived.conf.ha-test $conf" | Out-Null } }
    }

    It 'HA4: reload @@config fails while the ConfigDB is down' {
        $fault = Invoke-HotDbLabFault -HostName configdb -Fault StopConfigDb
        try {
            $checks = Test-Pair
            @($checks | Where-Object Status -NE 'Passed' | ForEach-Object { "$($_.Id) $($_.Host)" }) | Should -Be @('HA4 198.18.0.31')
            ($checks | Where-Object Id -EQ 'HA4').Actual | Should -Match '10187'
            Test-Pair -Quiet | Should -BeFalse
        }
        finally { $fault | Clear-HotDbLabFault }
    }
}
