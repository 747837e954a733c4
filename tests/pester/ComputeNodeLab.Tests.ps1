# Compute node upgrades on the lab (tests/lab): single-node hosts in their own namespaces with real sshd, the
# simulated HotDB compute node (tests/lab/sim) and a real MariaDB ConfigDB on the configdb host. Everything the
# module does goes over SSH to 198.18.0.0/24; the checks read the hosts through the lab (nsenter) and MariaDB.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    $script:labSkip = [bool](Get-LabFixtureSkipReason)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/LabFixture.psm1') -Force
    if (Get-LabFixtureSkipReason) { return }

    # sn1 starts at 2.4.9, sn2 at 2.5.3 (with NDB SQL directories); /usr/local/hotdb is a 256 MiB tmpfs for FillDisk.
    $topology = @{
        Defaults = @{ HotDbSize = '256M' }
        Groups   = @{ sn = @{ Mode = 'Single' }; sn2 = @{ Mode = 'Single' } }
        Hosts    = @(
            @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
            @{ Name = 'sn1'; Address = '198.18.0.21'; Roles = @('computenode'); Group = 'sn' }
            @{ Name = 'sn2'; Address = '198.18.0.22'; Roles = @('computenode'); Group = 'sn2'; Options = @{ HotDbVersion = '2.5.3' } }
        )
    }
    $script:lab = Start-LabFixture -Topology $topology
    $script:packages = Get-LabPackagePath
    function script:Get-ConfigDbChecksum([string] $Group) { Get-LabConfigDbChecksum "hotdb_config_$Group" }
    # The runbook's ConfigDB login: a user allowed to dump, alter and keep the upgrade ledger.
    $script:configDbLogin = New-LabConfigDbLogin
    $script:scripts = Get-Item (Get-LabScriptsPath)
    $script:runbook = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbSingleNode.ps1'
    function script:Invoke-Runbook([string] $Name, [string] $Package, [hashtable] $Extra = @{}) {
        $labHost = Get-LabHost $Name
        $log = Join-Path $TestDrive "$Name-$([guid]::NewGuid().ToString('N').Substring(0, 6)).log"
        & $runbook -ComputerName $labHost.Address -Credential ([pscredential]::new('root', [securestring]::new())) -KeyFile $labHost.RootKeyPath `
            -KnownHostsPath $labHost.KnownHostsPath -Package $Package -ScriptsPath $scripts.FullName `
            -ConfigDbCredential $configDbLogin `
            -LogPath $log -StartTimeout 120 -StopTimeout 60 -InformationAction SilentlyContinue @Extra
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Log = (Get-Content $log -Raw) }
    }
    $script:sn1 = Connect-LabHost 'sn1'
    $script:sn2 = Connect-LabHost 'sn2'
}

AfterAll { Stop-LabFixture }

Describe 'Compute node upgrade on the lab: sn1 from 2.4.9' -Tag Upgrade, Lab -Skip:$labSkip {
    It 'the lab node is 2.4.9, running as master' {
        $node = Get-HotDbComputeNode -Session $sn1
        $node.Version.ToString() | Should -Be '2.4.9'
        $node.Running | Should -BeTrue
        $node.ServerPortOpen | Should -BeTrue
        $node.Owner | Should -Be 'hotdb:hotdb'
    }

    It 'runbook -WhatIf prints the plan and changes neither the host nor the ConfigDB' {
        $listing = Get-LabFileListing 'sn1'
        $checksums = Get-ConfigDbChecksum 'sn'
        $run = Invoke-Runbook 'sn1' (Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz') @{ WhatIf = $true }
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $run.Log | Should -Match '\[PLAN\] .*KeepOldInstall: Rename /usr/local/hotdb/hotdb-server to /usr/local/hotdb/hotdb_server_249'
        $run.Log | Should -Match 'hotdb_config_2\.5\.4\.sql'
        Get-LabFileListing 'sn1' | Should -Be $listing
        Get-ConfigDbChecksum 'sn' | Should -Be $checksums
    }

    It 'refuses <Case> with a clear error and changes nothing' -ForEach @(
        @{ Case = 'a management platform package'; Pattern = 'hotdb-management-2.5.3-ga-*.tar.gz'; Message = 'ManagementPlatform package' }
        @{ Case = 'a corrupt tarball'; Pattern = 'corrupt'; Message = 'not a usable tarball' }
        @{ Case = 'the installed version again'; Pattern = 'hotdb-server-2.4.9-ga-*.tar.gz'; Message = 'already installed' }
    ) {
        if ($Pattern -ne 'corrupt') { $path = Get-LabPackage $Pattern }
        else {
            $path = Join-Path (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'corrupt') -Force) 'hotdb-server-2.5.4-ga-20190812.tar.gz'
            $bytes = [IO.File]::ReadAllBytes((Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz'))
            [IO.File]::WriteAllBytes($path, $bytes[0..([int]($bytes.Length / 2))])
        }
        $listing = Get-LabFileListing 'sn1'
        $result = Update-HotDbComputeNode -Confirm:$false -Session $sn1 -Package $path -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Refused'
        $problems[0].Exception.Message | Should -Match $Message
        $problems[0].Exception.Message | Should -Match 'Nothing was changed'
        Get-LabFileListing 'sn1' | Should -Be $listing
    }

    It 'new version fails to start: the runbook rolls the node back, restores the ConfigDB (checksums identical) and restarts 2.4.9' {
        $checksums = Get-ConfigDbChecksum 'sn'
        Set-HotDbLabComponentFault -HostName sn1 -Component hotdb-server -Fault StartFailure -Message 'injected by the lab test: new version start failure'
        $run = Invoke-Runbook 'sn1' (Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz')
        $run.ExitCode | Should -Be 1 -Because $run.Log
        $run.Log | Should -Match 'StartNewVersion: Failed'
        $run.Log | Should -Match 'ConfigDB restored and verified'
        Get-ConfigDbChecksum 'sn' | Should -Be $checksums
        $node = Get-HotDbComputeNode -Session $sn1
        $node.Version.ToString() | Should -Be '2.4.9'
        $node.Running | Should -BeTrue
        $node.ServerPortOpen | Should -BeTrue
        Invoke-OnHost 'sn1' 'test ! -e /usr/local/hotdb/hotdb_server_249 && ls -d /usr/local/hotdb/hotdb-server.failed-*' | Should -Not -BeNullOrEmpty
        Clear-HotDbLabComponentFault -HostName sn1
    }

    It 'disk full during extraction: rolled back, old version running, old directory restored' {
        $package = Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz'
        $null = Send-HotDbFile -Session $sn1 -Path $package -Destination /usr/local/hotdb/Install_Package/
        # The stop hangs until released, so the disk fills after the checks and before the extraction.
        Set-HotDbLabComponentFault -HostName sn1 -Component hotdb-server -Fault HangOnStop
        $module = $env:HOTDB_UPGRADE_MODULE
        $job = Start-ThreadJob -ScriptBlock { Import-Module $using:module; Update-HotDbComputeNode -Confirm:$false -Session $using:sn1 -Package $using:package -StartTimeout 120 -StopTimeout 120 -ErrorAction SilentlyContinue }
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Invoke-HotDbLabHostCommand -HostName sn1 -Command "pgrep -f 'hotdb_serve[r] stop'").Output.Trim()) {
                if ([DateTime]::UtcNow -gt $deadline) { throw 'the upgrade never reached its stop stage' }
                Start-Sleep -Milliseconds 200
            }
            $null = Invoke-HotDbLabFault -HostName sn1 -Fault FillDisk
            # 24 KiB stay free: less than the package unpacks to (about 70 KiB), enough for the old version's pid file and log lines.
            Invoke-OnHost 'sn1' 'truncate -s -24K /usr/local/hotdb/.hotdb-lab-fill' | Out-Null
            # The node swallowed the script's SIGTERM while the fault was there; a second one ends it.
            Clear-HotDbLabComponentFault -HostName sn1
            Invoke-OnHost 'sn1' 'kill -TERM "$(cat /usr/local/hotdb/hotdb-server/run/hotdb-server.pid)"' | Out-Null
            $result = $job | Wait-Job -Timeout 300 | Receive-Job
        }
        finally {
            $job | Remove-Job -Force
            Clear-HotDbLabFault -HostName sn1
        }
        $result.Status | Should -Be 'RolledBack' -Because ($result.Stages | Out-String)
        $result.FailedStage | Should -Be 'ExtractPackage'
        $result.Error | Should -Match 'No space left on device'
        $node = Get-HotDbComputeNode -Session $sn1
        $node.Version.ToString() | Should -Be '2.4.9'
        $node.Running | Should -BeTrue
        Invoke-OnHost 'sn1' 'ls -a /usr/local/hotdb' | Should -Not -Match 'hotdb_server_249|\.hotdb-upgrade-extract'
    }

    It 'network cut during the upload: the upgrade gives up, the old version keeps running in its directory' {
        # A 48 MiB package (the 2.5.4 one with random padding) and a slow link, so the cut lands mid-transfer.
        $unpacked = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'big') -Force
        & tar -xzf (Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz') -C $unpacked
        & head -c 48M /dev/urandom > (Join-Path $unpacked 'hotdb-server/lib/padding.bin')
        $big = Join-Path (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'bigpackage') -Force) 'hotdb-server-2.5.4-ga-20190812.tar.gz'
        & tar -czf $big -C $unpacked hotdb-server
        Invoke-OnHost 'sn1' 'rm -f /usr/local/hotdb/Install_Package/hotdb-server-2.5.4-ga-20190812.tar.gz' | Out-Null
        $cut = Connect-LabHost 'sn1'
        $module = $env:HOTDB_UPGRADE_MODULE
        $null = Invoke-HotDbLabFault -HostName sn1 -Fault Latency -DelayMs 300 -DurationSeconds 300
        $job = Start-ThreadJob -ScriptBlock { Import-Module $using:module; Update-HotDbComputeNode -Confirm:$false -Session $using:cut -Package $using:big -ErrorAction SilentlyContinue }
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            # Cut once a megabyte has arrived: the transfer is under way.
            while (-not (Invoke-HotDbLabHostCommand -HostName sn1 -Command 'find /usr/local/hotdb/Install_Package -name "*.hotdb-partial-*" -size +1M').Output.Trim()) {
                if ([DateTime]::UtcNow -gt $deadline) { throw 'the upload never started' }
                Start-Sleep -Milliseconds 100
            }
            $null = Invoke-HotDbLabFault -HostName sn1 -Fault LinkDown
            $result = $job | Wait-Job -Timeout 600 | Receive-Job
        }
        finally {
            $job | Remove-Job -Force
            Clear-HotDbLabFault -HostName sn1
            $cut | Remove-HotDbSession
            # The suite's own session to sn1 sat idle through the cut and may be broken too: the next tests get a new one.
            $script:sn1 | Remove-HotDbSession
            $script:sn1 = Connect-LabHost 'sn1'
        }
        $result.FailedStage | Should -Be 'UploadPackage' -Because ($result.Stages | Out-String)
        $result.Error | Should -Match 'no progress|upload'
        @($result.Stages | Where-Object { $_.Stage -in 'StopService', 'KeepOldInstall' -and "$($_.Status)" -ne 'NotRun' }) | Should -BeNullOrEmpty
        Invoke-OnHost 'sn1' 'sh /usr/local/hotdb/hotdb-server/bin/hotdb_server status; test ! -e /usr/local/hotdb/hotdb_server_249 && echo in-place' | Should -Match 'running[\s\S]*in-place'
        $fresh = Connect-LabHost 'sn1'
        try { (Get-HotDbComputeNode -Session $fresh).Version.ToString() | Should -Be '2.4.9' } finally { $fresh | Remove-HotDbSession }
    }

    It 'upgrades 2.4.9 to 2.5.4 with the runbook: serving 2.5.4, user values kept, old install kept as hotdb_server_249' {
        $run = Invoke-Runbook 'sn1' (Get-LabPackage 'hotdb-server-2.5.4-ga-*.tar.gz')
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $run.Log | Should -Not -Match ([regex]::Escape($configDbLogin.GetNetworkCredential().Password))
        $node = Get-HotDbComputeNode -Session $sn1
        $node.Version.ToString() | Should -Be '2.5.4'
        $node.Running | Should -BeTrue
        $node.ServerPortOpen | Should -BeTrue
        $node.Owner | Should -Be 'hotdb:hotdb'
        $node.Properties['processors'] | Should -Be '4'
        $node.Properties['maxConnections'] | Should -Be '8000'
        $node.ConfigDbUrl | Should -Be 'jdbc:mysql://198.18.0.10:3306/hotdb_config_sn'
        (Get-HotDbComputeNode -Session $sn1 -InstallPath /usr/local/hotdb/hotdb_server_249).Version.ToString() | Should -Be '2.4.9'
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect('198.18.0.21', $node.ServerPort); $client.Connected | Should -BeTrue } finally { $client.Dispose() }
    }
}

Describe 'Compute node upgrade on the lab: sn2 from 2.5.3' -Tag Upgrade, Lab -Skip:$labSkip {
    BeforeAll {
        # A JDK 7 repacked under the JDK 8 package's name and top directory: the wrong JDK.
        $fake = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'fakejdk') -Force
        & tar -xzf (Get-LabPackage 'jdk-7u80-linux-x64.tar.gz') -C $fake
        Rename-Item (Join-Path $fake 'jdk1.7.0_80') 'jdk8u252-b09'
        $script:fakeJdk = Join-Path $fake 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'
        # The lab hosts share the machine's root file system; only /usr/local/hotdb is the host's own.
        $script:jdkRoot = '/usr/local/hotdb/jdk8'
        & tar -czf $fakeJdk -C $fake jdk8u252-b09
    }

    It 'refuses a downgrade to 2.5.1 and changes nothing' {
        $listing = Get-LabFileListing 'sn2'
        $result = Update-HotDbComputeNode -Confirm:$false -Session $sn2 -Package (Get-LabPackage 'hotdb-server-2.5.1-ga-*.tar.gz') -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Refused'
        $problems[0].Exception.Message | Should -Match 'downgrade'
        Get-LabFileListing 'sn2' | Should -Be $listing
    }

    It 'wrong JDK: the runbook rolls back, the ConfigDB checksums are identical and 2.5.3 runs again' {
        $checksums = Get-ConfigDbChecksum 'sn2'
        $run = Invoke-Runbook 'sn2' (Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz') @{ JdkPackage = $fakeJdk; JdkRoot = $jdkRoot }
        $run.ExitCode | Should -Be 1 -Because $run.Log
        $run.Log | Should -Match 'InstallJdk: Failed - .*reports 1\.7\.0_80, not 1\.8\.0_252'
        Get-ConfigDbChecksum 'sn2' | Should -Be $checksums
        $node = Get-HotDbComputeNode -Session $sn2
        $node.Version.ToString() | Should -Be '2.5.3'
        $node.Running | Should -BeTrue
        (Invoke-OnHost 'sn2' 'test ! -e /usr/local/hotdb/jdk8/jdk8u252-b09 && test ! -e /usr/local/hotdb/hotdb_server_253 && echo clean').Trim() | Should -Be 'clean'
    }

    It 'upgrades 2.5.3 to 2.5.6 with the runbook: JDK 8 installed, license and NDB SQL carried' {
        $license = Join-Path $TestDrive 'license-lab'
        & dotnet (Get-HotDbLabSimDll) license --type PERPETUAL --nodes 128 --out $license | Out-Null
        $run = Invoke-Runbook 'sn2' (Get-LabPackage 'hotdb-server-2.5.6-ga-*.tar.gz') @{
            JdkPackage = (Get-LabPackage 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'); LicenseFile = $license; JdkRoot = $jdkRoot }
        $run.ExitCode | Should -Be 0 -Because $run.Log
        $node = Get-HotDbComputeNode -Session $sn2
        $node.Version.ToString() | Should -Be '2.5.6'
        $node.Running | Should -BeTrue
        $node.JavaBin | Should -Be '/usr/local/hotdb/jdk8/jdk8u252-b09/bin/java'
        $node.JavaReportedVersion | Should -Be '1.8.0_252'
        $node.LicenseNodeLimit | Should -Be 128
        $node.NdbSqlDirectories | Should -Be @('ndbsql_bin', 'ndbsql_data')
        (Invoke-OnHost 'sn2' 'readlink /usr/local/hotdb/hotdb-server/ndbsql_bin; cat /usr/local/hotdb/hotdb-server/ndbsql_data/my.cnf').Trim() | Should -Be "/usr/local/hotdb/mysql-cluster`n[mysqld]"
        $node.Properties['processors'] | Should -Be '4'
        (Get-HotDbComputeNode -Session $sn2 -InstallPath /usr/local/hotdb/hotdb_server_253).Version.ToString() | Should -Be '2.5.3'
    }
}
