# The compliance pack (module/compliance) green against a lab single node, run in its own pwsh from a key-only
# inventory like a scheduled task; the red side (a host without HotDB) is in Compliance.Tests.ps1.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }
    $script:lab = Start-LabFixture -Topology @{
        Groups = @{ sn = @{ Mode = 'Single' } }
        Hosts  = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'sn1'; Address = '198.18.0.21'; Roles = @('computenode'); Group = 'sn' }
        )
    }
    $script:pack = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'compliance/Invoke-HotDbCompliance.ps1'
}

AfterAll { Stop-LabFixture }

Describe 'Compliance pack on the lab' -Tag Compliance, Lab -Skip:$labSkip {
    It 'passes every check of sn1 (one test per check, in an NUnit report) and exits 0' {
        $sn1 = Get-LabHost 'sn1'
        $inventory = Join-Path $TestDrive 'lab.psd1'
        Set-Content -Path $inventory -Value "@{ ComputerName = '$($sn1.Address)'; UserName = 'root'; KeyFile = '$($sn1.RootKeyPath)'; KnownHostsPath = '$($sn1.KnownHostsPath)' }"
        $report = Join-Path $TestDrive 'lab.xml'
        $pester = Join-Path $env:HOTDB_UPGRADE_TOOLS 'pester/5.7.1/tools/Pester.psd1'
        $command = "Import-Module '$pester'; Import-Module '$env:HOTDB_UPGRADE_MODULE'; & '$pack' -Inventory '$inventory' -OutputFile '$report'; exit `$LASTEXITCODE"
        $output = & dotnet pwsh -NoProfile -NonInteractive -EncodedCommand ([Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($command))) 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        $xml = [xml](Get-Content $report -Raw)
        $names = @($xml.SelectNodes('//test-case') | ForEach-Object { $_.GetAttribute('description') } )
        foreach ($id in 'SS1', 'SS2', 'SS3', 'SS4', 'SS5') { ($names -join "`n") | Should -Match "$id .* on $([regex]::Escape($sn1.Address))" }
        @($xml.SelectNodes('//test-case') | Where-Object { $_.GetAttribute('result') -ne 'Success' }) | Should -BeNullOrEmpty
    }
}
