# The compliance pack (module/compliance) against a lab estate read from an inventory (estate.psd1), run in its own
# pwsh like a scheduled task: a DR estate (master centre pair ms1/ms2, DR centre dr1/dr2, drconfigdb) and a
# three-member cluster (mn1..mn3) are green with no package given (the package pre-checks and HA4 skipped with their reasons), and keepalived stopped on the slave fails
# HA5 on that host with its remedy. The red side on a host without HotDB is in Compliance.Tests.ps1.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }
    $script:lab = Start-LabFixture -Topology @{
        Defaults = @{ HotDbSize = '256M' }
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
    $script:pack = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'compliance/Invoke-HotDbCompliance.ps1'
    $ms1 = Get-LabHost 'ms1'
    $script:inventory = Join-Path $TestDrive 'estate.psd1'
    Set-Content -Path $inventory -Value @"
@{
    Ssh = @{ UserName = 'root'; KeyFile = '$($ms1.RootKeyPath)'; KnownHostsPath = '$($ms1.KnownHostsPath)' }
    ComputeNodes = @(
        @{ Name = 'dr'; Mode = 'DisasterRecovery'; ComputerName = '198.18.0.31', '198.18.0.32'; DrComputerName = '198.18.0.61', '198.18.0.62'; MasterCentreMode = 'MasterSlaveOnline' }
        @{ Name = 'cluster'; Mode = 'Cluster'; ComputerName = '198.18.0.41', '198.18.0.42', '198.18.0.43' }
    )
}
"@
    # The pack in its own process (a Pester run inside this one would share Pester's state), from a script file: the
    # simulated nodes' manager login (root/root, the lab's HotDB user) is built there, not passed on a command line.
    function script:Invoke-CompliancePack([string] $Report, [string] $Inventory = $inventory) {
        $pester = Join-Path $env:HOTDB_UPGRADE_TOOLS 'pester/5.7.1/tools/Pester.psd1'
        $script = Join-Path $TestDrive 'run-pack.ps1'
        Set-Content -Path $script -Value @"
Import-Module '$pester'
Import-Module '$env:HOTDB_UPGRADE_MODULE'
`$manager = [pscredential]::new('root', (ConvertTo-SecureString 'root' -AsPlainText -Force))
& '$pack' -Inventory '$Inventory' -ManagerCredential `$manager -OutputFile '$Report'
exit `$LASTEXITCODE
"@
        Push-Location (Join-Path $PSScriptRoot '../..')
        try {
            $output = & dotnet pwsh -NoProfile -NonInteractive -File $script 2>&1 | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output; Cases = @(([xml](Get-Content $Report -Raw)).SelectNodes('//test-case')) }
        }
        finally { Pop-Location }
    }
    function script:Get-Case([object[]] $Cases, [string] $Pattern) { @($Cases | Where-Object { $_.GetAttribute('description') -match $Pattern }) }
}

AfterAll { Stop-LabFixture }

Describe 'Compliance pack on a lab estate inventory' -Tag Compliance, Lab -Skip:$labSkip {
    It 'passes the DR estate (DR1..DR4), its master centre pair (HA1..HA6) and the cluster (CL1..CL5) with no package, skipping what needs one, and exits 0' {
        $run = Invoke-CompliancePack (Join-Path $TestDrive 'healthy.xml')
        $run.ExitCode | Should -Be 0 -Because $run.Output
        @($run.Cases | Where-Object { $_.GetAttribute('result') -in 'Failure', 'Error' }) | Should -BeNullOrEmpty
        foreach ($address in '198.18.0.31', '198.18.0.32') {
            foreach ($id in 'SS5', 'HA1', 'HA2', 'HA3', 'HA5') {
                $case = @(Get-Case $run.Cases "^$id .* on $([regex]::Escape($address))$")
                $case.Count | Should -Be 1 -Because "$id on $address"
                $case[0].GetAttribute('result') | Should -Be 'Success'
            }
        }
        @(Get-Case $run.Cases '^HA6 ')[0].GetAttribute('result') | Should -Be 'Success'
        foreach ($id in 'DR1', 'DR2', 'DR3', 'DR4', 'CL1', 'CL2', 'CL3', 'CL4', 'CL5') { @(Get-Case $run.Cases "^$id " | Where-Object { $_.GetAttribute('result') -eq 'Success' }).Count | Should -BeGreaterThan 0 -Because $id }
        @(Get-Case $run.Cases '^CL1 ' | Where-Object { $_.GetAttribute('result') -eq 'Success' }).Count | Should -Be 3
        # Skipped, with the reason, never passed: HA4 needs reload @@config; CL6 and the CN pre-checks need a package.
        foreach ($id in 'HA4', 'CL6', 'CN') {
            $case = @(Get-Case $run.Cases "^$id ")
            $case.Count | Should -BeGreaterThan 0 -Because $id
            $case | ForEach-Object { $_.GetAttribute('result') | Should -Be 'Ignored' -Because $id; $_.GetAttribute('executed') | Should -Be 'False' }
        }
        @(Get-Case $run.Cases '^HA4 ')[0].GetAttribute('description') | Should -Match '\(skipped: HA4 runs reload @@config'
        @(Get-Case $run.Cases '^CN ')[0].GetAttribute('description') | Should -Match '\(skipped: no compute node package'
    }

    It 'with Packages.ComputeNode runs the upgrade pre-checks on every node and CL6 against the package, all green' {
        $withPackage = Join-Path $TestDrive 'estate-package.psd1'
        $packages = "    Packages = @{ ComputeNode = '$(Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz')'; ConfigDbScripts = '$(Get-LabScriptsPath)' }"
        Set-Content -Path $withPackage -Value ((Get-Content $inventory) -replace '^\s*ComputeNodes = @\(', "$packages`n    ComputeNodes = @(")
        $run = Invoke-CompliancePack (Join-Path $TestDrive 'package.xml') $withPackage
        $run.ExitCode | Should -Be 0 -Because $run.Output
        @($run.Cases | Where-Object { $_.GetAttribute('result') -in 'Failure', 'Error' }) | Should -BeNullOrEmpty
        foreach ($address in '198.18.0.31', '198.18.0.32', '198.18.0.41', '198.18.0.42', '198.18.0.43', '198.18.0.61', '198.18.0.62') {
            foreach ($id in 'CN1', 'CN2', 'CN4') {
                $case = @(Get-Case $run.Cases "^$id .* on $([regex]::Escape($address))$")
                $case.Count | Should -Be 1 -Because "$id on $address"
                $case[0].GetAttribute('result') | Should -Be 'Success'
            }
        }
        @(Get-Case $run.Cases '^CL6 ')[0].GetAttribute('result') | Should -Be 'Success'
        # The scripts without a ConfigDB login: CN6 is skipped, saying so.
        @(Get-Case $run.Cases '^CN6 ConfigDB login, ledger and upgrade scripts .*\(skipped: no ConfigDB target').Count | Should -Be 2
    }

    It 'fails HA5 on the slave with its remedy when keepalived is stopped there, and exits 1' {
        Invoke-OnHost 'ms2' 'service keepalived stop' | Out-Null
        try {
            $run = Invoke-CompliancePack (Join-Path $TestDrive 'broken.xml')
            $run.ExitCode | Should -Be 1 -Because $run.Output
            $ha5 = @(Get-Case $run.Cases '^HA5 .* on 198\.18\.0\.32$')
            $ha5.Count | Should -Be 1
            $ha5[0].GetAttribute('result') | Should -Be 'Failure'
            $ha5[0].InnerXml | Should -Match 'remedy: \S'
            $ha5[0].InnerXml | Should -Match 'keepalived'
            @(Get-Case $run.Cases '^HA5 .* on 198\.18\.0\.31$')[0].GetAttribute('result') | Should -Be 'Success'
            @(Get-Case $run.Cases '^HA1 .* on 198\.18\.0\.32$')[0].GetAttribute('result') | Should -Be 'Success'
        }
        finally { Invoke-OnHost 'ms2' 'service keepalived start' | Out-Null }
    }
}
