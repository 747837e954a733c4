# Multi-node cluster upgrades with Update-HotDbCluster.ps1 on the lab (tests/lab): mn1..mn3 (a simulated haMode 1
# cluster at 2.5.3, real sshd) and a real MariaDB ConfigDB. The Its run in order on one cluster: each starts from where
# the previous one left it. Run under flock /tmp/hotdb-lab.flock (one lab per machine).
#
# Why the online upgrade starts at 2.5.4, not 2.5.3: the lab ships the vendor's ConfigDB scripts, and from 2.5.3 the
# chain runs hotdb_config_2.5.4.sql, which modifies datanode_type (TINYINT to VARCHAR) and rewrites its rows: a running
# 2.5.3 member can no longer read it, so the manual's 3.6.1 forbids an online upgrade and CL8 rightly refuses it (the
# refusal test below). hotdb_config_2.5.6.sql on its own only widens hotdb_user.description; the classifier flags
# that MODIFY when it sees the script alone, because the column was added by an earlier script (hotdb_config_2.5.3.sql)
# the ConfigDB already ran. The documented remedy (Test-HotDbUpgradeSql: scripts are read per chain in version order,
# so that a column added by an earlier script is known) is what CL8 does: it reads the chain's applied scripts first,
# so the widening is OU006 (allowed). The manual's remedy for the breaking 2.5.4 step is the upgrade with the service
# stopped; so the cluster goes offline to 2.5.4 first, then online 2.5.4 -> 2.5.6.
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
        Groups   = @{ mn = @{ Mode = 'Cluster' } }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'mn1'; Address = '198.18.0.41'; Roles = @('computenode'); Group = 'mn' }
            @{ Name = 'mn2'; Address = '198.18.0.42'; Roles = @('computenode'); Group = 'mn' }
            @{ Name = 'mn3'; Address = '198.18.0.43'; Roles = @('computenode'); Group = 'mn' }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology
    $script:configDbLogin = New-LabConfigDbLogin
    $script:dbSecret = $configDbLogin.GetNetworkCredential().Password
    # root/root is the simulated node's own SUPER user on the manager port.
    $script:managerLogin = [pscredential]::new('root', (ConvertTo-SecureString 'root' -AsPlainText -Force))
    $script:scripts = Get-LabScriptsPath
    $script:runbook = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbCluster.ps1'
    $script:names = 'mn1', 'mn2', 'mn3'
    $script:addresses = @{ '198.18.0.41' = 'mn1'; '198.18.0.42' = 'mn2'; '198.18.0.43' = 'mn3' }
    $script:license = Join-Path $TestDrive 'license-lab'
    & dotnet (Get-HotDbLabSimDll) license --type PERPETUAL --nodes 128 --out $license | Out-Null
    $script:to256 = @{ JdkPackage = (Get-LabPackage 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'); LicenseFile = $license; JdkRoot = '/usr/local/hotdb/jdk8' }

    # mn3 first: the runbook must read the PRIMARY from show @@cluster, not take it from the order.
    function script:Invoke-Runbook([string] $Mode, [string] $Package, [hashtable] $Extra = @{}) {
        $log = Join-Path $TestDrive "mn-$Mode-$([guid]::NewGuid().ToString('N').Substring(0, 6)).log"
        $connection = Get-LabRunbookConnection
        & $runbook -Mode $Mode -ComputerName '198.18.0.43', '198.18.0.41', '198.18.0.42' @connection -ManagerCredential $managerLogin -Package $Package -ScriptsPath $scripts `
            -ConfigDbCredential $configDbLogin -LogPath $log -StartTimeout 90 -StopTimeout 60 -ElectionTimeout 45 -RejoinTimeout 90 -InformationAction SilentlyContinue @Extra
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Log = (Get-Content $log -Raw) }
    }
    $script:mn1 = Connect-LabHost 'mn1'
    $script:mn2 = Connect-LabHost 'mn2'
    $script:mn3 = Connect-LabHost 'mn3'
    function script:Get-Cluster { @(Get-HotDbCluster -Session $mn1, $mn2, $mn3 -Credential $managerLogin -WarningAction SilentlyContinue) }
    # Every member joined, one PRIMARY, all at the version.
    function script:Test-Settled([string] $Version) {
        $members = Get-Cluster
        $members.Count -eq 3 -and @($members | Where-Object Status -EQ 'Primary').Count -eq 1 -and
        @($members | Where-Object { $_.Status -notin 'Primary', 'Secondary' -or "$($_.Version)" -ne $Version }).Count -eq 0
    }
    function script:Get-Versions { (Get-HotDbComputeNode -Session $mn1, $mn2, $mn3 | Sort-Object ComputerName | ForEach-Object { "$($_.Version)" }) -join ',' }
    # What a refusal must leave alone: every member's install and the ConfigDB's tables.
    function script:Get-Snapshot {
        foreach ($name in $names) { "== $name"; Get-LabFileListing $name }
        Get-LabConfigDbChecksum 'hotdb_config_mn'
    }
}

AfterAll { Stop-LabFixture }

Describe 'Update-HotDbCluster.ps1 on mn1..mn3' -Tag Lab, Upgrade, Cluster -Skip:$labSkip {
    BeforeAll { Wait-SimCondition { Test-Settled '2.5.3' } 60 | Should -BeTrue -Because "$(Get-Cluster | Out-String)" }

    It 'refuses with a member down, nothing changed, and -WhatIf prints the plan' {
        $what = Invoke-Runbook Offline (Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz') (@{ WhatIf = $true } + $to256)
        $what.ExitCode | Should -Be 0 -Because $what.Log
        $what.Log | Should -Match '\[Stop\] StopService'
        $what.Log | Should -Match '\[Start\] StartNewVersion'
        $what.Log | Should -Match 'WhatIf: nothing was changed'
        try {
            Stop-HotDbComputeNode -Session $mn3 -Confirm:$false | Out-Null
            $before = Get-Snapshot
            $run = Invoke-Runbook Offline (Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz') $to256
            $run.ExitCode | Should -Be 3 -Because $run.Log
            $run.Log | Should -Match 'Check CheckCluster: Failed - .*CL1 Member running and in the cluster on 198\.18\.0\.43'
            Get-Snapshot | Should -Be $before
        }
        finally { Start-HotDbComputeNode -Session $mn3 -AllowStartedClusterMember -Confirm:$false | Out-Null }
        Wait-SimCondition { Test-Settled '2.5.3' } 60 | Should -BeTrue
    }

    It 'refuses online 2.5.3 -> 2.5.6: the 2.5.4 script breaks the running 2.5.3 (CL8), nothing changed' {
        $before = Get-Snapshot
        $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz') $to256
        $run.ExitCode | Should -Be 3 -Because $run.Log
        $run.Log | Should -Match 'CL8 Upgrade SQL allows an online upgrade'
        $run.Log | Should -Match 'hotdb_config_2\.5\.4\.sql:\d+ OU002'
        $run.Log | Should -Match '-Mode Offline'
        Get-Snapshot | Should -Be $before
    }

    It 'upgrades offline 2.5.3 -> 2.5.4: every member stopped, replaced, started; one PRIMARY at the end' {
        $run = Invoke-Runbook Offline (Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz')
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $run.Log | Should -Not -Match $dbSecret
        $run.Log | Should -Match 'CheckClusterAfter: Succeeded'
        Get-Versions | Should -Be '2.5.4,2.5.4,2.5.4'
        Test-Settled '2.5.4' | Should -BeTrue
    }

    It 'rolls back a secondary whose 2.5.6 fails to start: it rejoins on 2.5.4 and the run stops there' {
        $plan = New-HotDbUpgradePlan -Mode ClusterOnline -Session $mn1, $mn2, $mn3 -Credential $managerLogin -Package (Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz') `
            -ScriptsPath $scripts -ConfigDbCredential $configDbLogin -StartTimeout 60 -RejoinTimeout 90 @to256
        $plan.ChecksPassed | Should -BeTrue -Because "$($plan.Checks | Where-Object Status -EQ 'Failed' | ForEach-Object Error)"
        $first = ($plan.Phases | Where-Object Name -Like 'Secondary *' | Select-Object -First 1).Steps[0].Host
        $checksum = Get-LabConfigDbChecksum 'hotdb_config_mn'
        Set-HotDbLabComponentFault -HostName $addresses[$first] -Component hotdb-server -Fault StartFailure
        $result = Invoke-HotDbUpgradePlan -Plan $plan -JournalPath (Join-Path $TestDrive 'fail.journal.json') -Confirm:$false -ErrorAction SilentlyContinue
        "$($result.Status)" | Should -Be 'RolledBack'
        $result.FailedHost | Should -Be $first
        $result.FailedStep | Should -Be 'StartNewVersion'
        # The run stopped at the first member: no other member was touched, the ConfigDB was restored.
        @($result.Steps | Where-Object { $_.Phase -like 'Primary *' -or ($_.Phase -like 'Secondary *' -and $_.Host -ne $first) } | Where-Object Status -NE 'NotRun') | Should -BeNullOrEmpty
        Get-LabConfigDbChecksum 'hotdb_config_mn' | Should -Be $checksum
        Get-Versions | Should -Be '2.5.4,2.5.4,2.5.4'
        Wait-SimCondition { Test-Settled '2.5.4' } 60 | Should -BeTrue -Because "$(Get-Cluster | Out-String)"
    }

    It 'upgrades online 2.5.4 -> 2.5.6 one member at a time, the cluster never without a serving member' {
        $all = Start-ClientProbe -Server '198.18.0.41', '198.18.0.42', '198.18.0.43'
        $each = foreach ($address in '198.18.0.41', '198.18.0.42', '198.18.0.43') { Start-ClientProbe -Server $address }
        try { $run = Invoke-Runbook Online (Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz') $to256 }
        finally {
            $probed = Stop-ClientProbe $all
            $perMember = foreach ($probe in $each) { Stop-ClientProbe $probe }
        }
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $run.Log | Should -Not -Match $dbSecret
        $run.Log | Should -Match 'WaitForElection: Succeeded'
        # Some member answered every probe: the cluster always had a serving member.
        $probed.Probes | Should -BeGreaterThan 0
        $probed.Failures | Should -Be 0 -Because "last error: $($probed.LastError)"
        # Each member was down for its own upgrade (recorded, not asserted on time).
        foreach ($member in $perMember) { $member.Failures | Should -BeGreaterThan 0 }
        Write-Host ("Longest outage per member: {0}" -f (($perMember | ForEach-Object { '{0} {1:0} ms' -f $_.Servers[0], $_.LongestOutageMs }) -join ', '))
        Get-Versions | Should -Be '2.5.6,2.5.6,2.5.6'
        Test-Settled '2.5.6' | Should -BeTrue
    }
}
