BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:sshdMissing = -not (Test-SshdFixtureAvailable)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    if (-not (Test-SshdFixtureAvailable)) { return }
    $script:fx = Start-SshdFixture
    $script:knownHosts = Join-Path $TestDrive 'known_hosts'
    Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
    $script:rootKey = New-FixtureCredential -RootKey
    $script:connect = @{ ComputerName = '127.0.0.1'; Port = $fx.Port; KnownHostsPath = $knownHosts }
    $script:root = New-HotDbSession @connect -Credential $rootKey -KeyFile $fx.RootKeyPath
    $script:work = (Invoke-HotDbCommand -Session $root 'mktemp -d /tmp/hotdb-ssh-tests.XXXXXXXX').StandardOutput.Trim()

    # A command no other process runs: a sleep of an unused length (never reached), named by the pattern pgrep matches.
    function script:New-SleepMarker { "sleep 3$(Get-Random -Minimum 100000 -Maximum 999999).5" }
    # True once no process matches (polled: the remote kill follows the closed channel by a moment).
    function script:Wait-NoProcess([string] $Pattern) {
        for ($i = 0; $i -lt 100; $i++) {
            & pgrep -f $Pattern | Out-Null
            if ($LASTEXITCODE -ne 0) { return $true }
            Start-Sleep -Milliseconds 100
        }
        $false
    }
    function script:Wait-Process([string] $Pattern) {
        for ($i = 0; $i -lt 100; $i++) {
            & pgrep -f $Pattern | Out-Null
            if ($LASTEXITCODE -eq 0) { return $true }
            Start-Sleep -Milliseconds 100
        }
        $false
    }
}

AfterAll {
    Get-HotDbSession | Remove-HotDbSession
    if ($script:fx) {
        if ($script:work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
        Stop-SshdFixture $fx
    }
}

Describe 'New-HotDbSession' -Tag Ssh -Skip:$sshdMissing {
    It 'logs in as root with a key file and reports the verified host key' {
        $root.Connected | Should -BeTrue
        $root.UserName | Should -Be 'root'
        $root.HostKeyFingerprint | Should -Be $fx.HostFingerprint
        $root.HostKeyStatus.ToString() | Should -Be 'Trusted'
        (Invoke-HotDbCommand -Session $root 'id -u').StandardOutput.Trim() | Should -Be '0'
    }

    It 'logs in with a key given as a string' {
        $session = New-HotDbSession @connect -Credential $rootKey -KeyString (Get-Content $fx.RootKeyPath)
        try { (Invoke-HotDbCommand -Session $session 'id -un').StandardOutput.Trim() | Should -Be 'root' }
        finally { $session | Remove-HotDbSession }
    }

    It 'logs in with a password' {
        $session = New-HotDbSession @connect -Credential (New-FixtureCredential $fx.User)
        try { (Invoke-HotDbCommand -Session $session 'id -un').StandardOutput.Trim() | Should -Be $fx.User.UserName }
        finally { $session | Remove-HotDbSession }
    }

    It 'refuses a wrong password with a clear authentication error and keeps no session' {
        $before = @(Get-HotDbSession).Count
        $wrong = [pscredential]::new($fx.User.UserName, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        $session = New-HotDbSession @connect -Credential $wrong -ErrorVariable problems -ErrorAction SilentlyContinue
        $session | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'LoginRefused,*'
        $problems[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $problems[0].Exception.Message | Should -Match ([regex]::Escape("$($fx.User.UserName)@127.0.0.1:$($fx.Port)"))
        $problems[0].Exception.Message | Should -Not -Match 'not-the-password'
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'password'
        @(Get-HotDbSession).Count | Should -Be $before
    }

    It 'refuses an unknown host key and records nothing' {
        $empty = Join-Path $TestDrive 'unknown/known_hosts'
        $session = New-HotDbSession @connect -KnownHostsPath $empty -Credential $rootKey -KeyFile $fx.RootKeyPath -ErrorVariable problems -ErrorAction SilentlyContinue
        $session | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyUnknown,*'
        $problems[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $problems[0].Exception.Message | Should -Match ([regex]::Escape($fx.HostFingerprint))
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'AcceptKey'
        $empty | Should -Not -Exist
    }

    It 'records an unknown key with -AcceptKey in a form OpenSSH reads, and trusts it next time' {
        $path = Join-Path $TestDrive 'accept/known_hosts'
        $session = New-HotDbSession @connect -KnownHostsPath $path -Credential $rootKey -KeyFile $fx.RootKeyPath -AcceptKey
        $session.Connected | Should -BeTrue
        $session | Remove-HotDbSession
        (Get-Content $path) | Should -Be $fx.KnownHostsLine
        (& stat -c '%a' $path) | Should -Be '600'
        & ssh-keygen -F "[127.0.0.1]:$($fx.Port)" -f $path | Out-Null
        $LASTEXITCODE | Should -Be 0
        $again = New-HotDbSession @connect -KnownHostsPath $path -Credential $rootKey -KeyFile $fx.RootKeyPath
        $again.HostKeyStatus.ToString() | Should -Be 'Trusted'
        $again | Remove-HotDbSession
        @(Get-Content $path).Count | Should -Be 1
    }

    It 'does not record anything under -WhatIf' {
        $path = Join-Path $TestDrive 'whatif/known_hosts'
        $session = New-HotDbSession @connect -KnownHostsPath $path -Credential $rootKey -KeyFile $fx.RootKeyPath -AcceptKey -WhatIf
        $session | Should -BeNullOrEmpty
        $path | Should -Not -Exist
    }

    It 'trusts an unknown key for one session with -Force without recording it' {
        $path = Join-Path $TestDrive 'force/known_hosts'
        $session = New-HotDbSession @connect -KnownHostsPath $path -Credential $rootKey -KeyFile $fx.RootKeyPath -Force
        $session.HostKeyStatus.ToString() | Should -Be 'Unknown'
        $session | Remove-HotDbSession
        $path | Should -Not -Exist
    }

    It 'trusts hashed known_hosts entries written by ssh-keygen -H' {
        $path = Join-Path $TestDrive 'hashed_known_hosts'
        Set-Content -Path $path -Value $fx.KnownHostsLine
        & ssh-keygen -H -f $path 2>&1 | Out-Null
        (Get-Content $path) | Should -Match '^\|1\|'
        $session = New-HotDbSession @connect -KnownHostsPath $path -Credential $rootKey -KeyFile $fx.RootKeyPath
        $session.HostKeyStatus.ToString() | Should -Be 'Trusted'
        $session | Remove-HotDbSession
    }

    It 'refuses a changed host key, even with -AcceptKey and -Force, naming both fingerprints' {
        $other = New-OtherHostKey -Directory $TestDrive
        $path = Join-Path $TestDrive 'changed_known_hosts'
        Set-Content -Path $path -Value "[127.0.0.1]:$($fx.Port) $($other.KeyType) $($other.Blob)"
        $session = New-HotDbSession @connect -KnownHostsPath $path -Credential $rootKey -KeyFile $fx.RootKeyPath -AcceptKey -Force -ErrorVariable problems -ErrorAction SilentlyContinue
        $session | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyChanged,*'
        $problems[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $problems[0].Exception.Message | Should -Match 'CHANGED'
        $problems[0].Exception.Message | Should -Match ([regex]::Escape($other.Fingerprint))
        $problems[0].Exception.Message | Should -Match ([regex]::Escape($fx.HostFingerprint))
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'ssh-keygen -R'
        @(Get-Content $path).Count | Should -Be 1
    }

    It 'refuses a key marked @revoked' {
        $path = Join-Path $TestDrive 'revoked_known_hosts'
        $type, $blob = ($fx.HostPublicKey -split ' ')[0, 1]
        Set-Content -Path $path -Value @("@revoked * $type $blob", $fx.KnownHostsLine)
        New-HotDbSession @connect -KnownHostsPath $path -Credential $rootKey -KeyFile $fx.RootKeyPath -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'HostKeyRevoked,*'
    }

    It 'reports a known_hosts file it cannot write, and opens no session' {
        $blocker = Join-Path $TestDrive 'not-a-folder'
        Set-Content -Path $blocker -Value 'a file where a folder should be'
        New-HotDbSession @connect -KnownHostsPath (Join-Path $blocker 'known_hosts') -Credential $rootKey -KeyFile $fx.RootKeyPath -AcceptKey -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'KnownHostsNotWritable,*'
        $problems[0].CategoryInfo.Category | Should -Be 'WriteError'
    }

    It 'reports a port where nothing listens as a connection error' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $closedPort = $listener.LocalEndpoint.Port; $listener.Stop()
        New-HotDbSession -ComputerName 127.0.0.1 -Port $closedPort -KnownHostsPath $knownHosts -Credential $rootKey -KeyFile $fx.RootKeyPath -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
        $problems[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $problems[0].Exception.Message | Should -Match "127\.0\.0\.1:$closedPort"
    }

    It 'refuses a key file that is not a private key before connecting' {
        New-HotDbSession @connect -Credential $rootKey -KeyFile "$($fx.RootKeyPath).pub" -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SessionOptionsInvalid,*'
        $problems[0].Exception.Message | Should -Match 'private key'
    }

    It 'opens one session per computer name' {
        $sessions = New-HotDbSession -ComputerName '127.0.0.1', 'localhost' -Port $fx.Port -KnownHostsPath (Join-Path $TestDrive 'two') -Credential $rootKey -KeyFile $fx.RootKeyPath -Force
        try {
            $sessions.Count | Should -Be 2
            $sessions.ComputerName | Should -Be @('127.0.0.1', 'localhost')
            ($sessions.Id | Select-Object -Unique).Count | Should -Be 2
        }
        finally { $sessions | Remove-HotDbSession }
    }
}

Describe 'Get-HotDbSession and Remove-HotDbSession' -Tag Ssh -Skip:$sshdMissing {
    It 'finds sessions by id and computer name, and closes them from the pipeline' {
        $session = New-HotDbSession @connect -Credential $rootKey -KeyFile $fx.RootKeyPath
        (Get-HotDbSession -Id $session.Id).Id | Should -Be $session.Id
        (Get-HotDbSession -ComputerName '127.0.0.*').Id | Should -Contain $session.Id
        Get-HotDbSession -ComputerName 'db9*' | Should -BeNullOrEmpty
        Get-HotDbSession -Id $session.Id | Remove-HotDbSession
        $session.Connected | Should -BeFalse
        Get-HotDbSession -Id $session.Id -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SessionNotFound,*'
    }

    It 'formats sessions as a table with the host key' {
        $text = $root | Out-String -Width 120
        $text | Should -Match 'Id\s+ComputerName\s+Port\s+UserName\s+Elevation\s+Connected\s+HostKey'
        $text | Should -Match "127\.0\.0\.1\s+$($fx.Port)\s+root"
    }
}

Describe 'Invoke-HotDbCommand' -Tag Ssh -Skip:$sshdMissing {
    It 'returns exit code, standard output and standard error as an object' {
        $result = Invoke-HotDbCommand -Session $root 'echo out; echo err >&2; exit 3' -AllowFailure -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $result.ComputerName | Should -Be '127.0.0.1'
        $result.Command | Should -Be 'echo out; echo err >&2; exit 3'
        $result.ExitCode | Should -Be 3
        $result.StandardOutput | Should -Be "out`n"
        $result.StandardError | Should -Be "err`n"
        $result.Duration | Should -BeOfType [timespan]
    }

    It 'writes an error for a non-zero exit unless -AllowFailure, and still returns the result' {
        $result = Invoke-HotDbCommand -Session $root 'ls /nonexistent-hotdb' -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.ExitCode | Should -Not -Be 0
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'RemoteCommandFailed,*'
        $problems[0].Exception.Message | Should -Match 'nonexistent-hotdb'
        $problems[0].TargetObject.ExitCode | Should -Be $result.ExitCode
        { Invoke-HotDbCommand -Session $root 'exit 1' -ErrorAction Stop } | Should -Throw '*exited with code 1*'
    }

    It '-Verbose gives each host''s exit code and says when -AllowFailure kept an error back' {
        $said = Invoke-HotDbCommand -Session $root 'exit 4' -AllowFailure -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($said.Message -join "`n") | Should -Match 'exit code 4 after .* s; no error written because of -AllowFailure'
    }

    It 'takes sessions from the pipeline' {
        $results = $root, $root | Invoke-HotDbCommand 'echo piped'
        $results.Count | Should -Be 2
        $results.StandardOutput | Should -Be @("piped`n", "piped`n")
    }

    It 'passes hostile arguments literally and executes none of them' {
        $canary = "$work/canary"
        $hostile = @('', 'two words', "it's", '"q"', "`$(touch $canary)", "``touch $canary``", "; touch $canary", "&& touch $canary",
            "| touch $canary", "x`ntouch $canary", "tab`there", '*', '~', '-n', '--', '日本語', '$HOME', '\', '!!')
        $result = Invoke-HotDbCommand -Session $root 'printf "%s\0"' -ArgumentList $hostile
        $arrived = $result.StandardOutput.Split([char]0)
        $arrived[-1] | Should -Be ''
        $arrived[0..($arrived.Count - 2)] | Should -Be $hostile
        (Invoke-HotDbCommand -Session $root 'test -e' -ArgumentList $canary -AllowFailure).ExitCode | Should -Be 1
    }

    It 'stops a command at its timeout' {
        Invoke-HotDbCommand -Session $root 'sleep 30' -Timeout 1 -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'CommandTimedOut,*'
        $problems[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }

    It 'kills every process of a command stopped at its timeout' {
        $marker = New-SleepMarker
        # A child in the background and one in the foreground, under a shell that stays: all must go.
        Invoke-HotDbCommand -Session $root "sh -c '$marker; :' & $marker; wait" -Timeout 1 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'CommandTimedOut,*'
        Wait-NoProcess $marker | Should -BeTrue
    }

    It 'kills the command when the pipeline is stopped (Ctrl+C)' {
        $marker = New-SleepMarker
        $shell = [powershell]::Create()
        $null = $shell.AddCommand('Import-Module').AddArgument($env:HOTDB_UPGRADE_MODULE).AddStatement().
            AddCommand('Invoke-HotDbCommand').AddParameter('Session', $root).AddParameter('Command', "$marker; :")
        $running = $shell.BeginInvoke()
        try {
            Wait-Process "^$marker" | Should -BeTrue
            $shell.Stop()
            $running.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
            Wait-NoProcess $marker | Should -BeTrue
        }
        finally { $shell.Dispose() }
        (Invoke-HotDbCommand -Session $root 'echo usable').StandardOutput | Should -Be "usable`n"
    }

    It 'gives commands end of file on stdin' {
        $result = Invoke-HotDbCommand -Session $root 'cat; echo read-to-end' -Timeout 30
        $result.StandardOutput | Should -Be "read-to-end`n"
    }

    It 'refuses a NUL character as bad input before sending, and the session stays usable' {
        foreach ($call in @{ Command = "echo a`0b" }, @{ Command = 'echo'; ArgumentList = "a`0b" }) {
            $problem = $null
            try { Invoke-HotDbCommand -Session $root @call } catch { $problem = $_ }
            $problem.FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
            $problem.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $problem.Exception.Message | Should -Match 'NUL'
        }
        (Invoke-HotDbCommand -Session $root 'echo usable').StandardOutput | Should -Be "usable`n"
    }

    It 'refuses a command longer than one SSH request before sending it' {
        Invoke-HotDbCommand -Session $root ('echo ' + ('x' * 100KB)) -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
        $problems[0].Exception.Message | Should -Match 'at most \d+'
        (Invoke-HotDbCommand -Session $root 'echo usable').StandardOutput | Should -Be "usable`n"
    }

    It 'reports a removed session as closed, not as a missing elevation' {
        $session = New-HotDbSession @connect -Credential $rootKey -KeyFile $fx.RootKeyPath
        $session | Remove-HotDbSession
        Invoke-HotDbCommand -Session $session 'id' -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SessionClosed,*'
        $problems[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'New-HotDbSession'
        $problems[0].TargetObject | Should -Be $session
    }

    It 'runs nothing under -WhatIf' {
        $marker = "$work/whatif-marker"
        Invoke-HotDbCommand -Session $root 'touch' -ArgumentList $marker -WhatIf | Should -BeNullOrEmpty
        (Invoke-HotDbCommand -Session $root 'test -e' -ArgumentList $marker -AllowFailure).ExitCode | Should -Be 1
    }

    It 'formats results as a table' {
        Invoke-HotDbCommand -Session $root 'echo formatted' | Out-String -Width 120 | Should -Match 'ComputerName\s+ExitCode\s+Duration\s+Command\s+StandardOutput'
    }
}

Describe 'Sudo elevation' -Tag Ssh -Skip:$sshdMissing {
    BeforeAll {
        $script:sudoUser = New-HotDbSession @connect -Credential (New-FixtureCredential $fx.SudoUser) -Elevation Sudo -SudoCredential (New-FixtureCredential $fx.SudoUser)
    }
    AfterAll { $sudoUser | Remove-HotDbSession }

    It 'runs -Elevate steps as root through sudo for a non-root login' {
        $sudoUser.Elevation.ToString() | Should -Be 'Sudo'
        (Invoke-HotDbCommand -Session $sudoUser 'id -u').StandardOutput.Trim() | Should -Not -Be '0'
        (Invoke-HotDbCommand -Session $sudoUser 'id -u' -Elevate).StandardOutput.Trim() | Should -Be '0'
    }

    It 'keeps the sudo password away from the command and its command line' {
        # The command's stdin is /dev/null: cat cannot read the password sudo was given.
        $result = Invoke-HotDbCommand -Session $sudoUser 'cat; ps -eo args' -Elevate
        $result.StandardOutput | Should -Not -Match ([regex]::Escape($fx.SudoUser.Password))
        $result.Command | Should -Be 'cat; ps -eo args'
    }

    It 'passes quoted arguments through sudo unchanged' {
        $values = @("a b", "`$(id)", "it's")
        $result = Invoke-HotDbCommand -Session $sudoUser 'printf "%s\0"' -ArgumentList $values -Elevate
        $result.StandardOutput.Split([char]0)[0..2] | Should -Be $values
    }

    It 'fails an elevated step with a wrong sudo password' {
        $wrong = New-HotDbSession @connect -Credential (New-FixtureCredential $fx.SudoUser) -Elevation Sudo -SudoCredential ([pscredential]::new('x', (ConvertTo-SecureString 'wrong' -AsPlainText -Force)))
        try {
            $result = Invoke-HotDbCommand -Session $wrong 'id -u' -Elevate -AllowFailure
            $result.ExitCode | Should -Not -Be 0
            $result.StandardOutput | Should -Not -Match '^0'
        }
        finally { $wrong | Remove-HotDbSession }
    }

    It 'kills every process of an elevated command stopped at its timeout' {
        $marker = New-SleepMarker
        Invoke-HotDbCommand -Session $sudoUser "sh -c '$marker; :' & $marker; wait" -Elevate -Timeout 2 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'CommandTimedOut,*'
        Wait-NoProcess $marker | Should -BeTrue
    }

    It 'uploads into a root-owned folder with -Elevate, verified, with the mode, and leaves no temporary file' {
        $folder = "$work/root-only"
        Invoke-HotDbCommand -Session $root 'mkdir -m 0755 --' -ArgumentList $folder | Out-Null
        $local = Join-Path $TestDrive 'server.xml'
        Set-Content -Path $local -Value "<config user=`"it's`"/>"
        $hash = (Get-FileHash $local -Algorithm SHA256).Hash.ToLowerInvariant()

        Send-HotDbFile -Session $sudoUser -Path $local -Destination "$folder/" -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].CategoryInfo.Category | Should -Be 'PermissionDenied'

        $result = Send-HotDbFile -Session $sudoUser -Path $local -Destination "$folder/" -Mode 0640 -Elevate
        $result.Status.ToString() | Should -Be 'Uploaded'
        $result.Sha256 | Should -Be $hash
        (Invoke-HotDbCommand -Session $root 'stat -c %U:%a' -ArgumentList $result.RemotePath).StandardOutput.Trim() | Should -Be 'root:640'
        (Invoke-HotDbCommand -Session $root 'sha256sum --' -ArgumentList $result.RemotePath).StandardOutput.Substring(0, 64) | Should -Be $hash
        (Invoke-HotDbCommand -Session $root 'ls -A' -ArgumentList $folder).StandardOutput.Trim() | Should -Be 'server.xml'
        (Invoke-HotDbCommand -Session $root 'find /tmp -maxdepth 1 -name "hotdb-upload.*" -user' -ArgumentList $fx.SudoUser.UserName).StandardOutput | Should -BeNullOrEmpty

        $again = Send-HotDbFile -Session $sudoUser -Path $local -Destination "$folder/server.xml" -Mode 0600 -Elevate
        $again.Status.ToString() | Should -Be 'Skipped'
        (Invoke-HotDbCommand -Session $root 'stat -c %a' -ArgumentList $result.RemotePath).StandardOutput.Trim() | Should -Be '600'
    }

    It 'refuses -Elevate on a non-root session opened without elevation' {
        $plain = New-HotDbSession @connect -Credential (New-FixtureCredential $fx.User)
        try {
            Invoke-HotDbCommand -Session $plain 'id -u' -Elevate -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $problems[0].FullyQualifiedErrorId | Should -BeLike 'ElevationUnavailable,*'
            $problems[0].ErrorDetails.RecommendedAction | Should -Match 'Elevation Sudo'
        }
        finally { $plain | Remove-HotDbSession }
    }
}

Describe 'Send-HotDbFile' -Tag Ssh -Skip:$sshdMissing {
    BeforeAll {
        $script:big = Join-Path $TestDrive 'hotdb-server-2.5.6-ga-20200101.tar.gz'
        $bytes = [byte[]]::new(50MB)
        [System.Random]::new(42).NextBytes($bytes)
        [IO.File]::WriteAllBytes($big, $bytes)
        $script:bigHash = (Get-FileHash $big -Algorithm SHA256).Hash.ToLowerInvariant()
        $script:bigRemote = "$work/packages/"
        Invoke-HotDbCommand -Session $root 'mkdir -p' -ArgumentList $bigRemote | Out-Null

        # Upload in a second PowerShell so its progress records can be counted.
        $shell = [powershell]::Create()
        $null = $shell.AddCommand('Import-Module').AddArgument($env:HOTDB_UPGRADE_MODULE).AddStatement().
            AddCommand('Send-HotDbFile').AddParameter('Session', $root).AddParameter('Path', $big).AddParameter('Destination', $bigRemote)
        $script:firstUpload = $shell.Invoke()
        $script:uploadErrors = @($shell.Streams.Error)
        $script:progress = @($shell.Streams.Progress)
        $shell.Dispose()
    }

    It 'uploads 50 MB with a matching SHA-256 on both sides' {
        $uploadErrors | Should -BeNullOrEmpty
        $firstUpload.Count | Should -Be 1
        $firstUpload[0].Status.ToString() | Should -Be 'Uploaded'
        $firstUpload[0].Length | Should -Be 50MB
        $firstUpload[0].Sha256 | Should -Be $bigHash
        $firstUpload[0].RemotePath | Should -Be ($bigRemote + 'hotdb-server-2.5.6-ga-20200101.tar.gz')
        $remote = Invoke-HotDbCommand -Session $root 'sha256sum --' -ArgumentList $firstUpload[0].RemotePath
        $remote.StandardOutput.Substring(0, 64) | Should -Be $bigHash
        # No temporary file is left next to it.
        (Invoke-HotDbCommand -Session $root 'ls -A' -ArgumentList $bigRemote).StandardOutput.Trim() | Should -Be 'hotdb-server-2.5.6-ga-20200101.tar.gz'
    }

    It 'shows progress while uploading' {
        $running = @($progress | Where-Object RecordType -EQ 'Processing')
        $running.Count | Should -BeGreaterThan 1
        ($running.PercentComplete | Measure-Object -Maximum).Maximum | Should -Be 100
        @($running | Where-Object StatusDescription -Match 'MiB|Verifying').Count | Should -BeGreaterThan 0
        $progress[-1].RecordType.ToString() | Should -Be 'Completed'
        # One progress line per host, its status naming the file being sent.
        @($progress | Where-Object { "$($_.Activity) $($_.StatusDescription)" -match 'hotdb-server-2\.5\.6-ga-20200101\.tar\.gz' }).Count | Should -BeGreaterThan 0
    }

    It 'skips a second upload of the same file, and -Verbose says why' {
        $second = Send-HotDbFile -Session $root -Path $big -Destination $bigRemote -Verbose 4>&1
        $said = @($second | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $second = @($second | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $second.Count | Should -Be 1
        $second[0].Status.ToString() | Should -Be 'Skipped'
        $second[0].Sha256 | Should -Be $bigHash
        ($said.Message -join "`n") | Should -Match 'skipped .*hotdb-server-2\.5\.6-ga-20200101\.tar\.gz: the remote file already has the same SHA-256'
    }

    It 'replaces a different file at the destination' {
        $target = "$work/replace.bin"
        Invoke-HotDbCommand -Session $root 'echo old >' -ArgumentList $target | Out-Null
        $local = Join-Path $TestDrive 'replace.bin'
        Set-Content -Path $local -Value 'new content'
        $result = Send-HotDbFile -Session $root -Path $local -Destination $target
        $result.Status.ToString() | Should -Be 'Uploaded'
        (Invoke-HotDbCommand -Session $root 'cat' -ArgumentList $target).StandardOutput.Trim() | Should -Be 'new content'
    }

    It 'creates the file with the requested mode' {
        $local = Join-Path $TestDrive 'secret.cnf'
        Set-Content -Path $local -Value 'password=x'
        $result = Send-HotDbFile -Session $root -Path $local -Destination "$work/secret.cnf" -Mode 0600
        (Invoke-HotDbCommand -Session $root 'stat -c %a' -ArgumentList $result.RemotePath).StandardOutput.Trim() | Should -Be '600'
    }

    It 'round-trips hostile file names without executing them' {
        # Were a name executed, the canary would appear in the remote shell's working folder (root's home) or here.
        $canary = 'hotdb-canary-' + [Guid]::NewGuid().ToString('N')
        $folder = Join-Path $TestDrive 'hostile'
        New-Item -ItemType Directory $folder | Out-Null
        $names = @('a b.tar.gz', "it's.txt", "`$(touch $canary).txt", "; touch $canary", "``touch $canary``", "x && touch $canary",
            '-rf', "new`nline", "tab`tname", '*', '?', '~', '日本語.txt', '"quoted"')
        $remoteFolder = "$work/hostile dir `$(touch $canary)/"
        Invoke-HotDbCommand -Session $root 'mkdir -p --' -ArgumentList $remoteFolder | Out-Null
        foreach ($name in $names) {
            $local = Join-Path $folder $name
            [IO.File]::WriteAllText($local, "content of $name")
            $result = Send-HotDbFile -Session $root -Path $local -Destination $remoteFolder
            $result.Status.ToString() | Should -Be 'Uploaded'
            $result.RemotePath | Should -Be ($remoteFolder + $name)
            (Invoke-HotDbCommand -Session $root 'cat --' -ArgumentList $result.RemotePath).StandardOutput | Should -Be "content of $name"
            (Send-HotDbFile -Session $root -Path $local -Destination $remoteFolder).Status.ToString() | Should -Be 'Skipped'
        }
        $listing = (Invoke-HotDbCommand -Session $root 'find' -ArgumentList $remoteFolder, '-mindepth', '1', '-printf', '%f\0').StandardOutput.Split([char]0) |
            Where-Object { $_ }
        ($listing | Sort-Object) | Should -Be ($names | Sort-Object)
        (Invoke-HotDbCommand -Session $root 'cd && test -e' -ArgumentList $canary -AllowFailure).ExitCode | Should -Be 1
        (Invoke-HotDbCommand -Session $root 'test -e' -ArgumentList "$work/$canary" -AllowFailure).ExitCode | Should -Be 1
    }

    It 'reads a remote file back through the engine session (as backups do)' {
        $copy = [System.IO.MemoryStream]::new()
        $root.ReadFile($firstUpload[0].RemotePath, $copy, $null, [System.Threading.CancellationToken]::None)
        $copy.Length | Should -Be 50MB
        $copy.Position = 0
        ([System.Security.Cryptography.SHA256]::HashData($copy) | ForEach-Object { $_.ToString('x2') }) -join '' | Should -Be $bigHash
        { $root.ReadFile("$work/missing-file", [System.IO.MemoryStream]::new(), $null, [System.Threading.CancellationToken]::None) } |
            Should -Throw '*missing-file*does not exist*'
    }

    It 'sets the mode of an identical file that is not sent again' {
        $local = Join-Path $TestDrive 'now-secret.cnf'
        Set-Content -Path $local -Value 'password=y'
        $first = Send-HotDbFile -Session $root -Path $local -Destination "$work/now-secret.cnf" -Mode 0644
        (Invoke-HotDbCommand -Session $root 'stat -c %a' -ArgumentList $first.RemotePath).StandardOutput.Trim() | Should -Be '644'
        $second = Send-HotDbFile -Session $root -Path $local -Destination "$work/now-secret.cnf" -Mode 0600
        $second.Status.ToString() | Should -Be 'Skipped'
        (Invoke-HotDbCommand -Session $root 'stat -c %a' -ArgumentList $first.RemotePath).StandardOutput.Trim() | Should -Be '600'
    }

    It 'refuses a device or a FIFO as the source before touching any host' {
        $fifo = Join-Path $TestDrive 'a-fifo'
        & mkfifo $fifo
        foreach ($source in '/dev/zero', $fifo) {
            # In a second PowerShell, so that a hang fails the test instead of stopping the suite.
            $shell = [powershell]::Create()
            $null = $shell.AddCommand('Import-Module').AddArgument($env:HOTDB_UPGRADE_MODULE).AddStatement().
                AddCommand('Send-HotDbFile').AddParameter('Session', $root).AddParameter('Path', $source).AddParameter('Destination', "$work/from-a-stream")
            $running = $shell.BeginInvoke()
            if (-not $running.AsyncWaitHandle.WaitOne(30000)) {
                $null = $shell.BeginStop($null, $null)   # a read that never ends cannot be waited for
                throw "Sending $source hung."
            }
            $shell.EndInvoke($running) | Should -BeNullOrEmpty
            $shell.Streams.Error[0].FullyQualifiedErrorId | Should -BeLike 'LocalFileNotRegular,*'
            $shell.Streams.Error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $shell.Streams.Error[0].Exception.Message | Should -Match 'not a regular file'
            $shell.Dispose()
        }
        (Invoke-HotDbCommand -Session $root 'test -e' -ArgumentList "$work/from-a-stream" -AllowFailure).ExitCode | Should -Be 1
    }

    It 'reports a full disk per host, removes the partial file and goes on with the other hosts and files' {
        $full = "$work/full-disk"
        Invoke-HotDbCommand -Session $root 'mkdir -p --' -ArgumentList $full | Out-Null
        Invoke-HotDbCommand -Session $root 'mount -t tmpfs -o size=512k hotdb-full' -ArgumentList $full | Out-Null
        $second = New-HotDbSession @connect -Credential $rootKey -KeyFile $fx.RootKeyPath
        try {
            $tooBig = Join-Path $TestDrive 'too-big.bin'
            [IO.File]::WriteAllBytes($tooBig, [byte[]]::new(2MB))
            $small = Join-Path $TestDrive 'small.txt'
            Set-Content -Path $small -Value 'fits'
            # One host at a time: both sessions reach the same folder, so the second finds small.txt already there.
            $results = Send-HotDbFile -Session $root, $second -Path $tooBig, $small -Destination "$full/" -ThrottleLimit 1 -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems.Count | Should -Be 2
            $problems.TargetObject | Should -Be @($root, $second)
            foreach ($problem in $problems) {
                $problem.FullyQualifiedErrorId | Should -BeLike 'RemoteFileFailed,*'
                $problem.CategoryInfo.Category | Should -Be 'WriteError'
                $problem.ErrorDetails.RecommendedAction | Should -Match 'free space'
            }
            $results.Status.ForEach({ $_.ToString() }) | Should -Be @('Uploaded', 'Skipped')
            (Invoke-HotDbCommand -Session $root 'ls -A' -ArgumentList $full).StandardOutput.Trim() | Should -Be 'small.txt'
            # No removed partial file is still held open: its space is free again.
            [long] (Invoke-HotDbCommand -Session $root 'df --output=used -B1 --' -ArgumentList $full).StandardOutput.Trim().Split("`n")[-1] | Should -BeLessThan 64KB
        }
        finally {
            $second | Remove-HotDbSession
            Invoke-HotDbCommand -Session $root 'umount --lazy --' -ArgumentList $full | Out-Null
        }
    }

    It 'writes a clear error for a missing local file' {
        Send-HotDbFile -Session $root -Path (Join-Path $TestDrive 'nope.tar.gz') -Destination $work -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'LocalFileNotFound,*'
    }

    It 'formats transfers as a table' {
        Send-HotDbFile -Session $root -Path $big -Destination $bigRemote | Out-String -Width 120 | Should -Match 'ComputerName\s+Status\s+Size\s+Sha256\s+RemotePath'
    }
}
