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
    . (Join-Path (Split-Path (Split-Path $pack)) 'HotDbInventory.ps1')
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

Describe 'Compliance pack estate inventory' -Tag Compliance {
    BeforeAll {
        $script:estateFolder = Join-Path $TestDrive 'estate'
        New-Item -ItemType Directory -Path (Join-Path $estateFolder 'upgrade-sql') -Force | Out-Null
        Set-Content -Path (Join-Path $estateFolder 'hotdb-server-2.5.6-ga-20201101.tar.gz') -Value 'package'
        Set-Content -Path (Join-Path $estateFolder 'id_ed25519') -Value 'key'
    }

    It 'reads the groups, with paths relative to the inventory file and the default install path' {
        $file = Join-Path $estateFolder 'estate.psd1'
        Set-Content -Path $file -Value @'
@{
    Ssh = @{ UserName = 'hotdb'; KeyFile = 'id_ed25519'; Port = 2222 }
    Packages = @{ ComputeNode = 'hotdb-server-2.5.6-ga-20201101.tar.gz'; ConfigDbScripts = 'upgrade-sql'; Management = 'not/read.tar.gz' }
    Management = @{ ComputerName = 'mgmt' }
    ComputeNodes = @(
        @{ Name = 'pair'; Mode = 'MasterSlave'; Online = $true; ComputerName = 'hotdb-01', 'hotdb-02' }
        @{ Mode = 'Cluster'; ComputerName = 'mn1,mn2,mn3'; InstallPath = '/opt/hotdb-server' }
        @{ Name = 'dr'; Mode = 'DisasterRecovery'; ComputerName = 'dc1'; DrComputerName = 'dr1', 'dr2'; MasterCentreMode = 'SingleNode'; DrConfigDb = 'drconfigdb:3306' }
    )
    Backup = @{ ComputerName = 'ds1' }
}
'@
        $estate = Read-HotDbInventory -Inventory $file -Component ComputeNodes
        $estate.Ssh.UserName | Should -Be 'hotdb'
        $estate.Ssh.Port | Should -Be 2222
        $estate.Ssh.KeyFile | Should -Be ([IO.Path]::GetFullPath((Join-Path $estateFolder 'id_ed25519')))
        $estate.Packages.ComputeNode | Should -Be ([IO.Path]::GetFullPath((Join-Path $estateFolder 'hotdb-server-2.5.6-ga-20201101.tar.gz')))
        $estate.Packages.ConfigDbScripts | Should -Be ([IO.Path]::GetFullPath((Join-Path $estateFolder 'upgrade-sql')))
        @($estate.Groups.Mode) | Should -Be @('MasterSlave', 'Cluster', 'DisasterRecovery')
        $estate.Groups[0].Online | Should -BeTrue
        $estate.Groups[0].InstallPath | Should -Be '/usr/local/hotdb/hotdb-server'
        @($estate.Groups[1].ComputerName) | Should -Be @('mn1', 'mn2', 'mn3')
        $estate.Groups[1].InstallPath | Should -Be '/opt/hotdb-server'
        @($estate.Groups[2].DrComputerName) | Should -Be @('dr1', 'dr2')
    }

    It 'refuses <Case>, naming what is wrong' -ForEach @(
        @{ Case = 'an unknown top-level key'; Inventory = @{ ComputeNode = @(@{ Mode = 'SingleNode'; ComputerName = 'a' }) }; Pattern = "unknown key 'ComputeNode'" }
        @{ Case = 'no compute node group'; Inventory = @{ Ssh = @{ UserName = 'root' } }; Pattern = 'it names no compute node group \(ComputeNodes\)' }
        @{ Case = 'an unknown mode'; Inventory = @{ ComputeNodes = @(@{ Mode = 'Pair'; ComputerName = 'a', 'b' }) }; Pattern = "ComputeNodes\[1\]\.Mode 'Pair' is not one of SingleNode, MasterSlave, Cluster, DisasterRecovery" }
        @{ Case = 'a pair of one host'; Inventory = @{ ComputeNodes = @(@{ Name = 'ms'; Mode = 'MasterSlave'; ComputerName = 'a' }) }; Pattern = 'ComputeNodes\[1\]\.ComputerName \(MasterSlave\) takes 2 hosts; 1 given' }
        @{ Case = 'a DR group without its DR centre'; Inventory = @{ ComputeNodes = @(@{ Mode = 'DisasterRecovery'; ComputerName = 'a'; MasterCentreMode = 'SingleNode' }) }; Pattern = 'ComputeNodes\[1\]\.DrComputerName \(the DR centre\) takes 1 to 9 hosts; 0 given' }
        @{ Case = 'Online on a single node'; Inventory = @{ ComputeNodes = @(@{ Mode = 'SingleNode'; ComputerName = 'a'; Online = $true }) }; Pattern = 'ComputeNodes\[1\] has Online, which only a MasterSlave or Cluster group takes' }
        @{ Case = 'a host in two groups'; Inventory = @{ ComputeNodes = @(@{ Mode = 'SingleNode'; ComputerName = 'a' }, @{ Mode = 'MasterSlave'; ComputerName = 'b', 'A' }) }; Pattern = "host 'A' is listed twice \(in ComputeNodes\[1\] and ComputeNodes\[2\]\)" }
        @{ Case = 'a typo in a group key'; Inventory = @{ ComputeNodes = @(@{ Mode = 'SingleNode'; ComputerNames = 'a' }) }; Pattern = "unknown key 'ComputerNames'" }
        @{ Case = 'a bad Ssh port'; Inventory = @{ Ssh = @{ Port = 70000 }; ComputeNodes = @(@{ Mode = 'SingleNode'; ComputerName = 'a' }) }; Pattern = "Ssh\.Port '70000' is not a whole number from 1 to 65535" }
        @{ Case = 'a missing package'; Inventory = @{ Packages = @{ ComputeNode = '/nonexistent/hotdb-server-2.5.6-ga-20201101.tar.gz' }; ComputeNodes = @(@{ Mode = 'SingleNode'; ComputerName = 'a' }) }; Pattern = "Packages\.ComputeNode '.*': no such file" }
    ) {
        $message = try { Read-HotDbInventory -Inventory $Inventory -Component ComputeNodes; '' } catch { $_.Exception.Message }
        $message | Should -Match $Pattern
    }

    It 'needs no package for the pack, while -Upgrade requires the packages of each component, every problem in one refusal' {
        $estate = @{ Management = @{ ComputerName = 'mgmt' }; ComputeNodes = @(@{ Mode = 'SingleNode'; ComputerName = 'a' }) }
        @((Read-HotDbInventory -Inventory $estate -Component ComputeNodes).Groups.ComputerName) | Should -Be @('a')
        $estate.ComputeNodes += @{ Mode = 'Cluster'; ComputerName = 'b' }
        $message = try { Read-HotDbInventory -Inventory $estate -Upgrade; '' } catch { $_.Exception.Message }
        $message | Should -Match '^bad inventory the inventory: '
        $message | Should -Match 'Management needs Packages\.Management'
        $message | Should -Match 'ComputeNodes needs Packages\.ComputeNode;'
        $message | Should -Match 'ComputeNodes needs Packages\.ConfigDbScripts'
        $message | Should -Match 'ComputeNodes\[2\]\.ComputerName \(Cluster\) takes 2 to 9 hosts; 1 given'
    }

    It 'reads the older flat inventory as hosts to check, which the estate upgrade refuses' {
        $flat = @{ ComputerName = 'h1, h2'; Port = 2222; UserName = 'hotdb' }
        $estate = Read-HotDbInventory -Inventory $flat -Component ComputeNodes
        $estate.Groups.Count | Should -Be 1
        $estate.Groups[0].Mode | Should -Be 'Hosts'
        @($estate.Groups[0].ComputerName) | Should -Be @('h1', 'h2')
        $estate.Groups[0].InstallPath | Should -Be '/usr/local/hotdb/hotdb-server'
        $estate.Ssh.Port | Should -Be 2222
        $estate.Ssh.UserName | Should -Be 'hotdb'
        $message = try { Read-HotDbInventory -Inventory $flat -Upgrade; '' } catch { $_.Exception.Message }
        $message | Should -Match 'a flat inventory \(ComputerName, \.\.\.\) names hosts, not components'
    }

    It 'refuses an invalid inventory file with exit code 3 before contacting any host' {
        $file = Join-Path $estateFolder 'bad.psd1'
        Set-Content -Path $file -Value "@{ ComputeNodes = @(@{ Mode = 'Cluster'; ComputerName = '198.18.0.41' }) }"
        $run = Invoke-CompliancePack "-Inventory '$file'"
        $run.ExitCode | Should -Be 3 -Because $run.Output
        # Whitespace aside: pwsh may wrap a long error line anywhere.
        ($run.Output -replace '\s', '') | Should -Match 'badinventory.*bad\.psd1:ComputeNodes\[1\]\.ComputerName\(Cluster\)takes2to9hosts;1given'
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

    It 'goes red from an estate inventory: a pair on a host without HotDB fails every HA check it runs, the package pre-checks are skipped with a reason' {
        # Two names of the same loopback sshd make the pair; neither has HotDB.
        $knownPair = Join-Path $TestDrive 'known_hosts_pair'
        Set-Content -Path $knownPair -Value @($fx.KnownHostsLine, ($fx.KnownHostsLine -replace '^\[127\.0\.0\.1\]', '[127.1]'))
        $inventory = Join-Path $TestDrive 'pair.psd1'
        Set-Content -Path $inventory -Value @"
@{
    Ssh = @{ UserName = 'root'; KeyFile = '$($fx.RootKeyPath)'; KnownHostsPath = '$knownPair'; Port = $($fx.Port) }
    ComputeNodes = @( @{ Name = 'pair'; Mode = 'MasterSlave'; ComputerName = '127.0.0.1', '127.1' } )
}
"@
        $report = Join-Path $TestDrive 'pair.xml'
        $run = Invoke-CompliancePack "-Inventory '$inventory' -OutputFile '$report'"
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $cases = @(([xml](Get-Content $report -Raw)).SelectNodes('//test-case'))
        $ha = @($cases | Where-Object { $_.GetAttribute('description') -match '^HA\d ' })
        @($ha.GetAttribute('description') -replace ' .*') | Sort-Object -Unique | Should -Be @('HA1', 'HA2', 'HA3', 'HA4', 'HA5', 'HA6')
        # Not one HA check passes or is skipped there: HA4 too fails, as it is not NotVerified on a host without HotDB.
        @($ha | Where-Object { $_.GetAttribute('result') -ne 'Failure' }) | Should -BeNullOrEmpty
        $ha1 = @($ha | Where-Object { $_.GetAttribute('description') -match '^HA1 .* on 127\.0\.0\.1$' })
        $ha1.Count | Should -Be 1
        $ha1[0].InnerXml | Should -Match 'no HotDB compute node in /usr/local/hotdb/hotdb-server'
        $ha1[0].InnerXml | Should -Match 'remedy: \S'
        $cn = @($cases | Where-Object { $_.GetAttribute('description') -match '^CN ' })
        $cn.Count | Should -Be 1
        $cn[0].GetAttribute('result') | Should -Be 'Ignored'
        $cn[0].GetAttribute('description') | Should -Match '\(skipped: no compute node package'
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
