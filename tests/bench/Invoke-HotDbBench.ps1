<#
.SYNOPSIS
    The HotDb.Upgrade benchmark (build.ps1 -Task Bench): the module against plain OpenSSH and against the manual's
    commands typed over ssh/scp, on the lab. Prints one table with ratios and writes it as JSON under out/bench/.
.DESCRIPTION
    Not a test: nothing is asserted, every number is one run on this machine. Needs root and the lab (tests/lab);
    the lab is started once with a small topology (a ConfigDB and four single compute nodes, each in its own
    group and ConfigDB database) and always stopped at the end.

    a. Uploads: Send-HotDbFile (SHA-256 verified) of one file of -UploadSizeMB to one host against scp, and to
       four hosts at once (the module's fan-out) against four scp run side by side.
    b. Pre-checks: Get-HotDbComputeNode on one compute node and on all four, with the lab's Latency fault at
       -LatencyMs on every compute node host.
    c. Single-node upgrade 2.4.9 -> -TargetVersion: module/runbooks/Update-HotDbSingleNode.ps1 on sn1 against
       tests/bench/manual/single-node.sh (the manual's commands over ssh/scp) on sn2, same package and ConfigDB
       scripts. Wall time, and the client-visible outage seen by a probe that connects to the node's service
       port and runs SELECT 1 every 50 ms (Start-ClientProbe of tests/pester/fixtures/LabFixture.psm1).
    d. Peak memory (VmHWM) of a pwsh process that does only the upload, and of one that runs
       Test-HotDbUpgradeSql on a generated script of -SqlSizeMB (report only).
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/HotDb.Upgrade/HotDb.Upgrade.psd1'),
    [string] $OutPath = (Join-Path $PSScriptRoot '../../out/bench'),
    [ValidateRange(1, 4096)] [int] $UploadSizeMB = 300,
    [ValidateRange(1, 4096)] [int] $SqlSizeMB = 50,
    [ValidateRange(1, 10000)] [int] $LatencyMs = 20,
    [string] $TargetVersion = '2.5.4'
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath
Import-Module (Join-Path $root 'tests/pester/fixtures/LabFixture.psm1') -Force
New-Item -ItemType Directory -Path $OutPath -Force | Out-Null
$OutPath = (Resolve-Path $OutPath).Path
$work = Join-Path $OutPath 'work'
New-Item -ItemType Directory -Path $work -Force | Out-Null

function Write-Bench([string] $Text) { Write-Host "==> $Text" -ForegroundColor Cyan }
$results = [Collections.Generic.List[object]]::new()
function Add-Result([string] $Group, [string] $Name, [double] $Value, [string] $Unit, [string] $Note = '') {
    $results.Add([pscustomobject]@{ Group = $Group; Name = $Name; Value = [Math]::Round($Value, 3); Unit = $Unit; Note = $Note })
}
function Measure-Seconds([scriptblock] $Script) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    & $Script
    $clock.Elapsed.TotalSeconds
}
function Get-Ratio([double] $A, [double] $B) { if ($B -gt 0) { $A / $B } else { [double]::NaN } }

# A file of random bytes (incompressible), written in 1 MB blocks.
function New-RandomFile([string] $Path, [int] $SizeMB) {
    if ((Test-Path $Path) -and (Get-Item $Path).Length -eq $SizeMB * 1MB) { return }
    $buffer = [byte[]]::new(1MB)
    $stream = [IO.File]::Create($Path)
    try { for ($i = 0; $i -lt $SizeMB; $i++) { [Security.Cryptography.RandomNumberGenerator]::Fill($buffer); $stream.Write($buffer, 0, $buffer.Length) } }
    finally { $stream.Dispose() }
}

# Peak memory of a fresh pwsh doing one operation (Measure-HotDbBenchMemory.ps1): returns before/peak bytes, seconds.
function Measure-ChildMemory([hashtable] $Arguments) {
    $list = @('pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Measure-HotDbBenchMemory.ps1'), '-ModulePath', $ModulePath)
    foreach ($key in $Arguments.Keys) { $list += @("-$key", [string]$Arguments[$key]) }
    Push-Location $root
    try { $output = @(& dotnet @list 2>&1) } finally { Pop-Location }
    if ($LASTEXITCODE -ne 0) { throw "the memory run failed: $($output -join "`n")" }
    $fields = ([string]$output[-1]).Split(' ', 4)
    [pscustomobject]@{ BeforeBytes = [long]$fields[0]; PeakBytes = [long]$fields[1]; Seconds = [double]$fields[2]; Error = $fields[3].Trim() }
}

$reason = Get-LabFixtureSkipReason
if ($reason) { throw "The benchmark needs the lab: $reason" }

# d (local part first, before the lab is taken): Test-HotDbUpgradeSql on a generated script of -SqlSizeMB
# (Measure-HotDbBenchMemory.ps1 writes it, once, under out/bench/work).
Write-Bench "Measuring Test-HotDbUpgradeSql's peak memory on a $SqlSizeMB MB script"
$sqlPath = Join-Path $work "sql-$SqlSizeMB/hotdb_config_9.9.9.sql"
New-Item -ItemType Directory -Path (Split-Path $sqlPath) -Force | Out-Null
$sqlMemory = Measure-ChildMemory @{ Operation = 'Sql'; Path = $sqlPath; SqlSizeMB = $SqlSizeMB }
$note = "{0:N0} MB after module load; {1:N1} s" -f ($sqlMemory.BeforeBytes / 1MB), $sqlMemory.Seconds
if ($sqlMemory.Error) { $note += "; refused: $($sqlMemory.Error.Substring(0, [Math]::Min(60, $sqlMemory.Error.Length)))" }
Add-Result 'd memory' "Test-HotDbUpgradeSql $SqlSizeMB MB: pwsh peak" ($sqlMemory.PeakBytes / 1MB) 'MB' $note

$bigFile = Join-Path $work "upload-$UploadSizeMB.bin"
Write-Bench "Writing a $UploadSizeMB MB random file"
New-RandomFile $bigFile $UploadSizeMB

$nodes = 'sn1', 'sn2', 'sn3', 'sn4'
$topology = @{
    Defaults = @{ HotDbSize = '' }
    Groups = @{ s1 = @{ Mode = 'Single' }; s2 = @{ Mode = 'Single' }; s3 = @{ Mode = 'Single' }; s4 = @{ Mode = 'Single' } }
    Hosts = @(
        @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
        @{ Name = 'sn1'; Address = '198.18.0.21'; Roles = @('computenode'); Group = 's1' }
        @{ Name = 'sn2'; Address = '198.18.0.22'; Roles = @('computenode'); Group = 's2' }
        @{ Name = 'sn3'; Address = '198.18.0.23'; Roles = @('computenode'); Group = 's3' }
        @{ Name = 'sn4'; Address = '198.18.0.24'; Roles = @('computenode'); Group = 's4' }
    )
}

$probe = $null
try {
    Write-Bench 'Starting the lab (waits for another lab to stop)'
    $lab = Start-LabFixture -Topology $topology
    $first = $lab | Select-Object -First 1
    $keyFile = $first.RootKeyPath
    $knownHosts = $first.KnownHostsPath
    $addresses = foreach ($name in $nodes) { (Get-LabHost $name).Address }
    $sshOptions = @('-i', $keyFile, '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$knownHosts", '-o', 'BatchMode=yes')
    $sessions = @(foreach ($name in $nodes) { Connect-LabHost $name })

    # a. Uploads.
    Write-Bench "a. Uploads of $UploadSizeMB MB"
    $module1 = Measure-Seconds { $null = Send-HotDbFile -Session $sessions[0] -Path $bigFile -Destination '/tmp/bench-module-1.bin' }
    $scp1 = Measure-Seconds { & scp -q @sshOptions $bigFile "root@$($addresses[0]):/tmp/bench-scp-1.bin"; if ($LASTEXITCODE) { throw 'scp failed' } }
    $module4 = Measure-Seconds { $null = Send-HotDbFile -Session $sessions -Path $bigFile -Destination '/tmp/bench-module-4.bin' -ThrottleLimit 8 }
    $scp4 = Measure-Seconds {
        $processes = foreach ($address in $addresses) {
            Start-Process -FilePath scp -ArgumentList (@('-q') + $sshOptions + @($bigFile, "root@${address}:/tmp/bench-scp-4.bin")) -PassThru -NoNewWindow
        }
        $processes | Wait-Process
        foreach ($process in $processes) { if ($process.ExitCode -ne 0) { throw "scp exited $($process.ExitCode)" } }
    }
    $null = Invoke-HotDbCommand -Session $sessions -Command 'rm -f /tmp/bench-*.bin'
    Add-Result 'a upload' 'Send-HotDbFile, 1 host' $module1 's' 'SHA-256 verified'
    Add-Result 'a upload' 'scp, 1 host' $scp1 's'
    Add-Result 'a upload' 'Send-HotDbFile, 4 hosts' $module4 's' '-ThrottleLimit 8'
    Add-Result 'a upload' '4 scp side by side' $scp4 's'
    Add-Result 'a upload' 'ratio module/scp, 1 host' (Get-Ratio $module1 $scp1) 'x'
    Add-Result 'a upload' 'ratio module/scp, 4 hosts' (Get-Ratio $module4 $scp4) 'x'
    Add-Result 'a upload' 'ratio module 4-host/1-host' (Get-Ratio $module4 $module1) 'x' 'issue 14 goal <= 1.3'
    Add-Result 'a upload' 'ratio scp 4-host/1-host' (Get-Ratio $scp4 $scp1) 'x'

    # d. Peak memory of a pwsh doing only the upload.
    Write-Bench 'd. Peak memory of the upload'
    $uploadMemory = Measure-ChildMemory @{ Operation = 'Upload'; Path = $bigFile; ComputerName = $addresses[0]; KeyFile = $keyFile; KnownHostsPath = $knownHosts; Destination = '/tmp/bench-memory.bin' }
    $null = Invoke-HotDbCommand -Session $sessions[0] -Command 'rm -f /tmp/bench-memory.bin'
    if ($uploadMemory.Error) { throw "the measured upload failed: $($uploadMemory.Error)" }
    Add-Result 'd memory' "Send-HotDbFile $UploadSizeMB MB: pwsh peak" ($uploadMemory.PeakBytes / 1MB) 'MB' ("{0:N0} MB after module load; {1:N1} s" -f ($uploadMemory.BeforeBytes / 1MB), $uploadMemory.Seconds)

    # b. Pre-checks under latency.
    Write-Bench "b. Get-HotDbComputeNode with $LatencyMs ms latency on every compute node"
    $null = Get-HotDbComputeNode -Session $sessions   # warm: the first call loads code paths
    foreach ($name in $nodes) { $null = Invoke-HotDbLabFault -HostName $name -Fault Latency -DelayMs $LatencyMs -DurationSeconds 300 }
    try {
        $check1 = Measure-Seconds { $null = Get-HotDbComputeNode -Session $sessions[0] }
        $checkN = Measure-Seconds { $null = Get-HotDbComputeNode -Session $sessions }
    }
    finally { Clear-HotDbLabFault -ErrorAction SilentlyContinue }
    Add-Result 'b pre-check' 'Get-HotDbComputeNode, 1 host' $check1 's' "latency $LatencyMs ms"
    Add-Result 'b pre-check' "Get-HotDbComputeNode, $($nodes.Count) hosts" $checkN 's' "latency $LatencyMs ms"
    Add-Result 'b pre-check' "ratio $($nodes.Count)-host/1-host" (Get-Ratio $checkN $check1) 'x' 'issue 14 goal <= 1.5 (for 10 hosts)'
    $sessions | Remove-HotDbSession

    # c. Single-node upgrade: the runbook on sn1, the manual's commands on sn2.
    Write-Bench "c. Single-node upgrade to ${TargetVersion}: runbook on sn1, manual script on sn2"
    $package = Get-LabPackage "hotdb-server-$TargetVersion-ga-*.tar.gz"
    $scripts = Get-LabScriptsPath
    $login = New-LabConfigDbLogin
    $connection = Get-LabRunbookConnection
    $runbook = Join-Path (Split-Path $ModulePath) 'runbooks/Update-HotDbSingleNode.ps1'

    $probe = Start-ClientProbe -Server (Get-LabHost 'sn1').Address
    Start-Sleep -Seconds 1
    $runbookLog = Join-Path $OutPath 'single-node-runbook.log'
    $runbookSeconds = Measure-Seconds {
        & $runbook -ComputerName (Get-LabHost 'sn1').Address @connection -Package $package -ScriptsPath $scripts -ConfigDbCredential $login -LogPath $runbookLog *>&1 | Out-Null
    }
    $runbookExit = $LASTEXITCODE
    Start-Sleep -Seconds 1
    $runbookProbe = Stop-ClientProbe $probe; $probe = $null

    $sn2 = Get-LabHost 'sn2'
    $env:NODE = $sn2.Address; $env:CONFIGDB_HOST = (Get-LabHost 'configdb').Address; $env:CONFIGDB_NAME = 'hotdb_config_s2'
    $env:PACKAGE = $package; $env:SCRIPTS = $scripts; $env:FROM_VERSION = '2.4.9'; $env:TO_VERSION = $TargetVersion
    $env:SSH_KEY = $keyFile; $env:KNOWN_HOSTS = $knownHosts
    $probe = Start-ClientProbe -Server $sn2.Address
    Start-Sleep -Seconds 1
    $manualLog = Join-Path $OutPath 'single-node-manual.log'
    $manualSeconds = Measure-Seconds { & bash (Join-Path $PSScriptRoot 'manual/single-node.sh') *> $manualLog }
    $manualExit = $LASTEXITCODE
    Start-Sleep -Seconds 1
    $manualProbe = Stop-ClientProbe $probe; $probe = $null

    $check = @(foreach ($name in 'sn1', 'sn2') { Connect-LabHost $name })
    $versions = Get-HotDbComputeNode -Session $check | ForEach-Object { "$($_.ComputerName)=$($_.Version)" }
    $check | Remove-HotDbSession
    Add-Result 'c single node' 'runbook wall time' $runbookSeconds 's' "exit $runbookExit"
    Add-Result 'c single node' 'manual script wall time' $manualSeconds 's' "exit $manualExit"
    Add-Result 'c single node' 'runbook client outage' ($runbookProbe.LongestOutageMs / 1000) 's' "$($runbookProbe.Failures)/$($runbookProbe.Probes) probes failed"
    Add-Result 'c single node' 'manual client outage' ($manualProbe.LongestOutageMs / 1000) 's' "$($manualProbe.Failures)/$($manualProbe.Probes) probes failed"
    Add-Result 'c single node' 'ratio wall time runbook/manual' (Get-Ratio $runbookSeconds $manualSeconds) 'x' ($versions -join ' ')
    Add-Result 'c single node' 'ratio outage runbook/manual' (Get-Ratio $runbookProbe.LongestOutageMs $manualProbe.LongestOutageMs) 'x'
}
finally {
    if ($probe) { $null = Stop-ClientProbe $probe }
    foreach ($name in 'NODE', 'CONFIGDB_HOST', 'CONFIGDB_NAME', 'PACKAGE', 'SCRIPTS', 'FROM_VERSION', 'TO_VERSION', 'SSH_KEY', 'KNOWN_HOSTS') {
        Remove-Item "env:$name" -ErrorAction SilentlyContinue
    }
    Write-Bench 'Stopping the lab'
    Stop-LabFixture
    $results | Format-Table Group, Name, Value, Unit, Note -AutoSize | Out-String -Width 160 | Write-Host
    $json = Join-Path $OutPath ("bench-{0:yyyyMMdd-HHmmss}.json" -f [datetime]::UtcNow)
    [pscustomobject]@{
        Date = [datetime]::UtcNow.ToString('o'); Machine = [Environment]::MachineName; ProcessorCount = [Environment]::ProcessorCount
        UploadSizeMB = $UploadSizeMB; SqlSizeMB = $SqlSizeMB; LatencyMs = $LatencyMs; TargetVersion = $TargetVersion
        Results = $results
    } | ConvertTo-Json -Depth 4 | Set-Content -Path $json -Encoding utf8
    Write-Bench "Results written to $json"
}
