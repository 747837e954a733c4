BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:sshdMissing = -not (Test-SshdFixtureAvailable)
}

# Several sessions to the loopback sshd stand for several hosts. Concurrency is shown by the start and end times
# each host records, never by wall-clock thresholds.
BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    if (-not (Test-SshdFixtureAvailable)) { return }
    $script:fx = Start-SshdFixture
    $script:knownHosts = Join-Path $TestDrive 'known_hosts'
    Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
    $script:rootKey = New-FixtureCredential -RootKey
    $script:connect = @{ Port = $fx.Port; KnownHostsPath = $knownHosts; Credential = $rootKey; KeyFile = $fx.RootKeyPath }
    $script:hosts = @(New-HotDbSession -ComputerName (1..4 | ForEach-Object { '127.0.0.1' }) @connect)
    $script:work = (Invoke-HotDbCommand -Session $hosts[0] 'mktemp -d /tmp/hotdb-fanout-tests.XXXXXXXX').StandardOutput.Trim()

    # "start end" per result, in seconds; each host runs: date; sleep 2; date.
    function script:Get-Span($Result) {
        $start, $end = $Result.StandardOutput.Trim() -split '\s+' | ForEach-Object { [decimal]$_ }
        [pscustomobject]@{ Start = $start; End = $end }
    }
    $script:timed = 'date +%s.%N; sleep 2; date +%s.%N'
}

AfterAll {
    Get-HotDbSession | Remove-HotDbSession
    if ($script:fx) {
        if ($script:work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
        Stop-SshdFixture $fx
    }
}

Describe 'Fan-out across hosts' -Tag FanOut, Ssh -Skip:$sshdMissing {
    It 'opens the sessions of several names, one per name, in the order given' {
        $hosts.Count | Should -Be 4
        ($hosts.Id | Select-Object -Unique).Count | Should -Be 4
        $hosts | ForEach-Object { $_.Connected | Should -BeTrue }
    }

    It 'runs a command on every host at the same time' {
        $results = Invoke-HotDbCommand -Session $hosts $timed
        $results.Count | Should -Be 4
        $spans = $results | ForEach-Object { Get-Span $_ }
        # Every host started before any host ended: the four sleeps overlapped.
        ($spans.Start | Measure-Object -Maximum).Maximum | Should -BeLessThan ($spans.End | Measure-Object -Minimum).Minimum
    }

    It 'runs the sessions given on the pipeline at the same time too' {
        $spans = $hosts | Invoke-HotDbCommand $timed | ForEach-Object { Get-Span $_ }
        @($spans).Count | Should -Be 4
        ($spans.Start | Measure-Object -Maximum).Maximum | Should -BeLessThan ($spans.End | Measure-Object -Minimum).Minimum
    }

    It 'runs one host after another with -ThrottleLimit 1' {
        $spans = @(Invoke-HotDbCommand -Session $hosts[0..2] $timed -ThrottleLimit 1 | ForEach-Object { Get-Span $_ })
        $spans.Count | Should -Be 3
        # In input order, and each started only after the one before had ended.
        $spans[1].Start | Should -BeGreaterOrEqual $spans[0].End
        $spans[2].Start | Should -BeGreaterOrEqual $spans[1].End
    }

    It 'keeps the input order of the output, whatever order the hosts finish in' {
        # Each session has its own client port ($SSH_CLIENT); the first session's host sleeps, so it finishes last.
        $ports = @(Invoke-HotDbCommand -Session $hosts[0..2] 'set -- $SSH_CLIENT; echo $2' -ThrottleLimit 1 | ForEach-Object { $_.StandardOutput.Trim() })
        ($ports | Select-Object -Unique).Count | Should -Be 3
        $results = @(Invoke-HotDbCommand -Session $hosts[0..2] 'set -- $SSH_CLIENT; [ "$2" = "$P0" ] && sleep 2; echo $2 $(date +%s.%N)'.Replace('$P0', $ports[0]))
        $results.Count | Should -Be 3
        $out = $results | ForEach-Object { $port, $end = $_.StandardOutput.Trim() -split ' '; [pscustomobject]@{ Port = $port; End = [decimal]$end } }
        $out.Port | Should -Be $ports
        $out[0].End | Should -BeGreaterThan ([decimal]($out[1..2].End | Measure-Object -Maximum).Maximum)
    }

    It 'keeps a host''s failure to that host: the others return their results' {
        $closed = New-HotDbSession -ComputerName 127.0.0.1 @connect
        $closed | Remove-HotDbSession
        $results = Invoke-HotDbCommand -Session $hosts[0], $closed, $hosts[1] 'echo ok' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($results).Count | Should -Be 2
        $results.StandardOutput.Trim() | Should -Be @('ok', 'ok')
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SessionClosed,*'
        $problems[0].TargetObject | Should -Be $closed
    }

    It 'writes a non-zero exit as that host''s error and goes on' {
        $results = Invoke-HotDbCommand -Session $hosts[0..1] 'exit 3' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($results).Count | Should -Be 2
        $problems.Count | Should -Be 2
        $problems | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'RemoteCommandFailed,*' }
    }

    It 'asks ShouldProcess for every host and runs none with -WhatIf' {
        $marker = Join-Path $work 'whatif'
        Invoke-HotDbCommand -Session $hosts 'touch "$1"' -ArgumentList $marker -WhatIf | Should -BeNullOrEmpty
        Test-Path $marker | Should -BeFalse
    }

    It 'opens sessions concurrently and reports an unreachable name as its own error, in input order' {
        $closedPort = & { $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
        $names = '127.0.0.1', "127.0.0.1:$closedPort", 'localhost'
        $opened = @(New-HotDbSession -ComputerName $names @connect -Force -ErrorVariable problems -ErrorAction SilentlyContinue)
        try {
            $opened.ComputerName | Should -Be @('127.0.0.1', 'localhost')
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
            $problems[0].Exception.Message | Should -Match ":$closedPort"
        }
        finally { $opened | Remove-HotDbSession }
    }

    It 'sends a file to every host with one result per host and each copy verified' {
        $local = Join-Path $TestDrive 'payload.bin'
        [System.IO.File]::WriteAllBytes($local, [byte[]](1..255 * 400))
        $results = Send-HotDbFile -Session $hosts -Path $local -Destination "$work/payload.bin"
        $results.Count | Should -Be 4
        $results | ForEach-Object { $_.Sha256 | Should -Be (Get-FileHash $local -Algorithm SHA256).Hash.ToLowerInvariant() }
        (Get-FileHash "$work/payload.bin" -Algorithm SHA256).Hash | Should -Be (Get-FileHash $local -Algorithm SHA256).Hash
    }

    It 'sends every file to every host, host by host, and keeps a missing file to its own error' {
        $a = Join-Path $TestDrive 'a.txt'; Set-Content $a 'a'
        $b = Join-Path $TestDrive 'b.txt'; Set-Content $b 'b'
        $results = Send-HotDbFile -Session $hosts[0..1] -Path $a, (Join-Path $TestDrive 'missing.txt'), $b -Destination "$work/" -ErrorVariable problems -ErrorAction SilentlyContinue
        $results.Count | Should -Be 4
        ($results | ForEach-Object { Split-Path $_.LocalPath -Leaf }) | Should -Be @('a.txt', 'b.txt', 'a.txt', 'b.txt')
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'LocalFileNotFound,*'
    }
}

Describe 'Get-HotDbComputeNode across hosts' -Tag FanOut, Ssh -Skip:$sshdMissing {
    BeforeAll {
        # Installs whose java records when "java -version" started and ended (one per host), sleeping 2 s in between.
        $script:installs = foreach ($n in 1..3) {
            $dir = "$work/node$n/hotdb-server"
            $null = New-Item -ItemType Directory "$dir/conf", "$dir/bin", "$dir/lib", "$dir/jdk/bin" -Force
            Set-Content "$dir/conf/server.xml" "<?xml version=`"1.0`"?><hotdb:server xmlns:hotdb=`"x`"><system><property name=`"serverPort`">33$n`3</property></system></hotdb:server>"
            Set-Content "$dir/bin/hotdb_server" "#!/bin/sh`nJAVA_BIN=`"`$HOTDB_HOME`"/jdk/bin/java`n"
            Set-Content "$dir/jdk/bin/java" "#!/bin/sh`ndate +%s.%N >> '$dir/java.times'; sleep 2; date +%s.%N >> '$dir/java.times'`necho 'java version `"1.8.0_252`"' >&2`n"
            & chmod 0755 "$dir/jdk/bin/java"
            Set-Content "$dir/lib/hotdb-server-2.5.3.jar" 'not a zip'
            $dir
        }
    }

    It 'reads the hosts given on the pipeline at the same time, in input order, and reports a missing install as its own error' {
        $inputs = @(
            [pscustomobject]@{ Session = $hosts[0]; InstallPath = $installs[0] }
            [pscustomobject]@{ Session = $hosts[1]; InstallPath = "$work/nothing-here" }
            [pscustomobject]@{ Session = $hosts[2]; InstallPath = $installs[1] }
            [pscustomobject]@{ Session = $hosts[3]; InstallPath = $installs[2] }
        )
        $nodes = @($inputs | Get-HotDbComputeNode -ErrorVariable problems -ErrorAction SilentlyContinue)
        $nodes.ServerPort | Should -Be @(3313, 3323, 3333)
        $nodes.JavaReportedVersion | Should -Be @('1.8.0_252', '1.8.0_252', '1.8.0_252')
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ComputeNodeNotFound,*'
        $spans = foreach ($dir in $installs) {
            $start, $end = Get-Content "$dir/java.times" | ForEach-Object { [decimal]$_ }
            [pscustomobject]@{ Start = $start; End = $end }
        }
        ($spans.Start | Measure-Object -Maximum).Maximum | Should -BeLessThan ($spans.End | Measure-Object -Minimum).Minimum
    }
}
