# Compare-HotDbConfig and Merge-HotDbConfig on real files of this machine, and over a real SSH session.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:sshdMissing = -not (Test-SshdFixtureAvailable)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    $script:fixtures = Join-Path $PSScriptRoot '../HotDb.Upgrade.Engine.Tests/Fixtures/config'

    # An install directory laid out like the vendor's, from one version's fixture files.
    function New-Install([string] $Version, [string] $Directory) {
        New-Item -ItemType Directory -Path "$Directory/conf", "$Directory/bin" -Force | Out-Null
        Copy-Item "$fixtures/$Version/server.xml" "$Directory/conf/server.xml"
        Copy-Item "$fixtures/$Version/log4j2.xml" "$Directory/conf/log4j2.xml"
        Copy-Item "$fixtures/$Version/hotdb_server" "$Directory/bin/hotdb_server"
        $Directory
    }

    function Set-Text([string] $File, [string] $From, [string] $To) {
        $text = [IO.File]::ReadAllText($File)
        if (-not $text.Contains($From)) { throw "$File does not contain $From" }
        [IO.File]::WriteAllText($File, $text.Replace($From, $To))
    }

    function Get-Hashes([string] $Directory) {
        Get-ChildItem $Directory -Recurse -File | Sort-Object FullName |
            ForEach-Object { '{0} {1}' -f $_.FullName, (Get-FileHash $_.FullName -Algorithm SHA256).Hash }
    }

    # A user's 2.5.3 install: custom ConfigDB URL and password, more processors, bigger heap, debug logging.
    function New-Scenario([string] $Root) {
        $pristine = New-Install '2.5.3' "$Root/pristine-2.5.3"
        $old = New-Install '2.5.3' "$Root/hotdb_server_253"
        $new = New-Install '2.5.4' "$Root/hotdb-server"
        Set-Text "$old/conf/server.xml" '<property name="url">jdbc:mysql://127.0.0.1:3306/hotdb_config<' '<property name="url">jdbc:mysql://198.18.0.10:3306/hotdb_config<'
        Set-Text "$old/conf/server.xml" '<property name="password">hotdb_config<' '<property name="password">S3cret-ConfigDb<'
        Set-Text "$old/conf/server.xml" '<property name="processors">16<' '<property name="processors">32<'
        Set-Text "$old/bin/hotdb_server" '-Xms4G -Xmx4G' '-Xms12G -Xmx12G'
        Set-Text "$old/conf/log4j2.xml" '<Logger name="cn.hotpu" level="info"' '<Logger name="cn.hotpu" level="debug"'
        [pscustomobject]@{ Old = $old; New = $new; Pristine = $pristine }
    }
}

Describe 'Compare-HotDbConfig' -Tag Config {
    BeforeAll { $scenario = New-Scenario (Join-Path $TestDrive 'compare') }

    It 'reports user changes three-way with the pristine package, and new defaults as kept' {
        $changes = Compare-HotDbConfig -Path $scenario.Old -Destination $scenario.New -PristinePath $scenario.Pristine
        $changes | ForEach-Object { $_.Mode.ToString() } | Sort-Object -Unique | Should -Be 'ThreeWay'
        $processors = $changes | Where-Object Key -eq 'processors'
        $processors.Action.ToString() | Should -Be 'Carried'
        $processors.OldValue | Should -Be '32'
        $processors.File | Should -Be "$($scenario.New)/conf/server.xml"
        ($changes | Where-Object Key -eq 'heartbeatTimeoutMs').Action.ToString() | Should -Be 'KeptNewDefault'
        ($changes | Where-Object Key -eq 'JAVA_OPTS').MergedValue | Should -Be '"-server -Xms12G -Xmx12G -XX:MaxDirectMemorySize=24G"'
        ($changes | Where-Object Key -like '*cn.hotpu*@level').Action.ToString() | Should -Be 'Skipped'
    }

    It 'says TwoWay without the pristine package and carries every differing value' {
        $changes = Compare-HotDbConfig $scenario.Old $scenario.New -File ServerXml
        $changes | ForEach-Object { $_.Mode.ToString() } | Sort-Object -Unique | Should -Be 'TwoWay'
        ($changes | Where-Object Key -eq 'heartbeatTimeoutMs').Action.ToString() | Should -Be 'Carried'
        $changes | ForEach-Object { $_.Kind.ToString() } | Sort-Object -Unique | Should -Be 'ServerXml'
    }

    It 'never shows a password value' {
        $changes = Compare-HotDbConfig $scenario.Old $scenario.New -PristinePath $scenario.Pristine
        $password = $changes | Where-Object Key -eq 'password'
        $password.IsSecret | Should -BeTrue
        $password.OldValue | Should -Be '********'
        ($changes | Format-List * | Out-String) | Should -Not -Match 'S3cret-ConfigDb'
    }

    It 'compares two single files and leaves JDK settings alone with -ExcludeJdk' {
        $changes = Compare-HotDbConfig "$($scenario.Old)/bin/hotdb_server" "$fixtures/2.5.6/hotdb_server" -ExcludeJdk
        ($changes | Where-Object Key -eq 'JAVA_BIN').Action.ToString() | Should -Be 'Skipped'
        ($changes | Where-Object Key -eq 'JAVA_VERSION').Reason | Should -Match 'new JDK'
    }

    It 'formats as a list grouped by file, and as a table with Format-Table' {
        $changes = Compare-HotDbConfig $scenario.Old $scenario.New -File ServerXml
        $text = $changes | Out-String -Width 300
        $text | Should -Match 'File: .*conf/server\.xml'
        $text | Should -Match '(?m)^Key\s+: processors$'
        $text | Should -Match '(?m)^MergedValue\s+: 32$'
        ($changes | Format-Table | Out-String -Width 300) | Should -Match 'Key\s+Action\s+OldValue\s+NewValue\s+MergedValue\s+Mode'
    }

    It 'reports a malformed file as an error naming it and still compares the others' {
        $root = Join-Path $TestDrive 'malformed'
        $broken = New-Scenario $root
        Set-Text "$($broken.Old)/conf/server.xml" '</system>' '</sys>'
        $changes = Compare-HotDbConfig $broken.Old $broken.New -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigFileMalformed*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].Exception.Message | Should -Match ([regex]::Escape("$($broken.Old)/conf/server.xml") + ': is not well-formed')
        $problems[0].TargetObject | Should -Be "$($broken.Old)/conf/server.xml"
        $problems[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        ($changes | Where-Object Key -eq 'JAVA_OPTS') | Should -Not -BeNullOrEmpty
    }

    It 'refuses files of different kinds, by name or by content' {
        { Compare-HotDbConfig "$($scenario.Old)/conf/server.xml" "$($scenario.New)/conf/log4j2.xml" -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfigPathMismatch*'
        $copy = Join-Path $TestDrive 'start-script.copy'
        Copy-Item "$($scenario.Old)/bin/hotdb_server" $copy
        $changes = Compare-HotDbConfig $copy "$($scenario.New)/conf/log4j2.xml" -ErrorVariable problems -ErrorAction SilentlyContinue
        $changes | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigFileMalformed*'
        $problems[0].TargetObject | Should -Be $copy
        $problems[0].Exception.Message | Should -Match 'not XML \(it reads as a start script\), not a log4j2\.xml'
    }

    It 'refuses a directory compared with a file' {
        { Compare-HotDbConfig $scenario.Old "$($scenario.New)/conf/server.xml" -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfigPathMismatch*'
    }
}

Describe 'Merge-HotDbConfig' -Tag Config {
    It 'writes nothing under -WhatIf and still returns every change' {
        $scenario = New-Scenario (Join-Path $TestDrive 'whatif')
        $before = Get-Hashes $TestDrive
        $changes = Merge-HotDbConfig $scenario.Old $scenario.New -PristinePath $scenario.Pristine -IncludeLog4j -WhatIf
        Get-Hashes $TestDrive | Should -Be $before
        ($changes | Where-Object Action -eq 'Carried').Key | Should -Contain 'processors'
        $changes | Where-Object BackupPath | Should -BeNullOrEmpty
    }

    It 'backs each edited file up with mode 0600, keeps the file mode and writes only the carried values' {
        $scenario = New-Scenario (Join-Path $TestDrive 'merge')
        $serverXml = "$($scenario.New)/conf/server.xml"
        & chmod 640 $serverXml
        $original = [IO.File]::ReadAllText($serverXml)
        $originalHash = (Get-FileHash $serverXml).Hash

        $changes = Merge-HotDbConfig $scenario.Old $scenario.New -PristinePath $scenario.Pristine -Confirm:$false

        $backup = ($changes | Where-Object Key -eq 'processors').BackupPath
        $backup | Should -BeLike "$serverXml.hotdb-upgrade-*.bak"
        (Get-FileHash $backup).Hash | Should -Be $originalHash
        (& stat -c '%a' $backup) | Should -Be '600'
        (& stat -c '%a' $serverXml) | Should -Be '640'
        $expected = $original.Replace('<property name="url">jdbc:mysql://127.0.0.1:3306/hotdb_config<', '<property name="url">jdbc:mysql://198.18.0.10:3306/hotdb_config<').
            Replace('<property name="password">hotdb_config<', '<property name="password">S3cret-ConfigDb<').
            Replace('<property name="processors">16<', '<property name="processors">32<')
        [IO.File]::ReadAllText($serverXml) | Should -Be $expected
        [IO.File]::ReadAllText("$($scenario.New)/bin/hotdb_server") | Should -Match 'JAVA_OPTS="-server -Xms12G -Xmx12G'
        # log4j2.xml was only reported: no backup, no change.
        Get-ChildItem "$($scenario.New)/conf" -Filter 'log4j2.xml.hotdb-upgrade-*' | Should -BeNullOrEmpty
        (Get-FileHash "$($scenario.New)/conf/log4j2.xml").Hash | Should -Be (Get-FileHash "$fixtures/2.5.4/log4j2.xml").Hash
        # Nothing staged is left behind.
        Get-ChildItem $scenario.New -Recurse -Filter '*hotdb-upgrade-tmp-*' | Should -BeNullOrEmpty
    }

    It 'is idempotent: a second run changes nothing and makes no new backup' {
        $scenario = New-Scenario (Join-Path $TestDrive 'again')
        Merge-HotDbConfig $scenario.Old $scenario.New -PristinePath $scenario.Pristine | Out-Null
        $after = Get-Hashes $scenario.New
        $second = Merge-HotDbConfig $scenario.Old $scenario.New -PristinePath $scenario.Pristine
        Get-Hashes $scenario.New | Should -Be $after
        $second | Where-Object Action -eq 'Carried' | Should -BeNullOrEmpty
    }

    It 'restores the original byte for byte from its backup' {
        $scenario = New-Scenario (Join-Path $TestDrive 'rollback')
        $serverXml = "$($scenario.New)/conf/server.xml"
        $originalHash = (Get-FileHash $serverXml).Hash
        $backup = (Merge-HotDbConfig $scenario.Old $scenario.New -File ServerXml | Where-Object BackupPath | Select-Object -First 1).BackupPath
        (Get-FileHash $serverXml).Hash | Should -Not -Be $originalHash
        Copy-Item $backup $serverXml -Force
        (Get-FileHash $serverXml).Hash | Should -Be $originalHash
    }

    It 'carries keys the vendor template sets twice by position (slave ConfigDB, then MGR ConfigDB)' {
        $scenario = New-Scenario (Join-Path $TestDrive 'mgr')
        $mgr = "        <property name=`"bakUrl`">jdbc:mysql://127.0.0.1:3306/hotdb_config</property>`n        <property name=`"bakUsername`">hotdb_config</property>`n    </system>"
        foreach ($install in $scenario.Pristine, $scenario.Old, $scenario.New) { Set-Text "$install/conf/server.xml" '    </system>' $mgr }
        Set-Text "$($scenario.Old)/conf/server.xml" '<property name="bakUrl">jdbc:mysql://127.0.0.1:3306/hotdb_config</property><!-- Slave' '<property name="bakUrl">jdbc:mysql://198.18.0.11:3306/hotdb_config</property><!-- Slave'
        Set-Text "$($scenario.Old)/conf/server.xml" "<property name=`"bakUrl`">jdbc:mysql://127.0.0.1:3306/hotdb_config</property>`n        <property name=`"bakUsername`">hotdb_config<" "<property name=`"bakUrl`">jdbc:mysql://198.18.0.12:3306/hotdb_config</property>`n        <property name=`"bakUsername`">mgr_user<"

        $changes = Merge-HotDbConfig $scenario.Old $scenario.New -PristinePath $scenario.Pristine -File ServerXml -Confirm:$false

        $urls = $changes | Where-Object Key -eq 'bakUrl' | Sort-Object Occurrence
        $urls.Occurrence | Should -Be @(1, 2)
        $urls | ForEach-Object { $_.Action.ToString() } | Should -Be @('Carried', 'Carried')
        $merged = [IO.File]::ReadAllText("$($scenario.New)/conf/server.xml")
        $merged | Should -Match '(?s)<property name="bakUrl">jdbc:mysql://198\.18\.0\.11:3306/hotdb_config</property><!-- Slave.*<property name="bakUrl">jdbc:mysql://198\.18\.0\.12:3306/hotdb_config</property>\s*<property name="bakUsername">mgr_user<'
        ($changes | Format-Table | Out-String -Width 300) | Should -Match 'bakUrl \(2\)\s+Carried'
    }

    It 'writes through a symbolic link and keeps it' {
        $scenario = New-Scenario (Join-Path $TestDrive 'link')
        $shared = Join-Path $TestDrive 'link/shared-server.xml'
        Move-Item "$($scenario.New)/conf/server.xml" $shared
        New-Item -ItemType SymbolicLink -Path "$($scenario.New)/conf/server.xml" -Target $shared | Out-Null

        Merge-HotDbConfig $scenario.Old $scenario.New -PristinePath $scenario.Pristine -File ServerXml -Confirm:$false | Out-Null

        (Get-Item "$($scenario.New)/conf/server.xml").LinkTarget | Should -Be $shared
        [IO.File]::ReadAllText($shared) | Should -Match '<property name="processors">32<'
    }

    It 'leaves a malformed file and its install untouched' {
        $scenario = New-Scenario (Join-Path $TestDrive 'bad')
        Set-Text "$($scenario.New)/conf/server.xml" '<system>' '<system><property name="x">&bogus</property>'
        $before = Get-Hashes $scenario.New
        Merge-HotDbConfig $scenario.Old $scenario.New -File ServerXml -ErrorVariable problems -ErrorAction SilentlyContinue | Out-Null
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigFileMalformed*'
        Get-Hashes $scenario.New | Should -Be $before
    }
}

Describe 'Merge-HotDbConfig over SSH' -Tag Config, Ssh -Skip:$sshdMissing {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
        $script:fx = Start-SshdFixture
        $knownHosts = Join-Path $TestDrive 'known_hosts'
        Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
        $connect = @{ ComputerName = '127.0.0.1'; Port = $fx.Port; KnownHostsPath = $knownHosts }
        $script:rootSession = New-HotDbSession @connect -Credential (New-FixtureCredential -RootKey) -KeyFile $fx.RootKeyPath
        $sudoCredential = New-FixtureCredential $fx.SudoUser
        $script:sudoSession = New-HotDbSession @connect -Credential $sudoCredential -Elevation Sudo -SudoCredential $sudoCredential
        # The sshd runs on this machine: the "remote" installs are built here, owned by root as on a real node.
        $script:remoteRoot = (& mktemp -d /tmp/hotdb-config-ssh.XXXXXXXX)
        & chmod 755 $remoteRoot
    }

    AfterAll {
        $rootSession, $sudoSession | Where-Object { $_ } | Remove-HotDbSession
        if ($remoteRoot) { Remove-Item -LiteralPath $remoteRoot -Recurse -Force -ErrorAction SilentlyContinue }
        if ($fx) { Stop-SshdFixture $fx }
    }

    It 'compares and merges through a root session: backup 0600, -WhatIf writes nothing' {
        $scenario = New-Scenario "$remoteRoot/root"
        $before = Get-Hashes $scenario.New
        $preview = Merge-HotDbConfig -Session $rootSession $scenario.Old $scenario.New -PristinePath $scenario.Pristine -WhatIf
        Get-Hashes $scenario.New | Should -Be $before
        ($preview | Where-Object Key -eq 'processors').Action.ToString() | Should -Be 'Carried'

        $changes = Merge-HotDbConfig -Session $rootSession $scenario.Old $scenario.New -PristinePath $scenario.Pristine
        $backup = ($changes | Where-Object Key -eq 'processors').BackupPath
        (& stat -c '%a' $backup) | Should -Be '600'
        [IO.File]::ReadAllText("$($scenario.New)/conf/server.xml") | Should -Match '<property name="processors">32</property>'
        Compare-HotDbConfig -Session $rootSession $scenario.Old $scenario.New -PristinePath $scenario.Pristine |
            Where-Object Action -eq 'Carried' | Should -BeNullOrEmpty
    }

    It 'writes a root-owned install through sudo for a non-root login, keeping owner and mode' {
        $scenario = New-Scenario "$remoteRoot/sudo"
        $serverXml = "$($scenario.New)/conf/server.xml"
        & chown -R root:root $remoteRoot/sudo
        & chmod 644 $serverXml
        & chmod 755 "$($scenario.New)/conf"
        & chmod -R o+r $remoteRoot/sudo

        $changes = Merge-HotDbConfig -Session $sudoSession $scenario.Old $scenario.New -PristinePath $scenario.Pristine -File ServerXml
        $changes | Where-Object Action -eq 'Carried' | Should -Not -BeNullOrEmpty
        (& stat -c '%U:%G %a' $serverXml) | Should -Be 'root:root 644'
        $backup = ($changes | Select-Object -First 1).BackupPath
        (& stat -c '%a' $backup) | Should -Be '600'
        [IO.File]::ReadAllText($serverXml) | Should -Match '<property name="processors">32</property>'
        Get-ChildItem /tmp -Filter 'tmp.*' -File -ErrorAction SilentlyContinue |
            Where-Object { (Get-Content $_.FullName -Raw -ErrorAction SilentlyContinue) -match 'hotdb:server' } | Should -BeNullOrEmpty
    }

    It 'refuses a relative path on the host' {
        { Compare-HotDbConfig -Session $rootSession 'old' 'new' -ErrorAction Stop } | Should -Throw -ErrorId 'RemotePathNotAbsolute*'
    }
}
