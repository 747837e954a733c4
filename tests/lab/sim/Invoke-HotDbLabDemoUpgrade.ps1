<#
.SYNOPSIS
    The demo's main act: a real single-node upgrade on the lab's sn1 (2.4.9 to 2.5.4) with the shipped runbook,
    over real SSH to the host and real SQL to the ConfigDB, then a look at the result.
.DESCRIPTION
    Needs the running lab with the simulated components (Show-HotDbLabTour.ps1 starts it). Creates the ConfigDB
    login the runbook uses, gathers the ConfigDB upgrade scripts the lab ships, runs
    module/runbooks/Update-HotDbSingleNode.ps1 and prints its log as it goes. On a lab where sn1 was already
    upgraded it says so and changes nothing.
#>
[CmdletBinding()]
param(
    [string] $NodeName = 'sn1',
    [string] $TargetPattern = 'hotdb-server-2.5.4-ga-*.tar.gz'
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot '../HotDbLab.psm1')
$module = Join-Path $PSScriptRoot '../../../out/HotDb.Upgrade/HotDb.Upgrade.psd1'
Import-Module $module
function Write-Demo([string] $Text) { Write-Host "==> $Text" -ForegroundColor Cyan }

$lab = @(Get-HotDbLab)
$node = $lab | Where-Object Name -EQ $NodeName
if (-not $node) { throw "The running lab has no host '$NodeName'." }
$state = Split-Path (Split-Path $node.StateFolder)
$packages = Join-Path $state 'packages'
$package = (Get-ChildItem $packages -Filter $TargetPattern | Select-Object -First 1).FullName
if (-not $package) { throw "The lab's packages folder $packages has no $TargetPattern." }

$root = [pscredential]::new('root', [securestring]::new())
$session = New-HotDbSession -ComputerName $node.Address -Credential $root -KeyFile $node.RootKeyPath -KnownHostsPath $node.KnownHostsPath
try {
    $before = Get-HotDbComputeNode -Session $session
    $target = Get-HotDbPackage $package
    if ($before.Version -ge $target.Version) {
        Write-Demo "$NodeName already runs $($before.Version); tear the lab down and run the demo again to watch the upgrade."
        return
    }
    Write-Demo "$NodeName runs HotDB $($before.Version); upgrading it to $($target.Version) with module/runbooks/Update-HotDbSingleNode.ps1"

    # The runbook's ConfigDB login, made for this demo with a random password that is never printed.
    $secret = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(18)).Replace('+', 'x').Replace('/', 'y')
    $grant = Invoke-HotDbLabHostCommand -HostName configdb -Command 'mysql' -InputText (
        "CREATE USER IF NOT EXISTS 'upgrader'@'%' IDENTIFIED BY '$secret'; ALTER USER 'upgrader'@'%' IDENTIFIED BY '$secret'; " +
        "GRANT ALL ON *.* TO 'upgrader'@'%' WITH GRANT OPTION;")
    if ($grant.ExitCode -ne 0) { throw "Creating the demo's ConfigDB login failed: $($grant.Error)" }

    $scripts = Get-Item (Join-Path $packages 'configdb-upgrade')

    $log = Join-Path $state "demo-upgrade-$NodeName.log"
    & (Join-Path (Split-Path $module) 'runbooks/Update-HotDbSingleNode.ps1') -ComputerName $node.Address -Credential $root `
        -KeyFile $node.RootKeyPath -KnownHostsPath $node.KnownHostsPath -Package $package -ScriptsPath $scripts.FullName `
        -ConfigDbCredential ([pscredential]::new('upgrader', (ConvertTo-SecureString $secret -AsPlainText -Force))) -LogPath $log
    $exitCode = $LASTEXITCODE

    $after = Get-HotDbComputeNode -Session $session
    Write-Demo "Runbook exit code $exitCode; $NodeName now runs HotDB $($after.Version)"
    $after | Format-List | Out-String -Width 200 | Write-Host
    Write-Demo "The old install is kept beside the new one:"
    (Invoke-HotDbCommand -Session $session -Command 'ls -ld /usr/local/hotdb/*').StandardOutput | Write-Host
    Write-Demo "The runbook's log: $log"
    if ($exitCode -ne 0) { exit $exitCode }
}
finally {
    $session | Remove-HotDbSession
}
