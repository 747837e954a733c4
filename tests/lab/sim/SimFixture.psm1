<#
.SYNOPSIS
    Test fixture for the HotDB simulation on loopback: a private MariaDB, the built packages, installed
    component directories and MySQL-protocol queries through MySqlConnector. Used by tests/pester/Sim.Tests.ps1.
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:SimRoot = $PSScriptRoot

function Get-SimDll {
    $candidates = @('Release', 'Debug') | ForEach-Object { Join-Path $script:SimRoot "HotDbSim/bin/$_/net10.0/HotDbSim.dll" } | Where-Object { Test-Path $_ }
    if (-not $candidates) { return $null }
    $candidates | Sort-Object { (Get-Item $_).LastWriteTimeUtc } -Descending | Select-Object -First 1
}

function Import-SimMySqlConnector {
    if ('MySqlConnector.MySqlConnection' -as [type]) { return }
    Add-Type -Path (Join-Path (Split-Path (Get-SimDll)) 'MySqlConnector.dll')
}

function Get-SimFreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Test-SimPort([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try { $client.ConnectAsync('127.0.0.1', $Port).Wait(500) -and $client.Connected } catch { $false } finally { $client.Dispose() }
}

function Wait-SimCondition([scriptblock] $Condition, [double] $TimeoutSeconds = 15) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    while ($sw.Elapsed.TotalSeconds -lt $TimeoutSeconds) {
        if (& $Condition) { return $true }
        Start-Sleep -Milliseconds 200
    }
    return [bool](& $Condition)
}

function Start-SimMariaDb([string] $Root) {
    $data = Join-Path $Root 'mariadb'
    New-Item -ItemType Directory -Path $data -Force | Out-Null
    $port = Get-SimFreePort
    $socket = Join-Path $data 'mysqld.sock'
    & mariadb-install-db --no-defaults "--datadir=$data/data" --user=root --auth-root-authentication-method=normal --skip-test-db *> (Join-Path $data 'install.log')
    if ($LASTEXITCODE -ne 0) { throw "mariadb-install-db failed: $(Get-Content (Join-Path $data 'install.log') -Raw)" }
    $process = Start-Process -FilePath mariadbd -PassThru -RedirectStandardOutput (Join-Path $data 'out.log') -RedirectStandardError (Join-Path $data 'err.log') -ArgumentList @(
        '--no-defaults', "--datadir=$data/data", "--socket=$socket", "--port=$port", '--bind-address=127.0.0.1', '--user=root',
        "--pid-file=$data/mariadbd.pid", '--skip-log-bin', '--innodb-buffer-pool-size=16M', '--skip-name-resolve')
    $db = [pscustomobject]@{ Port = $port; Socket = $socket; Process = $process; Root = $data }
    if (-not (Wait-SimCondition { (& mariadb --no-defaults -S $socket -uroot -N -e 'select 1' 2>$null) -eq '1' } 30)) {
        throw "MariaDB did not start: $(Get-Content (Join-Path $data 'err.log') -Raw)"
    }
    $db
}

function Stop-SimMariaDb($Db) {
    if ($Db -and -not $Db.Process.HasExited) {
        $Db.Process.Kill()
        $Db.Process.WaitForExit(10000) | Out-Null
    }
}

function Invoke-SimMariaDb($Db, [string] $Sql, [string] $Database, [string] $File) {
    $arguments = @('--no-defaults', '-S', $Db.Socket, '-uroot', '-N', '-B')
    if ($Database) { $arguments += $Database }
    $output = if ($File) { Get-Content $File -Raw | & mariadb @arguments 2>&1 } else { & mariadb @arguments -e $Sql 2>&1 }
    if ($LASTEXITCODE -ne 0) { throw "mariadb failed: $output" }
    $output
}

<# Creates a ConfigDB at a release's schema, with a LogicDB and the given number of data nodes. #>
function New-SimConfigDb($Db, [string] $Name, [string] $Packages, [string] $Schema = 'hotdb_config', [string] $Version, [int] $DataNodes = 2) {
    Invoke-SimMariaDb $Db "CREATE DATABASE $Name; CREATE USER IF NOT EXISTS 'hotdb_config'@'%' IDENTIFIED BY 'hotdb_config'; GRANT ALL ON $Name.* TO 'hotdb_config'@'%';" | Out-Null
    Invoke-SimMariaDb $Db -Database $Name -File (Join-Path $Packages "configdb-initial/$Schema-initial-$Version.sql") | Out-Null
    if ($Schema -eq 'hotdb_config') {
        $type = if ([version]$Version -ge [version]'2.5.4') { "'NORMAL'" } else { '0' }
        $rows = (1..$DataNodes | ForEach-Object { "($_, 'dn_$_', $type)" }) -join ','
        Invoke-SimMariaDb $Db -Database $Name -Sql "INSERT INTO hotdb_logic_db (id, name) VALUES (1, 'LOGIC1'); INSERT INTO hotdb_datanode (datanode_id, datanode_name, datanode_type) VALUES $rows;" | Out-Null
    }
    "jdbc:mysql://127.0.0.1:$($Db.Port)/$Name"
}

<# Extracts both JDKs once under Root: Root/jdk1.7.0_80 and Root/jdk8u252-b09. #>
function Install-SimJdk([string] $Root, [string] $Packages) {
    foreach ($tarball in 'jdk-7u80-linux-x64.tar.gz', 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz') {
        & tar -xzf (Join-Path $Packages $tarball) -C $Root
        if ($LASTEXITCODE -ne 0) { throw "tar failed on $tarball" }
    }
}

<# Installs a package into Root/Name/ like /usr/local/hotdb: the component directory plus ../jdk (the 1.7 JDK). #>
function Install-SimPackage([string] $Root, [string] $Name, [string] $Package) {
    $home_ = Join-Path $Root $Name
    New-Item -ItemType Directory -Path $home_ -Force | Out-Null
    & tar -xzf $Package -C $home_
    if ($LASTEXITCODE -ne 0) { throw "tar failed on $Package" }
    & ln -sfn (Join-Path $Root 'jdk1.7.0_80') (Join-Path $home_ 'jdk')
    $home_
}

function Set-SimServerXml([string] $Path, [System.Collections.IDictionary] $Properties) {
    [xml] $xml = Get-Content $Path -Raw
    $system = $xml.DocumentElement.SelectSingleNode('system')
    foreach ($name in $Properties.Keys) {
        $node = $system.SelectSingleNode("property[@name='$name']")
        if (-not $node) { $node = $system.AppendChild($xml.CreateElement('property')); $node.SetAttribute('name', $name) }
        $node.InnerText = [string]$Properties[$name]
    }
    # UTF-8 without a BOM, as the vendor ships it.
    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $writer = [System.Xml.XmlWriter]::Create($Path, $settings)
    try { $xml.Save($writer) } finally { $writer.Dispose() }
}

function Set-SimScriptVariable([string] $Path, [hashtable] $Variables) {
    $text = Get-Content $Path -Raw
    foreach ($name in $Variables.Keys) { $text = $text -replace "(?m)^$name=.*$", "$name=$($Variables[$name])" }
    Set-Content -Path $Path -Value $text -NoNewline
}

function Invoke-SimScript([string] $Script, [string[]] $Arguments) {
    $output = & sh $Script @Arguments 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join "`n") }
}

<# Runs SQL over the MySQL protocol with MySqlConnector; returns rows as objects, or the MySqlException. #>
function Invoke-SimQuery([int] $Port, [string] $Sql, [string] $User = 'root', [string] $Password = 'root', [string] $Database) {
    Import-SimMySqlConnector
    $csb = [MySqlConnector.MySqlConnectionStringBuilder]::new()
    $csb.Server = '127.0.0.1'; $csb.Port = $Port; $csb.UserID = $User; $csb.Password = $Password; $csb.Pooling = $false
    $csb.ConnectionTimeout = 5
    if ($Database) { $csb.Database = $Database }
    $connection = [MySqlConnector.MySqlConnection]::new($csb.ConnectionString)
    try {
        $connection.Open()
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        $reader = $command.ExecuteReader()
        $rows = [System.Collections.Generic.List[object]]::new()
        do {
            while ($reader.Read()) {
                $row = [ordered]@{}
                for ($i = 0; $i -lt $reader.FieldCount; $i++) { $row[$reader.GetName($i)] = if ($reader.IsDBNull($i)) { $null } else { $reader.GetValue($i) } }
                $rows.Add([pscustomobject]$row)
            }
        } while ($reader.NextResult())
        $reader.Dispose()
        [pscustomobject]@{ Rows = $rows.ToArray(); RecordsAffected = $reader.RecordsAffected; Error = $null }
    }
    catch [MySqlConnector.MySqlException] {
        [pscustomobject]@{ Rows = @(); RecordsAffected = 0; Error = $_.Exception }
    }
    catch {
        $inner = $_.Exception
        while ($inner.InnerException -and $inner -isnot [MySqlConnector.MySqlException]) { $inner = $inner.InnerException }
        if ($inner -is [MySqlConnector.MySqlException]) { return [pscustomobject]@{ Rows = @(); RecordsAffected = 0; Error = $inner } }
        throw
    }
    finally { $connection.Dispose() }
}

function Stop-SimProcessTree([string] $Home_) {
    # every simulated JVM started under this directory, by the pid files its scripts wrote
    Get-ChildItem -Path $Home_ -Recurse -Filter '*.pid' -ErrorAction SilentlyContinue | ForEach-Object {
        $id = (Get-Content $_.FullName -Raw).Trim()
        if ($id -match '^\d+$') { try { Stop-Process -Id ([int]$id) -Force -ErrorAction Stop } catch { } }
    }
}

Export-ModuleMember -Function *-Sim*
