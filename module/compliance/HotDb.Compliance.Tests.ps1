<#
    The HotDb.Upgrade compliance pack (Pester 5): one It per check object of the Test-HotDb* cmdlets, so a failure
    names the check (Id, Name, Host, Expected, Actual, Remedy). Read-only: it changes nothing on the hosts.
    Run it with Invoke-HotDbCompliance.ps1 beside it, or:

        $pack = Join-Path (Split-Path (Get-Module HotDb.Upgrade).Path) 'compliance'
        Invoke-Pester -Container (New-PesterContainer -Path $pack -Data @{ Session = Get-HotDbSession }) -Output Detailed

    Data (New-PesterContainer -Data):
        Session       open HotDb.Upgrade sessions (or Inventory instead)
        Inventory     a hashtable or .psd1 path: ComputerName, and optionally Port, UserName (default root), KeyFile,
                      KnownHostsPath; the pack opens key-only sessions and closes them again
        InstallPath   the compute node directory (default /usr/local/hotdb/hotdb-server)
        Package       a compute node package: adds Test-HotDbComputeNode's upgrade pre-checks
        ScriptsPath   the ConfigDB upgrade scripts folder, with Package
        ConfigDb      a ConfigDB target (New-HotDbConfigDb): adds Test-HotDbConfigDb
    Only Passed counts: a check that failed or could not be verified fails its test, so a host without HotDB never passes.
#>
param(
    [object[]] $Session,
    [object] $Inventory,
    [string] $InstallPath = '/usr/local/hotdb/hotdb-server',
    [string] $Package,
    [string] $ScriptsPath,
    [object] $ConfigDb
)

BeforeDiscovery {
    $script:complianceChecks = [System.Collections.Generic.List[hashtable]]::new()
    function Add-ComplianceCheck([string] $Source, [scriptblock] $Run) {
        $problems = [System.Collections.Generic.List[object]]::new()
        try { $checks = @(& $Run 2>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $problems.Add($_) } else { $_ } }) }
        catch { $checks = @(); $problems.Add($_) }
        foreach ($check in $checks) {
            $script:complianceChecks.Add(@{
                    Id = "$($check.Id)"; Name = "$($check.Name)"; ComputerName = "$($check.Host)"; Status = "$($check.Status)"
                    Expected = "$($check.Expected)"; Actual = "$($check.Actual)"; Remedy = "$($check.Remedy)"
                })
        }
        # A cmdlet that could not check at all is a failed check of its own, never a silent pass.
        foreach ($problem in @($problems)) {
            $script:complianceChecks.Add(@{
                    Id = 'ERR'; Name = "$Source could not run"; ComputerName = "$($problem.TargetObject)"; Status = 'Failed'
                    Expected = "$Source returns its checks"; Actual = "$($problem.Exception.Message)"; Remedy = "$($problem.ErrorDetails.RecommendedAction)"
                })
        }
    }

    if (-not (Get-Module HotDb.Upgrade)) { Import-Module HotDb.Upgrade -ErrorAction Stop }
    $opened = @()
    if ($Inventory) {
        $inventoryTable = if ($Inventory -is [System.Collections.IDictionary]) { $Inventory } else { Import-PowerShellDataFile -Path "$Inventory" }
        $login = [pscredential]::new($(if ($inventoryTable.UserName) { $inventoryTable.UserName } else { 'root' }), [securestring]::new())
        foreach ($name in @($inventoryTable.ComputerName)) {
            $connect = @{ ComputerName = $name; Credential = $login; ErrorAction = 'SilentlyContinue'; ErrorVariable = 'connectProblem'; WhatIf = $false; Confirm = $false }
            foreach ($key in 'Port', 'KeyFile', 'KnownHostsPath') { if ($inventoryTable[$key]) { $connect[$key] = $inventoryTable[$key] } }
            $connectProblem = $null
            $opened += @(New-HotDbSession @connect)
            foreach ($problem in @($connectProblem)) {
                $script:complianceChecks.Add(@{
                        Id = 'SS1'; Name = 'Connected (a command runs)'; ComputerName = "$name"; Status = 'Failed'
                        Expected = 'the session is open and runs a command'; Actual = "$($problem.Exception.Message)"; Remedy = "$($problem.ErrorDetails.RecommendedAction)"
                    })
            }
        }
        $Session = @($Session) + $opened | Where-Object { $_ }
    }
    try {
        if ($Session) {
            Add-ComplianceCheck 'Test-HotDbSession' { Test-HotDbSession -Session $Session -InstallPath $InstallPath }
            if ($Package) {
                $nodeParameters = @{ Session = $Session; InstallPath = $InstallPath; Package = $Package }
                if ($ScriptsPath) { $nodeParameters.ScriptsPath = $ScriptsPath }
                if ($ConfigDb) { $nodeParameters.ConfigDb = $ConfigDb }
                Add-ComplianceCheck 'Test-HotDbComputeNode' { Test-HotDbComputeNode @nodeParameters }
            }
        }
        if ($ConfigDb) { Add-ComplianceCheck 'Test-HotDbConfigDb' { Test-HotDbConfigDb -ConfigDb $ConfigDb } }
    }
    finally {
        foreach ($one in $opened) { $one | Remove-HotDbSession -Confirm:$false -WhatIf:$false }
    }
}

Describe 'HotDB compliance' -Tag Compliance {
    It 'has hosts to check' -ForEach @(@{ Count = $complianceChecks.Count }) {
        $Count | Should -BeGreaterThan 0 -Because 'the pack needs -Data @{ Session = ... } or @{ Inventory = ... }; nothing checked is no pass'
    }

    It '<Id> <Name> on <ComputerName>' -ForEach $complianceChecks {
        $Status | Should -Be 'Passed' -Because "$Id $Name on ${ComputerName}: expected $Expected; actual: $Actual; remedy: $Remedy"
    }
}
