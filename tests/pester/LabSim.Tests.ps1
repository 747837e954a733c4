# The simulated HotDB components on the lab's hosts (tests/lab/sim/HotDbLabSim.psm1), checked from this machine
# through real SSH (OpenSSH with strict host keys) and real MySQL connections (MySqlConnector) to 198.18.0.0/24.
# One default estate for the whole file; the destructive checks run last in each group.

BeforeDiscovery {
    $labModule = Join-Path $PSScriptRoot '../lab/HotDbLab.psm1'
    $script:labSkip = -not (Test-Path $labModule)
    if (-not $script:labSkip) { Import-Module $labModule -Force; $script:labSkip = [bool](Get-HotDbLabSupport) }
}

BeforeAll {
    if (-not (Test-Path (Join-Path $PSScriptRoot '../lab/HotDbLab.psm1'))) { $script:skipReason = 'lab part 1 (tests/lab/HotDbLab.psm1) is not there'; return }
    Import-Module (Join-Path $PSScriptRoot '../lab/HotDbLab.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../lab/sim/HotDbLabSim.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../lab/sim/SimFixture.psm1') -Force
    $script:skipReason = Get-HotDbLabSupport
    if ($script:skipReason) { Write-Host "LabSim tests skipped: $script:skipReason" -ForegroundColor Yellow; return }

    Register-HotDbLabSim
    $clock = [Diagnostics.Stopwatch]::StartNew()
    # Another developer's run may hold the machine's one lab: wait for it rather than fail.
    $script:lab = @(Start-HotDbLab -WaitSeconds 900)
    Write-Host ("Default estate with simulated components up in {0:N1} s" -f $clock.Elapsed.TotalSeconds)

    function script:Get-LabHost([string] $Name) { $script:lab | Where-Object Name -EQ $Name }

    function script:Invoke-LabSsh([string] $Name, [string] $Command) {
        $labHost = Get-LabHost $Name
        $arguments = @('-i', $labHost.RootKeyPath, '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$($labHost.KnownHostsPath)",
            '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=5',
            "root@$($labHost.Address)", $Command)
        $output = & ssh -n @arguments 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | ForEach-Object { "$_" }) -join "`n" }
    }

    # Manager/service port queries from this machine with MySqlConnector (root/root is the compute node's own user).
    function script:Invoke-LabQuery([string] $Address, [int] $Port, [string] $Sql) {
        Import-SimMySqlConnector
        $csb = [MySqlConnector.MySqlConnectionStringBuilder]::new()
        $csb.Server = $Address; $csb.Port = $Port; $csb.UserID = 'root'; $csb.Password = 'root'; $csb.Pooling = $false; $csb.ConnectionTimeout = 3
        $connection = [MySqlConnector.MySqlConnection]::new($csb.ConnectionString)
        try {
            $connection.Open()
            $command = $connection.CreateCommand(); $command.CommandText = $Sql
            $reader = $command.ExecuteReader()
            $rows = @(while ($reader.Read()) {
                    $row = [ordered]@{}
                    for ($i = 0; $i -lt $reader.FieldCount; $i++) { $row[$reader.GetName($i)] = if ($reader.IsDBNull($i)) { $null } else { $reader.GetValue($i) } }
                    [pscustomobject]$row
                })
            $reader.Dispose()
            [pscustomobject]@{ Rows = $rows; Error = $null }
        }
        catch { [pscustomobject]@{ Rows = @(); Error = $_.Exception.GetBaseException() } }
        finally { $connection.Dispose() }
    }

    function script:Test-LabPort([string] $Address, [int] $Port) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.ConnectAsync($Address, $Port).Wait(1000) -and $client.Connected } catch { $false } finally { $client.Dispose() }
    }

    function script:Test-HostHasAddress([string] $Name, [string] $Address) {
        (Invoke-HotDbLabHostCommand -HostName $Name -Command 'ip -o -4 addr show dev eth0').Output -match " $([regex]::Escape($Address))/"
    }
}

AfterAll {
    if (-not $script:skipReason) {
        Unregister-HotDbLabSim
        Stop-HotDbLab -Confirm:$false
    }
}

Describe 'Simulated estate on the lab' -Tag LabSim -Skip:$labSkip {
    It 'runs every compute node at its initial version, answering on 3325 over the lab network' {
        (Invoke-LabQuery (Get-LabHost sn1).Address 3325 'show @@version').Rows[0].version | Should -Match '^5\.7\.19-HotDB-2\.4\.9 '
        foreach ($name in 'ms1', 'ms2', 'mn1', 'mn2', 'mn3', 'dr1', 'dr2') {
            (Invoke-LabQuery (Get-LabHost $name).Address 3325 'show @@version').Rows[0].version | Should -Match '^5\.7\.19-HotDB-2\.5\.3 ' -Because $name
        }
    }

    It 'installs the vendor layout over SSH: hotdb:hotdb ownership, JDK 1.7 at ../jdk, NDB SQL directories on 2.5.3' {
        $check = Invoke-LabSsh ms1 'cd /usr/local/hotdb && stat -c %U:%G hotdb-server && jdk/bin/java -version 2>&1 | head -n 1 && readlink hotdb-server/ndbsql_bin && test -d hotdb-server/ndbsql_data && ls Install_Package && sh hotdb-server/bin/hotdb_server status'
        $check.ExitCode | Should -Be 0 -Because $check.Output
        $check.Output | Should -Match 'hotdb:hotdb'
        $check.Output | Should -Match 'java version "1\.7\.0_80"'
        $check.Output | Should -Match 'hotdb-server-2\.5\.3-ga-20190821\.tar\.gz'
        $check.Output | Should -Match 'HotDB-server service is running'
        (Invoke-LabSsh sn1 'test -e /usr/local/hotdb/hotdb-server/ndbsql_bin').ExitCode | Should -Not -Be 0
    }

    It 'carries user-changed server.xml values' {
        (Invoke-LabSsh sn1 'grep -c -E "<property name=\"(processors|maxConnections)\">(4|8000)<" /usr/local/hotdb/hotdb-server/conf/server.xml').Output | Should -Be '2'
    }

    It 'serves the management page with its version and lists the agents of ds1 and ds2' {
        $mgmt = (Get-LabHost mgmt).Address
        (Invoke-WebRequest "http://${mgmt}:3324/" -UseBasicParsing).Content | Should -Match 'Version: 2\.5\.3'
        $agents = { (Invoke-WebRequest "http://${mgmt}:3324/api/backup/agents" -UseBasicParsing).Content }
        Wait-SimCondition { (& $agents) -match 'ds1' -and (& $agents) -match 'ds2' } 15 | Should -BeTrue
        Test-LabPort (Get-LabHost ds1).Address 3330 | Should -BeTrue
    }

    It 'keeps DR-centre nodes at the manager port only' {
        $dr1 = (Get-LabHost dr1).Address
        Test-LabPort $dr1 3325 | Should -BeTrue
        Test-LabPort $dr1 3323 | Should -BeFalse
        (Invoke-LabQuery $dr1 3325 'online').Error.Message | Should -Be 'access denied. online is not allowed in a DR HotDB Server.'
    }
}

Describe 'Simulated master/slave on ms1/ms2' -Tag LabSim -Skip:$labSkip {
    It 'has the VIP and both ports on ms1, only 3325 on ms2' {
        $vip = (Get-LabHost ms1).Vip
        Test-HostHasAddress ms1 $vip | Should -BeTrue
        Test-LabPort (Get-LabHost ms1).Address 3323 | Should -BeTrue
        Test-LabPort (Get-LabHost ms2).Address 3323 | Should -BeFalse
        (Invoke-LabQuery $vip 3323 'SELECT 1').Rows[0].'1' | Should -Be 1
    }

    It 'moves the VIP and opens 3323 on ms2 within 15 s when the master''s compute node stops' {
        $vip = (Get-LabHost ms1).Vip
        (Invoke-LabSsh ms1 'sh /usr/local/hotdb/hotdb-server/bin/hotdb_server stop').ExitCode | Should -Be 0
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Wait-SimCondition { (Test-HostHasAddress ms2 $vip) -and (Test-LabPort (Get-LabHost ms2).Address 3323) } 15 | Should -BeTrue
        Write-Host ("VIP and 3323 on ms2 after {0:N1} s" -f $clock.Elapsed.TotalSeconds)
        (Invoke-LabQuery $vip 3323 'SELECT 1').Rows[0].'1' | Should -Be 1
        (Invoke-LabQuery (Get-LabHost ms2).Address 3325 'show @@server').Rows[0].status | Should -Be 'ON'
    }
}

Describe 'Simulated cluster on mn1..mn3' -Tag LabSim -Skip:$labSkip {
    It 'shows one PRIMARY and two SECONDARY members on every member' {
        foreach ($name in 'mn1', 'mn2', 'mn3') {
            $view = (Invoke-LabQuery (Get-LabHost $name).Address 3325 'show @@cluster').Rows
            @($view).Count | Should -Be 3 -Because $name
            @($view | Where-Object status -EQ 'PRIMARY').Count | Should -Be 1
            @($view | Where-Object status -EQ 'SECONDARY').Count | Should -Be 2
        }
    }

    It 'produces a new Primary within 15 s when the Primary stops' {
        $primary = 'mn1', 'mn2', 'mn3' | Where-Object { (Invoke-LabQuery (Get-LabHost $_).Address 3325 'show @@server').Rows[0].role -eq 'PRIMARY' }
        @($primary).Count | Should -Be 1
        (Invoke-LabSsh $primary 'sh /usr/local/hotdb/hotdb-server/bin/hotdb_server stop').ExitCode | Should -Be 0
        $other = 'mn1', 'mn2', 'mn3' | Where-Object { $_ -ne $primary } | Select-Object -First 1
        $oldAddress = (Get-LabHost $primary).Address
        Wait-SimCondition {
            $view = (Invoke-LabQuery (Get-LabHost $other).Address 3325 'show @@cluster').Rows
            @($view | Where-Object status -EQ 'PRIMARY').Count -eq 1 -and -not ($view | Where-Object host -EQ $oldAddress)
        } 15 | Should -BeTrue
    }

    It 'breaks the old nodes still running when the ConfigDB upgrade modifies a column they read' {
        $breaking = Get-Content (Join-Path (Split-Path (Split-Path (Get-LabHost configdb).StateFolder)) 'packages/configdb-upgrade/hotdb_config_2.5.4.sql') -Raw
        (Invoke-HotDbLabHostCommand -HostName configdb -Command 'mariadb hotdb_config_mn' -InputText $breaking).ExitCode | Should -Be 0
        $running = 'mn1', 'mn2', 'mn3' | Where-Object { Test-LabPort (Get-LabHost $_).Address 3323 } | Select-Object -First 1
        Wait-SimCondition { (Invoke-LabQuery (Get-LabHost $running).Address 3323 'SELECT 1').Error.Number -eq 10161 } 10 | Should -BeTrue
    }
}

Describe 'Simulated refusals on sn1' -Tag LabSim -Skip:$labSkip {
    BeforeAll {
        # Unpacks another version beside sn1's node (ports 4323/4325), pointed at sn1's ConfigDB or -Database, and starts it.
        function script:Start-TrialNode([string] $Version, [string] $Directory, [string] $Database, [string] $JavaBin) {
            $package = Get-ChildItem (Join-Path (Split-Path (Split-Path (Get-LabHost sn1).StateFolder)) 'packages') -Filter "hotdb-server-$Version-ga-*.tar.gz"
            $jdk = if ($JavaBin) { "sed -i 's#^JAVA_BIN=.*#JAVA_BIN=$JavaBin#; s#^JAVA_VERSION=.*#JAVA_VERSION=`"1.8.0_252`"#' bin/hotdb_server" } else { 'true' }
            $database = if ($Database) { "url=`$(echo `"`$url`" | sed 's#/[^/]*`$#/$Database#')" } else { 'true' }
            Invoke-LabSsh sn1 (@"
set -e
mkdir -p /usr/local/hotdb/$Directory && cd /usr/local/hotdb/$Directory
tar -xzf '$($package.FullName)'
ln -sfn /usr/local/hotdb/jdk jdk
cd hotdb-server
url=`$(sed -n 's:.*<property name="url">\([^<]*\)<.*:\1:p' /usr/local/hotdb/hotdb-server/conf/server.xml)
pw=`$(sed -n 's:.*<property name="password">\([^<]*\)<.*:\1:p' /usr/local/hotdb/hotdb-server/conf/server.xml)
$database
sed -i "s#<property name=\"url\">[^<]*<#<property name=\"url\">`$url<#; s#<property name=\"password\">[^<]*<#<property name=\"password\">`$pw<#; s#>3323<#>4323<#; s#>3325<#>4325<#" conf/server.xml
$jdk
sh bin/hotdb_server start
"@)
        }
    }

    It 'refuses to start with a JAVA_VERSION that does not match JAVA_BIN' {
        $script_ = '/usr/local/hotdb/hotdb-server/bin/hotdb_server'
        (Invoke-LabSsh sn1 "sh $script_ stop").ExitCode | Should -Be 0
        $start = Invoke-LabSsh sn1 "sed -i 's/^JAVA_VERSION=.*/JAVA_VERSION=`"1.8.0_252`"/' $script_ && sh $script_ start"
        $start.ExitCode | Should -Not -Be 0
        $start.Output | Should -Match 'java version of .* is 1\.7\.0_80, but HotDB-server needs 1\.8\.0_252'
        (Invoke-LabSsh sn1 "sed -i 's/^JAVA_VERSION=.*/JAVA_VERSION=`"1.7.0_80`"/' $script_ && sh $script_ start").ExitCode | Should -Be 0
    }

    It 'refuses to start a newer version on the old ConfigDB' {
        $try = Start-TrialNode -Version '2.5.4' -Directory try254
        $try.ExitCode | Should -Not -Be 0
        $try.Output | Should -Match 'not usable by HotDB-2\.5\.4'
        (Invoke-LabSsh sn1 'grep -c "\[ERROR\] \[INIT\]" /usr/local/hotdb/try254/hotdb-server/logs/hotdb.log').Output | Should -Not -Be '0'
    }

    It 'refuses service over the trial license''s data-node limit' {
        $packages = Join-Path (Split-Path (Split-Path (Get-LabHost sn1).StateFolder)) 'packages'
        $rows = (1..65 | ForEach-Object { "($_, 'dn_$_', 'NORMAL')" }) -join ','
        $sql = "CREATE DATABASE hotdb_config_lic; USE hotdb_config_lic;`n" + (Get-Content (Join-Path $packages 'configdb-initial/hotdb_config-initial-2.5.6.sql') -Raw) +
            "`nINSERT INTO hotdb_logic_db (id, name) VALUES (1, 'LOGIC1'); INSERT INTO hotdb_datanode (datanode_id, datanode_name, datanode_type) VALUES $rows;"
        (Invoke-HotDbLabHostCommand -HostName configdb -Command 'mariadb' -InputText $sql).ExitCode | Should -Be 0
        (Invoke-LabSsh sn1 "cd /usr/local/hotdb && tar -xzf '$packages/OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'").ExitCode | Should -Be 0
        $try = Start-TrialNode -Version '2.5.6' -Directory try256 -Database hotdb_config_lic -JavaBin /usr/local/hotdb/jdk8u252-b09/bin/java
        $try.ExitCode | Should -Not -Be 0
        $try.Output | Should -Match 'Number of Datanodes Exceeded Maximum Size Limit\. expect:65 limit:64'
        Test-LabPort (Get-LabHost sn1).Address 4323 | Should -BeFalse
        (Invoke-LabQuery (Get-LabHost sn1).Address 4325 'reload @@config').Error.Number | Should -Be 10190
        (Invoke-LabSsh sn1 'sh /usr/local/hotdb/try256/hotdb-server/bin/hotdb_server stop').ExitCode | Should -Be 0
    }

    It 'refuses to run 2.5.6 on the 1.7 JDK its unedited start script names' {
        $try = Start-TrialNode -Version '2.5.6' -Directory try256jdk7
        $try.ExitCode | Should -Not -Be 0
        (Invoke-LabSsh sn1 'cat /usr/local/hotdb/try256jdk7/hotdb-server/logs/console.log').Output | Should -Match 'Unsupported major\.minor version 52\.0'
    }

    It 'fails the next start once, hangs on stop and corrupts a package through the component faults' {
        $script_ = '/usr/local/hotdb/hotdb-server/bin/hotdb_server'
        Set-HotDbLabComponentFault -HostName sn1 -Component hotdb-server -Fault StartFailure -Message 'injected by the lab'
        (Invoke-LabSsh sn1 "sh $script_ stop").ExitCode | Should -Be 0
        $failed = Invoke-LabSsh sn1 "sh $script_ start"
        $failed.ExitCode | Should -Not -Be 0
        $failed.Output | Should -Match 'injected by the lab'
        (Invoke-LabSsh sn1 "sh $script_ start").ExitCode | Should -Be 0

        Set-HotDbLabComponentFault -HostName sn1 -Component hotdb-server -Fault HangOnStop
        (Invoke-LabSsh sn1 "sed -i 's/^STOP_TIMEOUT=.*/STOP_TIMEOUT=3/' $script_ && sh $script_ stop").Output | Should -Match 'did not stop within 3 s'
        Clear-HotDbLabComponentFault -HostName sn1
        (Invoke-LabSsh sn1 "sh $script_ stop").ExitCode | Should -Be 0

        Set-HotDbLabComponentFault -HostName sn1 -Component hotdb-server -Fault CorruptPackage
        $untar = Invoke-LabSsh sn1 'cd /usr/local/hotdb/Install_Package && tar -tzf hotdb-server-2.4.9-ga-20190812.tar.gz > /dev/null'
        $untar.ExitCode | Should -Not -Be 0
    }
}
