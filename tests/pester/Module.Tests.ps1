BeforeDiscovery {
    $script:manifestPath = $env:HOTDB_UPGRADE_MODULE
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:sshdMissing = -not (Test-SshdFixtureAvailable)
}

Describe 'HotDb.Upgrade module' -Tag Module {
    BeforeAll {
        Import-Module $env:HOTDB_UPGRADE_MODULE -Force
        $manifest = Test-ModuleManifest $env:HOTDB_UPGRADE_MODULE
    }

    It 'has a valid manifest for both editions from 5.1' {
        $manifest.PowerShellVersion | Should -Be ([version]'5.1')
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
    }

    It 'exports exactly the cmdlets the manifest lists, without wildcards' {
        $listed = (Import-PowerShellDataFile $env:HOTDB_UPGRADE_MODULE).CmdletsToExport
        $listed | Should -Not -Match '\*'
        $exported = (Get-Module HotDb.Upgrade).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be ($listed | Sort-Object)
    }

    It 'uses approved verbs and the HotDb noun prefix' {
        $approved = (Get-Verb).Verb
        foreach ($command in (Get-Command -Module HotDb.Upgrade)) {
            $approved | Should -Contain $command.Verb
            $command.Noun | Should -BeLike 'HotDb*'
        }
    }

    It 'loads the engine and its dependencies outside the default load context' {
        # Touch the engine first so it is loaded.
        Get-HotDbPackage -Path 'hotdb-server-2.5.4-ga-20190812.tar.gz' | Out-Null
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'HotDb.Upgrade.Engine' }
        $engine | Should -Not -BeNullOrEmpty
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($engine).Name | Should -Be 'HotDb.Upgrade'
    }
}

Describe 'Get-HotDbPackage' -Tag Module {
    BeforeAll { Import-Module $env:HOTDB_UPGRADE_MODULE -Force }

    It 'reads component, version and build date from vendor names on the pipeline' {
        $packages = 'hotdb-server-2.5.4-ga-20190812.tar.gz', 'hotdb-listener-0.0.1-linux.tar.gz' | Get-HotDbPackage
        $packages.Count | Should -Be 2
        $packages[0].Component | Should -Be 'ComputeNode'
        $packages[0].Version.ToString() | Should -Be '2.5.4'
        $packages[0].BuildDate | Should -Be ([datetime]'2019-08-12')
        $packages[1].Component | Should -Be 'Listener'
    }

    It 'writes a clear error naming the expected pattern for an unknown name' {
        $result = Get-HotDbPackage -Path 'hotdb-server-latest.tgz' -ErrorVariable problems -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PackageNameNotRecognised*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'hotdb-server-<version>-ga-<yyyymmdd>\.tar\.gz'
    }

    It 'sorts and compares versions numerically, and compares them with version text' {
        $names = 'hotdb-server-10.0.0-ga-20240101.tar.gz', 'hotdb-server-2.5.10-ga-20220101.tar.gz', 'hotdb-server-2.5.9-ga-20210101.tar.gz'
        ($names | Get-HotDbPackage | Sort-Object Version | ForEach-Object { "$($_.Version)" }) | Should -Be @('2.5.9', '2.5.10', '10.0.0')
        $package = Get-HotDbPackage 'hotdb-server-2.5.9-ga-20210101.tar.gz'
        $package.Version -lt '2.5.10' | Should -BeTrue
        $package.Version -eq '2.5.9' | Should -BeTrue
        $package.Version -ne (Get-HotDbPackage 'hotdb-server-2.5.9-ga-20200101.tar.gz').Version | Should -BeFalse
    }

    It 'reports a name with a huge number as a non-terminating error naming the file, and goes on' {
        $names = 'hotdb-server-2.5.99999999999999999999-ga-20190812.tar.gz', 'OpenJDK8U-jdk_x64_linux_hotspot_8u99999999999b09.tar.gz', 'hotdb-server-2.5.4-ga-20190812.tar.gz'
        $result = $names | Get-HotDbPackage -ErrorVariable problems -ErrorAction SilentlyContinue
        @($result).Count | Should -Be 1
        "$($result.Version)" | Should -Be '2.5.4'
        $problems.Count | Should -Be 2
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PackageNameNotRecognised*'
        $problems[0].TargetObject | Should -Be $names[0]
        $problems[0].Exception.Message | Should -Match ([regex]::Escape($names[0]) + '.*99999999999999999999 is too large')
        $problems[1].Exception.Message | Should -Match ([regex]::Escape($names[1]) + '.*99999999999 is too large')
    }

    It 'formats as a table by default' {
        $text = Get-HotDbPackage 'hotdb-server-2.5.4-ga-20190812.tar.gz' | Out-String -Width 120
        $text | Should -Match 'Component\s+Version\s+BuildDate\s+FileName'
        $text | Should -Match 'ComputeNode\s+2\.5\.4\s+2019-08-12'
    }
}

Describe 'Dependency isolation' -Tag Module {
    BeforeAll {
        $script:foreignSshNet = (Get-ChildItem (Join-Path $env:HOTDB_UPGRADE_TOOLS 'ssh.net/2024.2.0/lib/net8.0/Renci.SshNet.dll')).FullName
    }

    It 'imports and works after another Renci.SshNet version is loaded' {
        # A fresh process, so the foreign assembly is loaded before the module, as Posh-SSH would.
        $script = @"
`$ErrorActionPreference = 'Stop'
`$foreign = [System.Reflection.Assembly]::LoadFrom('$foreignSshNet')
Import-Module '$($env:HOTDB_UPGRADE_MODULE)'
`$package = Get-HotDbPackage 'hotdb-server-2.5.4-ga-20190812.tar.gz'
'{0}|{1}' -f `$foreign.GetName().Version, `$package.Version
"@
        $output = & dotnet pwsh -NoProfile -NonInteractive -Command $script
        $LASTEXITCODE | Should -Be 0
        $fields = ($output | Select-Object -Last 1) -split '\|'
        $fields[0] | Should -BeLike '2024.2*'
        $fields[1] | Should -Be '2.5.4'
    }

    Context 'with a real sshd' -Tag Ssh -Skip:$sshdMissing {
        BeforeAll {
            Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
            $script:fx = Start-SshdFixture
            $script:knownHosts = Join-Path $TestDrive 'known_hosts'
            Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
        }
        AfterAll { if ($script:fx) { Stop-SshdFixture $fx } }

        It 'opens a session and runs a command while the foreign Renci.SshNet is loaded' {
            # The foreign assembly is only loaded, never used; the module's own SSH.NET must do the work.
            $script = @"
`$ErrorActionPreference = 'Stop'
`$foreign = [System.Reflection.Assembly]::LoadFrom('$foreignSshNet')
Import-Module '$($env:HOTDB_UPGRADE_MODULE)'
`$credential = [pscredential]::new('root', [securestring]::new())
`$session = New-HotDbSession -ComputerName 127.0.0.1 -Port $($fx.Port) -Credential `$credential -KeyFile '$($fx.RootKeyPath)' -KnownHostsPath '$knownHosts'
`$result = Invoke-HotDbCommand -Session `$session 'echo isolated-`$(id -u)'
`$ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Renci.SshNet' -and `$_ -ne `$foreign }
`$session | Remove-HotDbSession
'{0}|{1}|{2}' -f `$foreign.GetName().Version, `$result.StandardOutput.Trim(), (@(`$ours)[0].GetName().Version)
"@
            $output = & dotnet pwsh -NoProfile -NonInteractive -Command $script
            $LASTEXITCODE | Should -Be 0
            $fields = ($output | Select-Object -Last 1) -split '\|'
            $fields[0] | Should -BeLike '2024.2*'
            $fields[1] | Should -Be 'isolated-0'
            $fields[2] | Should -BeLike '2026.*'
        }
    }
}

Describe 'Cmdlet conventions' -Tag Module {
    BeforeAll {
        Import-Module $env:HOTDB_UPGRADE_MODULE -Force
        # Verbs that only read or report; everything else changes state and must honour -WhatIf/-Confirm.
        $readOnlyVerbs = 'Get', 'Test', 'Compare', 'Find', 'Measure', 'Read', 'Resolve', 'Show', 'Watch'
        $commands = Get-Command -Module HotDb.Upgrade
        # Build an in-memory description only, like New-Object (a plan also runs read-only checks): nothing to confirm.
        $inMemoryOnly = @('New-HotDbConfigDb', 'New-HotDbUpgradePlan')
        # Write nothing to the pipeline by design.
        $silent = @('Remove-HotDbSession')
    }

    It 'every state-changing cmdlet supports -WhatIf and -Confirm' {
        $missing = $commands | Where-Object { $_.Verb -notin $readOnlyVerbs -and $_.Name -notin $inMemoryOnly -and -not $_.Parameters.ContainsKey('WhatIf') }
        $missing.Name | Should -BeNullOrEmpty
        ($commands | Where-Object Verb -NotIn $readOnlyVerbs).Count | Should -BeGreaterThan 0
    }

    It 'every typed output has a format view' {
        $withoutView = foreach ($command in $commands) {
            foreach ($type in $command.OutputType) {
                if ($type.Type -and $type.Type.Namespace -like 'HotDb.Upgrade*' -and -not (Get-FormatData -TypeName $type.Name)) {
                    "$($command.Name) -> $($type.Name)"
                }
            }
        }
        $withoutView | Should -BeNullOrEmpty
    }

    It 'every cmdlet declares what it outputs' {
        ($commands | Where-Object { -not $_.OutputType -and $_.Name -notin $silent }).Name | Should -BeNullOrEmpty
    }
}
