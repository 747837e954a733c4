# The Test-* check family against a host without HotDB (the loopback sshd fixture): the shape, -Quiet, and that
# nothing passes where there is no HotDB.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:skipSshd = -not (Test-SshdFixtureAvailable)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    if (-not (Test-SshdFixtureAvailable)) { return }
    $script:fx = Start-SshdFixture
    $knownHosts = Join-Path $TestDrive 'known_hosts'
    Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
    $script:session = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential (New-FixtureCredential -RootKey) -KeyFile $fx.RootKeyPath
    $script:package = Join-Path $TestDrive 'hotdb-server-2.5.6-ga-20200101.tar.gz'
    Set-Content -Path $package -Value 'not a tarball'
}

AfterAll {
    if ($script:session) { $session | Remove-HotDbSession -Confirm:$false }
    if ($script:fx) { Stop-SshdFixture $fx }
}

Describe 'Test-HotDbSession on a host without HotDB' -Tag Checks -Skip:$skipSshd {
    It 'returns SS1..SS5 in the one check shape; the session checks pass and SS5 fails, naming the install path' {
        $checks = @(Test-HotDbSession -Session $session)
        $checks.Id | Should -Be 'SS1', 'SS2', 'SS3', 'SS4', 'SS5'
        $checks[0].PSObject.TypeNames | Should -Contain 'HotDb.Upgrade.Checks.HotDbCheck'
        foreach ($property in 'Id', 'Name', 'Host', 'Status', 'Passed', 'Expected', 'Actual', 'Remedy') { $checks[0].PSObject.Properties.Name | Should -Contain $property }
        ($checks | Where-Object Id -In 'SS1', 'SS2', 'SS3').Status | Should -Be 'Passed', 'Passed', 'Passed'
        $ss5 = $checks | Where-Object Id -EQ 'SS5'
        $ss5.Status | Should -Be 'Failed'
        $ss5.Actual | Should -Match 'no HotDB Server install in /usr/local/hotdb/hotdb-server'
        $ss5.Remedy | Should -Not -BeNullOrEmpty
        ($checks | Out-String -Width 120) | Should -Match 'SS5\s+127\.0\.0\.1\s+Failed\s+HotDB Server installed'
    }

    It '-Quiet returns one $false' {
        $answer = @(Test-HotDbSession -Session $session -Quiet)
        $answer.Count | Should -Be 1
        $answer[0] | Should -BeOfType [bool]
        $answer[0] | Should -BeFalse
    }
}

Describe 'Test-HotDbComputeNode on a host without HotDB' -Tag Checks -Skip:$skipSshd {
    It 'fails CN1 and passes nothing' {
        $checks = @(Test-HotDbComputeNode -Session $session -Package $package)
        $checks[0].Id | Should -Be 'CN1'
        $checks[0].Status | Should -Be 'Failed'
        $checks[0].Actual | Should -Match 'no HotDB Server install'
        @($checks | Where-Object Status -EQ 'Passed') | Should -BeNullOrEmpty
        @($checks | Select-Object -Skip 1 | Where-Object Status -NE 'NotVerified') | Should -BeNullOrEmpty
        ($checks | Select-Object -Skip 1 | Select-Object -First 1).Actual | Should -Match 'CN1'
    }

    It '-Quiet returns one $false' {
        @(Test-HotDbComputeNode -Session $session -Package $package -Quiet) | Should -Be @($false)
    }
}

Describe 'Test-HotDbConfigDb without a ConfigDB' -Tag Checks {
    It 'fails CD1 and passes nothing when no server answers' {
        $login = [pscredential]::new('hotdb', (ConvertTo-SecureString 'x' -AsPlainText -Force))
        $configDb = New-HotDbConfigDb -ComputerName '127.0.0.1:1' -Credential $login -ConnectTimeoutSeconds 2
        $checks = @(Test-HotDbConfigDb -ConfigDb $configDb -Method Local)
        $checks.Id | Should -Be 'CD1', 'CD2', 'CD3', 'CD4', 'CD5'
        $checks[0].Status | Should -Be 'Failed'
        @($checks | Where-Object Status -EQ 'Passed') | Should -BeNullOrEmpty
        @(Test-HotDbConfigDb -ConfigDb $configDb -Method Local -Quiet) | Should -Be @($false)
    }
}
