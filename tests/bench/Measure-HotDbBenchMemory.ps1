<#
.SYNOPSIS
    Runs one operation of the benchmark in its own pwsh process and prints that process's peak memory (VmHWM) in bytes
    on the last line (with the operation's error, if any), so the number covers only this operation (and the module load). Called by Invoke-HotDbBench.ps1.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [ValidateSet('Upload', 'Sql')] [string] $Operation,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Path,
    [string] $ComputerName,
    [string] $KeyFile,
    [string] $KnownHostsPath,
    [string] $Destination
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$before = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
$clock = [Diagnostics.Stopwatch]::StartNew()
$failure = ''
try {
switch ($Operation) {
    'Upload' {
        $session = New-HotDbSession -ComputerName $ComputerName -Credential ([pscredential]::new('root', [securestring]::new())) -KeyFile $KeyFile -KnownHostsPath $KnownHostsPath
        try { $null = Send-HotDbFile -Session $session -Path $Path -Destination $Destination }
        finally { $session | Remove-HotDbSession }
    }
    'Sql' { $null = Test-HotDbUpgradeSql -Path $Path }
}
}
catch { $failure = ($_.Exception.Message -split "`n")[0] }
$process = [Diagnostics.Process]::GetCurrentProcess()
$process.Refresh()
# before peak seconds [error]: the error (a refusal) is reported, not thrown, so its memory is measured too.
"{0} {1} {2:0.000} {3}" -f $before, $process.PeakWorkingSet64, $clock.Elapsed.TotalSeconds, $failure
