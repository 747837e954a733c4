# Compute node cmdlets against the lab's simulated HotDB nodes on loopback: a real sshd (root by key), a private
# MariaDB as ConfigDB, the simulator's vendor-named packages, each node in its own install root under a temp folder.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $simModule = Join-Path $PSScriptRoot '../lab/sim/SimFixture.psm1'
    $script:skipNode = -not (Test-SshdFixtureAvailable) -or -not (Test-Path $simModule) -or -not (Get-Command mariadbd -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $simModule = Join-Path $PSScriptRoot '../lab/sim/SimFixture.psm1'
    if (-not (Test-SshdFixtureAvailable) -or -not (Test-Path $simModule) -or -not (Get-Command mariadbd -ErrorAction SilentlyContinue)) { return }
    Import-Module $simModule -Force
    if (-not (Get-SimDll)) {
        & dotnet build (Join-Path $PSScriptRoot '../lab/sim/HotDbSim') -c Release --nologo -v quiet -clp:ErrorsOnly | Out-Host
        if ($LASTEXITCODE -ne 0) { throw 'building the simulator failed' }
    }
    $script:fx = Start-SshdFixture
    $knownHosts = Join-Path $TestDrive 'known_hosts'
    Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
    $script:session = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential (New-FixtureCredential -RootKey) -KeyFile $fx.RootKeyPath

    $script:root = (& mktemp -d /tmp/hotdb-cn-tests.XXXXXXXX)
    $script:packages = Join-Path $root 'packages'
    & dotnet (Get-SimDll) package --out $packages | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'building the simulated packages failed' }
    Install-SimJdk -Root $root -Packages $packages
    $script:db = Start-SimMariaDb -Root $root

    function script:Get-TestPackage([string] $Pattern) { (Get-ChildItem $packages -Filter $Pattern | Select-Object -First 1).FullName }

    # A node in <root>/<name>/hotdb-server on free ports, its own ConfigDB, a user-changed server.xml and start script.
    function script:New-TestNode([string] $Name, [string] $Version, [hashtable] $Properties = @{}) {
        $package = Get-TestPackage "hotdb-server-$Version-ga-*.tar.gz"
        $installRoot = Install-SimPackage -Root $root -Name $Name -Package $package
        $url = New-SimConfigDb -Db $db -Name "cfg_$Name" -Packages $packages -Version $Version
        $node = [pscustomobject]@{
            Name = $Name; Root = $installRoot; Home = Join-Path $installRoot 'hotdb-server'; Database = "cfg_$Name"; Version = $Version
            ServerPort = Get-SimFreePort; ManagerPort = Get-SimFreePort
        }
        Set-SimServerXml -Path (Join-Path $node.Home 'conf/server.xml') -Properties (@{
                url = $url; serverPort = $node.ServerPort; managerPort = $node.ManagerPort; processors = '7'; maxConnections = '4321' } + $Properties)
        Set-SimScriptVariable -Path (Join-Path $node.Home 'bin/hotdb_server') -Variables @{ STOP_TIMEOUT = '10'; START_TIMEOUT = '40' }
        if ([version]$Version -ge [version]'2.5.6') {
            Set-SimScriptVariable -Path (Join-Path $node.Home 'bin/hotdb_server') -Variables @{ JAVA_BIN = (Join-Path $root 'jdk8u252-b09/bin/java'); JAVA_VERSION = '"1.8.0_252"' }
        }
        $node
    }

    # Applies the simulator's ConfigDB upgrade steps, as Invoke-HotDbConfigDbUpgrade would.
    function script:Update-TestConfigDb($Node, [string[]] $Steps) {
        foreach ($step in $Steps) { Invoke-SimMariaDb $db -Database $Node.Database -File (Join-Path $packages "configdb-upgrade/hotdb_config_$step.sql") | Out-Null }
    }

    function script:Get-TreeListing([string] $Path) {
        (& find $Path -printf '%p %s %T@ %m %u\n' | Sort-Object) -join "`n"
    }

    function script:Set-StartFault($Node, [string] $Text) {
        $faults = Join-Path $Node.Root '.hotdb-sim-faults'
        New-Item -ItemType Directory -Path $faults -Force | Out-Null
        Set-Content -Path (Join-Path $faults 'hotdb-server.start-fail') -Value $Text
    }

    $script:quick = @{ StartTimeout = 60; StopTimeout = 30; JdkRoot = (Join-Path $root 'jdk8root') }
}

AfterAll {
    if ($script:session) { $session | Remove-HotDbSession }
    if ($script:root -and (Test-Path $root)) {
        Stop-SimProcessTree -Home_ $root
        Stop-SimMariaDb $db
        Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
    }
    if ($script:fx) { Stop-SshdFixture $fx }
}

Describe 'Get-, Stop-, Start-HotDbComputeNode' -Tag ComputeNode -Skip:$skipNode {
    BeforeAll {
        $script:n1 = New-TestNode -Name 'read' -Version '2.4.9'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $n1.Home
    }

    It 'reads version, build date, server.xml, process, ports and JDK of a running node' {
        $node = Get-HotDbComputeNode -Session $session -InstallPath $n1.Home
        $node.Version.ToString() | Should -Be '2.4.9'
        $node.BuildDate | Should -Be ([datetime]'2019-08-12')
        $node.Running | Should -BeTrue
        $node.ProcessId | Should -BeGreaterThan 0
        $node.ServerPort | Should -Be $n1.ServerPort
        $node.ManagerPort | Should -Be $n1.ManagerPort
        $node.ServerPortOpen | Should -BeTrue
        $node.ManagerPortOpen | Should -BeTrue
        $node.Role | Should -Be 'Master'
        $node.Properties['processors'] | Should -Be '7'
        # The ConfigDB password in server.xml is never shown, not even on the object.
        $node.Properties['password'] | Should -Be '********'
        [regex]::Match((Get-Content (Join-Path $n1.Home 'conf/server.xml') -Raw), '<property name="password">([^<]+)</property>').Groups[1].Value |
            Should -Not -Be '********'
        ($node | Format-List * | Out-String -Width 500) | Should -Match '\[password, \*{8}\]'
        $node.ConfigDbUrl | Should -Match "/cfg_read$"
        $node.JavaVersion | Should -Be '1.7.0_80'
        $node.JavaReportedVersion | Should -Be '1.7.0_80'
        $node.LicenseState | Should -Match 'USB key'
    }

    It 'stops and starts a node piped from Get-HotDbComputeNode, waiting for the ports' {
        $stopped = Get-HotDbComputeNode -Session $session -InstallPath $n1.Home | Stop-HotDbComputeNode -Confirm:$false
        $stopped.Changed | Should -BeTrue
        $stopped.Running | Should -BeFalse
        $stopped.ServerPortOpen | Should -BeFalse
        $stopped.ManagerPortOpen | Should -BeFalse
        (Test-SimPort $n1.ManagerPort) | Should -BeFalse

        $again = Stop-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $n1.Home
        $again.Changed | Should -BeFalse

        $started = Get-HotDbComputeNode -Session $session -InstallPath $n1.Home | Start-HotDbComputeNode
        $started.Changed | Should -BeTrue
        $started.ServerPortOpen | Should -BeTrue
        $started.ManagerPortOpen | Should -BeTrue
        (Test-SimPort $n1.ServerPort) | Should -BeTrue
    }

    It 'accepts a backup-role start with the service port closed and the manager port open' {
        $backup = New-TestNode -Name 'backup' -Version '2.4.9' -Properties @{ haState = 'backup'; haNodeHost = "127.0.0.1:$($n1.ManagerPort)" }
        $started = Start-HotDbComputeNode -Session $session -InstallPath $backup.Home
        $started.Node.Role | Should -Be 'Backup'
        $started.ManagerPortOpen | Should -BeTrue
        $started.ServerPortOpen | Should -BeFalse
        (Test-SimPort $backup.ServerPort) | Should -BeFalse
        $null = Stop-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $backup.Home
    }

    It 'reports a start that fails with the last lines of the node''s log' {
        $null = Stop-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $n1.Home
        Set-StartFault $n1 'java.lang.OutOfMemoryError: injected by the compute node test'
        $result = Start-HotDbComputeNode -Session $session -InstallPath $n1.Home -ErrorVariable problems -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'StartFailed,*'
        $problems[0].Exception.Message | Should -Match 'OutOfMemoryError: injected by the compute node test'
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'log'
        (Get-HotDbComputeNode -Session $session -InstallPath $n1.Home).Running | Should -BeFalse
    }

    It 'reports a missing install as not found' {
        $none = Get-HotDbComputeNode -Session $session -InstallPath (Join-Path $root 'nothing/hotdb-server') -ErrorVariable problems -ErrorAction SilentlyContinue
        $none | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ComputeNodeNotFound,*'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'reports a directory that holds no install as not found instead of inventing a node' {
        $empty = New-Item -ItemType Directory -Path (Join-Path $root 'no-install/tmp') -Force
        New-Item -ItemType File -Path (Join-Path $empty 'unrelated.txt') -Force | Out-Null
        $none = Get-HotDbComputeNode -Session $session -InstallPath $empty.FullName -ErrorVariable problems -ErrorAction SilentlyContinue
        $none | Should -BeNullOrEmpty
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ComputeNodeNotFound,*'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].Exception.Message | Should -Match "no HotDB Server install at $([regex]::Escape($empty.FullName))"
        $problems[0].TargetObject.Installed | Should -BeFalse
        $problems[0].TargetObject.Role | Should -BeNullOrEmpty
    }
}

Describe 'Update-HotDbComputeNode' -Tag ComputeNode -Skip:$skipNode {
    It 'upgrades 2.4.9 to 2.5.4: new version serving, user values carried, old install kept under a free backup name' {
        $node = New-TestNode -Name 'up254' -Version '2.4.9'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        # An earlier backup with the manual's name must never be overwritten.
        $earlier = Join-Path $node.Root 'hotdb_server_249'
        New-Item -ItemType Directory -Path $earlier | Out-Null
        Set-Content -Path (Join-Path $earlier 'marker') -Value 'earlier backup'
        Update-TestConfigDb $node '2.5.1', '2.5.3', '2.5.4'

        $result = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz') @quick
        $result.Status | Should -Be 'Succeeded' -Because ($result.Stages | Out-String)
        $result.FromVersion.ToString() | Should -Be '2.4.9'
        $result.ToVersion.ToString() | Should -Be '2.5.4'
        $result.BackupPath | Should -Be "$earlier`_2"
        (Get-Content (Join-Path $earlier 'marker')) | Should -Be 'earlier backup'
        @($result.Stages | Where-Object Status -NotIn 'Succeeded', 'Skipped') | Should -BeNullOrEmpty

        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.5.4'
        $after.Running | Should -BeTrue
        $after.ServerPortOpen | Should -BeTrue
        $after.Properties['processors'] | Should -Be '7'
        $after.Properties['maxConnections'] | Should -Be '4321'
        $after.ServerPort | Should -Be $node.ServerPort
        (Get-Content (Join-Path $node.Home 'bin/hotdb_server') -Raw) | Should -Match '(?m)^START_TIMEOUT=40$'
        $kept = Get-HotDbComputeNode -Session $session -InstallPath $result.BackupPath
        $kept.Version.ToString() | Should -Be '2.4.9'
        $kept.Running | Should -BeFalse
        (Join-Path $node.Root 'Install_Package/hotdb-server-2.5.4-ga-20190812.tar.gz') | Should -Exist
        @($result.ConfigChanges | Where-Object { "$($_.Action)" -eq 'Carried' -and $_.Key -eq 'processors' }).Count | Should -Be 1

        # The same command again is refused and changes nothing.
        $listing = Get-TreeListing $node.Root
        $again = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz') @quick -ErrorVariable problems -ErrorAction SilentlyContinue
        $again.Status | Should -Be 'Refused'
        $again.FailedStage | Should -Be 'CheckNode'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeRefused,*'
        $problems[0].Exception.Message | Should -Match 'already installed'
        $problems[0].Exception.Message | Should -Match 'Nothing was changed'
        Get-TreeListing $node.Root | Should -Be $listing
    }

    It '-WhatIf returns the plan and changes nothing on the host' {
        $node = New-TestNode -Name 'whatif' -Version '2.4.9'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        $listing = Get-TreeListing $node.Root
        $plan = Update-HotDbComputeNode -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.1-ga-*.tar.gz') @quick -WhatIf
        $plan.Status | Should -Be 'Planned'
        $plan.PlanOnly | Should -BeTrue
        $plan.Stages.Stage | Should -Be @('CheckPackage', 'CheckNode', 'CheckDiskSpace', 'UploadPackage', 'StopService', 'KeepOldInstall', 'ExtractPackage', 'CopyNdbSql', 'CarryOverConfig', 'StartNewVersion')
        # The read-only checks ran; nothing after them did.
        $plan.Stages | ForEach-Object { "$($_.Status)" } | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Planned', 'Planned', 'Planned', 'Planned', 'Planned', 'Planned', 'Planned')
        ($plan.Stages | Where-Object Stage -EQ 'KeepOldInstall').Description | Should -Be "Rename $($node.Home) to $($node.Root)/hotdb_server_249"
        Get-TreeListing $node.Root | Should -Be $listing
        (Get-HotDbComputeNode -Session $session -InstallPath $node.Home).Running | Should -BeTrue
    }

    It '-WhatIf on a path without an install runs the checks and refuses, as the real run would' {
        $empty = New-Item -ItemType Directory -Path (Join-Path $root 'whatif-empty/hotdb-server') -Force
        $listing = Get-TreeListing $empty.Parent.FullName
        $plan = Update-HotDbComputeNode -Session $session -InstallPath $empty.FullName -Package (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz') @quick -WhatIf -ErrorVariable problems -ErrorAction SilentlyContinue
        $plan.Status | Should -Be 'Refused'
        $plan.PlanOnly | Should -BeTrue
        $plan.FailedStage | Should -Be 'CheckNode'
        $plan.Error | Should -Match 'no HotDB Server install at'
        ($plan.Stages | Where-Object Stage -EQ 'CheckPackage').Status.ToString() | Should -Be 'Succeeded'
        ($plan.Stages | Where-Object Stage -EQ 'UploadPackage').Status.ToString() | Should -Be 'NotRun'
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeRefused,*'
        $problems[0].Exception.Message | Should -Match 'WhatIf: the upgrade to 2\.5\.4 would be refused at CheckNode'
        Get-TreeListing $empty.Parent.FullName | Should -Be $listing
    }

    It 'refuses <Case> with a clear error and changes nothing' -ForEach @(
        @{ Case = 'a package of another component'; Package = 'hotdb-management-2.5.3-ga-*.tar.gz'; Stage = 'CheckPackage'; Message = 'ManagementPlatform package' }
        @{ Case = 'a corrupt tarball'; Package = 'corrupt'; Stage = 'CheckPackage'; Message = 'not a usable tarball' }
        @{ Case = 'a downgrade'; Package = 'hotdb-server-2.4.9-ga-*.tar.gz'; Stage = 'CheckNode'; Message = 'downgrade' }
    ) {
        if (-not $script:refusing) {
            $script:refusing = New-TestNode -Name 'refuse' -Version '2.5.1'
            $null = Start-HotDbComputeNode -Session $session -InstallPath $refusing.Home
        }
        $path = if ($Package -eq 'corrupt') {
            $dir = New-Item -ItemType Directory -Path (Join-Path $root 'corrupt') -Force
            $bytes = [IO.File]::ReadAllBytes((Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz'))
            $file = Join-Path $dir 'hotdb-server-2.5.4-ga-20190812.tar.gz'
            [IO.File]::WriteAllBytes($file, $bytes[0..([int]($bytes.Length * 0.6))])
            $file
        }
        else { Get-TestPackage $Package }
        $listing = Get-TreeListing $refusing.Root
        $plan = Update-HotDbComputeNode -Session $session -InstallPath $refusing.Home -Package $path @quick -WhatIf -ErrorAction SilentlyContinue
        $plan.Status | Should -Be 'Refused'
        $plan.FailedStage | Should -Be $Stage
        $result = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $refusing.Home -Package $path @quick -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.FailedStage | Should -Be $Stage
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeRefused,*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $problems[0].Exception.Message | Should -Match $Message
        $problems[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        Get-TreeListing $refusing.Root | Should -Be $listing
        (Get-HotDbComputeNode -Session $session -InstallPath $refusing.Home).Running | Should -BeTrue
    }

    It 'rolls back when the new version fails to start: old version running, old directory restored, failed install kept' {
        $node = New-TestNode -Name 'startfail' -Version '2.4.9'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        Update-TestConfigDb $node '2.5.1'
        # The sim's one-shot fault fails the next start: the new version's, not the old one's restart.
        Set-StartFault $node 'injected: the new version does not start'
        $result = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.1-ga-*.tar.gz') @quick -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'RolledBack' -Because ($result.Stages | Out-String)
        $result.FailedStage | Should -Be 'StartNewVersion'
        $result.Error | Should -Match 'injected: the new version does not start'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeRolledBack,*'
        $problems[0].Exception.Message | Should -Match ([regex]::Escape($result.EvidencePath))
        ($result.Stages | Where-Object Stage -EQ 'KeepOldInstall').Status.ToString() | Should -Be 'RolledBack'
        ($result.Stages | Where-Object Stage -EQ 'StopService').Status.ToString() | Should -Be 'RolledBack'

        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.4.9'
        $after.Running | Should -BeTrue
        $after.ServerPortOpen | Should -BeTrue
        (Join-Path $node.Root 'hotdb_server_249') | Should -Not -Exist
        $result.EvidencePath | Should -BeLike "$($node.Home).failed-*"
        (Get-HotDbComputeNode -Session $session -InstallPath $result.EvidencePath).Version.ToString() | Should -Be '2.5.1'
        (Get-Content (Join-Path $result.EvidencePath 'logs/hotdb.log') -Raw) | Should -Match 'injected'

        # After the fix (the fault was one-shot) the same command succeeds.
        $retry = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.1-ga-*.tar.gz') @quick
        $retry.Status | Should -Be 'Succeeded' -Because ($retry.Stages | Out-String)
        ($retry.Stages | Where-Object Stage -EQ 'UploadPackage').Status.ToString() | Should -Be 'Skipped'
        (Get-HotDbComputeNode -Session $session -InstallPath $node.Home).Version.ToString() | Should -Be '2.5.1'
    }

    It 'upgrades 2.5.3 to 2.5.6 with a JDK 8 package, a license file and the NDB SQL directories (three-way merge)' {
        $node = New-TestNode -Name 'up256' -Version '2.5.3'
        $cluster = New-Item -ItemType Directory -Path (Join-Path $root 'mysql-cluster-gpl-7.5.12') -Force
        & ln -s $cluster.FullName (Join-Path $node.Home 'ndbsql_bin')
        New-Item -ItemType Directory -Path (Join-Path $node.Home 'ndbsql_data') | Out-Null
        Set-Content -Path (Join-Path $node.Home 'ndbsql_data/ndb.cnf') -Value 'ndb data'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        # The old version's pristine package in the staging folder makes the merge three-way.
        New-Item -ItemType Directory -Path (Join-Path $node.Root 'Install_Package') | Out-Null
        Copy-Item (Get-TestPackage 'hotdb-server-2.5.3-ga-*.tar.gz') (Join-Path $node.Root 'Install_Package/')
        Update-TestConfigDb $node '2.5.4', '2.5.6'
        $license = Join-Path $root 'license-perpetual'
        & dotnet (Get-SimDll) license --type PERPETUAL --nodes 128 --out $license | Out-Null

        $result = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.6-ga-*.tar.gz') `
            -JdkPackage (Get-TestPackage 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz') -LicenseFile $license @quick
        $result.Status | Should -Be 'Succeeded' -Because ($result.Stages | Out-String)
        $result.Stages.Stage | Should -Contain 'CheckJdk'
        $result.Stages.Stage | Should -Contain 'CheckLicense'
        ($result.Stages | Where-Object Stage -EQ 'CheckLicense').Notes -join ' ' | Should -Match '2 data nodes'
        ($result.Stages | Where-Object Stage -EQ 'CarryOverConfig').Notes -join ' ' | Should -Match 'three-way'

        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.5.6'
        $after.Running | Should -BeTrue
        $after.JavaBin | Should -Be (Join-Path $quick.JdkRoot 'jdk8u252-b09/bin/java')
        $after.JavaReportedVersion | Should -Be '1.8.0_252'
        $after.Properties['processors'] | Should -Be '7'
        $after.LicenseFiles | Should -Contain 'license-perpetual'
        $after.LicenseNodeLimit | Should -Be 128
        $after.NdbSqlDirectories | Should -Be @('ndbsql_bin', 'ndbsql_data')
        (Get-Item (Join-Path $node.Home 'ndbsql_bin')).LinkTarget | Should -Be $cluster.FullName
        Get-Content (Join-Path $node.Home 'ndbsql_data/ndb.cnf') | Should -Be 'ndb data'
        $result.BackupPath | Should -Be (Join-Path $node.Root 'hotdb_server_253')
    }

    It 'rolls back a wrong JDK (the package''s java is not 1.8.0_252) and keeps the old version running' {
        $node = New-TestNode -Name 'wrongjdk' -Version '2.5.4'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        Update-TestConfigDb $node '2.5.6'
        # A JDK 7 repacked under the JDK 8 name and top directory.
        $fake = New-Item -ItemType Directory -Path (Join-Path $root 'fakejdk') -Force
        & tar -xzf (Get-TestPackage 'jdk-7u80-linux-x64.tar.gz') -C $fake
        Rename-Item (Join-Path $fake 'jdk1.7.0_80') 'jdk8u252-b09'
        $fakePackage = Join-Path $fake 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'
        & tar -czf $fakePackage -C $fake jdk8u252-b09
        $jdkRoot = Join-Path $root 'wrongjdkroot'

        $result = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.6-ga-*.tar.gz') `
            -JdkPackage $fakePackage @quick -JdkRoot $jdkRoot -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'RolledBack' -Because ($result.Stages | Out-String)
        $result.FailedStage | Should -Be 'InstallJdk'
        $result.Error | Should -Match 'reports 1\.7\.0_80, not 1\.8\.0_252'
        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.5.4'
        $after.Running | Should -BeTrue
        (Join-Path $node.Root 'hotdb_server_254') | Should -Not -Exist
        (Join-Path $jdkRoot 'jdk8u252-b09') | Should -Not -Exist
        @(Get-ChildItem $jdkRoot -Filter 'jdk8u252-b09.failed-*').Count | Should -Be 1
    }

    It 'refuses a 2.5.6 target without a JDK 8 before changing anything' {
        $node = New-TestNode -Name 'nojdk' -Version '2.5.4'
        $listing = Get-TreeListing $node.Root
        $result = Update-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.6-ga-*.tar.gz') @quick -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.FailedStage | Should -Be 'CheckJdk'
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'JdkPackage'
        Get-TreeListing $node.Root | Should -Be $listing
    }
}

Describe 'Single-node runbook' -Tag ComputeNode, Runbook -Skip:$skipNode {
    BeforeAll {
        $script:runbook = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbSingleNode.ps1'
        $script:scripts = Get-Item (Join-Path $packages 'configdb-upgrade')
        $password = New-Guid
        Invoke-SimMariaDb $db "CREATE USER 'upgrader'@'%' IDENTIFIED BY '$password'; GRANT ALL ON *.* TO 'upgrader'@'%' WITH GRANT OPTION;" | Out-Null
        $script:dbSecret = "$password"
        $script:dbLogin = [pscredential]::new('upgrader', (ConvertTo-SecureString $dbSecret -AsPlainText -Force))
        $script:dumps = New-Item -ItemType Directory -Path (Join-Path $root 'dumps') -Force
        $script:common = @{
            ComputerName = '127.0.0.1'; Port = $fx.Port; Credential = (New-FixtureCredential -RootKey); KeyFile = $fx.RootKeyPath
            KnownHostsPath = (Join-Path $TestDrive 'known_hosts'); ScriptsPath = $scripts.FullName; ConfigDbCredential = $dbLogin
            BackupDirectory = $dumps.FullName; StartTimeout = 60; StopTimeout = 30; InformationAction = 'SilentlyContinue'
        }

        function script:Get-ConfigDbChecksum($Node) {
            $tables = Invoke-SimMariaDb $db "SELECT table_name FROM information_schema.tables WHERE table_schema = '$($Node.Database)' ORDER BY 1"
            (($tables | ForEach-Object { Invoke-SimMariaDb $db "CHECKSUM TABLE $($Node.Database).$_ EXTENDED" }) -join "`n")
        }
    }

    It 'upgrades 2.4.9 to 2.5.4 with the ConfigDB and exits 0, logging no secret' {
        $node = New-TestNode -Name 'rbok' -Version '2.4.9'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        $log = Join-Path $root 'rbok.log'
        & $runbook @common -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz') -LogPath $log
        $LASTEXITCODE | Should -Be 0 -Because (Get-Content $log -Raw)
        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.5.4'
        $after.Running | Should -BeTrue
        (Invoke-SimMariaDb $db "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = '$($node.Database)' AND table_name = 'hotdb_user' AND column_name = 'description'") | Should -Be '1'
        $text = Get-Content $log -Raw
        $text | Should -Match 'Success: 127\.0\.0\.1 runs HotDB Server 2\.5\.4'
        $text | Should -Match '\[STEP\] 127\.0\.0\.1 \[KeepOldInstall\]'
        $text | Should -Not -Match ([regex]::Escape($dbSecret))
        (& stat -c '%a' $log) | Should -Be '600'
    }

    It 'restores the ConfigDB and restarts the old version when the new one fails to start, and exits 1' {
        $node = New-TestNode -Name 'rbfail' -Version '2.5.3'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        $before = Get-ConfigDbChecksum $node
        Set-StartFault $node 'injected: the new version does not start'
        $log = Join-Path $root 'rbfail.log'
        # 2.5.3 -> 2.5.4 alters a column the old version reads: the old version only starts again on the restored ConfigDB.
        & $runbook @common -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz') -LogPath $log
        $LASTEXITCODE | Should -Be 1 -Because (Get-Content $log -Raw)
        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.5.3'
        $after.Running | Should -BeTrue
        $after.ServerPortOpen | Should -BeTrue
        (Join-Path $node.Root 'hotdb_server_253') | Should -Not -Exist
        Get-ConfigDbChecksum $node | Should -Be $before
        $text = Get-Content $log -Raw
        $text | Should -Match 'ConfigDB restored and verified'
        $text | Should -Match 'HotDB Server 2\.5\.3 is running again'

        # The start fault was one-shot: the same runbook again applies the restored ConfigDB steps and upgrades.
        & $runbook @common -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz') -LogPath $log
        $LASTEXITCODE | Should -Be 0 -Because (Get-Content $log -Raw)
        (Get-HotDbComputeNode -Session $session -InstallPath $node.Home).Version.ToString() | Should -Be '2.5.4'
    }

    It '-WhatIf prints the whole plan, changes nothing on the host or in the ConfigDB, and exits 0' {
        $node = New-TestNode -Name 'rbwhatif' -Version '2.4.9'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        $listing = Get-TreeListing $node.Root
        $before = Get-ConfigDbChecksum $node
        $log = Join-Path $root 'rbwhatif.log'
        & $runbook @common -InstallPath $node.Home -Package (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz') -LogPath $log -WhatIf
        $LASTEXITCODE | Should -Be 0 -Because (Get-Content $log -Raw)
        Get-TreeListing $node.Root | Should -Be $listing
        Get-ConfigDbChecksum $node | Should -Be $before
        $text = Get-Content $log -Raw
        foreach ($stage in 'CheckPackage', 'UploadPackage', 'StopService', 'KeepOldInstall', 'ExtractPackage', 'CarryOverConfig', 'StartNewVersion') { $text | Should -Match "\[PLAN\] .*$stage" }
        $text | Should -Match 'hotdb_config_2\.5\.4\.sql'
        $text | Should -Match 'WhatIf: nothing was changed'
        (Get-HotDbComputeNode -Session $session -InstallPath $node.Home).Running | Should -BeTrue
    }
}

Describe 'Single-node upgrade plan: refusals before the stop, and resume after the control process dies' -Tag ComputeNode, Runbook -Skip:$skipNode {
    BeforeAll {
        $script:runbook = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbSingleNode.ps1'
        $script:planScripts = Get-Item (Join-Path $packages 'configdb-upgrade')
        $script:planSecret = "$(New-Guid)"
        Invoke-SimMariaDb $db "CREATE USER 'planner'@'%' IDENTIFIED BY '$planSecret'; GRANT ALL ON *.* TO 'planner'@'%' WITH GRANT OPTION;" | Out-Null
        $script:planLogin = [pscredential]::new('planner', (ConvertTo-SecureString $planSecret -AsPlainText -Force))
        $script:planDumps = New-Item -ItemType Directory -Path (Join-Path $root 'plan-dumps') -Force
        $script:knownHosts = Join-Path $TestDrive 'known_hosts'

        # The runbook in its own process, so that the plan runner's test hook can kill it like a dying admin machine:
        # HOTDB_UPGRADE_KILL_AFTER_STEP / _IN_STEP name the step; the ConfigDB secret reaches the child in its environment.
        $script:driver = Join-Path $root 'run-runbook.ps1'
        Set-Content -Path $driver -Value @'
param([string] $Module, [string] $Runbook, [hashtable] $Parameters)
Import-Module $Module
$db = [pscredential]::new('planner', (ConvertTo-SecureString $env:HOTDB_TEST_CONFIGDB_SECRET -AsPlainText -Force))
& $Runbook @Parameters -Credential ([pscredential]::new('root', [securestring]::new())) -ConfigDbCredential $db -InformationAction SilentlyContinue
exit $LASTEXITCODE
'@
        function script:Invoke-RunbookProcess([hashtable] $Parameters, [string] $KillAfter, [string] $KillIn, [string] $Secret = $planSecret) {
            $env:HOTDB_TEST_CONFIGDB_SECRET = $Secret
            $env:HOTDB_UPGRADE_KILL_AFTER_STEP = $KillAfter
            $env:HOTDB_UPGRADE_KILL_IN_STEP = $KillIn
            $base = @{ ComputerName = '127.0.0.1'; Port = $fx.Port; KeyFile = $fx.RootKeyPath; KnownHostsPath = $knownHosts }
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(
                "& '$driver' -Module '$env:HOTDB_UPGRADE_MODULE' -Runbook '$runbook' -Parameters $(ConvertTo-Literal ($base + $Parameters)); exit `$LASTEXITCODE"))
            try {
                Push-Location (Join-Path $PSScriptRoot '../..')
                & dotnet pwsh -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | Out-Null
                $LASTEXITCODE
            }
            finally {
                Pop-Location
                Remove-Item Env:HOTDB_TEST_CONFIGDB_SECRET, Env:HOTDB_UPGRADE_KILL_AFTER_STEP, Env:HOTDB_UPGRADE_KILL_IN_STEP -ErrorAction SilentlyContinue
            }
        }
        function script:ConvertTo-Literal([hashtable] $Table) {
            '@{' + (($Table.GetEnumerator() | ForEach-Object {
                        $value = if ($_.Value -is [bool]) { '$' + "$($_.Value)".ToLower() } elseif ($_.Value -is [int]) { $_.Value } else { "'" + ("$($_.Value)" -replace "'", "''") + "'" }
                        "$($_.Key) = $value"
                    }) -join '; ') + '}'
        }
        function script:Get-PlanChecksum($Node) {
            $tables = Invoke-SimMariaDb $db "SELECT table_name FROM information_schema.tables WHERE table_schema = '$($Node.Database)' ORDER BY 1"
            (($tables | ForEach-Object { Invoke-SimMariaDb $db "CHECKSUM TABLE $($Node.Database).$_ EXTENDED" }) -join "`n")
        }
        function script:Get-AppliedScripts($Node) {
            @(Invoke-SimMariaDb $db "SELECT version FROM hotdb_upgrade_ledger.history WHERE database_name = '$($Node.Database)' AND success = 1 AND rolled_back = 0 ORDER BY id")
        }
        function script:Get-JournalStatus([string] $Path) { (Get-Content $Path -Raw | ConvertFrom-Json) }
        $script:planQuick = @{ ScriptsPath = $planScripts.FullName; BackupDirectory = $planDumps.FullName; StartTimeout = 60; StopTimeout = 30 }
    }

    It 'refuses <Case> in the checks with the node still running, and changes nothing' -ForEach @(
        @{ Case = 'a downgrade'; Pattern = 'hotdb-server-2.5.1-ga-*.tar.gz'; Message = 'downgrade' }
        @{ Case = 'a corrupt package'; Pattern = 'corrupt'; Message = 'not a usable tarball' }
        @{ Case = 'a wrong ConfigDB password'; Pattern = 'hotdb-server-2.5.4-ga-*.tar.gz'; Message = 'CheckConfigDb'; WrongSecret = $true }
    ) {
        if (-not $script:refusalNode) {
            $script:refusalNode = New-TestNode -Name 'planrefuse' -Version '2.5.3'
            $null = Start-HotDbComputeNode -Session $session -InstallPath $refusalNode.Home
        }
        $node = $refusalNode
        $path = Get-TestPackage $Pattern
        if ($Pattern -eq 'corrupt') {
            $path = Join-Path (New-Item -ItemType Directory -Path (Join-Path $root 'plan-corrupt') -Force) 'hotdb-server-2.5.4-ga-20190812.tar.gz'
            $bytes = [IO.File]::ReadAllBytes((Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz'))
            [IO.File]::WriteAllBytes($path, $bytes[0..([int]($bytes.Length / 2))])
        }
        $listing = Get-TreeListing $node.Root
        $checksums = Get-PlanChecksum $node
        $log = Join-Path $root "planrefuse-$([guid]::NewGuid().ToString('N').Substring(0, 6)).log"
        $secret = if ($WrongSecret) { 'not-the-password' } else { $planSecret }
        $code = Invoke-RunbookProcess (@{ InstallPath = $node.Home; Package = $path; LogPath = $log } + $planQuick) -Secret $secret
        $code | Should -Be 3 -Because (Get-Content $log -Raw)
        $text = Get-Content $log -Raw
        $text | Should -Match $Message
        $text | Should -Match 'was not changed'
        $text | Should -Not -Match '\[StopService\]'
        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Running | Should -BeTrue
        $after.Version.ToString() | Should -Be '2.5.3'
        Get-TreeListing $node.Root | Should -Be $listing
        Get-PlanChecksum $node | Should -Be $checksums
        [IO.Path]::ChangeExtension($log, '.journal.json') | Should -Not -Exist
    }

    It 'New-HotDbUpgradePlan reports a wrong ConfigDB login as a failed check, one error per failed check' {
        $wrong = [pscredential]::new('planner', (ConvertTo-SecureString 'wrong' -AsPlainText -Force))
        $plan = New-HotDbUpgradePlan -Session $session -InstallPath $refusalNode.Home -Package (Get-TestPackage 'hotdb-server-2.5.1-ga-*.tar.gz') `
            -ScriptsPath $planScripts.FullName -ConfigDbCredential $wrong -ErrorVariable problems -ErrorAction SilentlyContinue
        $plan.ChecksPassed | Should -BeFalse
        @($plan.Checks | Where-Object { "$($_.Status)" -eq 'Failed' }).Step | Should -Be @('CheckNode', 'CheckConfigDb')
        @($problems).Count | Should -Be 2
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeCheckFailed*'
        $problems[1].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        ($plan | Format-List | Out-String) | Should -Match 'no: CheckNode, CheckConfigDb failed'
        (Get-HotDbComputeNode -Session $session -InstallPath $refusalNode.Home).Running | Should -BeTrue
    }

    It 'a runbook killed at every step boundary in turn is resumed from the journal each time and ends at 2.4.9 -> 2.5.4, the ConfigDB upgraded once' {
        $node = New-TestNode -Name 'plankill' -Version '2.4.9'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        $log = Join-Path $root 'plankill.log'
        $journal = [IO.Path]::ChangeExtension($log, '.journal.json')
        $parameters = @{ InstallPath = $node.Home; Package = (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz'); LogPath = $log } + $planQuick
        $plan = New-HotDbUpgradePlan -Session $session -InstallPath $node.Home -Package $parameters.Package -ScriptsPath $planScripts.FullName -ConfigDbCredential $planLogin
        $steps = @($plan.Phases | ForEach-Object { $_.Steps } | ForEach-Object { $_.Name })
        $steps | Should -Contain 'UpgradeConfigDb'

        # First run killed after step 1; each resume is killed after the next step; the last resume runs to the end.
        $code = Invoke-RunbookProcess $parameters -KillAfter $steps[0]
        $code | Should -Not -BeIn 0, 1, 2, 3 -Because (Get-Content $log -Raw)
        foreach ($i in 1..$steps.Count) {
            $state = Get-JournalStatus $journal
            $state.status | Should -Be 'Running' -Because "the process was killed after $($steps[$i - 1])"
            @($state.steps | Where-Object status -EQ 'Succeeded').Count | Should -Be $i
            $next = if ($i -lt $steps.Count) { $steps[$i] } else { $null }
            $code = Invoke-RunbookProcess @{ Resume = $true; JournalPath = $journal; LogPath = $log } -KillAfter $next
            if ($next) { $code | Should -Not -BeIn 0, 1, 2, 3 -Because "resume $i should have been killed after $next`n$(Get-Content $log -Raw)" }
        }
        $code | Should -Be 0 -Because (Get-Content $log -Raw)
        (Get-JournalStatus $journal).status | Should -Be 'Succeeded'
        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.5.4'
        $after.Running | Should -BeTrue
        (Get-HotDbComputeNode -Session $session -InstallPath (Join-Path $node.Root 'hotdb_server_249')).Version.ToString() | Should -Be '2.4.9'
        # Every script in (2.4.9, 2.5.4] applied exactly once, although the run was resumed after the ConfigDB upgrade.
        Get-AppliedScripts $node | Should -Be @('2.5.1', '2.5.3', '2.5.4')
        (Invoke-SimMariaDb $db "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = '$($node.Database)' AND table_name = 'hotdb_user' AND column_name = 'description'") | Should -Be '1'
        (& stat -c '%a' $journal) | Should -Be '600'
        Get-Content $journal -Raw | Should -Not -Match ([regex]::Escape($planSecret))
        Get-Content $log -Raw | Should -Not -Match ([regex]::Escape($planSecret))
        $null = Stop-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home
    }

    It 'a runbook killed inside <Step> (started, not finished) is rolled back on resume: 2.5.3 runs again on its restored ConfigDB' -ForEach @(
        @{ Step = 'ExtractPackage' }
        @{ Step = 'StartNewVersion' }
    ) {
        $node = New-TestNode -Name "plankillin$($Step.ToLower())" -Version '2.5.3'
        $null = Start-HotDbComputeNode -Session $session -InstallPath $node.Home
        $checksums = Get-PlanChecksum $node
        $log = Join-Path $root "plankillin-$Step.log"
        $journal = [IO.Path]::ChangeExtension($log, '.journal.json')
        $code = Invoke-RunbookProcess (@{ InstallPath = $node.Home; Package = (Get-TestPackage 'hotdb-server-2.5.4-ga-*.tar.gz'); LogPath = $log } + $planQuick) -KillIn $Step
        $code | Should -Not -BeIn 0, 1, 2, 3 -Because (Get-Content $log -Raw)
        @((Get-JournalStatus $journal).steps | Where-Object name -EQ $Step).status | Should -Be 'Running'

        $code = Invoke-RunbookProcess @{ Resume = $true; JournalPath = $journal; LogPath = $log }
        $code | Should -Be 1 -Because (Get-Content $log -Raw)
        $text = Get-Content $log -Raw
        $text | Should -Match "$Step`: Failed - Interrupted"
        $text | Should -Match 'ConfigDB restored and verified'
        (Get-JournalStatus $journal).status | Should -Be 'RolledBack'
        $after = Get-HotDbComputeNode -Session $session -InstallPath $node.Home
        $after.Version.ToString() | Should -Be '2.5.3'
        $after.Running | Should -BeTrue
        $after.ServerPortOpen | Should -BeTrue
        (Join-Path $node.Root 'hotdb_server_253') | Should -Not -Exist
        Get-PlanChecksum $node | Should -Be $checksums
        $null = Stop-HotDbComputeNode -Confirm:$false -Session $session -InstallPath $node.Home
    }

    It 'Resume-HotDbUpgradePlan refuses a journal the sessions or login do not match, running nothing' {
        $journal = Join-Path $root 'plankillin-ExtractPackage.journal.json'
        $other = [pscredential]::new('root', (ConvertTo-SecureString 'x' -AsPlainText -Force))
        { Resume-HotDbUpgradePlan -JournalPath $journal -Session $session -ConfigDbCredential $other -Confirm:$false } | Should -Throw -ErrorId 'PlanJournalUnusable*'
        $bogus = Join-Path $root 'bogus.journal.json'
        Set-Content -Path $bogus -Value '{"format": "1", "mode": "SingleNode"'
        { Resume-HotDbUpgradePlan -JournalPath $bogus -Session $session -ConfigDbCredential $planLogin -Confirm:$false } | Should -Throw -ErrorId 'PlanJournalUnusable*'
    }
}
