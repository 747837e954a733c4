<#
.SYNOPSIS
    Runs one operation of the benchmark in its own pwsh process and prints that process's peak memory (VmHWM) in bytes
    on the last line (with the operation's error, if any), so the number covers only this operation (and the module load). Called by Invoke-HotDbBench.ps1.
.DESCRIPTION
    Sql: Test-HotDbUpgradeSql on -Path; when -Path is missing or smaller than -SqlSizeMB, a script of -SqlSizeMB
    (one CREATE TABLE, then INSERTs) is generated there first by another pwsh process (Generate), so that its memory
    is not in this one's peak. Without -Path it goes to a temporary folder and is removed afterwards. It can run alone, without the lab:
        dotnet pwsh -File tests/bench/Measure-HotDbBenchMemory.ps1 -Operation Sql -ModulePath out/HotDb.Upgrade/HotDb.Upgrade.psd1
    A line for people (size, statements, peak) comes before the last line.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [ValidateSet('Upload', 'Sql', 'Generate')] [string] $Operation,
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Path,
    [ValidateRange(1, 4096)] [int] $SqlSizeMB = 50,
    [string] $ComputerName,
    [string] $KeyFile,
    [string] $KnownHostsPath,
    [string] $Destination
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# A script of at least SizeMB, written a thousand statements at a time (the generator holds none of it).
function New-SqlScript([string] $Path, [int] $SizeMB) {
    if ((Test-Path $Path) -and (Get-Item $Path).Length -ge $SizeMB * 1MB) { return }
    $writer = [IO.StreamWriter]::new($Path, $false, [Text.UTF8Encoding]::new($false))
    try {
        $writer.WriteLine('CREATE TABLE IF NOT EXISTS hotdb_bench (id INT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL);')
        $i = 0
        while ($writer.BaseStream.Length -lt $SizeMB * 1MB) {
            for ($j = 0; $j -lt 1000; $j++) { $i++; $writer.WriteLine("INSERT INTO hotdb_bench (id, name) VALUES ($i, 'row-$i-abcdefghijklmnopqrstuvwxyz');") }
            $writer.Flush()
        }
    }
    finally { $writer.Dispose() }
}

$temporary = $null
if ($Operation -eq 'Sql') {
    if (-not $Path) {
        $temporary = Join-Path ([IO.Path]::GetTempPath()) ("hotdb-bench-sql-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $temporary | Out-Null
        $Path = Join-Path $temporary 'hotdb_config_9.9.9.sql'
    }
    if (-not (Test-Path $Path) -or (Get-Item $Path).Length -lt $SqlSizeMB * 1MB) {
        # The same pwsh, in another process: `dotnet pwsh` runs pwsh.dll under dotnet, an installed pwsh runs itself.
        $runner = [Environment]::ProcessPath
        $arguments = @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath, '-Operation', 'Generate', '-ModulePath', $ModulePath, '-Path', $Path, '-SqlSizeMB', $SqlSizeMB)
        if ((Split-Path $runner -Leaf) -like 'dotnet*') { $arguments = @(Join-Path $PSHOME 'pwsh.dll') + $arguments }
        & $runner @arguments
        if ($LASTEXITCODE -ne 0) { throw "generating the $SqlSizeMB MB script failed ($LASTEXITCODE)." }
    }
}
elseif ($Operation -eq 'Generate') {
    New-SqlScript $Path $SqlSizeMB
    return
}
elseif (-not $Path) { throw '-Path is needed for the upload.' }

Import-Module (Resolve-Path $ModulePath).Path
$before = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
$clock = [Diagnostics.Stopwatch]::StartNew()
$failure = ''
$statements = $null
try {
switch ($Operation) {
    'Upload' {
        $session = New-HotDbSession -ComputerName $ComputerName -Credential ([pscredential]::new('root', [securestring]::new())) -KeyFile $KeyFile -KnownHostsPath $KnownHostsPath
        try { $null = Send-HotDbFile -Session $session -Path $Path -Destination $Destination }
        finally { $session | Remove-HotDbSession }
    }
    'Sql' {
        $report = Test-HotDbUpgradeSql -Path $Path
        if ($report) { $statements = $report.StatementCount }
        $report = $null
    }
}
}
catch { $failure = ($_.Exception.Message -split "`n")[0] }
finally { if ($temporary) { Remove-Item $temporary -Recurse -Force -ErrorAction SilentlyContinue } }
$process = [Diagnostics.Process]::GetCurrentProcess()
$process.Refresh()
if ($Operation -eq 'Sql') {
    "Test-HotDbUpgradeSql on a {0} MB script: {1} statements, pwsh peak {2:N0} MB ({3:N0} MB after the module load), {4:N1} s{5}" -f
        $SqlSizeMB, ($statements ?? 'no'), ($process.PeakWorkingSet64 / 1MB), ($before / 1MB), $clock.Elapsed.TotalSeconds, $(if ($failure) { "; refused: $failure" } else { '' })
}
# before peak seconds [error]: the error (a refusal) is reported, not thrown, so its memory is measured too.
"{0} {1} {2:0.000} {3}" -f $before, $process.PeakWorkingSet64, $clock.Elapsed.TotalSeconds, $failure
