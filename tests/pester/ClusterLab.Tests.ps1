# The multi-node cluster and DR checks on the lab (tests/lab): mn1..mn3 (a simulated haMode 1 cluster), ms1/ms2 (the
# master centre) and dr1/dr2 (the DR centre, haMode 3) with real sshd, real MariaDB ConfigDBs (drconfigdb replicates
# configdb) and the simulated compute node. The module reads them over SSH and the manager ports; each fault is made
# and undone through the lab, and must fail its own check and no other. Run under flock /tmp/hotdb-lab.flock.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

    # The cluster, and a DR estate: the ms pair is the master centre, dr1/dr2 the DR centre reading drconfigdb.
    $topology = @{
        Defaults = @{ HotDbSize = '64M' }
        Groups   = @{
            ms = @{ Mode = 'MasterSlave'; Vip = '198.18.0.140'; VirtualRouterId = 89 }
            mn = @{ Mode = 'Cluster' }
            dr = @{ Mode = 'MasterSlave'; Vip = '198.18.0.150'; VirtualRouterId = 90; Idc = 'dr' }
        }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'ms1'; Address = '198.18.0.31'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'master' }
            @{ Name = 'ms2'; Address = '198.18.0.32'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'backup' }
            @{ Name = 'mn1'; Address = '198.18.0.41'; Roles = @('computenode'); Group = 'mn' }
            @{ Name = 'mn2'; Address = '198.18.0.42'; Roles = @('computenode'); Group = 'mn' }
            @{ Name = 'mn3'; Address = '198.18.0.43'; Roles = @('computenode'); Group = 'mn' }
            @{ Name = 'drconfigdb'; Address = '198.18.0.60'; Roles = @('drconfigdb') }
            @{ Name = 'dr1'; Address = '198.18.0.61'; Roles = @('computenode', 'keepalived'); Group = 'dr'; Keepalived = 'master' }
            @{ Name = 'dr2'; Address = '198.18.0.62'; Roles = @('computenode', 'keepalived'); Group = 'dr'; Keepalived = 'backup' }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology


    $script:mn1 = Connect-LabHost 'mn1'
    $script:mn2 = Connect-LabHost 'mn2'
    $script:mn3 = Connect-LabHost 'mn3'
    $script:ms1 = Connect-LabHost 'ms1'
    $script:ms2 = Connect-LabHost 'ms2'
    $script:dr1 = Connect-LabHost 'dr1'
    $script:dr2 = Connect-LabHost 'dr2'
    # root/root is the simulated node's own SUPER user on the manager port.
    $script:managerLogin = [pscredential]::new('root', (ConvertTo-SecureString 'root' -AsPlainText -Force))
    $script:packages = Get-LabPackagePath
    $script:next = 'hotdb-server-2.5.4-ga-20190812.tar.gz'

    function script:Test-Cluster([string] $Package = $next, [switch] $Online, [string] $ScriptsPath, [switch] $Quiet) {
        $arguments = @{ Session = $mn1, $mn2, $mn3; Credential = $managerLogin; Package = $Package; Online = $Online; Quiet = $Quiet }
        if ($ScriptsPath) { $arguments.ScriptsPath = $ScriptsPath }
        Test-HotDbClusterUpgrade @arguments
    }
    # The checks that did not pass, as 'CL1 198.18.0.43'.
    function script:Get-FailedCheck { param([object[]] $Checks) @($Checks | Where-Object Status -NE 'Passed' | ForEach-Object { "$($_.Id) $($_.Host)" }) }
    function script:Test-Estate([switch] $Quiet) { Test-HotDbDisasterRecovery -Session $ms1, $ms2 -DrSession $dr1, $dr2 -Quiet:$Quiet }
}

AfterAll { Stop-LabFixture }

Describe 'Get-HotDbCluster on mn1..mn3' -Tag Cluster, Lab -Skip:$labSkip {
    BeforeAll { Wait-SimCondition { Test-Cluster -Quiet } 30 | Should -BeTrue -Because "$(Get-FailedCheck (Test-Cluster))" }

    It 'shows one PRIMARY and two SECONDARY members with their versions read from the installs' {
        $members = @(Get-HotDbCluster -Session $mn3, $mn1, $mn2 -Credential $managerLogin)

        $members.Count | Should -Be 3
        @($members | Where-Object Status -EQ 'Primary').Count | Should -Be 1
        @($members | Where-Object Status -EQ 'Secondary').Count | Should -Be 2
        $members.Host | Should -Be @('198.18.0.41', '198.18.0.42', '198.18.0.43')
        $members.ServerId | Should -Be @(1, 2, 3)
        $members | ForEach-Object {
            "$($_.Version)" | Should -Be '2.5.3'
            $_.BuildDate | Should -Be ([datetime]'2019-08-21')
            $_.VersionSource | Should -Be 'jar manifest'
            $_.StatusSelfReported | Should -BeTrue
            $_.ServerPort | Should -Be 3323
        }
        $members[0].PSObject.TypeNames[0] | Should -Be 'HotDb.Upgrade.Topology.ClusterMember'
        ($members | Out-String -Width 120) | Should -Match 'PRIMARY\s+198\.18\.0\.41\s+1\s+3323/3325/3326\s+2\.5\.3\s+20190821'
    }

    It 'lists every member from one session and reads the others'' versions from their manager ports' {
        $members = @($mn2 | Get-HotDbCluster -Credential $managerLogin)
        $members.Count | Should -Be 3
        ($members | Where-Object Host -EQ '198.18.0.41').VersionSource | Should -Be 'show @@version'
        ($members | Where-Object Host -EQ '198.18.0.41').BuildDate | Should -Be ([datetime]'2019-08-21')
        ($members | Where-Object Host -EQ '198.18.0.42').ComputerName | Should -Be '198.18.0.42'
    }

    It 'refuses a manager-port login without SUPER as ManagerPortLoginFailed' {
        $wrong = [pscredential]::new('root', (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        { Get-HotDbCluster -Session $mn1 -Credential $wrong -ErrorAction Stop } | Should -Throw -ErrorId 'ManagerPortLoginFailed,HotDb.Upgrade.Commands.GetHotDbClusterCommand'
    }
}

Describe 'Test-HotDbClusterUpgrade on mn1..mn3' -Tag Cluster, Lab -Skip:$labSkip {
    BeforeEach { Wait-SimCondition { Test-Cluster -Quiet } 30 | Should -BeTrue -Because "the cluster must be healthy first: $(Get-FailedCheck (Test-Cluster))" }

    It 'passes every check on the healthy cluster, offline and online' {
        $checks = @(Test-Cluster)
        $checks.Id | Should -Be @('CL1', 'CL1', 'CL1', 'CL2', 'CL3', 'CL4', 'CL5', 'CL6')
        Get-FailedCheck $checks | Should -BeNullOrEmpty
        # No compute node script lies between 2.5.3 and 2.5.3.1, so the SQL condition holds.
        $online = @(Test-Cluster -Package 'hotdb-server-2.5.3.1-ga-20200101.tar.gz' -Online -ScriptsPath (Join-Path $packages 'configdb-upgrade'))
        $online.Id[-2..-1] | Should -Be @('CL7', 'CL8')
        Get-FailedCheck $online | Should -BeNullOrEmpty
        Test-Cluster -Quiet | Should -BeTrue
    }

    It 'CL6 alone: a package name older than the cluster' {
        Get-FailedCheck (Test-Cluster -Package 'hotdb-server-2.5.1-ga-20190701.tar.gz') | Should -Be @('CL6 198.18.0.41')
        Test-Cluster -Package 'hotdb-server-2.5.1-ga-20190701.tar.gz' -Quiet | Should -BeFalse
    }

    It 'CL8 alone online: the 2.5.4 ConfigDB script modifies a column the running 2.5.3 reads' {
        $checks = Test-Cluster -Online -ScriptsPath (Join-Path $packages 'configdb-upgrade')
        Get-FailedCheck $checks | Should -Be @('CL8 198.18.0.41')
        ($checks | Where-Object Id -EQ 'CL8').Actual | Should -Match 'hotdb_config_2\.5\.4\.sql'
        (Test-Cluster -Online | Where-Object Id -EQ 'CL8').Status | Should -Be 'NotVerified'
    }

    It 'CL1 alone: a member stopped' {
        try {
            Stop-HotDbComputeNode -Session $mn3 -Confirm:$false | Out-Null
            Get-FailedCheck (Test-Cluster) | Should -Be @('CL1 198.18.0.43')
            # Once the others stop hearing it, show @@cluster drops it; the member is still known from haNodeHost.
            Wait-SimCondition { (Get-HotDbCluster -Session $mn1 -Credential $managerLogin | Where-Object Host -EQ '198.18.0.43').Status -eq 'Absent' } 15 | Should -BeTrue
            Get-FailedCheck (Test-Cluster) | Should -Be @('CL1 198.18.0.43')
        }
        finally { Start-HotDbComputeNode -Session $mn3 -Confirm:$false | Out-Null }
    }

    It 'passes no check where there is no compute node' {
        $checks = @(Test-HotDbClusterUpgrade -Session $mn1, $mn2 -Credential $managerLogin -Package $next -InstallPath /usr/local/hotdb/no-such-node -Online -ScriptsPath (Join-Path $packages 'configdb-upgrade') -WarningAction SilentlyContinue)
        @($checks | Where-Object Status -NE 'Failed') | Should -BeNullOrEmpty
        $checks.Count | Should -Be 9
        @($checks | Where-Object Id -EQ 'CL1').Count | Should -Be 2
    }

    It 'refuses a name that is no HotDB package before reading anything' {
        { Test-HotDbClusterUpgrade -Session $mn1 -Credential $managerLogin -Package 'hotdb.zip' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidPackageName,HotDb.Upgrade.Commands.TestHotDbClusterUpgradeCommand'
    }
}

Describe 'Test-HotDbDisasterRecovery on ms1/ms2 and dr1/dr2' -Tag Cluster, Lab -Skip:$labSkip {
    BeforeEach { Wait-SimCondition { Test-Estate -Quiet } 30 | Should -BeTrue -Because "the estate must be healthy first: $(Get-FailedCheck (Test-Estate))" }

    It 'passes every check on the healthy estate, the ConfigDBs read from server.xml' {
        $checks = @(Test-Estate)
        $checks.Id | Should -Be @('DR1', 'DR1', 'DR2', 'DR2', 'DR3', 'DR4')
        Get-FailedCheck $checks | Should -BeNullOrEmpty
        ($checks | Where-Object Id -EQ 'DR3').Host | Should -Be '198.18.0.60:3306'
        ($checks | Where-Object Id -EQ 'DR3').Actual | Should -Match 'from 198\.18\.0\.10:3306'
        $checks[0].PSObject.TypeNames[0] | Should -Be 'HotDb.Upgrade.Topology.ClusterCheck'
    }

    It 'DR3 alone: replication stopped on the DR ConfigDB' {
        try {
            Invoke-OnHost drconfigdb 'mariadb -e "STOP SLAVE"' | Out-Null
            $checks = Test-Estate
            Get-FailedCheck $checks | Should -Be @('DR3 198.18.0.60:3306')
            ($checks | Where-Object Id -EQ 'DR3').Actual | Should -Match 'IO thread No, SQL thread No'
            Test-Estate -Quiet | Should -BeFalse
        }
        finally { Invoke-OnHost drconfigdb 'mariadb -e "START SLAVE"' | Out-Null }
    }

    It 'passes no check where there is no compute node, and refuses a host given to both IDCs' {
        $checks = @(Test-HotDbDisasterRecovery -Session $ms1, $ms2 -DrSession $dr1, $dr2 -InstallPath /usr/local/hotdb/no-such-node)
        $checks.Count | Should -Be 6
        @($checks | Where-Object Status -NE 'Failed') | Should -BeNullOrEmpty
        { Test-HotDbDisasterRecovery -Session $ms1 -DrSession $ms1, $dr1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'IdcOverlap,HotDb.Upgrade.Commands.TestHotDbDisasterRecoveryCommand'
    }

    It 'DR2 and DR4: a DR-centre node brought online (an IDC switch)' {
        try {
            Import-SimMySqlConnector
            $builder = [MySqlConnector.MySqlConnectionStringBuilder]::new()
            $builder.Server = '198.18.0.61'; $builder.Port = 3325; $builder.UserID = 'root'; $builder.Password = 'root'; $builder.Pooling = $false
            $connection = [MySqlConnector.MySqlConnection]::new($builder.ConnectionString)
            try { $connection.Open(); $command = $connection.CreateCommand(); $command.CommandText = 'online_dr'; [void]$command.ExecuteNonQuery() } finally { $connection.Dispose() }
            Get-FailedCheck (Test-Estate) | Should -Be @('DR2 198.18.0.61', 'DR4 198.18.0.31')
        }
        finally {
            Stop-HotDbComputeNode -Session $dr1 -Confirm:$false | Out-Null
            Start-HotDbComputeNode -Session $dr1 -Confirm:$false | Out-Null
        }
    }
}

Describe 'Start-HotDbComputeNode -AllowStartedClusterMember on mn1' -Tag Cluster, Lab -Skip:$labSkip {
    It 'accepts a member started alone in Started, and still times out without the switch' {
        try {
            Stop-HotDbComputeNode -Session $mn3, $mn2, $mn1 -Confirm:$false | Out-Null

            $started = Start-HotDbComputeNode -Session $mn1 -AllowStartedClusterMember -Timeout 60 -Confirm:$false
            $started.Changed | Should -BeTrue
            $started.Running | Should -BeTrue
            $started.ManagerPortOpen | Should -BeTrue
            $started.ServerPortOpen | Should -BeFalse
            (Get-HotDbCluster -Session $mn1 -Credential $managerLogin | Where-Object Host -EQ '198.18.0.41').Status | Should -Be 'Started'

            Stop-HotDbComputeNode -Session $mn1 -Confirm:$false | Out-Null
            { Start-HotDbComputeNode -Session $mn1 -Timeout 15 -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'StartFailed,HotDb.Upgrade.Commands.StartHotDbComputeNodeCommand'
        }
        finally {
            Start-HotDbComputeNode -Session $mn2, $mn3 -AllowStartedClusterMember -Confirm:$false | Out-Null
        }
        Wait-SimCondition { Test-Cluster -Quiet } 30 | Should -BeTrue -Because "$(Get-FailedCheck (Test-Cluster))"
    }
}
