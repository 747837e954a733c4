# The state-changing HA operations on the lab (tests/lab): ms1 (keepalived master) and ms2 (backup) with real sshd
# and keepalived, the simulated compute node and a real MariaDB ConfigDB. A controlled switch ms1 -> ms2, the
# reconstruction around ms2, the way back, and a switch that cannot work. The Its run in order on one pair: each
# starts from where the previous one left it. Run under flock /tmp/hotdb-lab.flock (one lab per machine).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

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

    function script:Test-LabVip([string] $Name) { "$(Invoke-OnHost $Name 'ip -o addr show | grep -c " 198\.18\.0\.140/" || true')".Trim() -eq '1' }

    $script:ms1 = Connect-LabHost 'ms1'
    $script:ms2 = Connect-LabHost 'ms2'
    $script:managerLogin = [pscredential]::new('root', (ConvertTo-SecureString 'root' -AsPlainText -Force))
    $script:conf = '/etc/keepalived/keepalived.conf'
    $script:serverXml = '/usr/local/hotdb/hotdb-server/conf/server.xml'
    # The four files' checksums, and whether keepalived and the node run: what -WhatIf and a second run must not change.
    function script:Get-PairState {
        foreach ($name in 'ms1', 'ms2') {
            Invoke-OnHost $name "sha256sum $serverXml $conf; pgrep -x keepalived >/dev/null && echo keepalived up || echo keepalived down; pgrep -f '[H]otdbStartup' >/dev/null && echo node up || echo node down" |
                ForEach-Object { "$name $_" }
        }
    }
    function script:Get-FailedCheck { @(Test-HotDbHaSwitch -Session $ms1, $ms2 | Where-Object Status -EQ 'Failed' | ForEach-Object { "$($_.Id) $($_.Host): $($_.Actual)" }) }
    $script:initialState = Get-PairState
}

AfterAll { Stop-LabFixture }

Describe 'Switch over and reconstruct ms1/ms2' -Tag Ha, Lab, HaOps -Skip:$labSkip {
    It 'starts from a healthy pair with ms1 master' {
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
        (Get-HotDbHaEnvironment -Session $ms1, $ms2).Master.ComputerName | Should -Be '198.18.0.31'
    }

    It 'Restore-HotDbHaEnvironment on the healthy pair changes nothing' {
        $result = Restore-HotDbHaEnvironment -Session $ms1, $ms2 -Confirm:$false
        $result.Changed | Should -BeFalse
        $result.Changes | Should -BeNullOrEmpty
        $result.Passed | Should -BeTrue
        Get-PairState | Should -Be $initialState
    }

    It 'Invoke-HotDbHaSwitch moves the VIP and the service port from ms1 to ms2' {
        $result = Invoke-HotDbHaSwitch -Session $ms2, $ms1 -TimeoutSeconds 60 -Confirm:$false

        $result.Succeeded | Should -BeTrue
        $result.OldMaster | Should -Be '198.18.0.31'
        $result.NewMaster | Should -Be '198.18.0.32'
        $result.VipHolder | Should -Be '198.18.0.32'
        $result.Outage.TotalSeconds | Should -BeGreaterThan 0
        Test-LabVip ms2 | Should -BeTrue
        Test-LabVip ms1 | Should -BeFalse
        Test-LabPort ms2 3323 | Should -BeTrue
        Test-LabPort ms1 3325 | Should -BeFalse
        ($result | Out-String -Width 120) | Should -Match '198\.18\.0\.31\s+198\.18\.0\.32\s+198\.18\.0\.140\s+198\.18\.0\.32\s+True'
    }

    It 'Restore-HotDbHaEnvironment -WhatIf changes nothing' {
        $before = Get-PairState
        $output = Restore-HotDbHaEnvironment -Session $ms1, $ms2 -WhatIf
        $output | Should -BeNullOrEmpty
        Get-PairState | Should -Be $before
    }

    It 'Restore-HotDbHaEnvironment makes ms2 master and ms1 backup with every check passing' {
        $authBefore = foreach ($name in 'ms1', 'ms2') { Invoke-OnHost $name "grep -E 'auth_pass|virtual_router_id|interface|/24' $conf" }

        $result = Restore-HotDbHaEnvironment -Session $ms1, $ms2 -Reload -Credential $managerLogin -Confirm:$false

        $result.Changed | Should -BeTrue
        $result.Master | Should -Be '198.18.0.32'
        $result.Backup | Should -Be '198.18.0.31'
        $result.MasterAddress | Should -Be '198.18.0.32:3325'
        @($result.Checks | Where-Object Status -NE 'Passed') | Should -BeNullOrEmpty
        @($result.Checks).Count | Should -Be 10
        $result.Passed | Should -BeTrue
        @($result.Changes | Where-Object { $_.ComputerName -eq '198.18.0.31' -and $_.Key -eq 'haNodeHost' }).NewValue | Should -Be '198.18.0.32:3325'
        @($result.Changes | Where-Object { $_.ComputerName -eq '198.18.0.32' -and $_.Key -like '* nopreempt' }).NewValue | Should -Be 'nopreempt'
        foreach ($change in $result.Changes) {
            $host_ = if ($change.ComputerName -eq '198.18.0.31') { 'ms1' } else { 'ms2' }
            "$(Invoke-OnHost $host_ "stat -c %a '$($change.BackupPath)'")".Trim() | Should -Be '600'
        }
        @($result.Changes | ForEach-Object { "$($_.ComputerName):$($_.BackupPath)" } | Select-Object -Unique).Count | Should -Be 4
        # Everything but the role's values stays as it was.
        @(foreach ($name in 'ms1', 'ms2') { Invoke-OnHost $name "grep -E 'auth_pass|virtual_router_id|interface|/24' $conf" }) | Should -Be $authBefore
        ($result | Out-String) | Should -Not -Match '1111'

        $environment = Get-HotDbHaEnvironment -Session $ms1, $ms2
        $environment.Master.ComputerName | Should -Be '198.18.0.32'
        $environment.Backup.HaNodeHost | Should -Be '198.18.0.32:3325'
        $environment.Backup.ServerPortOpen | Should -BeFalse
        $environment.Backup.ManagerPortOpen | Should -BeTrue
        $environment.Backup.KeepalivedRunning | Should -BeTrue
        Test-HotDbHaSwitch -Session $ms1, $ms2 -Reload -Credential $managerLogin -Confirm:$false -Quiet | Should -BeTrue
    }

    It 'a second Restore-HotDbHaEnvironment changes nothing and says so' {
        $before = Get-PairState
        $result = Restore-HotDbHaEnvironment -Session $ms1, $ms2 -Confirm:$false -Verbose 4>&1
        $verbose = @($result | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $object = @($result | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $object.Count | Should -Be 1
        $object[0].Changed | Should -BeFalse
        $object[0].Actions | Should -BeNullOrEmpty
        $object[0].Passed | Should -BeTrue
        ($verbose.Message -join "`n") | Should -Match 'nothing was changed'
        Get-PairState | Should -Be $before
    }

    It 'switching back to ms1 and reconstructing leaves the pair as it started' {
        $switch = Invoke-HotDbHaSwitch -Session $ms1, $ms2 -Confirm:$false
        $switch.Succeeded | Should -BeTrue
        $switch.NewMaster | Should -Be '198.18.0.31'

        $result = Restore-HotDbHaEnvironment -Session $ms1, $ms2 -Confirm:$false
        $result.Master | Should -Be '198.18.0.31'
        $result.Passed | Should -BeTrue

        Get-PairState | Should -Be $initialState
        Test-LabVip ms1 | Should -BeTrue
    }

    It 'a planned switch whose slave never opens its service port gives the VIP back to the old master, which serves again' {
        # The slave's compute node frozen: its manager port still listens, so the switch goes ahead, and keepalived
        # moves the VIP to it once the master's keepalived stops, but it never goes online.
        Invoke-OnHost ms2 "pkill -STOP -f '[H]otdbStartup'" | Out-Null
        try {
            $errors = $null
            $output = Invoke-HotDbHaSwitch -Session $ms1, $ms2 -TimeoutSeconds 12 -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue

            $output | Should -BeNullOrEmpty
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'HaSwitchFailed,HotDb.Upgrade.Commands.InvokeHotDbHaSwitchCommand'
            $errors[0].Exception.Message | Should -Match 'after keepalived stopped on 198\.18\.0\.31, 198\.18\.0\.32 holds the VIP 198\.18\.0\.140 and its service port 3323 is closed'
            $errors[0].Exception.Message | Should -Match '198\.18\.0\.31''s keepalived was started again; it holds the VIP and serves'
            $errors[0].TargetObject.OldMasterRestarted | Should -BeTrue
            $errors[0].TargetObject.VipHolder | Should -Be '198.18.0.31'
            Test-LabPort ms1 3323 | Should -BeTrue
            Test-LabVip ms1 | Should -BeTrue
            Test-LabVip ms2 | Should -BeFalse
            (Invoke-OnHost ms1 'pgrep -x keepalived >/dev/null && echo up').Trim() | Should -Be 'up'
            (Invoke-OnHost ms2 'pgrep -x keepalived >/dev/null && echo up').Trim() | Should -Be 'up' -Because 'the slave''s keepalived stopped only until the old master held the VIP'
        }
        finally { Invoke-OnHost ms2 "pkill -CONT -f '[H]otdbStartup'" | Out-Null }
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
    }

    It 'a switch that cannot move the VIP (the slave''s keepalived stopped) restarts the old master and reports failure' {
        Invoke-OnHost ms2 'service keepalived stop' | Out-Null
        try {
            $errors = $null
            $output = Invoke-HotDbHaSwitch -Session $ms1, $ms2 -TimeoutSeconds 10 -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue

            $output | Should -BeNullOrEmpty
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'HaSwitchFailed,HotDb.Upgrade.Commands.InvokeHotDbHaSwitchCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidResult'
            $errors[0].ErrorDetails.RecommendedAction | Should -Match 'keepalived on 198\.18\.0\.32'
            $errors[0].Exception.Message | Should -Match 'keepalived does not run'
            $errors[0].TargetObject.Succeeded | Should -BeFalse
            $errors[0].TargetObject.OldMasterRestarted | Should -BeTrue
            $errors[0].TargetObject.VipHolder | Should -Be '198.18.0.31'
            Test-LabPort ms1 3323 | Should -BeTrue
            Test-LabVip ms1 | Should -BeTrue
        }
        finally { Invoke-OnHost ms2 'service keepalived start' | Out-Null }
        Wait-SimCondition { (Get-FailedCheck).Count -eq 0 } 60 | Should -BeTrue -Because "$(Get-FailedCheck)"
    }
}
