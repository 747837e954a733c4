# The lab's own infrastructure (tests/lab): hosts, SSH, keepalived, MariaDB, faults, teardown.
# Every Describe that starts a lab stops it in AfterAll, whatever happened before.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../lab/HotDbLab.psm1') -Force
    $script:skipReason = Get-HotDbLabSupport
    if ($script:skipReason) { Write-Host "Lab tests skipped: $script:skipReason" -ForegroundColor Yellow }
    $script:pairTopology = Join-Path $PSScriptRoot '../lab/topology.pair.psd1'
    # Another developer's test run may hold the machine's one lab: wait for it rather than fail.
    $script:labWait = 900

    function Invoke-LabSsh {
        # The OpenSSH client with strict host-key checking against the lab's known_hosts only.
        param(
            [Parameter(Mandatory)] $LabHost,
            [Parameter(Mandatory)] [string] $Command,
            [string] $User = 'root',
            [string] $KnownHosts = $LabHost.KnownHostsPath,
            [string] $InputText
        )
        $key = if ($User -eq 'root') { $LabHost.RootKeyPath } else { $LabHost.LoginKeyPath }
        $arguments = @('-i', $key, '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$KnownHosts",
            '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
            '-o', 'ConnectTimeout=5', '-p', [string]$LabHost.SshPort, "$User@$($LabHost.Address)", $Command)
        $output = if ($InputText) { $InputText | & ssh @arguments 2>&1 } else { & ssh -n @arguments 2>&1 }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | ForEach-Object { "$_" }) -join "`n" }
    }

    function Get-LabLeftover {
        # Everything a stopped lab must not leave: namespaces, veths, the bridge, mounts, live processes.
        param([int[]] $Pids = @(), [string] $StatePath)
        $leftover = @()
        foreach ($processId in $Pids) {
            $status = "/proc/$processId/status"
            if ((Test-Path $status) -and -not ((Get-Content $status) -match '^State:\s+Z')) { $leftover += "process $processId" }
        }
        # Another developer's waiting test run may take the machine's lab the moment ours is gone: their
        # namespaces are not our leftovers.
        if (Test-Path /run/hotdb-lab/owner.json) {
            $owner = Get-Content /run/hotdb-lab/owner.json -Raw | ConvertFrom-Json
            if ($owner.Pid -ne $PID) { return $leftover }
        }
        $leftover += (& ip netns list) | Where-Object { $_ -like 'hotdblab-*' } | ForEach-Object { "netns $_" }
        $leftover += (& ip -o link show) | Where-Object { $_ -match '^\d+: (hdblab0|hl-[^:@]+)[:@]' } | ForEach-Object { "link $($Matches[1])" }
        $leftover += (& findmnt -rn -o TARGET,SOURCE,OPTIONS) | Where-Object { $_ -match 'hotdblab-|/usr/local/hotdb' -or ($StatePath -and $_.Contains($StatePath)) } | ForEach-Object { "mount $_" }
        $leftover += (& ps -eo pid=,args=) | Where-Object { $_ -match 'hotdb-lab-host|hotdblab-' } | ForEach-Object { "process $_" }
        if (Test-Path /run/hotdb-lab) { $leftover += 'lock /run/hotdb-lab' }
        $leftover
    }

    function Get-LabPid {
        (& ip netns list) | Where-Object { $_ -like 'hotdblab-*' } | ForEach-Object { & ip netns pids (($_ -split ' ')[0]) } | ForEach-Object { [int]$_ }
    }
}

Describe 'Lab topology' -Tag Lab {
    It 'reads the default topology: every mode of the manual, addresses in 198.18.0.0/24 only' {
        $topology = Read-HotDbLabTopology (Join-Path $PSScriptRoot '../lab/topology.default.psd1')
        $topology.Hosts.Name | Should -Be @('configdb', 'mgmt', 'sn1', 'ms1', 'ms2', 'mn1', 'mn2', 'mn3', 'ds1', 'ds2', 'drconfigdb', 'dr1', 'dr2')
        $topology.Hosts | ForEach-Object { $_.Address | Should -Match '^198\.18\.0\.\d+$' }
        $topology.Groups.ms.Vip | Should -Be '198.18.0.140'
        ($topology.Hosts | Where-Object Name -EQ 'ms1').Keepalived | Should -Be 'master'
    }

    It 'rejects <Case> with a clear message' -TestCases @(
        @{ Case = 'an address outside the lab network'; Hosts = @(@{ Name = 'a'; Address = '10.0.0.5'; Roles = @('computenode') }); Message = '*not a host address in 198.18.0.0/24*' }
        @{ Case = 'the bridge address'; Hosts = @(@{ Name = 'a'; Address = '198.18.0.1'; Roles = @('computenode') }); Message = '*already the bridge*' }
        @{ Case = 'an unknown role'; Hosts = @(@{ Name = 'a'; Address = '198.18.0.5'; Roles = @('webserver') }); Message = "*unknown role 'webserver'*" }
        @{ Case = 'an unknown key'; Hosts = @(@{ Name = 'a'; Address = '198.18.0.5'; Roles = @('computenode'); Adress = 'x' }); Message = "*unknown key 'Adress'*" }
        @{ Case = 'a duplicate name'; Hosts = @(@{ Name = 'a'; Address = '198.18.0.5' }, @{ Name = 'a'; Address = '198.18.0.6' }); Message = "*'a' appears more than once*" }
        @{ Case = 'keepalived without a VIP group'; Hosts = @(@{ Name = 'a'; Address = '198.18.0.5'; Roles = @('keepalived') }); Message = '*keepalived role but its group has no Vip*' }
        @{ Case = 'a DR replica without a ConfigDB'; Hosts = @(@{ Name = 'a'; Address = '198.18.0.5'; Roles = @('drconfigdb') }); Message = '*add a host with the configdb role*' }
    ) {
        { Read-HotDbLabTopology @{ Hosts = $Hosts } } | Should -Throw -ExpectedMessage $Message
    }
}

Describe 'Lab estate (ConfigDB, DR replica, master/slave pair, single node)' -Tag Lab {
    BeforeAll {
        if ($skipReason) { return }
        $null = Start-HotDbLab -Topology $pairTopology -WaitSeconds $labWait
        $script:hosts = @(Get-HotDbLab)
        $script:byName = @{}
        foreach ($labHost in $hosts) { $byName[$labHost.Name] = $labHost }
    }
    AfterAll { if (-not $skipReason) { Stop-HotDbLab } }
    BeforeEach { if ($skipReason) { Set-ItResult -Skipped -Because $skipReason } }

    It 'lets root log in to every host by key with strict host-key checking, and each host names itself' {
        foreach ($labHost in $hosts) {
            $result = Invoke-LabSsh $labHost 'hostname; id -un'
            $result.ExitCode | Should -Be 0 -Because $result.Output
            $result.Output | Should -Be "$($labHost.Name)`nroot"
        }
    }

    It 'refuses a host whose key is not in known_hosts' {
        $empty = Join-Path $TestDrive 'empty_known_hosts'
        Set-Content $empty ''
        $result = Invoke-LabSsh $byName.sn1 'hostname' -KnownHosts $empty
        $result.ExitCode | Should -Not -Be 0
        $result.Output | Should -Match 'Host key verification failed'
    }

    It 'lets the login user in by key, with sudo behind its password' {
        $password = (Get-HotDbLabCredential -UserName labadmin).GetNetworkCredential().Password
        $result = Invoke-LabSsh $byName.ms1 "id -un; sudo -S -p '' id -un" -User labadmin -InputText $password
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Be "labadmin`nroot"
        $denied = Invoke-LabSsh $byName.ms1 "sudo -S -p '' id -un" -User labadmin -InputText 'wrong-password'
        $denied.ExitCode | Should -Not -Be 0
    }

    It 'accepts the root password from the lab secrets (password authentication)' {
        $askPass = Join-Path $TestDrive 'askpass.sh'
        Write-Output "#!/bin/sh`nexec cat '$(Join-Path $TestDrive 'pw')'" | Set-Content $askPass
        & chmod 700 $askPass
        (Get-HotDbLabCredential -UserName root).GetNetworkCredential().Password | Set-Content (Join-Path $TestDrive 'pw') -NoNewline
        & chmod 600 (Join-Path $TestDrive 'pw')
        $env:SSH_ASKPASS = $askPass; $env:SSH_ASKPASS_REQUIRE = 'force'
        try {
            $output = & ssh -n -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$($byName.sn1.KnownHostsPath)" -o PubkeyAuthentication=no `
                -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 "root@$($byName.sn1.Address)" hostname 2>&1
        }
        finally { Remove-Item Env:SSH_ASKPASS, Env:SSH_ASKPASS_REQUIRE }
        $LASTEXITCODE | Should -Be 0 -Because "$output"
        "$output" | Should -Be 'sn1'
    }

    It 'shows each host only its own address in ip addr (and the VIP on ms1 only)' {
        foreach ($labHost in $hosts) {
            $result = Invoke-LabSsh $labHost 'ip -o -4 addr show | awk ''{ print $2, $4 }'''
            $expected = @('lo 127.0.0.1/8', "eth0 $($labHost.Address)/24")
            if ($labHost.Name -eq 'ms1') { $expected += 'eth0 198.18.0.140/24' }
            ($result.Output -split "`n") | Should -Be $expected
        }
    }

    It 'gives every host its own /usr/local/hotdb: a file written on one is invisible on the others' {
        $marker = "lab-$([guid]::NewGuid().ToString('n'))"
        (Invoke-LabSsh $byName.ms1 "echo $marker > /usr/local/hotdb/$marker.txt && chown hotdb:hotdb /usr/local/hotdb/$marker.txt").ExitCode | Should -Be 0
        (Invoke-LabSsh $byName.ms1 "stat -c %U:%G /usr/local/hotdb/$marker.txt").Output | Should -Be 'hotdb:hotdb'
        foreach ($other in $hosts | Where-Object Name -NE 'ms1') {
            (Invoke-LabSsh $other "test -e /usr/local/hotdb/$marker.txt").ExitCode | Should -Be 1 -Because "$($other.Name) must not see ms1's file"
        }
        Test-Path "/usr/local/hotdb/$marker.txt" | Should -BeFalse -Because 'the lab machine must not see it either'
        Get-Content (Join-Path $byName.ms1.HotDbPath "$marker.txt") | Should -Be $marker
    }

    It 'gives every host its own processes, /etc/keepalived and login profile' {
        (Invoke-LabSsh $byName.sn1 'pgrep -c keepalived').Output | Should -Be '0'
        (Invoke-LabSsh $byName.ms1 'grep -c "priority 100" /etc/keepalived/keepalived.conf').Output | Should -Be '1'
        (Invoke-LabSsh $byName.ms2 'grep -c "priority 95" /etc/keepalived/keepalived.conf').Output | Should -Be '1'
        (Invoke-LabSsh $byName.ms1 'echo "export LAB_PROFILE_OF=ms1" >> /root/.profile').ExitCode | Should -Be 0
        (Invoke-LabSsh $byName.ms1 'bash -lc ''echo "of:$LAB_PROFILE_OF"''').Output | Should -Be 'of:ms1'
        (Invoke-LabSsh $byName.ms2 'bash -lc ''echo "of:$LAB_PROFILE_OF"''').Output | Should -Be 'of:'
    }

    It 'manages keepalived with service start|stop|status|reload as on CentOS' {
        $status = Invoke-LabSsh $byName.ms2 'service keepalived status'
        $status.ExitCode | Should -Be 0
        $status.Output | Should -Match '^keepalived \(pid\s+\d+\) is running\.\.\.$'
        (Invoke-LabSsh $byName.ms2 'service keepalived reload').Output | Should -Match 'Reloading keepalived:\s+\[  OK  \]'
        (Invoke-LabSsh $byName.ms2 'service keepalived stop').Output | Should -Match 'Stopping keepalived:\s+\[  OK  \]'
        $stopped = Invoke-LabSsh $byName.ms2 'service keepalived status'
        $stopped.ExitCode | Should -Be 3
        $stopped.Output | Should -Be 'keepalived is stopped'
        (Invoke-LabSsh $byName.ms2 'pgrep -c keepalived').Output | Should -Be '0'
        (Invoke-LabSsh $byName.ms2 'service keepalived start').Output | Should -Match 'Starting keepalived:\s+\[  OK  \]'
        (Invoke-LabSsh $byName.ms2 'service keepalived status').ExitCode | Should -Be 0
        $unknown = Invoke-LabSsh $byName.ms2 'service hotdb-nothing status'
        $unknown.ExitCode | Should -Be 1
        $unknown.Output | Should -Match 'unrecognized service'
    }

    It 'reaches MariaDB on configdb from every host as hotdb_config and hotdb_cloud' {
        $credentials = 'hotdb_config', 'hotdb_cloud' | ForEach-Object { Get-HotDbLabCredential -UserName $_ }
        foreach ($labHost in $hosts) {
            foreach ($credential in $credentials) {
                $options = "[client]`nuser=$($credential.UserName)`npassword=$($credential.GetNetworkCredential().Password)`n"
                $result = Invoke-LabSsh $labHost "umask 077; cat > /root/.lab-probe.cnf; mysql --defaults-extra-file=/root/.lab-probe.cnf -h 198.18.0.10 -N -e 'SELECT CURRENT_USER(), @@hostname'; rc=`$?; rm -f /root/.lab-probe.cnf; exit `$rc" -InputText $options
                $result.ExitCode | Should -Be 0 -Because "$($labHost.Name): $($result.Output)"
                $result.Output | Should -Be "$($credential.UserName)@%`tconfigdb"
            }
        }
        (Invoke-LabSsh $byName.configdb 'mysql -N -e "SHOW DATABASES LIKE ''hotdb%''"; command -v mysqldump').Output |
            Should -Be "hotdb_cloud_config`nhotdb_config`n/usr/bin/mysqldump"
    }

    It 'replicates a write on configdb to the DR ConfigDB' {
        $value = [guid]::NewGuid().ToString('n')
        $write = Invoke-LabSsh $byName.configdb 'mysql hotdb_config' -InputText "CREATE TABLE IF NOT EXISTS lab_probe (v VARCHAR(64) PRIMARY KEY); INSERT INTO lab_probe VALUES ('$value');"
        $write.ExitCode | Should -Be 0 -Because $write.Output
        $deadline = (Get-Date).AddSeconds(10)
        do {
            $read = Invoke-LabSsh $byName.drconfigdb "mysql -N -e `"SELECT v FROM hotdb_config.lab_probe WHERE v = '$value'`""
            if ($read.Output -eq $value) { break }
            Start-Sleep -Milliseconds 200
        } while ((Get-Date) -lt $deadline)
        $read.Output | Should -Be $value
        (Invoke-LabSsh $byName.drconfigdb 'mysql -N -e "SELECT @@server_id"').Output | Should -Be '2'
    }

    It 'moves VIP 198.18.0.140 from ms1 to ms2 within 10 s when ms1''s track script fails' {
        $vip = $byName.ms1.Vip
        $vip | Should -Be '198.18.0.140'
        (Invoke-LabSsh $byName.ms1 'ip -o -4 addr show dev eth0').Output | Should -Match ([regex]::Escape(" $vip/24"))
        (Invoke-LabSsh $byName.ms2 'ip -o -4 addr show dev eth0').Output | Should -Not -Match ([regex]::Escape(" $vip/"))
        $check = '/usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh'
        (Invoke-LabSsh $byName.ms1 "cp $check $check.good && printf '#!/bin/sh\nexit 1\n' > $check").ExitCode | Should -Be 0
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            do {
                $onMs2 = (Invoke-LabSsh $byName.ms2 'ip -o -4 addr show dev eth0').Output -match [regex]::Escape(" $vip/")
                $onMs1 = (Invoke-LabSsh $byName.ms1 'ip -o -4 addr show dev eth0').Output -match [regex]::Escape(" $vip/")
                if ($onMs2 -and -not $onMs1) { break }
                Start-Sleep -Milliseconds 250
            } while ($clock.Elapsed.TotalSeconds -lt 10)
            $onMs2 | Should -BeTrue -Because 'ms2 must take the VIP'
            $onMs1 | Should -BeFalse -Because 'ms1 must release it'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
            (Invoke-LabSsh $byName.ms2 'ip -o -4 addr show label eth0:1').Output | Should -Match ([regex]::Escape(" $vip/24"))
        }
        finally { Invoke-LabSsh $byName.ms1 "mv -f $check.good $check" | Out-Null }
    }

    It 'refuses a second lab start while one runs, and leaves the running lab alone' {
        { Start-HotDbLab -Topology $pairTopology } | Should -Throw -ExpectedMessage '*A HotDB lab is already running on this machine*Stop-HotDbLab*'
        (Invoke-LabSsh $byName.sn1 'hostname').Output | Should -Be 'sn1'
    }

    Context 'faults' {
        AfterEach { if (-not $skipReason) { Get-HotDbLabFault | Clear-HotDbLabFault } }

        It 'LinkDown cuts the host off the network until cleared' {
            $fault = Invoke-HotDbLabFault -HostName sn1 -Fault LinkDown
            (Invoke-LabSsh $byName.ms1 'ping -c 1 -W 1 198.18.0.21').ExitCode | Should -Not -Be 0
            (Invoke-LabSsh $byName.sn1 'hostname').ExitCode | Should -Be 255
            $fault | Clear-HotDbLabFault
            (Invoke-LabSsh $byName.ms1 'ping -c 1 -W 2 198.18.0.21').ExitCode | Should -Be 0
            (Invoke-LabSsh $byName.sn1 'hostname').Output | Should -Be 'sn1'
        }

        It 'KillProcess kills a named process on that host only; clearing restarts it' {
            Invoke-HotDbLabFault -HostName ms2 -Fault KillProcess -ProcessName keepalived | Out-Null
            (Invoke-LabSsh $byName.ms2 'service keepalived status').ExitCode | Should -Be 3
            (Invoke-LabSsh $byName.ms1 'service keepalived status').ExitCode | Should -Be 0
            Get-HotDbLabFault -HostName ms2 | Clear-HotDbLabFault
            (Invoke-LabSsh $byName.ms2 'service keepalived status').ExitCode | Should -Be 0
            { Invoke-HotDbLabFault -HostName sn1 -Fault KillProcess -ProcessName keepalived } | Should -Throw -ExpectedMessage "*No process named 'keepalived' runs on lab host sn1*"
        }

        It 'KillProcess on a program the lab does not manage starts it again, as the same user, on clear' {
            (Invoke-LabSsh $byName.sn1 'cd /tmp && setsid -f setpriv --reuid=hotdb --regid=hotdb --init-groups sleep 3600 </dev/null >/dev/null 2>&1; sleep 0.3; pgrep -u hotdb -c -x sleep').Output | Should -Be '1'
            Invoke-HotDbLabFault -HostName sn1 -Fault KillProcess -ProcessName sleep | Out-Null
            (Invoke-LabSsh $byName.sn1 'pgrep -u hotdb -c -x sleep').Output | Should -Be '0'
            Clear-HotDbLabFault -HostName sn1
            (Invoke-LabSsh $byName.sn1 'sleep 0.3; pgrep -u hotdb -a -x sleep').Output | Should -Match '^\d+ sleep 3600$'
        }

        It 'FillDisk makes writes to /usr/local/hotdb fail with ENOSPC until cleared' {
            $fault = Invoke-HotDbLabFault -HostName ms2 -Fault FillDisk
            $fault.Detail.Available | Should -BeLessThan 4096
            $write = Invoke-LabSsh $byName.ms2 'head -c 65536 /dev/zero > /usr/local/hotdb/after-fill.bin'
            $write.ExitCode | Should -Not -Be 0
            $write.Output | Should -Match 'No space left on device'
            (Invoke-LabSsh $byName.ms1 'head -c 65536 /dev/zero > /usr/local/hotdb/after-fill.bin').ExitCode | Should -Be 0 -Because 'ms1 has its own disk'
            $fault | Clear-HotDbLabFault
            (Invoke-LabSsh $byName.ms2 'head -c 65536 /dev/zero > /usr/local/hotdb/after-fill.bin && rm /usr/local/hotdb/after-fill.bin').ExitCode | Should -Be 0
            { Invoke-HotDbLabFault -HostName sn1 -Fault FillDisk } | Should -Throw -ExpectedMessage '*has no size limit*HotDbSize*'
        }

        It 'ReplaceHostKey makes strict host-key checking fail until cleared' {
            $fault = Invoke-HotDbLabFault -HostName sn1 -Fault ReplaceHostKey
            $result = Invoke-LabSsh $byName.sn1 'hostname'
            $result.ExitCode | Should -Be 255
            $result.Output | Should -Match 'REMOTE HOST IDENTIFICATION HAS CHANGED'
            $fault | Clear-HotDbLabFault
            (Invoke-LabSsh $byName.sn1 'hostname').Output | Should -Be 'sn1'
        }

        It 'StopConfigDb stops MariaDB on configdb until cleared, and the replica reconnects' {
            $fault = Invoke-HotDbLabFault -HostName configdb -Fault StopConfigDb
            $down = Invoke-LabSsh $byName.ms1 'mysql -h 198.18.0.10 -u nobody -e "SELECT 1"'
            $down.Output | Should -Match "Can't connect to server on '198.18.0.10'"
            $fault | Clear-HotDbLabFault
            (Invoke-LabSsh $byName.configdb 'mysql -N -e "SELECT 1"').Output | Should -Be '1'
            $deadline = (Get-Date).AddSeconds(15)
            do {
                $io = (Invoke-LabSsh $byName.drconfigdb 'mysql -e "SHOW SLAVE STATUS\G" | awk ''/Slave_IO_Running:/ { print $2 }''').Output
                if ($io -eq 'Yes') { break }
                Start-Sleep -Milliseconds 500
            } while ((Get-Date) -lt $deadline)
            $io | Should -Be 'Yes'
            { Invoke-HotDbLabFault -HostName sn1 -Fault StopConfigDb } | Should -Throw -ExpectedMessage '*runs no ConfigDB*'
        }

        It 'Latency delays the host''s packets until cleared' {
            $fault = Invoke-HotDbLabFault -HostName sn1 -Fault Latency -DelayMs 300 -DurationSeconds 60
            (Invoke-LabSsh $byName.sn1 'hostname').Output | Should -Be 'sn1' -Because 'a slow link still carries SSH'
            $slow = Invoke-LabSsh $byName.ms1 'ping -c 1 -W 3 198.18.0.21 | sed -n "s/.*time=\([0-9.]*\).*/\1/p"'
            [double]$slow.Output | Should -BeGreaterOrEqual 300
            $fault | Clear-HotDbLabFault
            $fast = Invoke-LabSsh $byName.ms1 'ping -c 1 -W 3 198.18.0.21 | sed -n "s/.*time=\([0-9.]*\).*/\1/p"'
            [double]$fast.Output | Should -BeLessThan 100
        }

        It 'PacketLoss drops a share of the host''s packets until cleared' {
            $fault = Invoke-HotDbLabFault -HostName sn1 -Fault PacketLoss -LossPercent 50 -DurationSeconds 60
            $summary = (Invoke-LabSsh $byName.ms1 'ping -q -c 40 -i 0.01 -W 1 198.18.0.21 | grep "packet loss"').Output
            $summary -match '40 packets transmitted, (\d+) received' | Should -BeTrue -Because $summary
            $received = [int]$Matches[1]
            # Binomial(40, 0.5): outside 5..35 with a probability below one in a million.
            $received | Should -BeGreaterThan 4 -Because $summary
            $received | Should -BeLessThan 36 -Because $summary
            $fault | Clear-HotDbLabFault
            (Invoke-LabSsh $byName.ms1 'ping -q -c 20 -i 0.01 -W 1 198.18.0.21 | grep -c " 0% packet loss"').Output | Should -Be '1'
        }

        It 'Bandwidth caps the host''s link both ways until cleared' {
            $fault = Invoke-HotDbLabFault -HostName sn1 -Fault Bandwidth -RateMbit 4
            (Invoke-HotDbLabHostCommand sn1 'tc qdisc show dev eth0').Output | Should -Match 'tbf .*rate 4Mbit'
            (& tc qdisc show dev hl-sn1) -join "`n" | Should -Match 'tbf .*rate 4Mbit'
            # 2 MB over 4 Mbit/s take 4 s (3.5 s after the 256 KB burst); without the cap, a fraction of a second.
            $copy = 'start=$(date +%s%N); head -c 2000000 /dev/zero | ssh -o BatchMode=yes root@198.18.0.21 "cat > /dev/null"; echo $(( ($(date +%s%N) - start) / 1000000 ))'
            [int] (Invoke-LabSsh $byName.ms1 $copy).Output.Trim().Split("`n")[-1] | Should -BeGreaterThan 2500
            $fault | Clear-HotDbLabFault
            (Invoke-HotDbLabHostCommand sn1 'tc qdisc show dev eth0').Output | Should -Not -Match 'tbf'
            (& tc qdisc show dev hl-sn1) -join "`n" | Should -Not -Match 'tbf'
            Get-HotDbLabFault -HostName sn1 | Should -BeNullOrEmpty
        }

        It 'Latency ends by itself when its time is up' {
            Invoke-HotDbLabFault -HostName sn1 -Fault Latency -DelayMs 200 -DurationSeconds 2 | Out-Null
            (Invoke-HotDbLabHostCommand sn1 'iptables -S OUTPUT').Output | Should -Match 'NFQUEUE'
            Start-Sleep -Seconds 3
            (Invoke-HotDbLabHostCommand sn1 'iptables -S OUTPUT; pgrep -fc netdelay.py').Output.Trim() | Should -Be "-P OUTPUT ACCEPT`n0"
            Get-HotDbLabFault -HostName sn1 | Should -BeNullOrEmpty
        }

        It 'PacketLoss of 100% cuts the host off, and a timed fault ends by itself' {
            Invoke-HotDbLabFault -HostName sn1 -Fault PacketLoss -LossPercent 100 -DurationSeconds 3 | Out-Null
            (Invoke-LabSsh $byName.ms1 'ping -c 2 -W 1 198.18.0.21').ExitCode | Should -Not -Be 0
            (Invoke-HotDbLabHostCommand sn1 'nft list ruleset').Output | Should -Match 'oifname "eth0" drop'
            (Invoke-HotDbLabHostCommand ms1 'nft list ruleset').Output | Should -Not -Match 'drop'
            Start-Sleep -Seconds 4
            (Invoke-HotDbLabHostCommand sn1 'nft list ruleset').Output | Should -Not -Match 'hotdblab_fault|drop'
            Get-HotDbLabFault -HostName sn1 | Should -BeNullOrEmpty
            (Invoke-LabSsh $byName.ms1 'ping -c 1 -W 2 198.18.0.21').ExitCode | Should -Be 0
        }
    }
}

Describe 'Lab teardown' -Tag Lab {
    BeforeEach { if ($skipReason) { Set-ItResult -Skipped -Because $skipReason } }
    AfterAll { if (-not $skipReason) { Remove-HotDbLabRoleStep -Name 'lab-test-failing-step'; Stop-HotDbLab } }

    It 'a start that fails half-way tears itself down and leaves nothing behind' {
        Add-HotDbLabRoleStep -Role computenode -Name 'lab-test-failing-step' -ScriptBlock { param($hosts) throw "installing on $($hosts.Count) hosts failed" }
        try {
            { Start-HotDbLab -Topology $pairTopology -WaitSeconds $labWait } | Should -Throw -ExpectedMessage "*Role step 'lab-test-failing-step' failed: installing on 3 hosts failed*"
        }
        finally { Remove-HotDbLabRoleStep -Name 'lab-test-failing-step' }
        Get-LabLeftover | Should -BeNullOrEmpty
    }

    It 'Stop-HotDbLab from a fresh process removes a half-built lab: no netns, mount, veth, bridge or process' {
        Add-HotDbLabRoleStep -Role computenode -Name 'lab-test-failing-step' -ScriptBlock { throw 'half-way' }
        try { { Start-HotDbLab -Topology $pairTopology -WaitSeconds $labWait -KeepOnFailure } | Should -Throw }
        finally { Remove-HotDbLabRoleStep -Name 'lab-test-failing-step' }
        $pids = @(Get-LabPid)
        $pids.Count | Should -BeGreaterThan 10 -Because 'the half-built lab is still running'
        $statePath = (Get-Content /run/hotdb-lab/owner.json -Raw | ConvertFrom-Json).StatePath
        $module = Join-Path $PSScriptRoot '../lab/HotDbLab.psm1'
        & dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$module'; Stop-HotDbLab -StatePath '$statePath'"
        $LASTEXITCODE | Should -Be 0
        Get-LabLeftover -Pids $pids -StatePath $statePath | Should -BeNullOrEmpty
        Test-Path $statePath | Should -BeFalse
    }
}

Describe 'Default lab topology' -Tag Lab {
    BeforeAll {
        if ($skipReason) { return }
        $script:clock = [Diagnostics.Stopwatch]::StartNew()
        $null = Start-HotDbLab -WaitSeconds $labWait
        $clock.Stop()
        Write-Host ("Default lab topology up in {0:N1} s" -f $clock.Elapsed.TotalSeconds)
        $script:hosts = @(Get-HotDbLab)
    }
    AfterAll { if (-not $skipReason) { Stop-HotDbLab } }
    BeforeEach { if ($skipReason) { Set-ItResult -Skipped -Because $skipReason } }

    It 'comes up with all 13 hosts in under 60 s' {
        $hosts.Count | Should -Be 13
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
    }

    It 'lets root log in to every host with strict host-key checking' {
        foreach ($labHost in $hosts) { (Invoke-LabSsh $labHost 'hostname').Output | Should -Be $labHost.Name }
    }

    It 'holds each pair''s VIP on its keepalived master and runs the DR replica' {
        (Invoke-LabSsh ($hosts | Where-Object Name -EQ 'ms1') 'ip -o -4 addr show dev eth0').Output | Should -Match ' 198\.18\.0\.140/24'
        (Invoke-LabSsh ($hosts | Where-Object Name -EQ 'dr1') 'ip -o -4 addr show dev eth0').Output | Should -Match ' 198\.18\.0\.150/24'
        (Invoke-LabSsh ($hosts | Where-Object Name -EQ 'dr2') 'ip -o -4 addr show dev eth0').Output | Should -Not -Match ' 198\.18\.0\.150/'
        (Invoke-LabSsh ($hosts | Where-Object Name -EQ 'drconfigdb') 'mysql -e "SHOW SLAVE STATUS\G" | grep -c "_Running: Yes"').Output | Should -Be '2'
    }
}

Describe 'Lab on a machine that cannot host it' -Tag Lab {
    # A user namespace without a uid mapping: the same machine, seen by a process that is not root.
    BeforeEach { if ($skipReason) { Set-ItResult -Skipped -Because $skipReason } }

    It 'says why in one line, and Start-HotDbLab refuses with that line before building anything' {
        $module = Join-Path $PSScriptRoot '../lab/HotDbLab.psm1'
        $output = & unshare --user dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$module'; Get-HotDbLabSupport; try { Start-HotDbLab -Topology '$pairTopology' } catch { 'refused: ' + `$_.Exception.Message }"
        $output | Should -Be @(
            'The HotDB lab needs root to create network and mount namespaces (running as uid 65534).'
            'refused: The HotDB lab needs root to create network and mount namespaces (running as uid 65534).'
        )
    }

    It 'reports the lab tests as skipped with that reason, not passed' {
        $pester = (Get-Module Pester).Path
        $script = "Import-Module '$pester'; `$c = New-PesterConfiguration; `$c.Run.Path = '$PSCommandPath'; `$c.Run.PassThru = `$true; " +
            "`$c.Filter.FullName = '*Lab estate*lets root log in*'; `$c.Output.Verbosity = 'Detailed'; `$r = Invoke-Pester -Configuration `$c; " +
            "'counts: {0} passed, {1} failed, {2} skipped' -f `$r.PassedCount, `$r.FailedCount, `$r.SkippedCount"
        $output = (& unshare --user dotnet pwsh -NoProfile -NonInteractive -Command $script) -join "`n"
        $output | Should -Match 'Lab tests skipped: The HotDB lab needs root'
        $output | Should -Match 'is skipped, because The HotDB lab needs root to create network and mount namespaces'
        $output | Should -Match 'counts: 0 passed, 0 failed, 1 skipped'
    }
}
