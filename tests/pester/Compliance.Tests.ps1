# The compliance pack (module/compliance) against a host without HotDB (the loopback sshd fixture): it must go red,
# naming the failing check, with a JUnit report; run in its own pwsh like a scheduled task (key-only inventory).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:skipSshd = -not (Test-SshdFixtureAvailable)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:pack = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'compliance/Invoke-HotDbCompliance.ps1'
    # The pack in its own process (a Pester run inside this one would share Pester's state).
    function script:Invoke-CompliancePack([string] $Arguments) {
        $pester = Join-Path $env:HOTDB_UPGRADE_TOOLS 'pester/5.7.1/tools/Pester.psd1'
        $command = "Import-Module '$pester'; Import-Module '$env:HOTDB_UPGRADE_MODULE'; & '$pack' $Arguments; exit `$LASTEXITCODE"
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($command))
        Push-Location (Join-Path $PSScriptRoot '../..')
        try {
            $output = & dotnet pwsh -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output }
        }
        finally { Pop-Location }
    }
    if (-not (Test-SshdFixtureAvailable)) { return }
    $script:fx = Start-SshdFixture
    $script:knownHosts = Join-Path $TestDrive 'known_hosts'
    Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
}

AfterAll {
    if ($script:fx) { Stop-SshdFixture $fx }
}

Describe 'Compliance pack files' -Tag Compliance {
    It 'ships the pack and its runner in the module' {
        $pack | Should -Exist
        Join-Path (Split-Path $pack) 'HotDb.Compliance.Tests.ps1' | Should -Exist
    }

    It 'refuses to run with nothing to check (exit code 3), never a green run' {
        $run = Invoke-CompliancePack ''
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Output | Should -Match 'Give -Session or -Inventory'
    }
}

Describe 'Compliance pack on a host without HotDB' -Tag Compliance -Skip:$skipSshd {
    It 'goes red from a key-only inventory, naming SS5 with its expected, actual and remedy in a JUnit report' {
        $inventory = Join-Path $TestDrive 'estate.psd1'
        Set-Content -Path $inventory -Value "@{ ComputerName = '127.0.0.1'; Port = $($fx.Port); UserName = 'root'; KeyFile = '$($fx.RootKeyPath)'; KnownHostsPath = '$knownHosts' }"
        $report = Join-Path $TestDrive 'compliance.xml'
        $run = Invoke-CompliancePack "-Inventory '$inventory' -OutputFile '$report' -OutputFormat JUnitXml"
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $report | Should -Exist
        $xml = [xml](Get-Content $report -Raw)
        $cases = @($xml.SelectNodes('//testcase'))
        $ss5 = @($cases | Where-Object { $_.name -match 'SS5 HotDB Server installed on 127\.0\.0\.1' })
        $ss5.Count | Should -Be 1
        $ss5[0].failure | Should -Not -BeNullOrEmpty
        $message = "$($ss5[0].failure.message) $($ss5[0].failure.InnerText)"
        $message | Should -Match 'expected a HotDB Server install in /usr/local/hotdb/hotdb-server'
        $message | Should -Match 'actual: no HotDB Server install'
        $message | Should -Match 'remedy: \S'
        # The session checks that hold on any reachable host pass; nothing about HotDB does.
        @($cases | Where-Object { $_.name -match '^HotDB compliance\.SS1 ' -or $_.name -match 'SS1 ' } | Where-Object { $_.failure }) | Should -BeNullOrEmpty
    }

    It 'fails with open sessions too, in process (the documented one-liner), and every compute node check fails or is not verified' {
        $session = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential (New-FixtureCredential -RootKey) -KeyFile $fx.RootKeyPath
        try {
            $package = Join-Path $TestDrive 'hotdb-server-2.5.6-ga-20200101.tar.gz'
            Set-Content -Path $package -Value 'not a tarball'
            # The pack's discovery, without Pester: the check table it turns into tests.
            $checks = @(Test-HotDbComputeNode -Session $session -Package $package)
            @($checks | Where-Object Status -EQ 'Passed') | Should -BeNullOrEmpty
        }
        finally { $session | Remove-HotDbSession -Confirm:$false }
    }

    It 'fails a host it cannot reach as SS1, naming the host' {
        $inventory = Join-Path $TestDrive 'unreachable.psd1'
        Set-Content -Path $inventory -Value "@{ ComputerName = '127.0.0.1'; Port = 1; UserName = 'root'; KeyFile = '$($fx.RootKeyPath)'; KnownHostsPath = '$knownHosts' }"
        $report = Join-Path $TestDrive 'unreachable.xml'
        $run = Invoke-CompliancePack "-Inventory '$inventory' -OutputFile '$report' -OutputFormat NUnitXml"
        $run.ExitCode | Should -Be 1 -Because $run.Output
        (Get-Content $report -Raw) | Should -Match 'SS1 Connected \(a command runs\) on 127\.0\.0\.1'
    }
}
