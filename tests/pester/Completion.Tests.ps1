# Tab completion as a user gets it: TabExpansion2 in this PowerShell, against real sessions, files and known_hosts.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:sshdMissing = -not (Test-SshdFixtureAvailable)
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    # Every parameter of every cmdlet that names a session, a host or a version, with the completer it must carry.
    $expected = @{ Session = 'SessionCompleter'; DrSession = 'SessionCompleter'; Id = 'SessionCompleter'; ComputerName = 'ComputerNameCompleter'
        Version = 'VersionCompleter'; From = 'VersionCompleter'; To = 'VersionCompleter' }
    $script:completedParameters = foreach ($command in Get-Command -Module HotDb.Upgrade -CommandType Cmdlet) {
        foreach ($name in $expected.Keys) {
            if ($command.Parameters.ContainsKey($name)) { @{ Command = $command.Name; Parameter = $name; Completer = $expected[$name] } }
        }
    }
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    function script:Complete([string] $Line) { @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches) }
    # A key blob of the right type, so the known_hosts lines below are valid entries.
    $script:ed25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIF6SfZnsrgFpQjLrHf7YDA9VPXF2qLatWpEVv1GzIdj9'
}

Describe 'Completers on every cmdlet parameter' -Tag Completion, Module {
    It '<Command> -<Parameter> has the <Completer>' -ForEach $completedParameters {
        $attribute = (Get-Command $Command).Parameters[$Parameter].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] }
        $attribute.Type.Name | Should -Be $Completer
    }
}

Describe 'Version completion' -Tag Completion {
    BeforeAll {
        $script:packages = New-Item -ItemType Directory (Join-Path $TestDrive 'packages')
        $script:scripts = New-Item -ItemType Directory (Join-Path $TestDrive 'upgrade sql')
        foreach ($name in 'hotdb-server-2.5.6-ga-20200101.tar.gz', 'hotdb-server-2.5.10-ga-20230101.tar.gz', 'hotdb-management-2.5.6-ga-20200102.tar.gz',
            'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz', 'readme.txt') {
            New-Item -ItemType File (Join-Path $packages $name) | Out-Null
        }
        foreach ($name in 'hotdb_config_2.5.3.sql', 'hotdb_config_2.5.4_add_columns.sql', 'hotdb_config_2.5.2_20200101.sql') {
            New-Item -ItemType File (Join-Path $scripts $name) | Out-Null
        }
    }

    It 'completes -To and -From with the versions of the scripts in -Path' {
        $to = Complete "Invoke-HotDbConfigDbUpgrade -Path '$scripts' -To "
        $to.CompletionText | Should -Be @('2.5.3', '2.5.4')
        $to[1].ToolTip | Should -Be 'hotdb_config_2.5.4_add_columns.sql'
        (Complete "Invoke-HotDbConfigDbUpgrade -Path '$scripts' -From 2.5.4").CompletionText | Should -Be '2.5.4'
    }

    It 'resolves a relative -Path against the PowerShell location, not the process directory' {
        Push-Location $TestDrive
        try { (Complete "Invoke-HotDbConfigDbUpgrade -Path './upgrade sql' -To ").CompletionText | Should -Be @('2.5.3', '2.5.4') }
        finally { Pop-Location }
    }

    It 'completes -Version from the packages in the current folder, oldest first, without JDKs' {
        Push-Location $packages
        try { $versions = Complete 'Backup-HotDbConfigDb -Version ' }
        finally { Pop-Location }
        $versions.CompletionText | Should -Be @('2.5.6', '2.5.10')
        $versions[0].ToolTip | Should -Match 'hotdb-management-2\.5\.6-ga-20200102\.tar\.gz'
        $versions[0].ToolTip | Should -Match 'hotdb-server-2\.5\.6-ga-20200101\.tar\.gz'
    }

    It 'offers nothing for a folder without packages or scripts' {
        $empty = New-Item -ItemType Directory (Join-Path $TestDrive 'empty')
        Complete "Invoke-HotDbConfigDbUpgrade -Path '$empty' -To " | Should -BeNullOrEmpty
    }
}

Describe 'Host name completion from known_hosts' -Tag Completion {
    BeforeAll {
        $script:knownHosts = Join-Path $TestDrive 'lab_known_hosts'
        Set-Content -Path $knownHosts -Value @(
            "ms1,198.18.0.31 ssh-ed25519 $ed25519"
            "ms2,198.18.0.32 ssh-ed25519 $ed25519"
            "[sn1]:2222 ssh-ed25519 $ed25519"
            "*.example.com ssh-ed25519 $ed25519"
        )
    }

    It 'completes -ComputerName with the names in the -KnownHostsPath already given' {
        $names = Complete "New-HotDbSession -KnownHostsPath '$knownHosts' -ComputerName ms"
        $names.CompletionText | Should -Be @('ms1', 'ms2')
        $names[0].ToolTip | Should -Match ([regex]::Escape($knownHosts))
        (Complete "New-HotDbSession -KnownHostsPath '$knownHosts' -ComputerName sn").ToolTip | Should -Match 'port 2222'
    }
}

Describe 'Session completion' -Tag Completion, Ssh -Skip:$sshdMissing {
    BeforeAll {
        $script:fx = Start-SshdFixture
        $script:sessionKnownHosts = Join-Path $TestDrive 'known_hosts'
        Set-Content -Path $sessionKnownHosts -Value $fx.KnownHostsLine
        $connect = @{ ComputerName = '127.0.0.1'; Port = $fx.Port; KnownHostsPath = $sessionKnownHosts }
        $script:session = New-HotDbSession @connect -Credential (New-FixtureCredential -RootKey) -KeyFile $fx.RootKeyPath
    }

    AfterAll {
        Get-HotDbSession | Remove-HotDbSession
        if ($script:fx) { Stop-SshdFixture $fx }
    }

    It '<Command> -<Parameter> completes the open session id with the host as tooltip' -ForEach @(
        @{ Command = 'Get-HotDbSession'; Parameter = 'Id' }
        @{ Command = 'Remove-HotDbSession'; Parameter = 'Id' }
        @{ Command = 'Invoke-HotDbCommand'; Parameter = 'Session' }
        @{ Command = 'Send-HotDbFile'; Parameter = 'Session' }
        @{ Command = 'Get-HotDbComputeNode'; Parameter = 'Session' }
        @{ Command = 'New-HotDbConfigDb'; Parameter = 'Session' }
    ) {
        $offered = Complete "$Command -$Parameter "
        $mine = $offered | Where-Object CompletionText -eq "$($session.Id)"
        $mine | Should -Not -BeNullOrEmpty
        $mine.ToolTip | Should -Be "root@127.0.0.1:$($fx.Port)"
        $offered.CompletionText | Should -Be @(Get-HotDbSession | ForEach-Object { "$($_.Id)" })
    }

    It 'completes -Session from the start of a host name' {
        (Complete 'Invoke-HotDbCommand -Session 127.0').CompletionText | Should -Contain "$($session.Id)"
        Complete 'Invoke-HotDbCommand -Session no-such-host' | Should -BeNullOrEmpty
    }

    It 'completes -ComputerName with the hosts of open sessions' {
        $names = Complete 'Get-HotDbSession -ComputerName 127.'
        $names.CompletionText | Should -Be '127.0.0.1'
        $names.ToolTip | Should -Match "Open session $($session.Id) "
    }

    It 'offers a closed session no more' {
        $other = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $sessionKnownHosts -Credential (New-FixtureCredential -RootKey) -KeyFile $fx.RootKeyPath
        (Complete 'Get-HotDbSession -Id ').CompletionText | Should -Contain "$($other.Id)"
        $other | Remove-HotDbSession
        (Complete 'Get-HotDbSession -Id ').CompletionText | Should -Not -Contain "$($other.Id)"
    }
}
