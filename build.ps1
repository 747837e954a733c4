<#
.SYNOPSIS
    Builds, stages and tests the HotDb.Upgrade module.
.DESCRIPTION
    Build : installs what is missing (Debian packages when run as root, the pinned Pester), compiles the
            solution and stages the module in out/HotDb.Upgrade (import that folder's psd1).
    Test  : Build, then the xunit suites and the Pester suites; ends with one line
            'tests: N passed, M failed, K skipped' and exits non-zero on any failure.
    Clean : removes build output, the staged module and downloaded tools.
    Lab   : the test lab (tests/lab): -LabAction Up starts it with the simulated HotDB components
            (-Topology picks the hosts), Status lists its hosts, Down tears it down. Needs root; installs
            the lab's Debian packages first.
    Demo  : Build, then the lab tour: brings the lab up (or reuses it) and prints hosts, versions, the VIP
            holders and show @@cluster; then upgrades sn1 from 2.4.9 to 2.5.4 with the single-node runbook.
            Leaves the estate running (-Task Lab -LabAction Down ends it).
    Bench : Build, then tests/bench/Invoke-HotDbBench.ps1 on the lab (not part of Test): uploads, pre-checks under
            latency, single-node runbook vs the manual's commands, peak memory; one table, JSON in out/bench/.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Lab -LabAction Up -Topology tests/lab/topology.pair.psd1
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Demo
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Clean', 'Lab', 'Demo', 'Bench')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tag filter, e.g. -Tag Ssh to run only the SSH suites.
    [string[]] $Tag,

    # Pester files to run instead of every suite, e.g. -TestPath tests/pester/HaLab.Tests.ps1 (with -SkipUnit).
    [string[]] $TestPath,

    # Skip the xunit suites (for quick Pester iterations).
    [switch] $SkipUnit,

    # -Task Lab: what to do with the lab.
    [ValidateSet('Up', 'Status', 'Down')]
    [string] $LabAction = 'Status',

    # -Task Lab -LabAction Up: a topology .psd1 (default tests/lab/topology.default.psd1).
    [string] $Topology
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$stage = Join-Path $root 'out/HotDb.Upgrade'
$toolsPackages = Join-Path $root 'tools/packages'

# Debian packages the tests need, keyed by the program that proves the package is there.
$debianPackages = [ordered]@{
    '/usr/sbin/sshd'              = 'openssh-server'
    '/usr/bin/ssh-keygen'         = 'openssh-client'
    '/usr/bin/sudo'               = 'sudo'            # the SSH suite's elevation test, and the lab's login user
    # The lab (tests/lab): hosts in namespaces with real keepalived and MariaDB.
    '/usr/sbin/keepalived'        = 'keepalived'
    '/usr/sbin/mariadbd'          = 'mariadb-server'
    '/usr/bin/mariadb-install-db' = 'mariadb-server'
    '/usr/bin/mariadb'            = 'mariadb-client'
    '/usr/bin/mysqldump'          = 'mariadb-client'
    '/usr/sbin/ip'                = 'iproute2'
    '/usr/sbin/tc'                = 'iproute2'
    '/usr/bin/ping'               = 'iputils-ping'
    '/usr/bin/tini'               = 'tini'
    '/usr/sbin/nft'               = 'nftables'
    '/usr/sbin/iptables'          = 'iptables'
    '/usr/bin/python3'            = 'python3-minimal'
    '/usr/bin/pgrep'              = 'procps'
    '/usr/bin/nsenter'            = 'util-linux'
}

function Write-Step([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

function Invoke-Native {
    param([string] $FilePath, [string[]] $ArgumentList)
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE." }
}

function Install-DebianPrerequisite {
    $missing = @($debianPackages.Keys | Where-Object { -not (Test-Path $_) } | ForEach-Object { $debianPackages[$_] } | Select-Object -Unique)
    if (-not $missing) { return }
    $isRoot = (Get-Command id -ErrorAction SilentlyContinue) -and ((& id -u) -eq '0')
    if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Warning "Missing Debian packages: $($missing -join ', '). Install them as root; tests that need them will be skipped."
        return
    }
    Write-Step "Installing Debian packages: $($missing -join ', ')"
    # policy-rc.d keeps the packages' services from starting on this machine: the tests start their own.
    $policy = '/usr/sbin/policy-rc.d'
    $ownPolicy = -not (Test-Path $policy)
    if ($ownPolicy) { Set-Content -Path $policy -Value "#!/bin/sh`nexit 101" ; & chmod 755 $policy }
    try {
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get @('update', '-qq')
        Invoke-Native apt-get (@('install', '-y', '-qq', '--no-install-recommends') + $missing)
    }
    finally {
        if ($ownPolicy) { Remove-Item $policy -Force }
    }
}

function Install-ToolPackage {
    if (Test-Path (Join-Path $toolsPackages 'pester/5.7.1/tools/Pester.psd1')) { return }
    Write-Step 'Restoring Pester 5.7.1 and test-only packages from NuGet into tools/packages'
    Invoke-Native dotnet @('restore', (Join-Path $root 'tools/Tools.csproj'), '--nologo', '-v', 'quiet')
}

function Invoke-Build {
    Install-DebianPrerequisite
    Install-ToolPackage
    Write-Step "Compiling HotDb.Upgrade.sln ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $root 'HotDb.Upgrade.sln'), '-c', $Configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly')

    Write-Step "Staging the module in $stage"
    if (Test-Path $stage) { Remove-Item $stage -Recurse -Force }
    $core = New-Item -ItemType Directory -Path (Join-Path $stage 'Dependencies/Core') -Force
    $desktop = New-Item -ItemType Directory -Path (Join-Path $stage 'Dependencies/Desktop') -Force
    $bin = "bin/$Configuration"
    Copy-Item (Join-Path $root 'HotDb.Upgrade.psd1') $stage
    Copy-Item (Join-Path $root 'module/*.ps1xml') $stage
    Copy-Item (Join-Path $root 'module/*.ps1') $stage
    Copy-Item (Join-Path $root 'module/runbooks') $stage -Recurse -ErrorAction SilentlyContinue
    Copy-Item (Join-Path $root 'module/compliance') $stage -Recurse -ErrorAction SilentlyContinue
    Copy-Item (Join-Path $root 'LICENSE') $stage
    & (Join-Path $root 'tools/Set-ReleaseNotes.ps1') -ModulePath $stage
    Copy-Item (Join-Path $root "src/HotDb.Upgrade/$bin/netstandard2.0/HotDb.Upgrade.dll") $stage
    Copy-Item (Join-Path $root "src/HotDb.Upgrade.Engine/$bin/net8.0/*.dll") $core
    Copy-Item (Join-Path $root "src/HotDb.Upgrade.Loader/$bin/net8.0/HotDb.Upgrade.Loader.dll") $core
    Copy-Item (Join-Path $root "src/HotDb.Upgrade.Engine/$bin/netstandard2.0/*.dll") $desktop
    $help = New-Item -ItemType Directory -Path (Join-Path $stage 'en-US') -Force
    & (Join-Path $root 'tools/ConvertTo-MamlHelp.ps1') -DocsPath (Join-Path $root 'docs') -OutputPath (Join-Path $help 'HotDb.Upgrade.dll-Help.xml')
    Copy-Item (Join-Path $root 'docs/about_*.help.txt') $help
    Test-ModuleManifest (Join-Path $stage 'HotDb.Upgrade.psd1') | Out-Null
    Write-Step "Module ready: Import-Module $(Join-Path $stage 'HotDb.Upgrade.psd1')"
}

function Invoke-UnitTest {
    $results = Join-Path $root 'out/TestResults'
    Write-Step 'Running xunit suites'
    & dotnet test (Join-Path $root 'HotDb.Upgrade.sln') -c $Configuration --no-build --nologo `
        --logger 'trx;LogFileName=unit.trx' --results-directory $results -v quiet | Out-Host
    $trx = Join-Path $results 'unit.trx'
    if (-not (Test-Path $trx)) { return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
    $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.notExecuted
    }
}

function Invoke-PesterTest {
    Write-Step 'Running Pester suites in a fresh pwsh'
    $summary = Join-Path $root 'out/TestResults/pester.json'
    New-Item -ItemType Directory -Path (Split-Path $summary) -Force | Out-Null
    Remove-Item $summary -ErrorAction SilentlyContinue
    $env:HOTDB_UPGRADE_MODULE = Join-Path $stage 'HotDb.Upgrade.psd1'
    $env:HOTDB_UPGRADE_TOOLS = $toolsPackages
    $runner = Join-Path $root 'tests/pester/Invoke-PesterSuite.ps1'
    $arguments = @('pwsh', '-NoProfile', '-NonInteractive', '-File', $runner, '-SummaryPath', $summary)
    if ($Tag) { $arguments += @('-Tag', ($Tag -join ',')) }
    if ($TestPath) { $arguments += @('-Path', ((($TestPath -split ',') | ForEach-Object { (Resolve-Path $_).Path }) -join ',')) }
    & dotnet @arguments | Out-Host
    if (-not (Test-Path $summary)) { return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
    Get-Content $summary -Raw | ConvertFrom-Json
}

function Invoke-Lab {
    if ($LabAction -ne 'Down') { Install-DebianPrerequisite }
    Import-Module (Join-Path $root 'tests/lab/HotDbLab.psm1') -Force
    switch ($LabAction) {
        'Up' {
            $reason = Get-HotDbLabSupport
            if ($reason) { throw $reason }
            $options = @{}
            if ($Topology) { $options.Topology = $Topology }
            Write-Step 'Starting the HotDB lab with the simulated HotDB components'
            Import-Module (Join-Path $root 'tests/lab/sim/HotDbLabSim.psm1') -Force
            Register-HotDbLabSim
            $clock = [Diagnostics.Stopwatch]::StartNew()
            Start-HotDbLab @options | Format-Table Name, Address, Roles, Vip -AutoSize | Out-Host
            Write-Step ("Lab up in {0:N1} s; known_hosts, keys and passwords under {1}" -f $clock.Elapsed.TotalSeconds, (Split-Path (Get-HotDbLab | Select-Object -First 1).KnownHostsPath))
        }
        'Status' {
            $hosts = @(Get-HotDbLab -ErrorAction SilentlyContinue)
            if (-not $hosts) { Write-Step 'No HotDB lab is running.'; return }
            $hosts | Format-Table Name, Address, Roles, Vip, InitPid -AutoSize | Out-Host
            Get-HotDbLabFault | Format-Table HostName, Fault, Started, ExpiresAt -AutoSize | Out-Host
        }
        'Down' { Write-Step 'Tearing the HotDB lab down'; Stop-HotDbLab }
    }
}

switch ($Task) {
    'Clean' {
        Write-Step 'Removing build output, staged module and downloaded tools'
        foreach ($path in @('out', 'tools/packages', 'tools/obj') + (Get-ChildItem $root -Recurse -Directory -Include bin, obj |
                Where-Object FullName -NotMatch '[\\/](\.git|tools)[\\/]' | ForEach-Object FullName)) {
            $full = if ([IO.Path]::IsPathRooted($path)) { $path } else { Join-Path $root $path }
            if (Test-Path $full) { Remove-Item $full -Recurse -Force }
        }
    }
    'Build' { Invoke-Build }
    'Lab' { Invoke-Lab }
    'Demo' {
        Invoke-Build
        $tour = @{}
        if ($Topology) { $tour.Topology = $Topology }
        & (Join-Path $root 'tests/lab/sim/Show-HotDbLabTour.ps1') @tour
        & (Join-Path $root 'tests/lab/sim/Invoke-HotDbLabDemoUpgrade.ps1')
    }
    'Bench' {
        Invoke-Build
        & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $root 'tests/bench/Invoke-HotDbBench.ps1') | Out-Host
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    'Test' {
        Invoke-Build
        $suites = @()
        if (-not $SkipUnit) { $suites += Invoke-UnitTest }
        $suites += Invoke-PesterTest
        $passed = ($suites | Measure-Object Passed -Sum).Sum
        $failed = ($suites | Measure-Object Failed -Sum).Sum
        $skipped = ($suites | Measure-Object Skipped -Sum).Sum
        Write-Host "tests: $passed passed, $failed failed, $skipped skipped"
        if ($failed -gt 0) { exit 1 }
    }
}
