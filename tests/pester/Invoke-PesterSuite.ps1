<#
.SYNOPSIS
    Runs the Pester suites with the pinned Pester and writes pass/fail/skip counts as JSON.
#>
param(
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Tag,
    # Test files or folders to run instead of the whole folder (build.ps1 -TestPath).
    [string[]] $Path
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $env:HOTDB_UPGRADE_TOOLS 'pester/5.7.1/tools/Pester.psd1') -RequiredVersion 5.7.1
$configuration = New-PesterConfiguration
$configuration.Run.Path = if ($Path) { $Path -split "," } else { $PSScriptRoot }
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($Tag) { $configuration.Filter.Tag = $Tag -split ',' }
$result = Invoke-Pester -Configuration $configuration
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
