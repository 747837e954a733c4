<#
    What every runbook in this folder shares: the log (0600, no secrets), logging a module command's verbose and
    error streams, SSH sessions, printing a plan and its checks, running or resuming a plan, and the exit-code
    contract (0 upgraded or planned, 1 failed and rolled back, 2 failed and NOT rolled back, 3 refused before any
    change). Dot-source it at the top of a runbook, after its param block:

        . (Join-Path $PSScriptRoot 'HotDbRunbook.Support.ps1')
        $run = Initialize-RunbookLog -LogPath $LogPath -JournalPath $JournalPath -DefaultName "Update-HotDbX-$ComputerName" -BoundParameters $PSBoundParameters

    It is not a runbook itself (Get-HotDbRunbook and the help tests skip files without the Update- prefix).
#>

Set-StrictMode -Version Latest

# Creates the log (mode 0600) and resolves the journal beside it. Returns LogPath and JournalPath; the log lines go to
# the console too unless the caller chose an -InformationAction.
function Initialize-RunbookLog {
    param(
        [string] $LogPath,
        [string] $JournalPath,
        [Parameter(Mandatory)] [string] $DefaultName,
        [Parameter(Mandatory)] [hashtable] $BoundParameters
    )
    if (-not $LogPath) { $LogPath = Join-Path (Get-Location) ('{0}-{1:yyyyMMdd-HHmmss}.log' -f $DefaultName, (Get-Date)) }
    $LogPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($LogPath)
    if (-not $JournalPath) { $JournalPath = [IO.Path]::ChangeExtension($LogPath, '.journal.json') }
    $JournalPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($JournalPath)
    if (-not (Test-Path $LogPath)) { New-Item -ItemType File -Path $LogPath -Force -WhatIf:$false | Out-Null }
    if ($IsLinux -or $IsMacOS) { & chmod 600 $LogPath }
    $script:RunbookLogPath = $LogPath
    $script:RunbookShowInformation = -not $BoundParameters.ContainsKey('InformationAction')
    [pscustomobject]@{ LogPath = $LogPath; JournalPath = $JournalPath }
}

function Write-Log([string] $Message, [string] $Level = 'INFO') {
    $line = '{0:yyyy-MM-dd HH:mm:ss} [{1}] {2}' -f (Get-Date), $Level, $Message
    Add-Content -Path $script:RunbookLogPath -Value $line -WhatIf:$false
    if ($script:RunbookShowInformation) { Write-Information $line -InformationAction Continue } else { Write-Information $line }
}

# Runs a module command, logging its verbose stream (step notes) and errors, and returning its output objects.
function Invoke-Logged([scriptblock] $Command) {
    $VerbosePreference = 'Continue'
    & $Command 4>&1 2>&1 | ForEach-Object {
        if ($_ -is [System.Management.Automation.VerboseRecord]) { Write-Log $_.Message 'STEP' }
        elseif ($_ -is [System.Management.Automation.ErrorRecord]) {
            Write-Log "$($_.Exception.Message)$(if ($_.ErrorDetails.RecommendedAction) { ' Recommended: ' + $_.ErrorDetails.RecommendedAction })" 'ERROR'
        }
        else { $_ }
    }
}

# Opens one SSH session per host with the runbook's connection parameters and logs each host key.
function New-RunbookSession {
    param(
        [Parameter(Mandatory)] [string[]] $ComputerName,
        [int] $Port = 22,
        [Parameter(Mandatory)] [pscredential] $Credential,
        [string] $KeyFile,
        [string] $KnownHostsPath,
        [string] $Elevation = 'None',
        [pscredential] $SudoCredential
    )
    foreach ($name in $ComputerName) {
        $connect = @{ ComputerName = $name; Port = $Port; Credential = $Credential; Elevation = $Elevation }
        if ($KeyFile) { $connect.KeyFile = $KeyFile }
        if ($KnownHostsPath) { $connect.KnownHostsPath = $KnownHostsPath }
        if ($SudoCredential) { $connect.SudoCredential = $SudoCredential }
        $session = New-HotDbSession @connect -WhatIf:$false -Confirm:$false
        Write-Log "SSH session $($session.UserName)@$($session.ComputerName):$($session.Port), host key $($session.HostKeyFingerprint)"
        $session
    }
}

# Copies the named parameters the caller bound into a plan's parameter table (optional ones keep the cmdlet's default).
function Add-BoundParameter([hashtable] $Target, [hashtable] $BoundParameters, [string[]] $Name) {
    foreach ($key in $Name) { if ($BoundParameters.ContainsKey($key)) { $Target[$key] = $BoundParameters[$key] } }
}

# Logs the plan's steps and its read-only checks; throws a refusal (exit code 3) when a check failed.
function Write-RunbookPlan {
    param(
        [Parameter(Mandatory)] $Plan,
        [Parameter(Mandatory)] [string] $JournalPath,
        # What the refusal says was left unchanged, e.g. 'hotdb-01 was not changed'.
        [Parameter(Mandatory)] [string] $Unchanged,
        # Appended to the refusal when it applies, e.g. a mode that does not need the failed check.
        [string] $RefusalHint
    )
    Write-Log "Plan: $($Plan.Mode) $($Plan.FromVersion) -> $($Plan.ToVersion) on $($Plan.Hosts -join ', '); journal $JournalPath" 'PLAN'
    $index = 0
    foreach ($phase in $Plan.Phases) {
        foreach ($step in $phase.Steps) { $index++; Write-Log ('  {0,2}. [{1}] {2}: {3}' -f $index, $phase.Name, $step.Name, $step.Describe()) 'PLAN' }
    }
    foreach ($check in $Plan.Checks) { Write-Log ('Check {0}: {1}{2}' -f $check.Step, $check.Status, $(if ($check.Error) { ' - ' + $check.Error })) }
    if (-not $Plan.ChecksPassed) { throw "the checks refused the upgrade$RefusalHint; $Unchanged" }
}

# Logs every step of a plan result and returns the runbook's exit code for it.
function Get-RunbookExitCode {
    param([Parameter(Mandatory)] [AllowNull()] $Result, [Parameter(Mandatory)] [string] $JournalPath)
    if (-not $Result) { throw 'the plan runner returned no result; see the errors above' }
    foreach ($step in $Result.Steps) {
        Write-Log ('Step {0,2} {1} {2}: {3}{4}{5}' -f $step.Index, $step.Host, $step.Step, $step.Status, $(if ($step.Error) { ' - ' + $step.Error }), $(if ($step.RollbackError) { '; rollback failed - ' + $step.RollbackError }))
    }
    $exitCode = switch ("$($Result.Status)") { 'Succeeded' { 0 } 'Planned' { 0 } 'RolledBack' { 1 } 'RollbackFailed' { 2 } default { 3 } }
    switch ($exitCode) {
        1 { Write-Log "ROLLED BACK after $($Result.FailedStep): $($Result.Error)" 'ERROR' }
        2 { Write-Log "ROLLBACK INCOMPLETE after $($Result.FailedStep): $($Result.Error). $($Result.RecommendedAction) Journal: $JournalPath" 'ERROR' }
        3 { Write-Log "REFUSED at $($Result.FailedStep): $($Result.Error) Nothing was changed." 'ERROR' }
    }
    $exitCode
}

# The exit code of a runbook that stopped on an exception: 3 before the run started (or when the plan runner refused
# the journal before its first step), 2 after it, when only the journal and the log describe the hosts.
function Get-RunbookFailureExitCode {
    param(
        [Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord,
        [bool] $Started,
        [Parameter(Mandatory)] [string] $JournalPath,
        # Who needs a hand, e.g. 'The host' or 'The pair'.
        [string] $Subject = 'The host'
    )
    $refused = -not $Started -or "$($ErrorRecord.FullyQualifiedErrorId)" -like 'PlanJournalUnusable*'
    Write-Log "FAILED$(if ($refused) { ' before any change' }): $($ErrorRecord.Exception.Message)$(if (-not $refused) { " $Subject needs a hand; resume with -Resume -JournalPath $JournalPath." })" 'ERROR'
    if ($refused) { 3 } else { 2 }
}

# Logs each compute node's version and ports after a run, under the given level.
function Write-ComputeNodeState([object[]] $Session, [string] $InstallPath, [string] $Level = 'INFO', [string] $Prefix = '') {
    foreach ($node in Get-HotDbComputeNode -Session $Session -InstallPath $InstallPath -ErrorAction SilentlyContinue) {
        Write-Log "$Prefix$($node.ComputerName): HotDB Server $($node.Version), running: $($node.Running) (service port open: $($node.ServerPortOpen), manager port open: $($node.ManagerPortOpen))" $Level
    }
}
