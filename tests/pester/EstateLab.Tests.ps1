# The estate runbook (Update-HotDbEstate.ps1) on a reduced lab (tests/lab): the platform on mgmt (2.5.3), one
# single-node group on sn1 (2.5.3), a Backup agent (2.5.3) and a Listener (2.5.5) on ds1, all to 2.5.6, from the
# example inventory tests/lab/estate.lab.psd1 with this lab's paths. The Its run in order on one lab: each starts from
# where the previous one left it (a Listener that fails to start stops the first run; the next run continues).
# Run under flock /tmp/hotdb-lab.flock (one lab per machine).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

    # The hosts of tests/lab/estate.lab.psd1, by the same addresses.
    $topology = @{
        Defaults = @{ HotDbSize = '256M' }
        Groups   = @{ sn = @{ Mode = 'Single' } }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'mgmt'; Address = '198.18.0.11'; Roles = @('management') }
            @{ Name = 'sn1'; Address = '198.18.0.21'; Roles = @('computenode'); Group = 'sn'; Options = @{ HotDbVersion = '2.5.3' } }
            @{ Name = 'ds1'; Address = '198.18.0.51'; Roles = @('backup', 'listener') }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology
    $script:configDbLogin = New-LabConfigDbLogin
    $script:runbook = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbEstate.ps1'

    # The example inventory with this lab's state folder (it assumes <repo>/.lab) and a license the simulator writes.
    $state = Split-Path (Get-LabPackagePath)
    $license = Join-Path $TestDrive 'license-estate'
    & dotnet (Get-HotDbLabSimDll) license --type PERPETUAL --nodes 128 --out $license | Out-Null
    $exampleText = Get-Content (Join-Path $PSScriptRoot '../lab/estate.lab.psd1') -Raw
    $text = $exampleText.Replace("'../../.lab/license-estate'", "'$license'").Replace("'../../.lab/", "'$state/")
    $script:inventory = Join-Path $TestDrive 'estate.psd1'
    Set-Content -Path $inventory -Value $text
    $script:example = Import-PowerShellDataFile (Join-Path $PSScriptRoot '../lab/estate.lab.psd1')

    function script:Invoke-Estate([string] $Inventory, [hashtable] $Extra = @{}) {
        $log = Join-Path $TestDrive "estate-$([guid]::NewGuid().ToString('N').Substring(0, 6)).log"
        & $runbook -Inventory $Inventory -ConfigDbCredential $configDbLogin -ManagementConfigDbCredential $configDbLogin `
            -LogPath $log -InformationAction SilentlyContinue @Extra
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Log = (Get-Content $log -Raw) }
    }
    $script:mgmt = Connect-LabHost 'mgmt'
    $script:sn1 = Connect-LabHost 'sn1'
    $script:ds1 = Connect-LabHost 'ds1'
    # Every component's version: platform, compute node, Backup, Listener.
    function script:Get-EstateVersion {
        @(
            "$((Get-HotDbManagement -Session $mgmt).Version)"
            "$((Get-HotDbComputeNode -Session $sn1).Version)"
            "$((Get-HotDbBackup -Session $ds1).Version)"
            "$((Get-HotDbListener -Session $ds1).Version)"
        ) -join ','
    }
    # The position of the first log line matching a pattern (-1 when none does).
    function script:Get-LineIndex([string] $Log, [string] $Pattern) {
        $lines = $Log -split '\r?\n'
        for ($i = 0; $i -lt $lines.Count; $i++) { if ($lines[$i] -match $Pattern) { return $i } }
        -1
    }
}

AfterAll { Stop-LabFixture }

Describe 'Update-HotDbEstate.ps1 on the lab: mgmt, sn1, ds1' -Tag Lab, Upgrade, Estate -Skip:$labSkip {
    It 'the example inventory names the lab hosts and packages' {
        $example.Management.ComputerName | Should -Be (Get-LabHost 'mgmt').Address
        $example.ComputeNodes[0].ComputerName | Should -Be (Get-LabHost 'sn1').Address
        $example.Backup.ComputerName | Should -Be (Get-LabHost 'ds1').Address
        foreach ($key in 'ComputeNode', 'Management', 'Backup', 'Listener', 'Jdk') {
            Join-Path (Get-LabPackagePath) (Split-Path $example.Packages[$key] -Leaf) | Should -Exist
        }
        Get-EstateVersion | Should -Be '2.5.3,2.5.3,2.5.3,2.5.5'
    }

    It 'refuses an inventory with errors, naming each, with exit code 3 before any SSH connection' {
        $bad = Join-Path $TestDrive 'bad.psd1'
        Set-Content -Path $bad -Value (@(
                '@{'
                "    Packages = @{ ComputeNode = '$((Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz'))'; ConfigDbScripts = '$(Get-LabScriptsPath)'; Backup = 'missing/hotdb-backup-2.5.6-20201101.tar.gz' }"
                "    ComputeNodes = @(@{ Mode = 'Triple'; ComputerName = '198.18.0.21' }, @{ Name = 'pair'; Mode = 'SingleNode'; ComputerName = '198.18.0.21', '198.18.0.22' })"
                "    Backup = @{ ComputerName = '198.18.0.51' }"
                "    Listeners = @{ ComputerName = '198.18.0.51' }"
                '}'
            ) -join "`n")
        $listing = Get-LabFileListing 'sn1'
        $run = Invoke-Estate $bad
        $run.ExitCode | Should -Be 3 -Because $run.Log
        $run.Log | Should -Match "unknown key 'Listeners'"
        $run.Log | Should -Match "ComputeNodes\[1\]\.Mode 'Triple' is not one of SingleNode, MasterSlave, Cluster, DisasterRecovery"
        $run.Log | Should -Match 'ComputeNodes\[2\]\.ComputerName \(SingleNode\) takes 1 host; 2 given'
        $run.Log | Should -Match "Packages\.Backup '.*missing/hotdb-backup-2\.5\.6-20201101\.tar\.gz': no such file"
        $run.Log | Should -Match 'FAILED before any change: bad inventory'
        $run.Log | Should -Not -Match 'SSH session'
        Get-LabFileListing 'sn1' | Should -Be $listing
    }

    It '-WhatIf prints the whole plan in order (platform, Listener, compute nodes, Backup) and changes nothing' {
        $listings = foreach ($name in 'mgmt', 'sn1', 'ds1') { Get-LabFileListing $name }
        $run = Invoke-Estate $inventory @{ WhatIf = $true }
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $order = @(
            Get-LineIndex $run.Log '\[PLAN\] 1\. management platform on 198\.18\.0\.11: 2\.5\.3 -> 2\.5\.6 with hotdb-management-2\.5\.6-ga-20201101\.tar\.gz'
            Get-LineIndex $run.Log '\[PLAN\] 2\. HotDB Listener on 198\.18\.0\.51: 2\.5\.5 -> 2\.5\.6 with hotdb-listener-2\.5\.6-linux\.tar\.gz'
            Get-LineIndex $run.Log "\[PLAN\] 3\. compute nodes 'sn' \(SingleNode\) on 198\.18\.0\.21: 2\.5\.3 -> 2\.5\.6 with hotdb-server-2\.5\.6-ga-20201101\.tar\.gz"
            Get-LineIndex $run.Log '\[PLAN\] 4\. HotDB Backup on 198\.18\.0\.51: 2\.5\.3 -> 2\.5\.6 with hotdb-backup-2\.5\.6-20201101\.tar\.gz'
        )
        $order | Should -Not -Contain -1 -Because $run.Log
        ($order | Sort-Object) -join ',' | Should -Be ($order -join ',') -Because 'the components are listed in the upgrade order'
        # Every component's steps, the compute node's from its runbook's plan.
        $run.Log | Should -Match '\[PLAN\]\s+management platform \| .*StartPlatform'
        $run.Log | Should -Match '\[PLAN\]\s+HotDB Listener \| .*StartService'
        $run.Log | Should -Match "\[PLAN\]\s+compute nodes 'sn' \(SingleNode\) \| .*KeepOldInstall: Rename /usr/local/hotdb/hotdb-server to /usr/local/hotdb/hotdb_server_253"
        $run.Log | Should -Match '\[PLAN\]\s+HotDB Backup \| .*StartService'
        $run.Log | Should -Match 'WhatIf: nothing was changed'
        Get-EstateVersion | Should -Be '2.5.3,2.5.3,2.5.3,2.5.5'
        @(foreach ($name in 'mgmt', 'sn1', 'ds1') { Get-LabFileListing $name }) | Should -Be $listings
    }

    It 'stops at the first failure with exit code 1: the platform stays upgraded, the Listener is rolled back, the rest untouched' {
        # The new Listener's first start fails; the rollback starts 2.5.5 again.
        Set-HotDbLabComponentFault -HostName ds1 -Component hotdb-listener -Fault StartFailure -Message 'java.net.BindException: Address already in use'
        try { $run = Invoke-Estate $inventory }
        finally { Clear-HotDbLabComponentFault -HostName ds1 -Component hotdb-listener }
        $run.ExitCode | Should -Be 1 -Because $run.Log
        $run.Log | Should -Match 'management platform \| Step 12 198\.18\.0\.11 StartPlatform: Succeeded'
        $run.Log | Should -Match 'Done: management platform on 198\.18\.0\.11 at 2\.5\.6'
        $run.Log | Should -Match 'HotDB Listener FAILED and was rolled back: on 198\.18\.0\.51: RolledBack at StartService'
        $run.Log | Should -Match "STOPPED at HotDB Listener\. Upgraded in this run: management platform; .*not started: compute nodes 'sn' \(SingleNode\), HotDB Backup\."
        Get-EstateVersion | Should -Be '2.5.6,2.5.3,2.5.3,2.5.5'
        (Get-HotDbListener -Session $ds1).Listening | Should -BeTrue
    }

    It 'run again, continues where it stopped: the platform already at 2.5.6, every other component upgraded in order, exit code 0' {
        $run = Invoke-Estate $inventory
        $run.ExitCode | Should -Be 0 -Because $run.Log
        Get-EstateVersion | Should -Be '2.5.6,2.5.6,2.5.6,2.5.6'
        $run.Log | Should -Match 'management platform on 198\.18\.0\.11: already at 2\.5\.6; skipped'
        $run.Log | Should -Not -Match 'Upgrading management platform'
        $order = @(
            Get-LineIndex $run.Log 'Done: HotDB Listener on 198\.18\.0\.51 at 2\.5\.6'
            Get-LineIndex $run.Log "Done: compute nodes 'sn' \(SingleNode\) on 198\.18\.0\.21 at 2\.5\.6"
            Get-LineIndex $run.Log 'Done: HotDB Backup on 198\.18\.0\.51 at 2\.5\.6'
        )
        $order | Should -Not -Contain -1 -Because $run.Log
        ($order | Sort-Object) -join ',' | Should -Be ($order -join ',')
        $run.Log | Should -Match 'Success: every component is at its target version'
        $run.Log | Should -Not -Match ([regex]::Escape($configDbLogin.GetNetworkCredential().Password))
        (Get-HotDbComputeNode -Session $sn1).Running | Should -BeTrue
        (Get-HotDbBackup -Session $ds1).Connected | Should -BeTrue
        (Get-HotDbListener -Session $ds1).Listening | Should -BeTrue
    }

    It 'a second run finds every component already at 2.5.6, skips it and exits 0' {
        $listings = foreach ($name in 'mgmt', 'sn1', 'ds1') { Get-LabFileListing $name }
        $run = Invoke-Estate $inventory
        $run.ExitCode | Should -Be 0 -Because $run.Log
        foreach ($component in 'management platform', 'HotDB Listener', "compute nodes 'sn' \(SingleNode\)", 'HotDB Backup') {
            $run.Log | Should -Match "$component on [0-9.]+: already at 2\.5\.6; skipped"
        }
        $run.Log | Should -Not -Match 'Upgrading '
        Get-EstateVersion | Should -Be '2.5.6,2.5.6,2.5.6,2.5.6'
        @(foreach ($name in 'mgmt', 'sn1', 'ds1') { Get-LabFileListing $name }) | Should -Be $listings
    }
}
