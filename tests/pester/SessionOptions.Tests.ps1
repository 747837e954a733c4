BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:sshdMissing = -not (Test-SshdFixtureAvailable)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:packages = Join-Path $TestDrive 'packages'
    $null = New-Item -ItemType Directory $packages
    foreach ($name in 'hotdb-server-2.5.4-ga-20190812.tar.gz', 'hotdb-server-2.5.6-ga-20210115.tar.gz', 'hotdb-listener-0.0.1-linux.tar.gz', 'readme.txt', 'hotdb-server-[x].tar.gz') {
        [System.IO.File]::WriteAllText((Join-Path $packages $name), $name)
    }
}

Describe 'Get-HotDbPackage paths' -Tag Module {
    It 'expands wildcards, skips files that are not packages and gives each package its full path' {
        $found = @(Get-HotDbPackage (Join-Path $packages 'hotdb-*.tar.gz') -Verbose 4>&1)
        $read = @($found | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $read.FileName | Sort-Object | Should -Be @('hotdb-listener-0.0.1-linux.tar.gz', 'hotdb-server-2.5.4-ga-20190812.tar.gz', 'hotdb-server-2.5.6-ga-20210115.tar.gz')
        $read | ForEach-Object { $_.FullName | Should -Be (Join-Path $packages $_.FileName) }
        @($found | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Match 'hotdb-server-\[x\]\.tar\.gz'
    }

    It 'reports a pattern that matches no package' {
        Get-HotDbPackage (Join-Path $packages 'hotdb-backup-*') -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PackageNotFound,*'
    }

    It 'takes -LiteralPath as written, with no wildcard' {
        Get-HotDbPackage -LiteralPath (Join-Path $packages 'hotdb-server-*.tar.gz') -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'PackageNameNotRecognised,*'
        (Get-HotDbPackage -LiteralPath (Join-Path $packages 'hotdb-server-2.5.4-ga-20190812.tar.gz')).Version.ToString() | Should -Be '2.5.4'
    }

    It 'reads files piped from Get-ChildItem' {
        $read = Get-ChildItem $packages -Filter 'hotdb-server-2*' | Get-HotDbPackage
        $read.Version.ForEach({ "$_" }) | Sort-Object | Should -Be @('2.5.4', '2.5.6')
    }

}

Describe 'Session options and -Session by name or id' -Tag Ssh -Skip:$sshdMissing {
    BeforeAll {
        $script:fx = Start-SshdFixture
        $script:knownHosts = Join-Path $TestDrive 'known_hosts'
        Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
        $script:rootKey = New-FixtureCredential -RootKey
    }

    AfterAll {
        Get-HotDbSession | Remove-HotDbSession
        if ($script:fx) { Stop-SshdFixture $fx }
    }

    It 'binds a package to Update-HotDbComputeNode -Package by property name' {
        # The package's FullName arrives as -Package: the missing file is named in the error, before the host is touched.
        $package = Get-HotDbPackage (Join-Path $TestDrive 'elsewhere/hotdb-server-2.5.6-ga-20210115.tar.gz')
        $package.FullName | Should -Be (Join-Path $TestDrive 'elsewhere/hotdb-server-2.5.6-ga-20210115.tar.gz')
        $session = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath
        try {
            { $package | Update-HotDbComputeNode -Session $session -ErrorAction Stop } | Should -Throw -ExpectedMessage "*-Package*$($package.FullName)*does not exist*"
        }
        finally { $session | Remove-HotDbSession }
    }

    It 'binds a package to Send-HotDbFile -Path by property name' {
        $session = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath
        $remote = (Invoke-HotDbCommand -Session $session 'mktemp -d /tmp/hotdb-sessionopt.XXXXXXXX').StandardOutput.Trim()
        try {
            $sent = Get-HotDbPackage (Join-Path $packages 'hotdb-server-2.5.*.tar.gz') | Send-HotDbFile -Session $session -Destination "$remote/"
            $sent.LocalPath | Sort-Object | Should -Be @((Join-Path $packages 'hotdb-server-2.5.4-ga-20190812.tar.gz'), (Join-Path $packages 'hotdb-server-2.5.6-ga-20210115.tar.gz'))
            Get-Content "$remote/hotdb-server-2.5.6-ga-20210115.tar.gz" | Should -Be 'hotdb-server-2.5.6-ga-20210115.tar.gz'
        }
        finally {
            Remove-Item -LiteralPath $remote -Recurse -Force -ErrorAction SilentlyContinue
            $session | Remove-HotDbSession
        }
    }

    It 'opens a session from host:port, with the -Host and -KnownHost aliases' {
        $session = New-HotDbSession -Host "127.0.0.1:$($fx.Port)" -KnownHost $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath
        try {
            $session.ComputerName | Should -Be '127.0.0.1'
            $session.Port | Should -Be $fx.Port
        }
        finally { $session | Remove-HotDbSession }
    }

    It 'accepts -Computer and -HostName as aliases of -ComputerName' {
        foreach ($alias in 'Computer', 'HostName') {
            $splat = @{ $alias = '127.0.0.1'; Port = $fx.Port; KnownHostsPath = $knownHosts; Credential = $rootKey; KeyFile = $fx.RootKeyPath }
            $session = New-HotDbSession @splat
            $session.ComputerName | Should -Be '127.0.0.1'
            $session | Remove-HotDbSession
        }
    }

    It 'reads [IPv6]:port and reports a bad port' {
        New-HotDbSession -ComputerName '[::1]:1' -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath -ConnectionTimeout 2 -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $problems[0].Exception.Message | Should -Match '::1.*\b1\b'
        $problems[0].Exception.Message | Should -Not -Match "\b$($fx.Port)\b"
        New-HotDbSession -ComputerName '127.0.0.1:99999' -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath -ErrorVariable bad -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'ComputerNameInvalid,*'
    }

    It 'says so when the key file is a folder' {
        { New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $TestDrive -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*is a directory*'
    }

    It 'says so when the key file is the public key' {
        New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile "$($fx.RootKeyPath).pub" -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SessionOptionsInvalid,*'
        $problems[0].Exception.Message | Should -Match 'public key \(\.pub\)'
        $problems[0].ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape($fx.RootKeyPath) + "'")
    }

    It 'says so when the passphrase is wrong or missing' {
        $key = Join-Path $TestDrive 'protected_ed25519'
        & /usr/bin/ssh-keygen -q -t ed25519 -N 'right-phrase' -f $key
        $wrong = [pscredential]::new('root', (ConvertTo-SecureString 'wrong-phrase' -AsPlainText -Force))
        New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $wrong -KeyFile $key -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $problems[0].Exception.Message | Should -Match 'passphrase given is wrong'
        New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $key -ErrorVariable missing -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $missing[0].Exception.Message | Should -Match 'protected by a passphrase and none was given'
    }

    It 'takes an open session''s id or host name for -Session' {
        $first = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath
        $named = New-HotDbSession -ComputerName localhost -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath -Force
        try {
            (Invoke-HotDbCommand -Session $first.Id 'echo by-id').ComputerName | Should -Be '127.0.0.1'
            (Invoke-HotDbCommand -Session "$($first.Id)" 'echo by-id').ComputerName | Should -Be '127.0.0.1'
            (Invoke-HotDbCommand -Session 'LOCALHOST' 'echo by-name').ComputerName | Should -Be 'localhost'
            (Invoke-HotDbCommand -Session "$named" 'echo by-text').ComputerName | Should -Be 'localhost'
            @(Invoke-HotDbCommand -Session $first.Id, 'localhost' 'echo both').ComputerName | Should -Be @('127.0.0.1', 'localhost')
            $file = Join-Path $TestDrive 'sent.txt'; Set-Content $file 'x'
            (Send-HotDbFile -Session 'localhost' -Path $file -Destination "/tmp/hotdb-sessionopt-$($named.Id).txt").ComputerName | Should -Be 'localhost'
            Remove-Item "/tmp/hotdb-sessionopt-$($named.Id).txt" -ErrorAction SilentlyContinue
        }
        finally { $first, $named | Remove-HotDbSession }
    }

    It 'refuses a name that matches no open session, or several, naming what is open' {
        $a = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath
        $b = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath
        try {
            { Invoke-HotDbCommand -Session 'no-such-host' 'true' } | Should -Throw -ExpectedMessage "*No open session has the id or host name 'no-such-host'*$($a.Id) (*"
            { Invoke-HotDbCommand -Session '127.0.0.1' 'true' } | Should -Throw -ExpectedMessage "*Several open sessions go to '127.0.0.1'*give the session id*"
        }
        finally { $a, $b | Remove-HotDbSession }
    }

    It 'carries the SessionTransformation on every -Session parameter of the module' {
        $missing = foreach ($command in Get-Command -Module HotDb.Upgrade) {
            foreach ($parameter in $command.Parameters.Values | Where-Object { $_.Name -like '*Session' -and $_.ParameterType.Name -match 'SshSession|IRemoteHost' }) {
                if (-not ($parameter.Attributes | Where-Object { $_.GetType().Name -eq 'SessionTransformationAttribute' })) { "$($command.Name) -$($parameter.Name)" }
            }
        }
        $missing | Should -BeNullOrEmpty
        # And there are such parameters at all (the check is not vacuous).
        (Get-Command Invoke-HotDbCommand).Parameters['Session'].Attributes.ForEach({ $_.GetType().Name }) | Should -Contain 'SessionTransformationAttribute'
    }
}
