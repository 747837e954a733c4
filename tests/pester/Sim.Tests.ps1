# The lab's simulated HotDB components, on loopback: a private MariaDB as ConfigDB, the built packages,
# the vendor-style start scripts, real MySqlConnector and mysql-client connections.
BeforeDiscovery {
    $script:simModule = Join-Path $PSScriptRoot '../lab/sim/SimFixture.psm1'
    Import-Module $script:simModule -Force
    $script:skipSim = -not (Get-Command mariadbd -ErrorAction SilentlyContinue) -or -not (Get-SimDll)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../lab/sim/SimFixture.psm1') -Force
    if (-not (Get-Command mariadbd -ErrorAction SilentlyContinue) -or -not (Get-SimDll)) { return }
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("hotdb-sim-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $script:root | Out-Null
    $script:packages = Join-Path $script:root 'packages'
    & dotnet (Get-SimDll) package --out $script:packages | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'package build failed' }
    Install-SimJdk -Root $script:root -Packages $script:packages
    $script:db = Start-SimMariaDb -Root $script:root
    $script:jdk8 = Join-Path $script:root 'jdk8u252-b09/bin/java'

    # Installs a compute node on free ports with its own ConfigDB (or a given url) and optional server.xml values.
    function script:New-TestNode([string] $Name, [string] $Version, [hashtable] $Properties = @{}, [string] $Url, [string] $SchemaVersion, [int] $DataNodes = 2) {
        $package = Get-ChildItem $script:packages -Filter "hotdb-server-$Version-ga-*.tar.gz" | Select-Object -First 1
        $home_ = Install-SimPackage -Root $script:root -Name $Name -Package $package.FullName
        if (-not $Url) { $Url = New-SimConfigDb -Db $script:db -Name ("cfg_" + $Name) -Packages $script:packages -Version ($SchemaVersion ? $SchemaVersion : $Version) -DataNodes $DataNodes }
        $node = [pscustomobject]@{
            Home = Join-Path $home_ 'hotdb-server'; ServerPort = Get-SimFreePort; ManagerPort = Get-SimFreePort; Url = $Url; Database = ($Url -split '/')[-1]
        }
        $node | Add-Member ScriptProperty Script { Join-Path $this.Home 'bin/hotdb_server' }
        $node | Add-Member ScriptProperty Log { Join-Path $this.Home 'logs/hotdb.log' }
        Set-SimServerXml -Path (Join-Path $node.Home 'conf/server.xml') -Properties (@{ url = $Url; serverPort = $node.ServerPort; managerPort = $node.ManagerPort } + $Properties)
        Set-SimScriptVariable -Path $node.Script -Variables @{ STOP_TIMEOUT = '5'; START_TIMEOUT = '30' }
        if ($Version -eq '2.5.6') { Set-SimScriptVariable -Path $node.Script -Variables @{ JAVA_BIN = $script:jdk8; JAVA_VERSION = '"1.8.0_252"' } }
        $node
    }
}

AfterAll {
    if ($script:root -and (Test-Path $script:root)) {
        Stop-SimProcessTree -Home_ $script:root
        Stop-SimMariaDb $script:db
        Remove-Item $script:root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Simulated packages' -Tag Sim -Skip:$skipSim {
    It 'are named like the vendor''s tarballs' {
        $names = (Get-ChildItem $script:packages -File).Name
        foreach ($expected in 'hotdb-server-2.4.9-ga-20190812.tar.gz', 'hotdb-server-2.5.1-ga-20190701.tar.gz', 'hotdb-server-2.5.3-ga-20190821.tar.gz',
            'hotdb-server-2.5.4-ga-20190812.tar.gz', 'hotdb-server-2.5.6-ga-20201101.tar.gz', 'hotdb-management-2.4.9-ga-20190812.tar.gz',
            'hotdb-management-2.5.3-ga-20190821.tar.gz', 'hotdb-management-2.5.6-ga-20201101.tar.gz', 'hotdb-backup-2.5.3-20190821.tar.gz',
            'hotdb-listener-2.5.6-linux.tar.gz', 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz') {
            $names | Should -Contain $expected
        }
    }

    It 'extract a compute node to hotdb-server/ with the vendor layout and executable scripts' {
        $entries = & tar -tzvf (Join-Path $script:packages 'hotdb-server-2.5.3-ga-20190821.tar.gz')
        foreach ($path in 'hotdb-server/bin/hotdb_server', 'hotdb-server/bin/check_hotdb_process.sh', 'hotdb-server/conf/server.xml',
            'hotdb-server/conf/log4j2.xml', 'hotdb-server/conf/hotdb_config.sql', 'hotdb-server/lib/', 'hotdb-server/keys/', 'hotdb-server/utils/', 'hotdb-server/logs/') {
            ($entries | Where-Object { $_ -match " $([regex]::Escape($path))$" }) | Should -Not -BeNullOrEmpty -Because $path
        }
        ($entries | Where-Object { $_ -match 'bin/hotdb_server$' }) | Should -Match '^-rwxr-xr-x'
        $script = & tar -xzOf (Join-Path $script:packages 'hotdb-server-2.5.3-ga-20190821.tar.gz') hotdb-server/bin/hotdb_server
        foreach ($variable in 'PID_DIR', 'PID_FILE', 'HA_STARTUP', 'HOTDB_LOGS', 'HOTDB_CONSOLE_LOG', 'JAVA_BIN', 'JAVA_VERSION', 'JAVA_OPTS', 'HOTDB_CLASSPATH') {
            ($script -match "^$variable=") | Should -Not -BeNullOrEmpty -Because $variable
        }
    }

    It 'add a server.xml property and change a default in every newer compute node version' {
        $previous = $null
        foreach ($version in '2.4.9', '2.5.1', '2.5.3', '2.5.4', '2.5.6') {
            $tarball = Get-ChildItem $script:packages -Filter "hotdb-server-$version-ga-*.tar.gz"
            [xml] $xml = (& tar -xzOf $tarball.FullName hotdb-server/conf/server.xml) -join "`n"
            $current = @{}
            foreach ($p in $xml.DocumentElement.system.property) { $current[$p.name] = $p.InnerText }
            if ($previous) {
                @($current.Keys | Where-Object { -not $previous.ContainsKey($_) }).Count | Should -BeGreaterThan 0 -Because "$version adds a property"
                @($previous.Keys | Where-Object { $current.ContainsKey($_) -and $current[$_] -ne $previous[$_] }).Count | Should -BeGreaterThan 0 -Because "$version changes a default"
            }
            $previous = $current
        }
    }

    It 'ship JDKs whose java -version prints the real banner on stderr' {
        $java7 = Join-Path $script:root 'jdk1.7.0_80/bin/java'
        $out = & $java7 -version 2>&1
        ($out | ForEach-Object { "$_" }) | Should -Be @('java version "1.7.0_80"', 'Java(TM) SE Runtime Environment (build 1.7.0_80-b15)', 'Java HotSpot(TM) 64-Bit Server VM (build 24.80-b11, mixed mode)')
        (& $script:jdk8 -version 2>$null) | Should -BeNullOrEmpty
        ((& $script:jdk8 -version 2>&1) | ForEach-Object { "$_" })[0] | Should -Be 'openjdk version "1.8.0_252"'
    }

    It 'ship ConfigDB upgrade scripts named by schema and target version, one breaking the online rules and one widening an added column' {
        $sql = Join-Path $script:packages 'configdb-upgrade'
        $steps = (Get-ChildItem $sql).Name
        $steps | Should -Contain 'hotdb_config_2.5.3.sql'
        $steps | Should -Contain 'hotdb_cloud_config_2.5.3.sql'
        Get-Content (Join-Path $sql 'hotdb_config_2.5.4.sql') -Raw | Should -Match 'MODIFY COLUMN datanode_type'
        Get-Content (Join-Path $sql 'hotdb_config_2.5.3.sql') -Raw | Should -Match 'ADD COLUMN description VARCHAR\(64\)'
        Get-Content (Join-Path $sql 'hotdb_config_2.5.6.sql') -Raw | Should -Match 'MODIFY COLUMN description VARCHAR\(255\)'
        Get-Content (Join-Path $sql 'hotdb_config_2.5.3.sql') -Raw | Should -Not -Match '\b(MODIFY|DROP|UPDATE|DELETE)\b'
        # The folder is what Invoke-HotDbConfigDbUpgrade -Path takes, as it is (-WhatIf connects to nothing).
        Import-Module $env:HOTDB_UPGRADE_MODULE
        $anyLogin = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
        (Invoke-HotDbConfigDbUpgrade -ConfigDb (New-HotDbConfigDb 127.0.0.1 -Credential $anyLogin) -Path $sql -From 2.4.9 -To 2.5.6 -WhatIf).Scripts.Name |
            Should -Be @('hotdb_config_2.5.1.sql', 'hotdb_config_2.5.3.sql', 'hotdb_config_2.5.4.sql', 'hotdb_config_2.5.6.sql')
        (Invoke-HotDbConfigDbUpgrade -ConfigDb (New-HotDbConfigDb 127.0.0.1 -Kind ManagementPlatform -Credential $anyLogin) -Path $sql -From 2.4.9 -To 2.5.6 -WhatIf 3>$null).Scripts.Name |
            Should -Be @('hotdb_cloud_config_2.5.3.sql', 'hotdb_cloud_config_2.5.6.sql')
    }
}

Describe 'Simulated compute node' -Tag Sim -Skip:$skipSim {
    BeforeAll {
        $script:n = New-TestNode -Name 'single' -Version '2.5.3'
        $script:start = Invoke-SimScript $n.Script 'start'
    }
    AfterAll { Invoke-SimScript $n.Script 'stop' | Out-Null }

    It 'starts through bin/hotdb_server and logs the vendor''s startup lines in order' {
        $start.ExitCode | Should -Be 0 -Because $start.Output
        $log = Get-Content $n.Log
        $order = 'reading config', 'using config datasource in start up', 'connect success', 'HotDB-2.5.3 is ready to startup', 'Sysconfig params', 'HotDB-Manager listening on', 'HotDB-Server listening on'
        $positions = $order | ForEach-Object { $text = $_; ($log | Select-String -SimpleMatch $text | Select-Object -First 1).LineNumber }
        $positions | Should -Not -Contain $null
        $positions | Should -Be ($positions | Sort-Object)
        $log[0] | Should -Match '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[INFO\] \[INIT\] \[main\] \S+\(\d+\) - '
        (Invoke-SimScript $n.Script 'status').ExitCode | Should -Be 0
        $processId = (Get-Content (Join-Path $n.Home 'run/hotdb-server.pid') -Raw).Trim()
        (Get-Content "/proc/$processId/comm" -Raw).Trim() | Should -Be 'java'
        (Get-Content "/proc/$processId/cmdline" -Raw) -split "`0" | Should -Contain 'cn.hotpu.hotdb.HotdbStartup'
        & (Join-Path $script:root 'jdk1.7.0_80/bin/jps') | Should -Contain "$processId HotdbStartup"
    }

    It 'answers queries on the service port through MySqlConnector' {
        (Invoke-SimQuery $n.ServerPort 'SELECT 1').Rows[0].'1' | Should -Be 1
        $rows = (Invoke-SimQuery $n.ServerPort 'SELECT * FROM t1' -Database 'LOGIC1').Rows
        $rows.Count | Should -Be 3
        (Invoke-SimQuery $n.ServerPort 'INSERT INTO t1 VALUES (9, ''x'')' -Database 'LOGIC1').RecordsAffected | Should -Be 1
        (Invoke-SimQuery $n.ServerPort 'SELECT 1' -Password 'wrong').Error.Number | Should -Be 1045
    }

    It 'greets the mysql client with the vendor''s version strings' {
        $env:MYSQL_PWD = 'root'
        try {
            $service = & mysql --no-defaults -h 127.0.0.1 -P $n.ServerPort -uroot -e 'status' 2>&1
            $manager = & mysql --no-defaults -h 127.0.0.1 -P $n.ManagerPort -uroot -N -e 'show @@version' 2>&1
        }
        finally { Remove-Item Env:MYSQL_PWD }
        ($service -join "`n") | Should -Match 'Server version:\s+5\.7\.19-HotDB-2\.5\.3 HotDB Server by Hotpu Tech'
        $manager | Should -Be '5.7.19-HotDB-2.5.3 (build 20190821)'
    }

    It 'reports role, status and version in show @@server and reloads its config' {
        $server = (Invoke-SimQuery $n.ManagerPort 'show @@server').Rows[0]
        $server.role | Should -Be 'MASTER'
        $server.status | Should -Be 'ON'
        $server.version | Should -Be '5.7.19-HotDB-2.5.3'
        $reload = Invoke-SimQuery $n.ManagerPort 'reload @@config'
        $reload.Error | Should -BeNullOrEmpty
        $reload.RecordsAffected | Should -Be 1
        $env:MYSQL_PWD = 'root'
        try { (& mysql --no-defaults -h 127.0.0.1 -P $n.ManagerPort -uroot -vvv -e 'reload @@config' 2>&1) -join "`n" | Should -Match 'Reload config success' }
        finally { Remove-Item Env:MYSQL_PWD }
    }

    It 'closes the service port on offline and reopens it on online' {
        (Invoke-SimQuery $n.ManagerPort 'offline').Error | Should -BeNullOrEmpty
        Test-SimPort $n.ServerPort | Should -BeFalse
        (Invoke-SimQuery $n.ManagerPort 'show @@server').Rows[0].status | Should -Be 'OFF'
        (Invoke-SimQuery $n.ManagerPort 'online').Error | Should -BeNullOrEmpty
        (Invoke-SimQuery $n.ServerPort 'SELECT 1').Rows[0].'1' | Should -Be 1
    }

    It 'refuses manager logins without the SUPER privilege' {
        Invoke-SimMariaDb $script:db -Database $n.Database "INSERT INTO hotdb_user (username, password, host, super_priv) VALUES ('app', 'app', '%', 0)" | Out-Null
        (Invoke-SimQuery $n.ManagerPort 'reload @@config').Error | Should -BeNullOrEmpty
        (Invoke-SimQuery $n.ServerPort 'SELECT 1' -User app -Password app).Rows[0].'1' | Should -Be 1
        (Invoke-SimQuery $n.ManagerPort 'show @@version' -User app -Password app).Error.Number | Should -Be 1045
    }

    It 'breaks while running when an upgrade modifies a column it reads, and stays broken on restart' {
        $sql = Join-Path $script:packages 'configdb-upgrade/hotdb_config_2.5.4.sql'
        Invoke-SimMariaDb $script:db -Database $n.Database -File $sql | Out-Null
        Wait-SimCondition { (Invoke-SimQuery $n.ServerPort 'SELECT 1').Error.Number -eq 10161 } 10 | Should -BeTrue
        (Invoke-SimQuery $n.ServerPort 'SELECT 1').Error.Message | Should -Match 'Wrong HotDB Config.*datanode_type'
        (Invoke-SimQuery $n.ManagerPort 'reload @@config').Error.Number | Should -Be 10191
        (Get-Content $n.Log -Raw) | Should -Match '\[ERROR\] \[CONFIG\].*Invalid value for getInt\(\)'
        (Invoke-SimScript $n.Script 'stop').ExitCode | Should -Be 0
        $restart = Invoke-SimScript $n.Script 'start'
        $restart.ExitCode | Should -Not -Be 0
        $restart.Output | Should -Match 'not usable by HotDB-2\.5\.3'
    }
}

Describe 'Simulated compute node refusals' -Tag Sim -Skip:$skipSim {
    It 'keeps running an old node through a purely additive upgrade' {
        $n = New-TestNode -Name 'additive' -Version '2.5.1'
        (Invoke-SimScript $n.Script 'start').ExitCode | Should -Be 0
        try {
            Invoke-SimMariaDb $script:db -Database $n.Database -File (Join-Path $script:packages 'configdb-upgrade/hotdb_config_2.5.3.sql') | Out-Null
            Start-Sleep -Seconds 3
            (Invoke-SimQuery $n.ServerPort 'SELECT 1').Rows[0].'1' | Should -Be 1
        }
        finally { Invoke-SimScript $n.Script 'stop' | Out-Null }
    }

    It 'refuses to start on a ConfigDB older than its version needs' {
        $n = New-TestNode -Name 'oldcfg' -Version '2.5.4' -SchemaVersion '2.5.3'
        $start = Invoke-SimScript $n.Script 'start'
        $start.ExitCode | Should -Not -Be 0
        $start.Output | Should -Match 'ERROR'
        (Get-Content $n.Log -Raw) | Should -Match '\[ERROR\] \[INIT\] \[main\] .*config checking failed'
        (Invoke-SimScript $n.Script 'status').ExitCode | Should -Be 3
    }

    It 'refuses a JAVA_BIN whose version differs from JAVA_VERSION' {
        $n = New-TestNode -Name 'jdkmismatch' -Version '2.5.3'
        Set-SimScriptVariable -Path $n.Script -Variables @{ JAVA_BIN = $script:jdk8 }
        $start = Invoke-SimScript $n.Script 'start'
        $start.ExitCode | Should -Not -Be 0
        $start.Output | Should -Match 'java version .* is 1\.8\.0_252, but HotDB-server needs 1\.7\.0_80'
    }

    It 'refuses to run 2.5.6 on JDK 1.7' {
        $n = New-TestNode -Name 'jdk7' -Version '2.5.6'
        Set-SimScriptVariable -Path $n.Script -Variables @{ JAVA_BIN = '"$HOTDB_HOME"/../jdk/bin/java'; JAVA_VERSION = '"1.7.0_80"' }
        $start = Invoke-SimScript $n.Script 'start'
        $start.ExitCode | Should -Not -Be 0
        Get-Content (Join-Path $n.Home 'logs/console.log') -Raw | Should -Match 'UnsupportedClassVersionError: cn/hotpu/hotdb/HotdbStartup : Unsupported major\.minor version 52\.0'
    }

    It 'fails the next start once when the start-fail fault is set, then starts' {
        $n = New-TestNode -Name 'fault' -Version '2.4.9'
        $faults = New-Item -ItemType Directory -Path (Join-Path (Split-Path $n.Home) '.hotdb-sim-faults') -Force
        Set-Content (Join-Path $faults 'hotdb-server.start-fail') 'injected start failure'
        $first = Invoke-SimScript $n.Script 'start'
        $first.ExitCode | Should -Not -Be 0
        $first.Output | Should -Match 'injected start failure'
        (Invoke-SimScript $n.Script 'start').ExitCode | Should -Be 0
        Set-Content (Join-Path $faults 'hotdb-server.hang-on-stop') ''
        $stop = Invoke-SimScript $n.Script 'stop'
        $stop.ExitCode | Should -Not -Be 0
        $stop.Output | Should -Match 'did not stop'
        (Invoke-SimScript $n.Script 'status').ExitCode | Should -Be 0
        Remove-Item (Join-Path $faults 'hotdb-server.hang-on-stop')
        (Invoke-SimScript $n.Script 'stop').ExitCode | Should -Be 0
    }

    It 'fails to start from a corrupt jar' {
        $n = New-TestNode -Name 'corrupt' -Version '2.5.3'
        $jar = Join-Path $n.Home 'lib/hotdb-server-2.5.3.jar'
        [IO.File]::WriteAllBytes($jar, [byte[]](1..40))
        $start = Invoke-SimScript $n.Script 'start'
        $start.ExitCode | Should -Not -Be 0
        $start.Output | Should -Match 'Could not find or load main class cn\.hotpu\.hotdb\.HotdbStartup'
    }
}

Describe 'Simulated license (2.5.6)' -Tag Sim -Skip:$skipSim {
    It 'refuses service over the trial''s data-node limit until a bigger license is placed in keys/' {
        $n = New-TestNode -Name 'license' -Version '2.5.6' -DataNodes 65
        $start = Invoke-SimScript $n.Script 'start'
        try {
            $start.ExitCode | Should -Not -Be 0
            $start.Output | Should -Match 'Number of Datanodes Exceeded Maximum Size Limit\. expect:65 limit:64'
            Test-SimPort $n.ServerPort | Should -BeFalse
            $usbkey = (Invoke-SimQuery $n.ManagerPort 'show @@usbkey').Rows[0]
            $usbkey.usbkey_type | Should -Be 1
            $usbkey.node_limit | Should -Be 64
            $reload = Invoke-SimQuery $n.ManagerPort 'reload @@config'
            $reload.Error.Number | Should -Be 10190
            $reload.Error.Message | Should -Be 'Reload config failure, Number of Datanodes Exceeded Maximum Size Limit. For more details, please check the log'
            & dotnet (Get-SimDll) license --type PERPETUAL --nodes 128 --out (Join-Path $n.Home 'keys/license-perpetual')
            (Invoke-SimQuery $n.ManagerPort 'reload @@config').Error | Should -BeNullOrEmpty
            (Invoke-SimQuery $n.ServerPort 'SELECT 1').Rows[0].'1' | Should -Be 1
            (Invoke-SimQuery $n.ManagerPort 'show @@usbkey').Rows[0].usbkey_type | Should -Be 3
        }
        finally { Invoke-SimScript $n.Script 'stop' | Out-Null }
    }

    It 'rejects a hand-edited license file and exits without a valid one' {
        $n = New-TestNode -Name 'tampered' -Version '2.5.6'
        $trail = Join-Path $n.Home 'keys/license-trail'
        (Get-Content $trail -Raw) -replace 'datanode limit: 64', 'datanode limit: 999' | Set-Content $trail -NoNewline
        $start = Invoke-SimScript $n.Script 'start'
        $start.ExitCode | Should -Not -Be 0
        (Get-Content $n.Log -Raw) | Should -Match '\[ERROR\] \[AUTHORITY\] \[checker-1\] .* - no available matched license detected\. we will shutdown now\.'
    }
}

Describe 'Simulated master/slave (haMode 0)' -Tag Sim -Skip:$skipSim {
    BeforeAll {
        $script:master = New-TestNode -Name 'ms1' -Version '2.5.3'
        $script:backup = New-TestNode -Name 'ms2' -Version '2.5.3' -Url $master.Url -Properties @{ haState = 'backup'; haNodeHost = "127.0.0.1:$($master.ManagerPort)" }
        Invoke-SimScript $master.Script 'start' | Out-Null
        Invoke-SimScript $backup.Script 'start' | Out-Null
    }
    AfterAll { Invoke-SimScript $master.Script 'stop' | Out-Null; Invoke-SimScript $backup.Script 'stop' | Out-Null }

    It 'keeps the backup''s service port closed and its manager port open' {
        Test-SimPort $master.ServerPort | Should -BeTrue
        Test-SimPort $backup.ServerPort | Should -BeFalse
        (Invoke-SimQuery $backup.ManagerPort 'show @@server').Rows[0].role | Should -Be 'BACKUP'
        (Get-Content $backup.Log -Raw) | Should -Not -Match 'HotDB-Server listening'
    }

    It 'offlines the master when the backup is sent online by hand (the documented bad effect)' {
        (Invoke-SimQuery $backup.ManagerPort 'online').Error | Should -BeNullOrEmpty
        Test-SimPort $backup.ServerPort | Should -BeTrue
        Wait-SimCondition { -not (Test-SimPort $master.ServerPort) } 5 | Should -BeTrue
        (Get-Content $master.Log -Raw) | Should -Match 'MANAGER offline start'
    }

    It 'answers online from check_hotdb_process.sh notify modes and checks the process' {
        $check = Join-Path $master.Home 'bin/check_hotdb_process.sh'
        & bash $check process; $LASTEXITCODE | Should -Be 0
        & bash $check connect_master; $LASTEXITCODE | Should -Not -Be 0
        & bash $check master_notify_master; $LASTEXITCODE | Should -Be 0
        Test-SimPort $master.ServerPort | Should -BeTrue
        & bash $check connect_master; $LASTEXITCODE | Should -Be 0
    }
}

Describe 'Simulated DR-center node' -Tag Sim -Skip:$skipSim {
    It 'opens only the manager port, refuses a plain online and opens the service port on online_dr' {
        $n = New-TestNode -Name 'dr1' -Version '2.5.3' -Properties @{ haMode = 3; idcId = 2 }
        (Invoke-SimScript $n.Script 'start').ExitCode | Should -Be 0
        try {
            Test-SimPort $n.ServerPort | Should -BeFalse
            $online = Invoke-SimQuery $n.ManagerPort 'online'
            $online.Error.Number | Should -Be 10192
            $online.Error.Message | Should -Be 'access denied. online is not allowed in a DR HotDB Server.'
            (Invoke-SimQuery $n.ManagerPort 'online_dr').Error | Should -BeNullOrEmpty
            (Invoke-SimQuery $n.ServerPort 'SELECT 1').Rows[0].'1' | Should -Be 1
            (Get-Content $n.Log -Raw) | Should -Match '(?s)DR online start.*HotDB-Server listening on.*DR online end'
        }
        finally { Invoke-SimScript $n.Script 'stop' | Out-Null }
    }
}

Describe 'Simulated cluster (haMode 1)' -Tag Sim -Skip:$skipSim {
    BeforeAll {
        $ports = 1..3 | ForEach-Object { Get-SimFreePort }
        $hosts = ($ports | ForEach-Object { "127.0.0.1:$_" }) -join ','
        $script:members = @()
        $first = $null
        foreach ($i in 1..3) {
            $props = @{ haMode = 1; serverId = $i; clusterSize = 3; clusterHost = '127.0.0.1'; clusterPort = $ports[$i - 1]; haNodeHost = $hosts; clusterNetwork = '127.0.0.0/8' }
            # the ConfigDB lives on 127.0.0.1 too: the "never Primary on the ConfigDB host" rule is checked against the url's host
            $url = if ($first) { $first.Url } else { $null }
            $m = New-TestNode -Name "mn$i" -Version '2.5.3' -Properties $props -Url $url
            if (-not $first) { $first = $m }
            $script:members += $m
        }
        foreach ($m in $script:members) { Set-SimServerXml -Path (Join-Path $m.Home 'conf/server.xml') -Properties @{ url = $first.Url -replace '127\.0\.0\.1', 'localhost' } }
        foreach ($m in $script:members) { Invoke-SimScript $m.Script 'start' | Out-Null }
    }
    AfterAll { foreach ($m in $script:members) { Invoke-SimScript $m.Script 'stop' | Out-Null } }

    function script:Get-Cluster($m) { (Invoke-SimQuery $m.ManagerPort 'show @@cluster').Rows }

    It 'elects one Primary and two Secondaries that all open the service port' {
        Wait-SimCondition { @(Get-Cluster $members[1] | Where-Object status -eq 'SECONDARY').Count -eq 2 } 15 | Should -BeTrue
        $view = Get-Cluster $members[2]
        $view.Count | Should -Be 3
        @($view | Where-Object status -eq 'PRIMARY').Count | Should -Be 1
        ($view[0].PSObject.Properties.Name -join ',') | Should -Be 'status,host,port,server_port,manager_port'
        foreach ($m in $members) { Wait-SimCondition { Test-SimPort $m.ServerPort } 5 | Should -BeTrue }
    }

    It 'elects a new Primary within 15 s when the Primary stops, and the old one rejoins as Secondary' {
        $primary = $members | Where-Object { (Invoke-SimQuery $_.ManagerPort 'show @@server').Rows[0].role -eq 'PRIMARY' }
        @($primary).Count | Should -Be 1
        (Invoke-SimScript $primary.Script 'stop').ExitCode | Should -Be 0
        $survivor = $members | Where-Object { $_ -ne $primary } | Select-Object -First 1
        Wait-SimCondition { @(Get-Cluster $survivor | Where-Object status -eq 'PRIMARY').Count -eq 1 -and
            -not (Get-Cluster $survivor | Where-Object { $_.manager_port -eq $primary.ManagerPort }) } 15 | Should -BeTrue
        (Invoke-SimScript $primary.Script 'start').ExitCode | Should -Be 0
        Wait-SimCondition { (Invoke-SimQuery $primary.ManagerPort 'show @@server').Rows[0].role -eq 'SECONDARY' } 15 | Should -BeTrue
    }
}

Describe 'Simulated management platform, backup agent and listener' -Tag Sim -Skip:$skipSim {
    BeforeAll {
        function script:New-Management([string] $Name, [string] $Version, [string] $SchemaVersion) {
            $package = Get-ChildItem $script:packages -Filter "hotdb-management-$Version-ga-*.tar.gz"
            $home_ = Join-Path (Install-SimPackage -Root $script:root -Name $Name -Package $package.FullName) 'hotdb-management'
            $cfg = New-SimConfigDb -Db $script:db -Name "cloud_$Name" -Packages $script:packages -Schema 'hotdb_cloud_config' -Version $SchemaVersion
            $http = Get-SimFreePort; $backup = Get-SimFreePort
            Set-Content (Join-Path $home_ 'conf/application.properties') "server.port=$http`nserver.backup.port=$backup`nspring.datasource.url=$cfg`nspring.datasource.username=hotdb_config`nspring.datasource.password=hotdb_config`n"
            [pscustomobject]@{ Home = $home_; Http = $http; Backup = $backup; Script = Join-Path $home_ 'bin/hotdb_management'; Database = "cloud_$Name" }
        }
    }

    It 'upgrades its own ConfigDB from 2.5.3 on, serves its version on HTTP and lists connected backup agents' {
        $m = New-Management -Name 'mgmt253' -Version '2.5.3' -SchemaVersion '2.4.9'
        $start = Invoke-SimScript $m.Script 'start'
        try {
            $start.ExitCode | Should -Be 0 -Because $start.Output
            (Invoke-SimMariaDb $script:db -Database $m.Database 'SHOW TABLES') | Should -Contain 'hc_upgrade_task'
            (Invoke-WebRequest "http://127.0.0.1:$($m.Http)/" -UseBasicParsing).Content | Should -Match 'Version: 2\.5\.3'

            $agentPackage = Get-ChildItem $script:packages -Filter 'hotdb-backup-2.5.3-*.tar.gz'
            $agent = Join-Path (Install-SimPackage -Root $script:root -Name 'ds1' -Package $agentPackage.FullName) 'hotdb-backup/bin/hotdb_backup'
            $agentStart = Invoke-SimScript $agent @('start', '-h', '127.0.0.1', '-p', "$($m.Backup)")
            $agentStart.Output | Should -Be 'INFO: HotDB-backup start successed.'
            (Invoke-SimScript $agent @('start', '-h', '127.0.0.1', '-p', "$($m.Backup)")).Output | Should -Match '^INFO: HotDB-backup service already running \(PID: \d+\)\.$'
            Wait-SimCondition { (Invoke-WebRequest "http://127.0.0.1:$($m.Http)/api/backup/agents" -UseBasicParsing).Content -match '2\.5\.3' } 10 | Should -BeTrue
            (Invoke-SimScript $agent 'stop').Output | Should -Be 'INFO: HotDB-backup stopped success.'
            (Invoke-SimScript $agent 'status').Output | Should -Be 'INFO: HotDB-backup service not running.'
        }
        finally { Invoke-SimScript $m.Script 'stop' | Out-Null }
    }

    It 'refuses to start 2.4.9 on a ConfigDB it cannot read' {
        $m = New-Management -Name 'mgmt249' -Version '2.4.9' -SchemaVersion '2.4.9'
        Invoke-SimMariaDb $script:db -Database $m.Database 'DROP TABLE hc_backup_agent' | Out-Null
        $start = Invoke-SimScript $m.Script 'start'
        $start.ExitCode | Should -Not -Be 0
        (Get-Content (Join-Path $m.Home 'logs/hotdb-management.log') -Raw) | Should -Match '\[ERROR\].*hc_backup_agent'
    }

    It 'starts the listener on the configured port' {
        $package = Get-ChildItem $script:packages -Filter 'hotdb-listener-2.5.6-linux.tar.gz'
        $home_ = Join-Path (Install-SimPackage -Root $script:root -Name 'listener' -Package $package.FullName) 'hotdb-listener'
        $port = Get-SimFreePort
        Set-Content (Join-Path $home_ 'conf/config.properties') "host=127.0.0.1`nport=$port`n"
        $script_ = Join-Path $home_ 'bin/hotdb_listener'
        Set-SimScriptVariable -Path $script_ -Variables @{ JAVA_BIN = $script:jdk8 }
        try {
            (Invoke-SimScript $script_ 'start').Output | Should -Be 'HotDB-Listener start successed.'
            (Get-Content (Join-Path $home_ 'logs/hotdb-listener.log') -Raw) | Should -Match "Listener-Manager start listening on host 127\.0\.0\.1 port $port"
            Test-SimPort $port | Should -BeTrue
        }
        finally { Invoke-SimScript $script_ 'stop' | Out-Null }
    }
}
