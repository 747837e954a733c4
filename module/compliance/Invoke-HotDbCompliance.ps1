<#
.SYNOPSIS
    Runs the HotDb.Upgrade compliance pack (HotDb.Compliance.Tests.ps1, Pester 5) against sessions or an inventory.
.DESCRIPTION
    One Pester test per check object of Test-HotDbSession (and, with -Package, Test-HotDbComputeNode; with
    -ConfigDb, Test-HotDbConfigDb): a failed test is named '<Id> <Name> on <host>' and its message gives the expected
    and actual values and the remedy. Only a Passed check passes: a host without HotDB fails. Read-only.
    Needs Pester 5 (Install-PSResource Pester). Exit code: 0 when every check passed, 1 when one failed, 3 when the
    pack could not run (no Pester 5, or no -Session or -Inventory).
.PARAMETER Session
    Open HotDb.Upgrade sessions to check.
.PARAMETER Inventory
    A .psd1 file (or hashtable) with ComputerName and optionally Port, UserName, KeyFile, KnownHostsPath: the pack
    opens key-only sessions itself and closes them afterwards.
.PARAMETER InstallPath
    The compute node directory on the hosts.
.PARAMETER Package
    A compute node package: adds the read-only upgrade pre-checks of Test-HotDbComputeNode.
.PARAMETER ScriptsPath
    The ConfigDB upgrade scripts folder, with -Package.
.PARAMETER ConfigDb
    A ConfigDB target from New-HotDbConfigDb: adds Test-HotDbConfigDb.
.PARAMETER OutputFile
    Writes the results as a test report (NUnit or JUnit XML) to this path.
.PARAMETER OutputFormat
    NUnitXml (default), NUnit2.5 or JUnitXml.
.PARAMETER PassThru
    Returns Pester's result object.
.EXAMPLE
    $pack = Join-Path (Split-Path (Get-Module HotDb.Upgrade).Path) 'compliance/Invoke-HotDbCompliance.ps1'
    & $pack -Session (Get-HotDbSession) -Package ./hotdb-server-2.5.4-ga-20190812.tar.gz -OutputFile ./compliance.xml
.EXAMPLE
    pwsh -NonInteractive -File Invoke-HotDbCompliance.ps1 -Inventory ./estate.psd1 -OutputFile ./compliance.xml -OutputFormat JUnitXml
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    [object[]] $Session,
    [object] $Inventory,
    [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    [string] $Package,
    [string] $ScriptsPath,
    [object] $ConfigDb,
    [string] $OutputFile,
    [ValidateSet('NUnitXml', 'NUnit2.5', 'JUnitXml')] [string] $OutputFormat = 'NUnitXml',
    [switch] $PassThru
)

$ErrorActionPreference = 'Stop'
if (-not $Session -and -not $Inventory) { Write-Error 'Give -Session or -Inventory: the compliance pack checks nothing without hosts.' -ErrorAction Continue; exit 3 }
$pester = Get-Module Pester | Where-Object { $_.Version.Major -ge 5 } | Select-Object -First 1
if (-not $pester) {
    $pester = Import-Module Pester -MinimumVersion 5.0 -PassThru -ErrorAction SilentlyContinue
    if (-not $pester) { Write-Error 'The compliance pack needs Pester 5 (Install-PSResource Pester).' -ErrorAction Continue; exit 3 }
}
if (-not (Get-Module HotDb.Upgrade)) { Import-Module (Join-Path $PSScriptRoot '../HotDb.Upgrade.psd1') }

$data = @{ InstallPath = $InstallPath }
foreach ($key in 'Session', 'Inventory', 'Package', 'ScriptsPath', 'ConfigDb') { if ($PSBoundParameters.ContainsKey($key)) { $data[$key] = $PSBoundParameters[$key] } }
if ($Inventory -and $Inventory -isnot [System.Collections.IDictionary]) { $data.Inventory = (Resolve-Path "$Inventory").Path }
$configuration = New-PesterConfiguration
$configuration.Run.Container = New-PesterContainer -Path (Join-Path $PSScriptRoot 'HotDb.Compliance.Tests.ps1') -Data $data
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($OutputFile) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = $OutputFile
    $configuration.TestResult.OutputFormat = $OutputFormat
}
$result = Invoke-Pester -Configuration $configuration
if ($PassThru) { $result }
$code = if ($result.Result -eq 'Passed' -and $result.FailedCount -eq 0 -and $result.PassedCount -gt 0) { 0 } else { 1 }
exit $code
