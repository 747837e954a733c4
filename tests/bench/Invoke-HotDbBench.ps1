<#
.SYNOPSIS
    The HotDb.Upgrade benchmark (build.ps1 -Task Bench): the module against plain OpenSSH and against the manual's
    commands typed over ssh/scp, on the lab. Prints one table with ratios and writes it as JSON under out/bench/.
.DESCRIPTION
    Not a test: nothing is asserted, every number is one run on this machine. Needs root and the lab (tests/lab);
    the lab is started once with only the hosts the chosen -Part values need (a ConfigDB; ten single compute nodes,
    each in its own group and ConfigDB database; two master/slave pairs; two three-member clusters) and always
    stopped at the end. Each upgrade mode runs the runbook on one freshly started pair or cluster and the manual's
    commands on another, so neither run starts from what the other left.

    a. Uploads: Send-HotDbFile (SHA-256 verified) of one file of -UploadSizeMB to one host against scp, and to
       four hosts at once (the module's fan-out) against four scp run side by side: first as fast as this
       machine goes (every host shares its processors, so four uploads cost four times the encryption and
       hashing), then again with the lab's Bandwidth fault at -LinkMbit on each of the four hosts, as each host's
       own network link would cap it.
    b. Pre-checks: Get-HotDbComputeNode on one compute node and on all ten, with the lab's Latency fault at
       -LatencyMs on every compute node host, against the same reads (the module's probe script, then java -version)
       through OpenSSH on one host and on ten side by side.
    c. Single-node upgrade 2.4.9 -> -TargetVersion: module/runbooks/Update-HotDbSingleNode.ps1 on sn1 against
       tests/bench/manual/single-node.sh (the manual's commands over ssh/scp) on sn2, same package and ConfigDB
       scripts. Wall time, and the client-visible outage seen by a probe that connects to the node's service
       port and runs SELECT 1 every 50 ms (Start-ClientProbe of tests/pester/fixtures/LabFixture.psm1, stopped
       by itself after -ProbeMaxSeconds, lab addresses 198.18.0.x only).
    e. Master/slave upgrade without stopping the service, 2.4.9 -> 2.5.1 (the lab's last step that the online rules
       allow from 2.4.9): module/runbooks/Update-HotDbMasterSlave.ps1 -Mode Online on ms1/ms2 (VIP 198.18.0.140)
       against tests/bench/manual/master-slave-online.sh on ms3/ms4 (VIP 198.18.0.141); the probe goes through
       the VIP. Then the floor on the runbook's pair: the outage of a bare switch (the VIP holder's compute node
       stopped, keepalived moves the VIP, the other node opens its service port) and one compute node start.
    f. Cluster upgrade without stopping the service, 2.5.4 -> 2.5.6 (JDK 8 installed on the way; from 2.5.3 the
       2.5.4 script breaks the online rules): module/runbooks/Update-HotDbCluster.ps1 -Mode Online on mn1..mn3
       against tests/bench/manual/cluster-online.sh on mn4..mn6; the probe connects to the first member that
       answers. The floor is read from the runbook's log: the members' stops, starts and rejoins and the election,
       which any online procedure waits for one member at a time.
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
    # Each host's link for the second round of uploads (Mbit/s each way).
    [ValidateRange(1, 10000)] [int] $LinkMbit = 200,
    [string] $TargetVersion = '2.5.4',
    # What to measure: Transfer (a, b, d: uploads, pre-checks, memory), SingleNode (c), MasterSlave (e), Cluster (f).
    [ValidateSet('Transfer', 'SingleNode', 'MasterSlave', 'Cluster')] [string[]] $Part = @('Transfer', 'SingleNode', 'MasterSlave', 'Cluster'),
    # The longest a client probe runs (it stops by itself after that, should a run hang).
    [ValidateRange(30, 3600)] [int] $ProbeMaxSeconds = 900
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
$transfer = 'Transfer' -in $Part

# d (local part first, before the lab is taken): Test-HotDbUpgradeSql on a generated script of -SqlSizeMB
# (Measure-HotDbBenchMemory.ps1 writes it, once, under out/bench/work).
if ($transfer) {
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
}

# The lab: only the hosts the chosen parts need. Each upgrade mode has two identical fresh groups, one for the runbook
# and one for the manual's commands. On disk (HotDbSize ''): the upload part writes 300 MB files.
$nodes = @(if ($transfer) { 1..10 | ForEach-Object { "sn$_" } } elseif ('SingleNode' -in $Part) { 'sn1', 'sn2' })
$groups = @{}
$hosts = [Collections.Generic.List[hashtable]]::new()
$hosts.Add(@{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') })
for ($i = 1; $i -le $nodes.Count; $i++) {
    $groups["s$i"] = @{ Mode = 'Single' }
    $hosts.Add(@{ Name = "sn$i"; Address = "198.18.0.$(20 + $i)"; Roles = @('computenode'); Group = "s$i" })
}
if ('MasterSlave' -in $Part) {
    # msa (runbook): ms1 master, ms2 backup, VIP .140; msb (manual): ms3 master, ms4 backup, VIP .141.
    foreach ($pair in @(@{ Group = 'msa'; Vip = '198.18.0.140'; Id = 89; Hosts = 1, 2 }, @{ Group = 'msb'; Vip = '198.18.0.141'; Id = 90; Hosts = 3, 4 })) {
        $groups[$pair.Group] = @{ Mode = 'MasterSlave'; Vip = $pair.Vip; VirtualRouterId = $pair.Id }
        foreach ($n in $pair.Hosts) {
            $hosts.Add(@{ Name = "ms$n"; Address = "198.18.0.3$n"; Roles = @('computenode', 'keepalived'); Group = $pair.Group
                Keepalived = $(if ($n % 2) { 'master' } else { 'backup' }); Options = @{ HotDbVersion = '2.4.9' } })
        }
    }
}
if ('Cluster' -in $Part) {
    # mna (runbook): mn1..mn3; mnb (manual): mn4..mn6; both at 2.5.4.
    foreach ($cluster in @(@{ Group = 'mna'; Hosts = 1..3 }, @{ Group = 'mnb'; Hosts = 4..6 })) {
        $groups[$cluster.Group] = @{ Mode = 'Cluster' }
        foreach ($n in $cluster.Hosts) {
            $hosts.Add(@{ Name = "mn$n"; Address = "198.18.0.4$n"; Roles = @('computenode'); Group = $cluster.Group; Options = @{ HotDbVersion = '2.5.4' } })
        }
    }
}
$topology = @{ Defaults = @{ HotDbSize = '' }; Groups = $groups; Hosts = $hosts.ToArray() }

# A client probe (Start-ClientProbe): lab addresses only, and bounded in time (so in count: one query per 50 ms).
function Start-BenchProbe([string[]] $Server) {
    foreach ($address in $Server) {
        if ($address -notmatch '^198\.18\.0\.(\d{1,3})$' -or [int]$Matches[1] -notin 2..254) { throw "the probe connects only to lab addresses (198.18.0.x), not '$address'" }
    }
    Start-ClientProbe -Server $Server -MaxSeconds $ProbeMaxSeconds
}
# A fresh log and journal for a runbook run: the runbooks append to an existing log.
function New-RunbookLogPath([string] $Name) {
    $path = Join-Path $OutPath "$Name.log"
    Remove-Item -Path $path, ([IO.Path]::ChangeExtension($path, '.journal.json')) -ErrorAction SilentlyContinue
    $path
}
# One upgrade run with a probe around it (a second before and after): wall time, exit code, what the probe saw.
function Measure-Upgrade([string[]] $ProbeServer, [scriptblock] $Upgrade) {
    $script:probe = Start-BenchProbe $ProbeServer
    Start-Sleep -Seconds 1
    $seconds = Measure-Seconds $Upgrade
    $exitCode = $LASTEXITCODE
    Start-Sleep -Seconds 1
    $seen = Stop-ClientProbe $script:probe
    $script:probe = $null
    [pscustomobject]@{
        Seconds = $seconds; ExitCode = $exitCode; OutageSeconds = $seen.LongestOutageMs / 1000
        Probes = "$($seen.Failures)/$($seen.Probes) probes failed$(if ($seen.TimedOut) { ', probe timed out' })"
    }
}
<#
    One upgrade mode, the same rows for each: the runbook on one group, then the manual script (bash, its inputs in
    the environment, its output in a log under -OutPath) on the other; wall times, outages and their ratios.
    $Describe gets the lab host names of a group after its run and returns a note (versions, roles).
#>
function Add-UpgradeComparison {
    param(
        [string] $Group, [string] $LogName,
        [string[]] $RunbookProbe, [scriptblock] $Runbook, [string[]] $RunbookHosts,
        [string[]] $ManualProbe, [string] $ManualScript, [hashtable] $ManualEnvironment, [string[]] $ManualHosts,
        [scriptblock] $Describe
    )
    $runbookRun = Measure-Upgrade $RunbookProbe $Runbook
    $runbookState = & $Describe $RunbookHosts
    $manualLog = Join-Path $OutPath "$LogName-manual.log"
    $manualPath = Join-Path $PSScriptRoot "manual/$ManualScript"
    foreach ($name in $ManualEnvironment.Keys) { Set-Item "env:$name" ([string]$ManualEnvironment[$name]) }
    try {
        $manualRun = Measure-Upgrade $ManualProbe { & bash $manualPath *> $manualLog }
    }
    finally { foreach ($name in $ManualEnvironment.Keys) { Remove-Item "env:$name" -ErrorAction SilentlyContinue } }
    $manualState = & $Describe $ManualHosts
    Add-Result $Group 'runbook wall time' $runbookRun.Seconds 's' "exit $($runbookRun.ExitCode); $runbookState"
    Add-Result $Group 'manual script wall time' $manualRun.Seconds 's' "exit $($manualRun.ExitCode); $manualState"
    Add-Result $Group 'runbook client outage' $runbookRun.OutageSeconds 's' $runbookRun.Probes
    Add-Result $Group 'manual client outage' $manualRun.OutageSeconds 's' $manualRun.Probes
    Add-Result $Group 'ratio wall time runbook/manual' (Get-Ratio $runbookRun.Seconds $manualRun.Seconds) 'x'
    Add-Result $Group 'ratio outage runbook/manual' (Get-Ratio $runbookRun.OutageSeconds $manualRun.OutageSeconds) 'x'
    $runbookRun
}
# The compute node version of each lab host, as "address=version".
function Get-BenchVersions([string[]] $Names) {
    $check = @(foreach ($name in $Names) { Connect-LabHost $name })
    try { (Get-HotDbComputeNode -Session $check | Sort-Object ComputerName | ForEach-Object { "$($_.ComputerName)=$($_.Version)" }) -join ' ' }
    finally { $check | Remove-HotDbSession }
}
# Whether a lab host holds an address (a VIP).
function Test-BenchAddress([string] $Name, [string] $Address) {
    (Invoke-HotDbLabHostCommand -HostName $Name -Command "ip -o -4 addr show | grep -q ' $Address/'").ExitCode -eq 0
}

$probe = $null
try {
    Write-Bench "Starting the lab with $($hosts.Count) hosts (waits for another lab to stop)"
    $lab = Start-LabFixture -Topology $topology
    $first = $lab | Select-Object -First 1
    $keyFile = $first.RootKeyPath
    $knownHosts = $first.KnownHostsPath
    $sshOptions = @('-i', $keyFile, '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$knownHosts", '-o', 'BatchMode=yes')
    $scripts = Get-LabScriptsPath
    $connection = Get-LabRunbookConnection
    $runbooks = Join-Path (Split-Path $ModulePath) 'runbooks'
    $configDbHost = (Get-LabHost 'configdb').Address
    # The upgrade runs' ConfigDB login (one per lab), and the simulated node's own SUPER user on the manager port.
    $login = if ($Part | Where-Object { $_ -ne 'Transfer' }) { New-LabConfigDbLogin }
    $managerLogin = [pscredential]::new('root', (ConvertTo-SecureString 'root' -AsPlainText -Force))
    $common = @{ SCRIPTS = $scripts; SSH_KEY = $keyFile; KNOWN_HOSTS = $knownHosts; CONFIGDB_HOST = $configDbHost }

    if ($transfer) {
        $addresses = foreach ($name in $nodes) { (Get-LabHost $name).Address }
        $sessions = @(foreach ($name in $nodes) { Connect-LabHost $name })

        # a. Uploads: as fast as this machine goes, then with each of the four hosts behind its own capped link.
        $four = $sessions[0..3]
        $fourAddresses = $addresses[0..3]
        function Measure-Uploads([string] $Label) {
            $module1 = Measure-Seconds { $null = Send-HotDbFile -Session $four[0] -Path $bigFile -Destination '/tmp/bench-module-1.bin' }
            $scp1 = Measure-Seconds { & scp -q @sshOptions $bigFile "root@$($fourAddresses[0]):/tmp/bench-scp-1.bin"; if ($LASTEXITCODE) { throw 'scp failed' } }
            $module4 = Measure-Seconds { $null = Send-HotDbFile -Session $four -Path $bigFile -Destination '/tmp/bench-module-4.bin' }
            $scp4 = Measure-Seconds {
                $processes = foreach ($address in $fourAddresses) {
                    Start-Process -FilePath scp -ArgumentList (@('-q') + $sshOptions + @($bigFile, "root@${address}:/tmp/bench-scp-4.bin")) -PassThru -NoNewWindow
                }
                $processes | Wait-Process
                foreach ($process in $processes) { if ($process.ExitCode -ne 0) { throw "scp exited $($process.ExitCode)" } }
            }
            $null = Invoke-HotDbCommand -Session $four -Command 'rm -f /tmp/bench-*.bin'
            Add-Result 'a upload' "Send-HotDbFile, 1 host$Label" $module1 's' 'SHA-256 verified'
            Add-Result 'a upload' "scp, 1 host$Label" $scp1 's'
            Add-Result 'a upload' "Send-HotDbFile, 4 hosts$Label" $module4 's' 'side by side (the default -ThrottleLimit)'
            Add-Result 'a upload' "4 scp side by side$Label" $scp4 's'
            Add-Result 'a upload' "ratio module/scp, 1 host$Label" (Get-Ratio $module1 $scp1) 'x'
            Add-Result 'a upload' "ratio module/scp, 4 hosts$Label" (Get-Ratio $module4 $scp4) 'x'
            Add-Result 'a upload' "ratio module 4-host/1-host$Label" (Get-Ratio $module4 $module1) 'x' 'issue 14 goal <= 1.3'
            Add-Result 'a upload' "ratio scp 4-host/1-host$Label" (Get-Ratio $scp4 $scp1) 'x'
        }
        Write-Bench "a. Uploads of $UploadSizeMB MB"
        Measure-Uploads ''
        Write-Bench "a. Uploads of $UploadSizeMB MB, each host's link at $LinkMbit Mbit/s"
        $links = foreach ($name in $nodes[0..3]) { Invoke-HotDbLabFault -HostName $name -Fault Bandwidth -RateMbit $LinkMbit }
        try { Measure-Uploads ", $LinkMbit Mbit/s links" }
        finally { $links | Clear-HotDbLabFault }

        # d. Peak memory of a pwsh doing only the upload.
        Write-Bench 'd. Peak memory of the upload'
        $uploadMemory = Measure-ChildMemory @{ Operation = 'Upload'; Path = $bigFile; ComputerName = $addresses[0]; KeyFile = $keyFile; KnownHostsPath = $knownHosts; Destination = '/tmp/bench-memory.bin' }
        $null = Invoke-HotDbCommand -Session $sessions[0] -Command 'rm -f /tmp/bench-memory.bin'
        if ($uploadMemory.Error) { throw "the measured upload failed: $($uploadMemory.Error)" }
        Add-Result 'd memory' "Send-HotDbFile $UploadSizeMB MB: pwsh peak" ($uploadMemory.PeakBytes / 1MB) 'MB' ("{0:N0} MB after module load; {1:N1} s" -f ($uploadMemory.BeforeBytes / 1MB), $uploadMemory.Seconds)

        # b. Pre-checks under latency: the module, and the same two reads (its probe script, then java -version) through
        # OpenSSH side by side, over one multiplexed connection per host as the module keeps one session. Every lab host
        # runs on this machine's processors, so the hosts' own work adds up here as it would not on real hosts.
        Write-Bench "b. Get-HotDbComputeNode with $LatencyMs ms latency on every compute node"
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'HotDb.Upgrade.Engine' } | Select-Object -First 1
        $probeScript = Join-Path $work 'compute-node-probe.sh'
        $engine.GetType('HotDb.Upgrade.ComputeNode.ComputeNodeReader').GetField('Probe', [Reflection.BindingFlags]'NonPublic, Static').GetValue($null) |
            Set-Content -Path $probeScript -NoNewline
        $java = (Get-HotDbComputeNode -Session $sessions[0]).JavaBin   # also warms the code paths
        $controlPath = Join-Path $work 'ssh-%h'
        $muxOptions = $sshOptions + @('-o', 'ControlMaster=auto', '-o', "ControlPath=$controlPath", '-o', 'ControlPersist=120')
        $readsScript = Join-Path $work 'openssh-reads.sh'
        Set-Content -Path $readsScript -Value @'
# $1 java, $2 host, $3 probe script, then ssh options: the probe, then java -version, as the module reads a node.
java=$1 address=$2 probe=$3; shift 3
ssh "$@" "root@$address" 'sh -s /usr/local/hotdb/hotdb-server' < "$probe" > /dev/null && ssh "$@" "root@$address" "$java -version" 2> /dev/null
'@
        function Invoke-OpenSshReads([string[]] $To) {
            $processes = foreach ($address in $To) {
                Start-Process -FilePath bash -ArgumentList (@($readsScript, $java, $address, $probeScript) + $muxOptions) -PassThru -NoNewWindow
            }
            $processes | Wait-Process
            foreach ($process in $processes) { if ($process.ExitCode -ne 0) { throw "the OpenSSH reads exited $($process.ExitCode)" } }
        }
        Invoke-OpenSshReads $addresses   # opens the multiplexed connections
        foreach ($name in $nodes) { $null = Invoke-HotDbLabFault -HostName $name -Fault Latency -DelayMs $LatencyMs -DurationSeconds 300 }
        try {
            # The median of three: one sample of a sub-second call is mostly noise on a shared machine.
            $check1 = (1..3 | ForEach-Object { Measure-Seconds { $null = Get-HotDbComputeNode -Session $sessions[0] } } | Sort-Object)[1]
            $checkN = (1..3 | ForEach-Object { Measure-Seconds { $null = Get-HotDbComputeNode -Session $sessions } } | Sort-Object)[1]
            $ssh1 = (1..3 | ForEach-Object { Measure-Seconds { Invoke-OpenSshReads $addresses[0] } } | Sort-Object)[1]
            $sshN = (1..3 | ForEach-Object { Measure-Seconds { Invoke-OpenSshReads $addresses } } | Sort-Object)[1]
        }
        finally {
            Clear-HotDbLabFault -ErrorAction SilentlyContinue
            foreach ($address in $addresses) { & ssh @muxOptions -O exit "root@$address" 2>$null }
        }
        Add-Result 'b pre-check' 'Get-HotDbComputeNode, 1 host' $check1 's' "latency $LatencyMs ms; median of 3"
        Add-Result 'b pre-check' "Get-HotDbComputeNode, $($nodes.Count) hosts" $checkN 's' "latency $LatencyMs ms; median of 3"
        Add-Result 'b pre-check' 'same reads over OpenSSH, 1 host' $ssh1 's' "latency $LatencyMs ms; median of 3"
        Add-Result 'b pre-check' "same reads over OpenSSH, $($nodes.Count) hosts side by side" $sshN 's' "latency $LatencyMs ms; median of 3"
        Add-Result 'b pre-check' "ratio module $($nodes.Count)-host/1-host" (Get-Ratio $checkN $check1) 'x' 'issue 14 goal <= 1.5 (for 10 hosts)'
        Add-Result 'b pre-check' "ratio OpenSSH $($nodes.Count)-host/1-host" (Get-Ratio $sshN $ssh1) 'x'
        Add-Result 'b pre-check' "ratio module/OpenSSH, $($nodes.Count) hosts" (Get-Ratio $checkN $sshN) 'x'
        $sessions | Remove-HotDbSession
    }

    if ('SingleNode' -in $Part) {
        # c. Single-node upgrade: the runbook on sn1, the manual's commands on sn2.
        Write-Bench "c. Single-node upgrade to ${TargetVersion}: runbook on sn1, manual script on sn2"
        $package = Get-LabPackage "hotdb-server-$TargetVersion-ga-*.tar.gz"
        $sn1 = (Get-LabHost 'sn1').Address
        $sn2 = (Get-LabHost 'sn2').Address
        $runbookLog = New-RunbookLogPath 'single-node-runbook'
        $null = Add-UpgradeComparison -Group 'c single node' -LogName 'single-node' `
            -RunbookProbe $sn1 -RunbookHosts 'sn1' -Runbook {
                & (Join-Path $runbooks 'Update-HotDbSingleNode.ps1') -ComputerName $sn1 @connection -Package $package -ScriptsPath $scripts -ConfigDbCredential $login -LogPath $runbookLog *>&1 | Out-Null
            } `
            -ManualProbe $sn2 -ManualHosts 'sn2' -ManualScript 'single-node.sh' -ManualEnvironment ($common + @{
                NODE = $sn2; CONFIGDB_NAME = 'hotdb_config_s2'; PACKAGE = $package; FROM_VERSION = '2.4.9'; TO_VERSION = $TargetVersion }) `
            -Describe { param($names) Get-BenchVersions $names }
    }

    if ('MasterSlave' -in $Part) {
        # e. Master/slave online: the runbook on ms1/ms2, the manual's 3.4 on ms3/ms4, the probe through each VIP.
        Write-Bench 'e. Master/slave upgrade without stopping the service, 2.4.9 to 2.5.1: runbook on ms1/ms2, manual script on ms3/ms4'
        $package = Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz'
        $msa = @((Get-LabHost 'ms1').Address, (Get-LabHost 'ms2').Address)
        $runbookLog = New-RunbookLogPath 'master-slave-online-runbook'
        $describePair = {
            param($names)
            $pair = @(foreach ($name in $names) { Connect-LabHost $name })
            try {
                # keepalived settles within a few adverts after the last start: look for up to 30 s.
                for ($i = 0; $i -lt 30; $i++) {
                    $failed = @(Test-HotDbHaSwitch -Session $pair | Where-Object Status -EQ 'Failed')
                    if (-not $failed) { break }
                    Start-Sleep -Seconds 1
                }
                $holder = $names | Where-Object { Test-BenchAddress $_ $groups[(Get-LabHost $_).Group].Vip }
                "$(Get-BenchVersions $names); VIP on $($holder -join ','); HA checks failed: $(if ($failed) { @($failed | ForEach-Object { "$($_.Id)" }) -join ',' } else { 'none' })"
            }
            catch { "$(Get-BenchVersions $names); the HA checks could not run: $($_.Exception.Message)" }
            finally { $pair | Remove-HotDbSession }
        }
        $null = Add-UpgradeComparison -Group 'e master/slave online' -LogName 'master-slave-online' `
            -RunbookProbe '198.18.0.140' -RunbookHosts 'ms1', 'ms2' -Runbook {
                & (Join-Path $runbooks 'Update-HotDbMasterSlave.ps1') -Mode Online -ComputerName $msa @connection -Package $package -ScriptsPath $scripts -ConfigDbCredential $login -LogPath $runbookLog *>&1 | Out-Null
            } `
            -ManualProbe '198.18.0.141' -ManualHosts 'ms3', 'ms4' -ManualScript 'master-slave-online.sh' -ManualEnvironment ($common + @{
                MASTER = (Get-LabHost 'ms3').Address; SLAVE = (Get-LabHost 'ms4').Address; VIP = '198.18.0.141'; CONFIGDB_NAME = 'hotdb_config_msb'
                PACKAGE = $package; FROM_VERSION = '2.4.9'; TO_VERSION = '2.5.1'
                MANAGER_USER = $managerLogin.UserName; MANAGER_PASSWORD = $managerLogin.GetNetworkCredential().Password }) `
            -Describe $describePair

        # The floor, on the runbook's pair: a bare switch (the VIP holder's node stopped; keepalived moves the VIP and
        # the other node opens its service port), then one compute node start. The pair is left as it is (the lab stops).
        Write-Bench 'e. Master/slave floor: a bare switch and one compute node start on ms1/ms2'
        $holder = 'ms1', 'ms2' | Where-Object { Test-BenchAddress $_ '198.18.0.140' } | Select-Object -First 1
        if (-not $holder) { Add-Result 'e master/slave online' 'floor: not measured' 0 '' 'no host of ms1/ms2 holds the VIP after the runbook' }
        else {
            $other = 'ms1', 'ms2' | Where-Object { $_ -ne $holder }
            $script:probe = Start-BenchProbe '198.18.0.140'
            Start-Sleep -Seconds 1
            $stopSeconds = Measure-Seconds { $script:stop = Invoke-HotDbLabHostCommand -HostName $holder -Command 'sh /usr/local/hotdb/hotdb-server/bin/hotdb_server stop' }
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while ($clock.Elapsed.TotalSeconds -lt 60 -and -not ((Test-BenchAddress $other '198.18.0.140') -and (Test-LabPort $other 3323))) { Start-Sleep -Milliseconds 200 }
            Start-Sleep -Seconds 2
            $switch = Stop-ClientProbe $script:probe
            $script:probe = $null
            $startSeconds = Measure-Seconds { $script:start = Invoke-HotDbLabHostCommand -HostName $holder -Command 'sh /usr/local/hotdb/hotdb-server/bin/hotdb_server start' }
            Add-Result 'e master/slave online' 'floor: bare switch outage' ($switch.LongestOutageMs / 1000) 's' "$($switch.Failures)/$($switch.Probes) probes failed"
            Add-Result 'e master/slave online' 'floor: one compute node stop' $stopSeconds 's' "hotdb_server stop on $holder, exit $($stop.ExitCode)"
            Add-Result 'e master/slave online' 'floor: one compute node start' $startSeconds 's' "hotdb_server start on $holder, exit $($start.ExitCode): $("$($start.Output)".Trim())"
            $runbookOutage = ($results | Where-Object { $_.Group -eq 'e master/slave online' -and $_.Name -eq 'runbook client outage' }).Value
            $manualOutage = ($results | Where-Object { $_.Group -eq 'e master/slave online' -and $_.Name -eq 'manual client outage' }).Value
            Add-Result 'e master/slave online' 'ratio outage runbook/floor' (Get-Ratio $runbookOutage ($switch.LongestOutageMs / 1000)) 'x'
            Add-Result 'e master/slave online' 'ratio outage manual/floor' (Get-Ratio $manualOutage ($switch.LongestOutageMs / 1000)) 'x'
        }
    }

    if ('Cluster' -in $Part) {
        # f. Cluster online: the runbook on mn1..mn3, the manual's 3.6 on mn4..mn6, the probe to any member.
        Write-Bench 'f. Cluster upgrade without stopping the service, 2.5.4 to 2.5.6: runbook on mn1..mn3, manual script on mn4..mn6'
        $package = Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz'
        $jdk = Get-LabPackage 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'
        $mna = @(foreach ($name in 'mn1', 'mn2', 'mn3') { (Get-LabHost $name).Address })
        $mnb = @(foreach ($name in 'mn4', 'mn5', 'mn6') { (Get-LabHost $name).Address })
        $runbookLog = New-RunbookLogPath 'cluster-online-runbook'
        $describeCluster = {
            param($names)
            $members = @(foreach ($name in $names) { Connect-LabHost $name })
            try {
                $roles = @(Get-HotDbCluster -Session $members -Credential $managerLogin -WarningAction SilentlyContinue | ForEach-Object { "$($_.Status)" })
                "$(Get-BenchVersions $names); show @@cluster: $($roles -join ',')"
            }
            catch { "$(Get-BenchVersions $names); show @@cluster failed: $($_.Exception.Message)" }
            finally { $members | Remove-HotDbSession }
        }
        $null = Add-UpgradeComparison -Group 'f cluster online' -LogName 'cluster-online' `
            -RunbookProbe $mna -RunbookHosts 'mn1', 'mn2', 'mn3' -Runbook {
                & (Join-Path $runbooks 'Update-HotDbCluster.ps1') -Mode Online -ComputerName $mna @connection -ManagerCredential $managerLogin -Package $package -ScriptsPath $scripts `
                    -ConfigDbCredential $login -JdkPackage $jdk -LogPath $runbookLog *>&1 | Out-Null
            } `
            -ManualProbe $mnb -ManualHosts 'mn4', 'mn5', 'mn6' -ManualScript 'cluster-online.sh' -ManualEnvironment ($common + @{
                NODES = $mnb -join ' '; CONFIGDB_NAME = 'hotdb_config_mnb'; PACKAGE = $package; JDK_PACKAGE = $jdk; FROM_VERSION = '2.5.4'; TO_VERSION = '2.5.6'
                MANAGER_USER = $managerLogin.UserName; MANAGER_PASSWORD = $managerLogin.GetNetworkCredential().Password }) `
            -Describe $describeCluster
        # The floor: what no online procedure can shorten, from the runbook's own steps: each member's stop, start and
        # rejoin (one at a time, so that a majority always serves) and the election after the primary's stop.
        $floorSteps = 'StopService', 'StartNewVersion', 'WaitForRejoin', 'WaitForElection'
        $floor = 0.0
        foreach ($line in Get-Content $runbookLog) {
            if ($line -match '\[STEP\] \S+ \[(\w+)\] Succeeded in ([\d.]+) s' -and $Matches[1] -in $floorSteps) { $floor += [double]$Matches[2] }
        }
        $clusterRows = $results | Where-Object Group -EQ 'f cluster online'
        $runbookSeconds = ($clusterRows | Where-Object Name -EQ 'runbook wall time').Value
        $manualSeconds = ($clusterRows | Where-Object Name -EQ 'manual script wall time').Value
        Add-Result 'f cluster online' 'floor: stops, starts, rejoins, election' $floor 's' "the runbook's $($floorSteps -join ', ') steps"
        Add-Result 'f cluster online' 'ratio wall time runbook/floor' (Get-Ratio $runbookSeconds $floor) 'x'
        Add-Result 'f cluster online' 'ratio wall time manual/floor' (Get-Ratio $manualSeconds $floor) 'x'
    }
}
finally {
    if ($probe) { $null = Stop-ClientProbe $probe }
    Write-Bench 'Stopping the lab'
    Stop-LabFixture
    $results | Format-Table Group, Name, Value, Unit, Note -AutoSize | Out-String -Width 200 | Write-Host
    $json = Join-Path $OutPath ("bench-{0:yyyyMMdd-HHmmss}.json" -f [datetime]::UtcNow)
    [pscustomobject]@{
        Date = [datetime]::UtcNow.ToString('o'); Machine = [Environment]::MachineName; ProcessorCount = [Environment]::ProcessorCount
        Part = $Part; UploadSizeMB = $UploadSizeMB; SqlSizeMB = $SqlSizeMB; LatencyMs = $LatencyMs; LinkMbit = $LinkMbit; TargetVersion = $TargetVersion
        Results = $results
    } | ConvertTo-Json -Depth 4 | Set-Content -Path $json -Encoding utf8
    Write-Bench "Results written to $json"
}
