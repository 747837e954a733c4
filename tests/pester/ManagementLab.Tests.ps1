# The management platform upgrade (the manual's section 2) on the lab (tests/lab): mgmt runs a simulated 2.5.3 platform
# on hotdb_cloud_config (on configdb). The module reads and upgrades it over SSH only; faults are made through the lab.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

    $topology = @{
        Defaults = @{ HotDbSize = '256M' }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'mgmt'; Address = '198.18.0.11'; Roles = @('management') }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology
    $script:mgmt = Connect-LabHost 'mgmt'
    $script:package = Get-LabPackage 'hotdb-management-2.5.6-*.tar.gz'
    $script:jdk = Get-LabPackage 'OpenJDK8U-jdk_x64_linux_hotspot_*.tar.gz'
    $script:login = New-LabConfigDbLogin
    $script:cloudSecret = (Get-HotDbLabCredential -UserName hotdb_cloud).GetNetworkCredential().Password
    $script:journals = Join-Path $TestDrive 'journals'
    New-Item -ItemType Directory $journals | Out-Null
    # The version the platform's HTTP port reports, from this machine (null when it does not answer).
    function script:Get-HttpVersion {
        try { (Invoke-WebRequest 'http://198.18.0.11:3324/api/version' -UseBasicParsing -TimeoutSec 5).Content.Trim() } catch { $null }
    }
}

AfterAll { Stop-LabFixture }

Describe 'HotDB Management on mgmt' -Tag Lab, Management, Upgrade -Skip:$labSkip {
    It 'reads the platform: version, HTTP port and the version it reports, its ConfigDB, the password masked' {
        $info = Get-HotDbManagement -Session $mgmt
        $info.Version.ToString() | Should -Be '2.5.3'
        $info.Running | Should -BeTrue
        $info.HttpPort | Should -Be 3324
        $info.HttpVersion.ToString() | Should -Be '2.5.3'
        $info.ConfigDbServer | Should -Be '198.18.0.10:3306'
        $info.ConfigDbDatabase | Should -Be 'hotdb_cloud_config'
        $info.ConfigDbUser | Should -Be 'hotdb_cloud'
        $info.Properties['spring.datasource.password'] | Should -Not -Be $cloudSecret
        ($info | Format-List * | Out-String -Width 120) | Should -Not -Match ([regex]::Escape($cloudSecret))
        ($info | Out-String -Width 120) | Should -Match '2\.5\.3'
    }

    It '-WhatIf lists the plan and changes nothing' {
        $files = Get-LabFileListing mgmt
        $checksum = Get-LabConfigDbChecksum hotdb_cloud_config
        $result = Update-HotDbManagement -Session $mgmt -Package $package -JdkPackage $jdk -ConfigDbCredential $login -JournalDirectory $journals -WhatIf
        $result.Status | Should -Be 'Planned'
        $listing = $result.Steps.Description -join "`n"
        @($result.Steps.Step) | Should -Be 'CheckPlatform', 'CheckJdk', 'CheckConfigDb', 'UploadPackage', 'StopPlatform', 'BackupConfigDb', 'ConfigDbRestorePoint',
            'KeepOldInstall', 'ExtractPackage', 'CarryOverProperties', 'SetJdk', 'StartPlatform'
        $listing | Should -Match 'hotdb_management_253'
        $listing | Should -Match 'upgrades hotdb_cloud_config itself at start'
        Get-LabFileListing mgmt | Should -Be $files
        Get-LabConfigDbChecksum hotdb_cloud_config | Should -Be $checksum
        Get-HttpVersion | Should -Be '2.5.3'
    }

    It 'rolls back a new platform that upgrades its ConfigDB and then fails to start: old directory, ConfigDB restored, 2.5.3 answering' {
        $checksum = Get-LabConfigDbChecksum hotdb_cloud_config
        # The new platform upgrades hotdb_cloud_config, then fails: the rollback must restore the ConfigDB.
        Set-HotDbLabComponentFault -HostName mgmt -Component hotdb-management -Fault StartFailureAfterConfigDb -Message 'java.lang.OutOfMemoryError: Java heap space'
        try {
            $result = Update-HotDbManagement -Session $mgmt -Package $package -JdkPackage $jdk -ConfigDbCredential $login -JournalDirectory $journals `
                -StartTimeout 60 -Confirm:$false -ErrorVariable failure -ErrorAction SilentlyContinue
        }
        finally { Clear-HotDbLabComponentFault -HostName mgmt -Component hotdb-management }
        $result.Status | Should -Be 'RolledBack'
        $result.FailedStep | Should -Be 'StartPlatform'
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeRolledBack*'
        ($result.Steps | Where-Object Step -EQ 'ConfigDbRestorePoint').Status | Should -Be 'RolledBack'
        $failedLog = Invoke-OnHost mgmt 'cat /usr/local/hotdb/hotdb-management_failed_2.5.6/logs/hotdb-management.log'
        $failedLog | Should -Match 'upgrading to 2\.5\.6'
        $failedLog | Should -Match 'OutOfMemoryError'
        Get-LabConfigDbChecksum hotdb_cloud_config | Should -Be $checksum
        $info = Get-HotDbManagement -Session $mgmt
        $info.Version.ToString() | Should -Be '2.5.3'
        $info.Running | Should -BeTrue
        Get-HttpVersion | Should -Be '2.5.3'
        Invoke-OnHost mgmt 'ls /usr/local/hotdb/hotdb-management_failed_2.5.6/lib' | Should -Match 'hotdb-management-2\.5\.6\.jar'
        Invoke-OnHost mgmt 'test -e /usr/local/hotdb/hotdb_management_253 && echo present || echo absent' | Should -Match 'absent'
    }

    It 'upgrades 2.5.3 to 2.5.6: application.properties carried, JDK 8 set, the platform upgrades its own ConfigDB' {
        # A user's edit that must survive: a setting the package does not have.
        Invoke-OnHost mgmt "printf 'hotdb.lab.custom=kept-by-upgrade\n' >> /usr/local/hotdb/hotdb-management/conf/application.properties" | Out-Null
        $all = Update-HotDbManagement -Session $mgmt -Package $package -JdkPackage $jdk -ConfigDbCredential $login -JournalDirectory $journals `
            -Confirm:$false -Verbose -ErrorVariable failure -ErrorAction SilentlyContinue 4>&1
        $result = @($all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $result[0].Status | Should -Be 'Succeeded' -Because "$failure"
        $script:doneJournal = $result[0].JournalPath
        Test-Path $result[0].JournalPath | Should -BeTrue
        Get-HttpVersion | Should -Be '2.5.6'
        $info = Get-HotDbManagement -Session $mgmt
        $info.Version.ToString() | Should -Be '2.5.6'
        $info.JavaReportedVersion | Should -BeLike '1.8.0_*'
        $properties = Invoke-OnHost mgmt 'cat /usr/local/hotdb/hotdb-management/conf/application.properties'
        $properties -split '\r?\n' | Should -Contain 'hotdb.lab.custom=kept-by-upgrade'
        $properties -split '\r?\n' | Should -Contain "spring.datasource.password=$cloudSecret"
        ($verbose -join "`n") | Should -Match 'application\.properties'
        ($verbose -join "`n") | Should -Match 'upgraded its ConfigDB at start'
        ($verbose -join "`n") | Should -Not -Match ([regex]::Escape($cloudSecret))
        Invoke-OnHost mgmt 'ls /usr/local/hotdb/hotdb_management_253/lib' | Should -Match 'hotdb-management-2\.5\.3\.jar'
        (Invoke-OnHost mgmt 'stat -c %U:%G /usr/local/hotdb/hotdb-management/bin/hotdb_management').Trim() | Should -Be 'hotdb:hotdb'
        Invoke-OnHost mgmt 'cat /usr/local/hotdb/hotdb-management/logs/hotdb-management.log' | Should -Match 'upgrading to 2\.5\.6'
    }

    It 'Resume-HotDbUpgradePlan rebuilds the plan from its journal: a finished run stays as it is, another login is refused' {
        $platformPid = (Get-HotDbManagement -Session $mgmt).ProcessId
        $other = [pscredential]::new('hotdb_cloud', (ConvertTo-SecureString 'not-the-login' -AsPlainText -Force))
        { Resume-HotDbUpgradePlan -JournalPath $doneJournal -Session $mgmt -ConfigDbCredential $other -Confirm:$false } | Should -Throw -ErrorId 'PlanJournalUnusable*'
        $resumed = Resume-HotDbUpgradePlan -JournalPath $doneJournal -Session $mgmt -ConfigDbCredential $login -Confirm:$false
        $resumed.Mode | Should -Be 'Management'
        $resumed.Status | Should -Be 'Succeeded'
        (Get-HotDbManagement -Session $mgmt).ProcessId | Should -Be $platformPid
        Get-HttpVersion | Should -Be '2.5.6'
    }
}
