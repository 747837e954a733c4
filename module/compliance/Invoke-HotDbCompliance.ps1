<#
.SYNOPSIS
    Runs the HotDb.Upgrade compliance pack (HotDb.Compliance.Tests.ps1, Pester 5) against sessions or an inventory.
.DESCRIPTION
    One Pester test per check object, named '<Id> <Name> on <host>'; a failed test's message gives the expected and
    actual values and the remedy. From an estate inventory (-Inventory estate.psd1, described under
    -Inventory) the pack opens a session to every compute node host and runs, per ComputeNodes group:
    - every host: Test-HotDbSession (SS1..SS5);
    - Mode MasterSlave: Test-HotDbHaSwitch (HA1..HA6);
    - Mode Cluster: Test-HotDbClusterUpgrade (CL1..CL6, with -Online when the group says Online = $true: CL7, CL8),
      with -ManagerCredential;
    - Mode DisasterRecovery: Test-HotDbDisasterRecovery (DR1..DR4), and Test-HotDbHaSwitch on a master/slave master
      centre;
    - with a compute node package (Packages.ComputeNode or -Package): Test-HotDbComputeNode (CN1..CN6), and the
      cluster's CL6 and CL8 against it and Packages.ConfigDbScripts;
    and with -ConfigDb, Test-HotDbConfigDb. Only a Passed check passes: a failed or unverified check, a cmdlet that
    could not run and an unreachable host fail, so a host without HotDB fails. Read-only, so what needs a change or
    input it lacks is skipped with its reason, never passed: HA4 (it runs reload @@config), the package pre-checks
    without a package, CN6 without both -ConfigDb and scripts, CL8 without scripts, the cluster checks without
    -ManagerCredential. The Management, Backup and Listener entries of the inventory are read and not checked.
    The older flat inventory (ComputerName, Port, UserName, KeyFile, KnownHostsPath) still works: its hosts get the
    session checks. -Session works with or without -Inventory (its hosts not in the inventory get the session checks).
    Needs Pester 5 (Install-PSResource Pester). Exit code: 0 when every check passed (skipped ones aside), 1 when one
    failed, 3 when the pack could not run (no Pester 5, no -Session or -Inventory, an invalid inventory).
.PARAMETER Session
    Open HotDb.Upgrade sessions to check; an inventory host with a session here is not connected again.
.PARAMETER Inventory
    The estate inventory, a .psd1 file (or hashtable): Ssh (UserName, KeyFile, KnownHostsPath, Port, Elevation),
    Packages (ComputeNode, ConfigDbScripts; relative paths from the file's folder), ComputeNodes (groups with Mode
    SingleNode, MasterSlave, Cluster or DisasterRecovery, ComputerName, and Online, DrComputerName, MasterCentreMode,
    InstallPath, KeepalivedConfigPath...). A bad inventory is refused before any host is contacted (exit code 3).
.PARAMETER Credential
    The SSH login as a PSCredential (with a key file its password is the key's passphrase). By default the inventory's
    Ssh.UserName (else root) logs in by key only.
.PARAMETER UserName
    Overrides the inventory's Ssh.UserName (a key-only login).
.PARAMETER KeyFile
    Overrides the inventory's Ssh.KeyFile.
.PARAMETER KnownHostsPath
    Overrides the inventory's Ssh.KnownHostsPath.
.PARAMETER Port
    Overrides the inventory's Ssh.Port.
.PARAMETER Elevation
    Overrides the inventory's Ssh.Elevation (None or Sudo).
.PARAMETER SudoCredential
    The sudo password of the login, with Elevation Sudo.
.PARAMETER ManagerCredential
    A manager-port login with the SUPER privilege (HotDB's own user), for the cluster checks (show @@cluster).
.PARAMETER InstallPath
    The compute node directory on the hosts, where a group gives no InstallPath.
.PARAMETER Package
    A compute node package: adds the read-only upgrade pre-checks (overrides the inventory's Packages.ComputeNode).
.PARAMETER ScriptsPath
    The ConfigDB upgrade scripts folder (overrides Packages.ConfigDbScripts).
.PARAMETER ConfigDb
    A ConfigDB target from New-HotDbConfigDb: adds Test-HotDbConfigDb (and CN6 with a package and scripts).
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
.EXAMPLE
    & $pack -Inventory ./estate.psd1 -ManagerCredential (Get-Credential hotdb_admin) -Package ./hotdb-server-2.5.6-ga-20201101.tar.gz
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    [object[]] $Session,
    [object] $Inventory,
    [pscredential] $Credential,
    [string] $UserName,
    [string] $KeyFile,
    [string] $KnownHostsPath,
    [ValidateRange(1, 65535)] [int] $Port,
    [ValidateSet('None', 'Sudo')] [string] $Elevation,
    [pscredential] $SudoCredential,
    [pscredential] $ManagerCredential,
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
$passed = 'Session', 'Inventory', 'Credential', 'UserName', 'KeyFile', 'KnownHostsPath', 'Port', 'Elevation', 'SudoCredential', 'ManagerCredential', 'Package', 'ScriptsPath', 'ConfigDb'
foreach ($key in $passed) { if ($PSBoundParameters.ContainsKey($key)) { $data[$key] = $PSBoundParameters[$key] } }
if ($Inventory) {
    # A bad inventory is refused here, before any host is contacted, with the key that is wrong.
    . (Join-Path $PSScriptRoot '../HotDbInventory.ps1')
    try {
        $estate = Read-HotDbInventory -Inventory $Inventory -Component ComputeNodes -InstallPath $InstallPath
        # The pack reads the file again in its own container: give it the full path.
        if ($Inventory -isnot [System.Collections.IDictionary]) { $data.Inventory = $estate.Source }
    }
    catch { Write-Error $_.Exception.Message -ErrorAction Continue; exit 3 }
}
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
