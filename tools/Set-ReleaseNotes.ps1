<#
.SYNOPSIS
    Writes the staged manifest's ReleaseNotes from what the staged module ships: its version, cmdlets and runbooks.
.DESCRIPTION
    The source manifest holds a placeholder; the build replaces it in the staged copy, so the notes can never name a
    cmdlet or runbook that is not in the package (Module.Tests.ps1 checks the staged notes against the module).
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$manifestPath = Join-Path $ModulePath 'HotDb.Upgrade.psd1'
$manifest = Import-PowerShellDataFile $manifestPath
# A runbook is named Verb-HotDb*.ps1; other scripts there (HotDbRunbook.Support.ps1) are their shared code.
$runbooks = @(Get-ChildItem (Join-Path $ModulePath 'runbooks') -Filter *.ps1 -ErrorAction SilentlyContinue |
    Where-Object Name -Match '^[A-Za-z]+-HotDb\w*\.ps1$' | Sort-Object Name | ForEach-Object Name)
$notes = @(
    "HotDb.Upgrade $($manifest.ModuleVersion)."
    "Cmdlets ($($manifest.CmdletsToExport.Count)): $($manifest.CmdletsToExport -join ', ')."
    $(if ($runbooks) { "Runbooks in the module's runbooks folder: $($runbooks -join ', ')." })
    'Help ships in the module (en-US, Get-Help about_HotDb.Upgrade) and is not updatable.'
    'What each cmdlet does and what is not automated yet: README.md.'
) -join ' '

$text = [IO.File]::ReadAllText($manifestPath)
$pattern = "(?m)^(\s*ReleaseNotes\s*=\s*)'[^']*'"
if (-not [regex]::IsMatch($text, $pattern)) { throw "$manifestPath has no ReleaseNotes = '...' line to fill." }
[IO.File]::WriteAllText($manifestPath, [regex]::Replace($text, $pattern, { param($m) $m.Groups[1].Value + "'" + $notes.Replace("'", "''") + "'" }))
