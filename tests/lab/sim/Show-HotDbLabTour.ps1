<#
.SYNOPSIS
    The lab tour: brings the default estate up with the simulated HotDB components (or reuses the running one)
    and prints what is where: hosts, component versions, the master/slave VIP, the cluster's members.
    Leaves the estate running for exploring; prints how to reach it and how to tear it down.
#>
[CmdletBinding()]
param([string] $Topology)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot '../HotDbLab.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'HotDbLabSim.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'SimFixture.psm1') -Force

function Write-Tour([string] $Text) { Write-Host "==> $Text" -ForegroundColor Cyan }

function Get-Manager([string] $Address, [string] $Sql) {
    Import-SimMySqlConnector
    $csb = [MySqlConnector.MySqlConnectionStringBuilder]::new()
    $csb.Server = $Address; $csb.Port = 3325; $csb.UserID = 'root'; $csb.Password = 'root'; $csb.Pooling = $false; $csb.ConnectionTimeout = 3
    $connection = [MySqlConnector.MySqlConnection]::new($csb.ConnectionString)
    try {
        $connection.Open()
        $command = $connection.CreateCommand(); $command.CommandText = $Sql
        $reader = $command.ExecuteReader()
        @(while ($reader.Read()) {
                $row = [ordered]@{}
                for ($i = 0; $i -lt $reader.FieldCount; $i++) { $row[$reader.GetName($i)] = $reader.GetValue($i) }
                [pscustomobject]$row
            })
    }
    catch { @() }
    finally { $connection.Dispose() }
}

$reason = Get-HotDbLabSupport
if ($reason) { throw $reason }
$hosts = @(Get-HotDbLab -ErrorAction SilentlyContinue)
if ($hosts) { Write-Tour 'Reusing the running lab' }
else {
    Write-Tour 'Starting the lab with the simulated HotDB components (Start-HotDbLab + Register-HotDbLabSim)'
    Register-HotDbLabSim
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $arguments = @{}
    if ($Topology) { $arguments.Topology = $Topology }
    $hosts = @(Start-HotDbLab @arguments)
    Write-Tour ("Estate up in {0:N1} s" -f $clock.Elapsed.TotalSeconds)
}

Write-Tour 'Hosts and what runs on them'
$hosts | ForEach-Object {
    $version = if ('computenode' -in $_.Roles) { "$((Get-Manager $_.Address 'show @@version' | Select-Object -First 1).version)" -replace '^5\.7\.19-HotDB-', 'HotDB Server ' }
    elseif ('management' -in $_.Roles) { try { "HotDB Management $((Invoke-WebRequest "http://$($_.Address):3324/api/version" -UseBasicParsing -TimeoutSec 3).Content.Trim())" } catch { '' } }
    $server = if ('computenode' -in $_.Roles) { Get-Manager $_.Address 'show @@server' | Select-Object -First 1 }
    [pscustomobject]@{
        Name = $_.Name; Address = $_.Address; Roles = $_.Roles -join ','; Version = $version
        Role = if ($server) { $server.role } else { '' }; Service = if ($server) { $server.status } else { '' }
    }
} | Format-Table -AutoSize | Out-String -Width 200 | Write-Host

foreach ($group in $hosts | Where-Object Vip | Group-Object Group) {
    $vip = $group.Group[0].Vip
    $holder = $group.Group | Where-Object { (Invoke-HotDbLabHostCommand -HostName $_.Name -Command 'ip -o -4 addr show dev eth0').Output -match " $([regex]::Escape($vip))/" }
    Write-Tour "Group $($group.Name): VIP $vip is on $(if ($holder) { $holder.Name -join ', ' } else { 'no host' })"
}

$clusterMember = $hosts | Where-Object { 'computenode' -in $_.Roles -and -not $_.Vip -and (Get-Manager $_.Address 'show @@cluster') } | Select-Object -First 1
if ($clusterMember) {
    Write-Tour "show @@cluster on $($clusterMember.Name)"
    Get-Manager $clusterMember.Address 'show @@cluster' | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
}

$any = $hosts | Select-Object -First 1
Write-Tour 'Explore it:'
Write-Host "    ssh -i $($any.RootKeyPath) -o UserKnownHostsFile=$($any.KnownHostsPath) root@198.18.0.31"
Write-Host '    mysql -h 198.18.0.31 -P 3325 -u root -p        # compute-node user root, password root; try show @@server'
Write-Host "    curl http://$(($hosts | Where-Object { 'management' -in $_.Roles } | Select-Object -First 1).Address):3324/"
Write-Tour 'Tear it down: dotnet pwsh ./build.ps1 -Task Lab -LabAction Down'
