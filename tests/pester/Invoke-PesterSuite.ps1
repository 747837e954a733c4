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
# The failures again, last: a CI log is often read from its end, where Pester's own report of them is long gone.
function Get-FirstLine($ErrorRecord) {
    if (-not @($ErrorRecord).Count) { return '(its block failed, below)' }
    "$(@($ErrorRecord)[0].Exception.Message)".Trim() -split "`n" | Select-Object -First 1
}
$failures = @(
    foreach ($test in $result.Failed) { "$($test.ExpandedPath) -- $(Get-FirstLine $test.ErrorRecord)" }
    foreach ($block in $result.FailedBlocks) { "(setup of) $($block.ExpandedPath) -- $(Get-FirstLine $block.ErrorRecord)" }
    foreach ($container in $result.FailedContainers) { "(file) $($container.Item) -- $(Get-FirstLine $container.ErrorRecord)" }
)
if ($failures) {
    Write-Host "Failed ($($failures.Count)):"
    foreach ($failure in $failures) { Write-Host "  FAILED: $failure" }
}
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
