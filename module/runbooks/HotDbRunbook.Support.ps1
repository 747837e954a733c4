<#
    What every runbook in this folder shares: the log (0600, no secrets), logging a module command's verbose and
    error streams, SSH sessions, printing a plan and its checks, running or resuming a plan (Invoke-RunbookPlan), and
    the exit-code contract (0 upgraded or planned, 1 failed and rolled back, 2 failed and NOT rolled back, 3 refused before any
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

# Resumes the journal (-Resume) or builds, logs and runs a new plan, and returns the runbook's exit code for the result.
# Sets $script:started once something may change (the exit code of a later exception depends on it); under -WhatIf a
# new plan is logged and the runbook exits 0. The plan runner owns every rollback: nothing here undoes anything.
function Invoke-RunbookPlan {
    param(
        [switch] $Resume,
        [Parameter(Mandatory)] [string] $JournalPath,
        [Parameter(Mandatory)] [object[]] $Session,
        # What runs, for the log, e.g. 'single-node upgrade of hotdb-01' (resumed) or with mode and package (new plan).
        [Parameter(Mandatory)] [string] $ResumeMessage,
        [string] $PlanMessage,
        # New-HotDbUpgradePlan's parameters (new plan) and the logins Resume-HotDbUpgradePlan needs again (resume).
        [hashtable] $PlanParameters,
        [hashtable] $ResumeParameters = @{},
        # What a refusal says was left unchanged, and a hint for a refused plan (given the plan), or nothing.
        [string] $Unchanged,
        [scriptblock] $RefusalHint = { },
        [switch] $WhatIf
    )
    $whatIfNote = if ($WhatIf) { ' -- WhatIf: nothing will be changed' } else { '' }
    if ($Resume) {
        Write-Log "Resuming the $ResumeMessage from the journal $JournalPath$whatIfNote"
        $script:started = $true
        $result = Invoke-Logged { Resume-HotDbUpgradePlan -JournalPath $JournalPath -Session $Session @ResumeParameters -Confirm:$false -WhatIf:$WhatIf -ErrorAction Continue }
    }
    else {
        Write-Log "$PlanMessage$whatIfNote"
        $plan = Invoke-Logged { New-HotDbUpgradePlan @PlanParameters -ErrorAction Continue }
        if (-not $plan) { throw 'no plan could be built; see the errors above' }
        Write-RunbookPlan -Plan $plan -JournalPath $JournalPath -Unchanged $Unchanged -RefusalHint (& $RefusalHint $plan)
        if ($WhatIf) {
            Write-Log 'WhatIf: nothing was changed.'
            $script:exitCode = 0
            exit 0
        }
        $script:started = $true
        $result = Invoke-Logged { Invoke-HotDbUpgradePlan -Plan $plan -JournalPath $JournalPath -Confirm:$false -ErrorAction Continue }
    }
    [pscustomobject]@{ Result = $result; ExitCode = Get-RunbookExitCode -Result $result -JournalPath $JournalPath }
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

# The exit-code contract for input: every runbook types its parameters loosely (nothing mandatory, no validation
# attributes, no parameter sets, unknown arguments caught) so that pwsh never prompts and never rejects a command line
# before the runbook runs; this checks the input instead and throws one refusal (exit code 3) naming every problem.
function Assert-RunbookInput {
    param(
        [Parameter(Mandatory)] [hashtable] $BoundParameters,
        [object[]] $UnknownArgument,
        # Parameters that must be given (names; 'A|B' when either will do).
        [string[]] $Required,
        # name -> the allowed values.
        [hashtable] $Choice = @{},
        # name -> @(minimum, maximum) for whole numbers.
        [hashtable] $Range = @{},
        # Parameters naming a local file, or a local folder, that must exist.
        [string[]] $File,
        [string[]] $Folder,
        # Parameters that only a new run takes (refused with -Resume).
        [string[]] $RunOnly,
        [switch] $Resume
    )
    $problems = [System.Collections.Generic.List[string]]::new()
    if ($UnknownArgument) { $problems.Add("unknown parameter or argument: $($UnknownArgument -join ' ') (every parameter is named; see Get-Help <runbook> -Full)") }
    foreach ($name in $Required) {
        $names = $name -split '\|'
        if (-not @($names | Where-Object { $BoundParameters.ContainsKey($_) -and "$($BoundParameters[$_])" -ne '' })) { $problems.Add("missing -$($names -join ' or -')") }
    }
    foreach ($name in $Choice.Keys) {
        if ($BoundParameters.ContainsKey($name) -and "$($BoundParameters[$name])" -notin $Choice[$name]) { $problems.Add("-$name '$($BoundParameters[$name])' is not one of $($Choice[$name] -join ', ')") }
    }
    foreach ($name in $Range.Keys) {
        if (-not $BoundParameters.ContainsKey($name)) { continue }
        $number = 0
        if (-not [int]::TryParse("$($BoundParameters[$name])", [ref] $number) -or $number -lt $Range[$name][0] -or $number -gt $Range[$name][1]) {
            $problems.Add("-$name '$($BoundParameters[$name])' is not a whole number from $($Range[$name][0]) to $($Range[$name][1])")
        }
    }
    foreach ($name in $File) {
        if ($BoundParameters.ContainsKey($name) -and "$($BoundParameters[$name])" -and -not (Test-Path -LiteralPath "$($BoundParameters[$name])" -PathType Leaf)) { $problems.Add("-$name '$($BoundParameters[$name])': no such file") }
    }
    foreach ($name in $Folder) {
        if ($BoundParameters.ContainsKey($name) -and "$($BoundParameters[$name])" -and -not (Test-Path -LiteralPath "$($BoundParameters[$name])" -PathType Container)) { $problems.Add("-$name '$($BoundParameters[$name])': no such folder") }
    }
    if ($Resume) {
        $given = @($RunOnly | Where-Object { $_ -and $BoundParameters.ContainsKey($_) })
        if ($given) { $problems.Add("-Resume takes the plan from the journal; drop $(@($given | ForEach-Object { "-$_" }) -join ', ')") }
    }
    if ($problems.Count) { throw "bad parameters: $($problems -join '; ')." }
}

# Host names from a command line: pwsh -File passes 'a,b' as one string, so commas and spaces separate names.
function Split-RunbookHostName([object[]] $Name) { @($Name | ForEach-Object { "$_" -split '[,\s]+' } | Where-Object { $_ }) }

# A credential parameter: a PSCredential given in-process, or a secret from Microsoft.PowerShell.SecretManagement
# (-SecretVault and the secret's name), or for the SSH login a key-only login (-UserName with -KeyFile, no password).
# Throws a refusal (exit code 3) that says what is missing; never prompts.
function Resolve-RunbookCredential {
    param(
        [Parameter(Mandatory)] [string] $Name,
        [object] $Value,
        [string] $SecretName,
        [string] $Vault,
        [string] $UserName,
        [string] $KeyFile,
        [switch] $Optional
    )
    if ($Value -is [pscredential]) { return $Value }
    if ($null -ne $Value -and "$Value" -ne '') { throw "bad parameters: -$Name must be a PSCredential (a scheduled task cannot pass one: use -$($Name)Secret with -SecretVault$(if ($Name -eq 'Credential') { ', or -UserName with -KeyFile' }))." }
    if ($SecretName) {
        if (-not (Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement)) {
            throw "-$($Name)Secret needs the Microsoft.PowerShell.SecretManagement module, which is not installed (Install-PSResource Microsoft.PowerShell.SecretManagement, and a vault extension)."
        }
        Import-Module Microsoft.PowerShell.SecretManagement -ErrorAction Stop
        $secretParameters = @{ Name = $SecretName; ErrorAction = 'Stop' }
        if ($Vault) { $secretParameters.Vault = $Vault }
        $secret = Get-Secret @secretParameters
        if ($secret -isnot [pscredential]) { throw "the secret '$SecretName'$(if ($Vault) { " in vault '$Vault'" }) for -$Name is not a PSCredential (store one with Set-Secret -Secret (Get-Credential))." }
        return $secret
    }
    if ($UserName -and $KeyFile) { return [pscredential]::new($UserName, [securestring]::new()) }
    if ($Optional) { return $null }
    throw "bad parameters: missing -$Name (a PSCredential), or -$($Name)Secret with -SecretVault$(if ($Name -eq 'Credential') { ', or -UserName with -KeyFile for a key-only login' })."
}

# The runbook's trap for anything that stops it outside its own try/catch (a log that cannot be written, a module that
# does not load): says so on the log when there is one, else on standard error. The caller exits with its $exitCode.
function Write-RunbookTrap([System.Management.Automation.ErrorRecord] $ErrorRecord) {
    $message = "FAILED before any change: $($ErrorRecord.Exception.Message)"
    if ((Get-Variable RunbookLogPath -Scope Script -ErrorAction SilentlyContinue) -and $script:RunbookLogPath) {
        try { Write-Log $message 'ERROR'; return } catch { }
    }
    [Console]::Error.WriteLine($message)
}
