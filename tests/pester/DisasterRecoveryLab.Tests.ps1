# The DR estate upgrade (manual 3.7) with Update-HotDbDisasterRecovery.ps1 on the lab: master centre ms1/ms2 (VIP
# .140) on configdb, DR centre dr1/dr2 (haMode 3, idcId 2, VIP .150) on drconfigdb, a real MariaDB replica of
# configdb with GTID (server_id 2; configdb is server_id 1). The Its run in order: refusals first, then the upgrade.
# Run under flock /tmp/hotdb-lab.flock (one lab per machine).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    $script:runbook = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbDisasterRecovery.ps1'
}

Describe 'Update-HotDbDisasterRecovery.ps1 refuses bad input before any session' -Tag DisasterRecovery, Runbook {
    It 'refuses <Case> with exit code 3' -ForEach @(
        @{ Case = 'a host given to both IDCs'; Extra = @{ ComputerName = 'ms1'; DrComputerName = 'dr1', 'ms1'; Package = 'p.tar.gz'; ScriptsPath = '.' }; Message = 'ms1 given as both master centre' }
        @{ Case = 'a run without -Package'; Extra = @{ ComputerName = 'ms1'; DrComputerName = 'dr1'; ScriptsPath = '.' }; Message = 'Give -Package and -ScriptsPath' }
        @{ Case = '-Resume without a journal or log'; Extra = @{ ComputerName = 'ms1'; DrComputerName = 'dr1'; Resume = $true }; Message = 'With -Resume give -JournalPath' }
    ) {
        $log = Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).log"
        $logArgument = if ($Extra.ContainsKey('Resume')) { @{} } else { @{ LogPath = $log } }
        Push-Location $TestDrive
        try {
            & $runbook -MasterCentreMode SingleNode -Credential ([pscredential]::new('root', [securestring]::new())) `
                -ConfigDbCredential ([pscredential]::new('upgrader', [securestring]::new())) -InformationAction SilentlyContinue @Extra @logArgument
            $LASTEXITCODE | Should -Be 3
            $text = Get-Content (Get-ChildItem $TestDrive -Filter *.log | Sort-Object LastWriteTime | Select-Object -Last 1).FullName -Raw
            $text | Should -Match ([regex]::Escape($Message))
            $text | Should -Not -Match 'SSH session'
        }
        finally { Pop-Location }
    }
}

Describe 'DR estate upgrade ms1/ms2 then dr1/dr2 with Update-HotDbDisasterRecovery.ps1' -Tag Lab, DisasterRecovery, Upgrade -Skip:$labSkip {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
        $script:lab = Start-LabFixture -Topology @{
            Defaults = @{ HotDbSize = '128M' }
            Groups   = @{
                ms = @{ Mode = 'MasterSlave'; Vip = '198.18.0.140'; VirtualRouterId = 89 }
                dr = @{ Mode = 'MasterSlave'; Vip = '198.18.0.150'; VirtualRouterId = 90; Idc = 'dr' }
            }
            Hosts    = @(
                @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
                @{ Name = 'ms1'; Address = '198.18.0.31'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'master' }
                @{ Name = 'ms2'; Address = '198.18.0.32'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'backup' }
                @{ Name = 'drconfigdb'; Address = '198.18.0.60'; Roles = @('drconfigdb') }
                @{ Name = 'dr1'; Address = '198.18.0.61'; Roles = @('computenode', 'keepalived'); Group = 'dr'; Keepalived = 'master' }
                @{ Name = 'dr2'; Address = '198.18.0.62'; Roles = @('computenode', 'keepalived'); Group = 'dr'; Keepalived = 'backup' }
            )
        }
        $script:login = New-LabConfigDbLogin
        $script:package = Get-LabPackage 'hotdb-server-2.5.4-*.tar.gz'
        $script:ms1 = Connect-LabHost 'ms1'
        $script:ms2 = Connect-LabHost 'ms2'
        $script:dr1 = Connect-LabHost 'dr1'
        $script:dr2 = Connect-LabHost 'dr2'
        $script:database = (Get-HotDbComputeNode -Session $ms1).ConfigDbDatabase

        function script:Invoke-Runbook([hashtable] $Extra = @{}) {
            $log = Join-Path $TestDrive "dr-$([guid]::NewGuid().ToString('N').Substring(0, 6)).log"
            $connection = Get-LabRunbookConnection
            & $runbook -MasterCentreMode MasterSlaveOffline -ComputerName '198.18.0.32', '198.18.0.31' -DrComputerName '198.18.0.61', '198.18.0.62' @connection `
                -Package $package -ScriptsPath (Get-LabScriptsPath) -ConfigDbCredential $login -LogPath $log -StartTimeout 120 -StopTimeout 60 `
                -ReplicationTimeout 120 -InformationAction SilentlyContinue @Extra
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Log = (Get-Content $log -Raw) }
        }
        # Every transaction the DR ConfigDB ever logged, by domain-server: the module must never add one of server_id 2.
        function script:Get-DrGtidState { (Invoke-OnHost drconfigdb 'mariadb -N -e "SELECT @@gtid_binlog_state"').Trim() }
        function script:Get-DrServerIds { (Invoke-OnHost drconfigdb 'cd /var/lib/mysql && mariadb-binlog mysql-bin.[0-9]* | grep -E "GTID [0-9]+-[0-9]+-[0-9]+" | grep -o "server id [0-9]*" | sort -u') -split "`n" | Where-Object { $_ } }
        function script:Get-Replication { Invoke-OnHost drconfigdb 'mariadb -e "SHOW SLAVE STATUS\G" | grep -E "Slave_(IO|SQL)_Running:"' }
        function script:Get-Listings { @('ms1', 'ms2', 'dr1', 'dr2') | ForEach-Object { Get-LabFileListing $_ } }
        function script:Get-Versions([object[]] $Session) { (Get-HotDbComputeNode -Session $Session | Sort-Object ComputerName | ForEach-Object { "$($_.Version)" }) -join ',' }
        function script:Wait-Replicated {
            Wait-SimCondition {
                ((Get-LabConfigDbChecksum $database -HostName drconfigdb) -join "`n") -eq ((Get-LabConfigDbChecksum $database) -join "`n") -and ((Get-Replication) -join "`n") -notmatch ': No'
            } 60 | Should -BeTrue
        }
    }

    AfterAll { Stop-LabFixture }

    It 'refuses upgrade SQL and backups on the writable DR ConfigDB replica, naming the master centre as the remedy' {
        Wait-Replicated
        Invoke-OnHost drconfigdb 'mariadb -N -e "SELECT @@read_only"' | Should -Match '^0'
        $before = Get-DrGtidState
        $replica = New-HotDbConfigDb -ComputerName 198.18.0.60 -Database $database -Credential $login
        $backupError = $null
        try { Backup-HotDbConfigDb $replica -Version 2.5.3 -Confirm:$false -ErrorAction Stop } catch { $backupError = $_ }
        $backupError.FullyQualifiedErrorId | Should -BeLike 'ConfigDbIsReplica,*'
        $backupError.Exception.Message | Should -Match '198\.18\.0\.60:3306 replicates from 198\.18\.0\.10:3306'
        $backupError.ErrorDetails.RecommendedAction | Should -Match "master centre's ConfigDB"
        { Invoke-HotDbConfigDbUpgrade -Path (Get-LabScriptsPath) -ConfigDb $replica -From 2.5.3 -To 2.5.4 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfigDbIsReplica,HotDb.Upgrade.Commands.InvokeHotDbConfigDbUpgradeCommand'
        # A single-node plan on a DR node would upgrade the ConfigDB its server.xml names, the replica: refused in the checks.
        $plan = New-HotDbUpgradePlan -Session $dr1 -Package $package -ScriptsPath (Get-LabScriptsPath) -ConfigDbCredential $login -ErrorAction SilentlyContinue
        $plan.ChecksPassed | Should -BeFalse
        "$(($plan.Checks | Where-Object Step -EQ 'CheckConfigDb').Error)" | Should -Match 'replicates from 198\.18\.0\.10:3306'
        Get-DrGtidState | Should -Be $before
        Invoke-OnHost drconfigdb "mariadb -N -e `"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'hotdb_upgrade_ledger'`"" | Should -Match '^0'
    }

    It 'refuses with nothing changed while the DR ConfigDB replication is stopped' {
        $listings = Get-Listings
        $checksums = Get-LabConfigDbChecksum $database
        try {
            Invoke-OnHost drconfigdb 'mariadb -e "STOP SLAVE"' | Out-Null
            $run = Invoke-Runbook
            $run.ExitCode | Should -Be 3 -Because $run.Log
            $run.Log | Should -Match 'DR3 198\.18\.0\.60:3306: Failed'
            $run.Log | Should -Match 'neither IDC was changed'
            $run.Log | Should -Not -Match 'Update-HotDbMasterSlave'
        }
        finally { Invoke-OnHost drconfigdb 'mariadb -e "START SLAVE"' | Out-Null }
        Get-Listings | Should -Be $listings
        Get-LabConfigDbChecksum $database | Should -Be $checksums
        Get-Versions $ms1, $ms2, $dr1, $dr2 | Should -Be '2.5.3,2.5.3,2.5.3,2.5.3'
    }

    It '-WhatIf prints the master centre plan and the DR plan without ConfigDB steps and changes nothing' {
        Wait-Replicated
        $listings = Get-Listings
        $run = Invoke-Runbook @{ WhatIf = $true }
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $run.Log | Should -Match 'Plan: MasterSlaveOffline 2\.5\.3 -> 2\.5\.4'
        $run.Log | Should -Match 'Plan: DisasterRecovery 2\.5\.3 -> 2\.5\.4 on 198\.18\.0\.61, 198\.18\.0\.62'
        $drPlan = $run.Log.Substring($run.Log.IndexOf('Plan: DisasterRecovery'))
        $drPlan | Should -Match 'WaitForReplicatedUpgrade'
        $drPlan | Should -Not -Match '\] \w*ConfigDb:'
        Get-Listings | Should -Be $listings
    }

    It 'upgrades the master centre then the DR centre; DR nodes keep their state; the DR ConfigDB only replicates' {
        Wait-Replicated
        # dr2 stopped, dr1 on standby (manager port only): each must end as it began.
        Stop-HotDbComputeNode -Session $dr2 -Confirm:$false | Out-Null
        $gtidBefore = Get-DrGtidState
        $gtidBefore | Should -Not -Match '(^|,)\d+-2-'

        $run = Invoke-Runbook
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $run.Log | Should -Match 'Master centre verified at 2\.5\.4'
        $run.Log | Should -Match 'WaitForReplicatedUpgrade: Succeeded'
        $run.Log | Should -Match 'Step +\d+ 198\.18\.0\.62 KeepStopped: Succeeded'
        $run.Log | Should -Not -Match 'Step +\d+ 198\.18\.0\.6[12] \w*ConfigDb'

        Get-Versions $ms1, $ms2, $dr1, $dr2 | Should -Be '2.5.4,2.5.4,2.5.4,2.5.4'
        $dr1Node = Get-HotDbComputeNode -Session $dr1
        $dr1Node.Running | Should -BeTrue
        $dr1Node.ManagerPortOpen | Should -BeTrue
        $dr1Node.ServerPortOpen | Should -BeFalse
        (Get-HotDbComputeNode -Session $dr2).Running | Should -BeFalse
        # The DR ConfigDB got the upgrade by replication only: every event in its binlogs is of server_id 1.
        Get-DrServerIds | Should -Be @('server id 1')
        Get-DrGtidState | Should -Not -Match '(^|,)\d+-2-'
        Get-Replication | Should -Not -Match ': No'
        Wait-Replicated
        Invoke-OnHost drconfigdb 'mariadb -N -e "SELECT COUNT(*) FROM hotdb_upgrade_ledger.history WHERE success = 1"' |
            Should -Be (Invoke-OnHost configdb 'mariadb -N -e "SELECT COUNT(*) FROM hotdb_upgrade_ledger.history WHERE success = 1"')
        Wait-SimCondition { -not @(Test-HotDbDisasterRecovery -Session $ms1, $ms2 -DrSession $dr1, $dr2 | Where-Object Status -EQ 'Failed') } 30 | Should -BeTrue
    }

    It 'rolls a failed DR node back with every DR node in its previous state and the DR ConfigDB untouched' {
        # Reinstalling 2.5.4 (-Force): dr2 (stopped) first, then dr1, whose new start fails once.
        $listing = Get-LabFileListing dr2 -Path /usr/local/hotdb/hotdb-server
        $plan = New-HotDbUpgradePlan -Mode DisasterRecovery -Session $dr2, $dr1 -Package $package -MasterConfigDb 198.18.0.10:3306 -ConfigDbCredential $login -Force -StartTimeout 60
        $plan.ChecksPassed | Should -BeTrue -Because "$($plan.Checks | Where-Object Status -EQ 'Failed' | ForEach-Object Error)"
        Set-HotDbLabComponentFault -HostName dr1 -Component hotdb-server -Fault StartFailure
        $result = Invoke-HotDbUpgradePlan -Plan $plan -JournalPath (Join-Path $TestDrive 'dr-fail.journal.json') -Confirm:$false -ErrorAction SilentlyContinue
        "$($result.Status)" | Should -Be 'RolledBack'
        $result.FailedStep | Should -Match 'StartNewVersion'
        $dr1Node = Get-HotDbComputeNode -Session $dr1
        $dr1Node.Running | Should -BeTrue
        $dr1Node.ManagerPortOpen | Should -BeTrue
        $dr1Node.ServerPortOpen | Should -BeFalse
        (Get-HotDbComputeNode -Session $dr2).Running | Should -BeFalse
        Get-LabFileListing dr2 -Path /usr/local/hotdb/hotdb-server | Should -Be $listing
        Get-DrGtidState | Should -Not -Match '(^|,)\d+-2-'
        Get-Replication | Should -Not -Match ': No'
    }
}
