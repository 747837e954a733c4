BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:sshdMissing = -not (Test-SshdFixtureAvailable)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/MariaDbFixture.psm1') -Force
    $script:db = Start-MariaDbFixture
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ('hotdb-configdb-tests-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $work | Out-Null

    # A ConfigDB with enough rows that a dump takes a moment, text with quotes and non-ASCII, and several tables.
    Invoke-MariaDbFixtureSql $db -Database hotdb_config @'
CREATE TABLE hotdb_config_info (k VARCHAR(64) PRIMARY KEY, v VARCHAR(255)) ENGINE=InnoDB;
INSERT INTO hotdb_config_info VALUES ('version', '2.5.3'), ('note', 'it''s "quoted" \\ 中文');
CREATE TABLE hotdb_datanode (id INT PRIMARY KEY, name VARCHAR(64), status TINYINT) ENGINE=InnoDB;
INSERT INTO hotdb_datanode VALUES (1, 'dn_01', 1), (2, 'dn_02', 1);
CREATE TABLE hotdb_event (id INT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(200)) ENGINE=InnoDB;
INSERT INTO hotdb_event (payload) SELECT REPEAT('x', 200) FROM seq_1_to_60000;
'@ | Out-Null

    $script:configDb = New-HotDbConfigDb -ComputerName $db.Endpoint -Credential $db.Credential
    $script:backupDir = Join-Path $work 'backups'

    function New-ScriptFolder([hashtable] $Scripts) {
        $folder = Join-Path $work ('scripts-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $folder | Out-Null
        foreach ($name in $Scripts.Keys) { Set-Content -Path (Join-Path $folder $name) -Value $Scripts[$name] -NoNewline }
        $folder
    }
    # Runs $Action while a separate process samples every process's command line and environment for $Secret.
    # The patterns come from files, so the sampler's own command line holds neither the secret nor the marker.
    function Invoke-WithProcessSampler([string] $Secret, [scriptblock] $Action) {
        $dir = Join-Path $work ('sampler-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $paths = @{ Secret = "$dir/secret"; Marker = "$dir/marker"; Hits = "$dir/hits"; Seen = "$dir/seen"; Stop = "$dir/stop"; Ready = "$dir/ready" }
        [IO.File]::WriteAllText($paths.Secret, $Secret + "`n")
        [IO.File]::WriteAllText($paths.Marker, "defaults-extra-file`n")
        $sampler = @"
while [ ! -e '$($paths.Stop)' ]; do
  grep -l -a -F -f '$($paths.Secret)' /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null >> '$($paths.Hits)'
  grep -l -a -F -f '$($paths.Marker)' /proc/[0-9]*/cmdline 2>/dev/null >> '$($paths.Seen)'
  : > '$($paths.Ready)'
done
"@
        $start = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
        $start.ArgumentList.Add('-c')
        $start.ArgumentList.Add($sampler)
        $process = [System.Diagnostics.Process]::Start($start)
        try {
            while (-not (Test-Path $paths.Ready)) { Start-Sleep -Milliseconds 50 }
            $output = & $Action
        }
        finally {
            New-Item -ItemType File -Path $paths.Stop | Out-Null
            if (-not $process.WaitForExit(10000)) { $process.Kill() }
        }
        [pscustomobject]@{
            Output = $output
            Hits   = @(Get-Content $paths.Hits -ErrorAction SilentlyContinue)
            Seen   = @(Get-Content $paths.Seen -ErrorAction SilentlyContinue)
        }
    }

    function Get-LedgerRow([string] $Version) {
        @(Invoke-MariaDbFixtureSql $db "SELECT version, script_name, success, rolled_back, statement_count, applied_by FROM hotdb_upgrade_ledger.history WHERE database_name = 'hotdb_config' AND version = '$Version' ORDER BY id")
    }
}

AfterAll {
    if ($db) { Stop-MariaDbFixture $db }
    if ($work -and (Test-Path $work)) { Remove-Item $work -Recurse -Force }
}

Describe 'Test-HotDbUpgradeSql' -Tag ConfigDb {
    It 'allows additive SQL and reports each blocking statement with its location' {
        $folder = New-ScriptFolder @{
            'hotdb_config_2.5.4.sql' = "ALTER TABLE t ADD COLUMN c VARCHAR(8);`n-- UPDATE t SET a = 1;`nINSERT INTO t (``update``) VALUES ('DELETE');"
            'hotdb_config_2.5.5.sql' = "ALTER TABLE t MODIFY c VARCHAR(64);`nSELECT 1;`n  UPDATE t SET a = 1;"
        }
        $report = Test-HotDbUpgradeSql -Path $folder
        $report.OnlineUpgradeAllowed | Should -BeFalse
        $report.StatementCount | Should -Be 5
        $errors = @($report.Findings | Where-Object Severity -eq 'Error')
        $errors.Count | Should -Be 1
        $errors[0].RuleId | Should -Be 'OU003'
        $errors[0].File | Should -BeLike '*hotdb_config_2.5.5.sql'
        $errors[0].Line | Should -Be 3
        $errors[0].Column | Should -Be 3
        ($report.Findings | Where-Object RuleId -eq 'OU006').Line | Should -Be 1
    }

    It 'says yes for purely additive scripts given as files on the pipeline' {
        $folder = New-ScriptFolder @{ 'hotdb_config_2.5.4.sql' = "CREATE TABLE n (id INT);`nALTER TABLE t ADD COLUMN c INT;" }
        $report = Get-ChildItem $folder -Filter *.sql | Test-HotDbUpgradeSql
        $report.OnlineUpgradeAllowed | Should -BeTrue
        $report.Findings | Should -BeNullOrEmpty
    }

    It 'renders JSON for CI that round-trips the findings' {
        $folder = New-ScriptFolder @{ 'hotdb_config_2.5.4.sql' = "DROP TABLE old_t;`nINSERT INTO t VALUES ('unterminated);" }
        $json = Test-HotDbUpgradeSql -Path $folder -AsJson
        $json | Should -BeOfType [string]
        $parsed = $json | ConvertFrom-Json
        $parsed.onlineUpgradeAllowed | Should -BeFalse
        $parsed.findings[0].ruleId | Should -Be 'OU000'
        $parsed.findings[0].line | Should -Be 2
        $parsed.findings[0].column | Should -Be 23
    }

    It 'names a path that is neither file nor folder' {
        $result = Test-HotDbUpgradeSql -Path (Join-Path $work 'missing.sql') -ErrorVariable problems -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeSqlNotFound*'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'refuses a device such as /dev/zero at once, naming it, instead of reading it' {
        $result = Test-HotDbUpgradeSql -Path /dev/zero -ErrorVariable problems -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeSqlNotAFile*'
        $problems[0].Exception.Message | Should -Match "/dev/zero' is a CharacterDevice, not a regular file"
    }

    It 'reads a folder''s .sql files in any case, refuses a link out of the folder and says when a folder holds no script' {
        $folder = New-ScriptFolder @{ 'HOTDB_CONFIG_2.5.4.SQL' = 'TRUNCATE t;'; 'notes.txt' = 'DROP TABLE t;' }
        $outside = New-ScriptFolder @{ 'hotdb_config_2.5.5.sql' = 'DROP TABLE secret;' }
        New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'hotdb_config_2.5.5.sql') -Target (Join-Path $outside 'hotdb_config_2.5.5.sql') | Out-Null
        $report = Test-HotDbUpgradeSql -Path $folder -ErrorVariable problems -ErrorAction SilentlyContinue
        $report.Files | Should -Be @((Join-Path $folder 'HOTDB_CONFIG_2.5.4.SQL'))
        $report.Findings.RuleId | Should -Be @('OU004')
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeSqlLinkOutsideFolder*'
        $problems[0].Exception.Message | Should -Match 'symbolic link to .+hotdb_config_2\.5\.5\.sql, outside the folder'

        $empty = New-ScriptFolder @{ 'readme.txt' = 'no scripts here' }
        Test-HotDbUpgradeSql -Path $empty -WarningVariable warnings 3>$null | Should -BeNullOrEmpty
        ($warnings -join ' ') | Should -Match ([regex]::Escape("'$empty' holds no .sql file"))
    }

    It 'refuses <Case> naming what was found, and checks the other scripts' -ForEach @(
        @{ Case = 'UTF-32 with a byte order mark'; Bytes = [byte[]](0xFF, 0xFE, 0, 0, 0x53, 0, 0, 0); Named = 'has a UTF-32 little-endian byte order mark' }
        @{ Case = 'GBK text'; Bytes = [byte[]](0x2D, 0x2D, 0x20, 0xD6, 0xD0, 0xCE, 0xC4); Named = 'invalid UTF-8 at byte 3 \(0xD6\)' }
    ) {
        $folder = New-ScriptFolder @{ 'hotdb_config_2.5.5.sql' = 'CREATE TABLE n (id INT);' }
        [IO.File]::WriteAllBytes((Join-Path $folder 'hotdb_config_2.5.4.sql'), $Bytes)
        $report = Test-HotDbUpgradeSql -Path $folder -ErrorVariable problems -ErrorAction SilentlyContinue
        $report.Files | Should -Be @((Join-Path $folder 'hotdb_config_2.5.5.sql'))
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UpgradeSqlNotReadable*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].Exception.Message | Should -Match $Named
        $problems[0].Exception.Message | Should -Match 'hotdb_config_2\.5\.4\.sql'
    }

    It 'streams a script over the 16 MiB Invoke-HotDbConfigDbUpgrade runs, in UTF-16 too, and locates its findings' {
        # 1 MiB of statements with a delimiter inside quotes and comments, written 17 times, then one UPDATE.
        $line = "INSERT INTO t (id, name) VALUES (1, 'a;b'); -- c;d`n"
        $block = $line * [int][Math]::Ceiling(1MB / $line.Length)
        $lines = 17 * ($block.Length / $line.Length)
        $folder = New-ScriptFolder @{}
        $utf8 = Join-Path $folder 'hotdb_config_2.5.4.sql'
        $writer = [IO.StreamWriter]::new($utf8, $false, [Text.UTF8Encoding]::new($false))
        try { for ($k = 0; $k -lt 17; $k++) { $writer.Write($block) }; $writer.Write("`n  UPDATE t SET a = 1;`n") }
        finally { $writer.Dispose() }
        (Get-Item $utf8).Length | Should -BeGreaterThan 16MB
        $report = Test-HotDbUpgradeSql -Path $folder
        $report.StatementCount | Should -Be ($lines + 1)
        $report.Findings.RuleId | Should -Be @('OU003')
        $report.Findings[0].Line | Should -Be ($lines + 2)
        $report.Findings[0].Column | Should -Be 3
        $report.Findings[0].Statement | Should -Be 'UPDATE t SET a = 1'

        # The same script in UTF-16 with a BOM (twice the bytes), and one unterminated string at its end.
        $utf16 = Join-Path $folder 'hotdb_config_2.5.5.sql'
        $writer = [IO.StreamWriter]::new($utf16, $false, [Text.UnicodeEncoding]::new($false, $true))
        try { for ($k = 0; $k -lt 17; $k++) { $writer.Write($block) }; $writer.Write("SELECT 'open") }
        finally { $writer.Dispose() }
        $report = Test-HotDbUpgradeSql -Path $utf16
        $report.Findings.RuleId | Should -Be @('OU000')
        $report.Findings[0].Line | Should -Be ($lines + 1)
        $report.Findings[0].Column | Should -Be 8
        $report.StatementCount | Should -Be 0
    }

    It 'shows findings as a table' {
        $folder = New-ScriptFolder @{ 'hotdb_config_2.5.4.sql' = 'TRUNCATE t;' }
        $text = (Test-HotDbUpgradeSql -Path $folder).Findings | Out-String
        $text | Should -Match 'RuleId\s+Severity\s+File\s+Line\s+Column\s+Message'
        $text | Should -Match 'OU004\s+Error\s+hotdb_config_2\.5\.4\.sql\s+1\s+1'
    }
}

Describe 'New-HotDbConfigDb' -Tag ConfigDb {
    It 'describes the ConfigDB without exposing the password' {
        $configDb.Database | Should -Be 'hotdb_config'
        $configDb.Kind | Should -Be 'ComputeNode'
        $configDb.UserName | Should -Be $db.UserName
        ($configDb | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($db.Password))
        (New-HotDbConfigDb -ComputerName h -Kind ManagementPlatform -Credential $db.Credential).Database | Should -Be 'hotdb_cloud_config'
    }

    It 'rejects a malformed server address at once' {
        { New-HotDbConfigDb -ComputerName 'h:notaport' -Credential $db.Credential -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidConfigDb,HotDb.Upgrade.Commands.NewHotDbConfigDbCommand'
    }
}

Describe 'Backup-HotDbConfigDb and Restore-HotDbConfigDb' -Tag ConfigDb {
    BeforeAll {
        $script:backup = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.5.3 -Directory $backupDir -Destination (Join-Path $work 'local-copies')
    }

    It 'writes a verified dump named after database, version and time, mode 0600' {
        $backup.Path | Should -Exist
        (Split-Path -Leaf $backup.Path) | Should -Match '^hotdb_config_2\.5\.3_\d{8}_\d{6}(_\d+)?\.sql$'
        (& stat -c %a $backup.Path) | Should -Be '600'
        $backup.Sha256 | Should -Be (Get-FileHash $backup.Path -Algorithm SHA256).Hash.ToLowerInvariant()
        $backup.Size | Should -Be (Get-Item $backup.Path).Length
        (Get-Content $backup.Path -Tail 1) | Should -Match '^-- Dump completed'
        $backup.Server.Endpoint.ToString() | Should -Be $db.Endpoint
        $backup.Server.Reason | Should -Not -BeNullOrEmpty
        $backup.BinaryLogFile | Should -Match '^binlog\.\d+$'
        $backup.BinaryLogPosition | Should -BeGreaterThan 0
        $backup.DumpOptions | Should -Contain '--single-transaction'
        $backup.DumpOptions | Should -Contain '--master-data=1'
        @($backup.Tables).Count | Should -Be 3
        @(Get-ChildItem $backupDir -Force -Filter '*.cnf') | Should -BeNullOrEmpty
        (& stat -c %a $backup.LocalPath) | Should -Be '600'
        (Get-FileHash $backup.LocalPath -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $backup.Sha256
    }

    It 'writes a sidecar next to the dump and next to the local copy: mode 0600, every fact to verify and restore, no password' {
        $backup.SidecarPath | Should -Be ($backup.Path + '.json')
        foreach ($sidecar in $backup.SidecarPath, ($backup.LocalPath + '.json')) {
            (& stat -c %a $sidecar) | Should -Be '600'
            $text = Get-Content $sidecar -Raw
            $text | Should -Not -Match ([regex]::Escape($db.Password))
            $facts = $text | ConvertFrom-Json
            $facts.sha256 | Should -Be $backup.Sha256
            $facts.size | Should -Be $backup.Size
            $facts.database | Should -Be 'hotdb_config'
            $facts.version | Should -Be '2.5.3'
            $facts.server.endpoint | Should -Be $db.Endpoint
            $facts.dumpClient | Should -Be $backup.DumpClient
            $text | Should -Match ('"time"\s*:\s*"' + [regex]::Escape($backup.Time.ToString('o')) + '"')
            ($facts.tables | ForEach-Object { '{0}={1}' -f $_.table, $_.checksum }) | Should -Be ($backup.Tables | ForEach-Object ToString)
        }
        (Get-Content $backup.SidecarPath -Raw | ConvertFrom-Json).path | Should -Be $backup.Path
        (Get-Content ($backup.LocalPath + '.json') -Raw | ConvertFrom-Json).path | Should -Be $backup.LocalPath
    }

    It 'Get-HotDbConfigDbBackup rebuilds the same backup from the dump, its sidecar, a wildcard or the folder' {
        $expected = $backup | Select-Object Database, Kind, Version, Path, Size, Sha256, BinaryLogFile, BinaryLogPosition, Gtid, Time, DumpClient |
            ConvertTo-Json -Compress
        foreach ($path in $backup.Path, $backup.SidecarPath, (Join-Path $backupDir '*.sql'), $backupDir) {
            $read = @(Get-HotDbConfigDbBackup -Path $path -ConfigDb $configDb | Where-Object Path -eq $backup.Path)
            $read.Count | Should -Be 1 -Because "$path names the backup once"
            $read[0].GetType().FullName | Should -Be 'HotDb.Upgrade.ConfigDb.ConfigDbBackup'
            ($read[0] | Select-Object Database, Kind, Version, Path, Size, Sha256, BinaryLogFile, BinaryLogPosition, Gtid, Time, DumpClient |
                ConvertTo-Json -Compress) | Should -Be $expected
            ($read[0].Tables | ForEach-Object ToString) | Should -Be ($backup.Tables | ForEach-Object ToString)
            $read[0].DumpOptions | Should -Be $backup.DumpOptions
            $read[0].Server.Endpoint.ToString() | Should -Be $db.Endpoint
            $read[0].ConfigDb | Should -Be $configDb
        }
        $view = Get-HotDbConfigDbBackup -Path $backup.Path | Out-String -Width 120
        $view | Should -Match ('Directory: ' + [regex]::Escape($backup.ComputerName + ':' + (Split-Path $backup.Path)))
        $view | Should -Match ('Database\s+Version\s+Server\s+Size\s+Name')
        $view | Should -Match ([regex]::Escape((Split-Path $backup.Path -Leaf)))
    }

    It 'Get-HotDbConfigDbBackup -Verify re-checks the SHA-256 and names a dump without a sidecar or a missing path' {
        (Get-HotDbConfigDbBackup -Path $backup.Path -Verify).Sha256 | Should -Be $backup.Sha256
        $copy = Join-Path $work 'verify-original.sql'
        Copy-Item $backup.Path $copy
        try {
            # Same size, one byte different: only the SHA-256 can tell.
            $bytes = [IO.File]::ReadAllBytes($backup.Path)
            $bytes[100] = $bytes[100] -bxor 1
            [IO.File]::WriteAllBytes($backup.Path, $bytes)
            (Get-HotDbConfigDbBackup -Path $backup.Path).Size | Should -Be $backup.Size
            $result = Get-HotDbConfigDbBackup -Path $backup.Path -Verify -ErrorVariable problems -ErrorAction SilentlyContinue
            $result | Should -BeNullOrEmpty
            $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbInvalidBackup*'
            $problems[0].Exception.Message | Should -Match 'SHA-256'
        }
        finally { Copy-Item $copy $backup.Path -Force }

        $orphan = Join-Path $work 'orphans'
        New-Item -ItemType Directory -Path $orphan | Out-Null
        Copy-Item $backup.Path (Join-Path $orphan 'hotdb_config_2.5.3_20200101_000000.sql')
        Get-HotDbConfigDbBackup -Path $orphan -ErrorVariable orphanProblems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $orphanProblems[0].Exception.Message | Should -Match 'has no sidecar'
        Get-HotDbConfigDbBackup -Path (Join-Path $work 'nothing-*.sql') -ErrorVariable none -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $none[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbBackupNotFound*'
        $none[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a backup read from its sidecar pipes into Restore-HotDbConfigDb, which needs a ConfigDB for the login' {
        $recorded = $backup.Tables | ForEach-Object ToString | Sort-Object
        Invoke-MariaDbFixtureSql $db -Database hotdb_config "UPDATE hotdb_datanode SET name = 'from-sidecar'" | Out-Null
        { Get-HotDbConfigDbBackup -Path $backup.SidecarPath | Restore-HotDbConfigDb -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfigDbMissing,HotDb.Upgrade.Commands.RestoreHotDbConfigDbCommand'
        $restore = Get-HotDbConfigDbBackup -Path $backup.SidecarPath -ConfigDb $configDb | Restore-HotDbConfigDb -Force
        $restore.TablesVerified | Should -Be 3
        (Get-MariaDbFixtureChecksum $db hotdb_config | Sort-Object) | Should -Be $recorded
    }

    It 'restores changed data and proves it with every table checksum' {
        $recorded = $backup.Tables | ForEach-Object { '{0}={1}' -f $_.Table, $_.Checksum } | Sort-Object
        Invoke-MariaDbFixtureSql $db -Database hotdb_config @'
UPDATE hotdb_datanode SET status = 0;
DELETE FROM hotdb_event WHERE id < 100;
INSERT INTO hotdb_config_info VALUES ('extra', 'x');
CREATE TABLE stray (id INT);
'@ | Out-Null
        (Get-MariaDbFixtureChecksum $db hotdb_config | Sort-Object) | Should -Not -Be $recorded

        $restore = $backup | Restore-HotDbConfigDb -Confirm:$false
        $restore.TablesVerified | Should -Be 3
        (Get-MariaDbFixtureChecksum $db hotdb_config | Sort-Object) | Should -Be $recorded
    }

    It 'refuses a backup whose SHA-256 changed and leaves the ConfigDB untouched' {
        $copy = Join-Path $work 'tampered.sql'
        Copy-Item $backup.Path $copy
        Invoke-MariaDbFixtureSql $db -Database hotdb_config "INSERT INTO hotdb_config_info VALUES ('marker', 'kept');" | Out-Null
        Add-Content -Path $backup.Path -Value '-- tampered'
        try {
            $result = Restore-HotDbConfigDb -Backup $backup -Force -ErrorVariable problems -ErrorAction SilentlyContinue
        }
        finally { Copy-Item $copy $backup.Path -Force }
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbInvalidBackup*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        Invoke-MariaDbFixtureSql $db "SELECT v FROM hotdb_config.hotdb_config_info WHERE k = 'marker'" | Should -Be 'kept'
        Invoke-MariaDbFixtureSql $db "DELETE FROM hotdb_config.hotdb_config_info WHERE k = 'marker'" | Out-Null
    }

    It 'is high impact and honours -WhatIf' {
        $attribute = (Get-Command Restore-HotDbConfigDb).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $attribute.ConfirmImpact | Should -Be 'High'
        Invoke-MariaDbFixtureSql $db "INSERT INTO hotdb_config.hotdb_config_info VALUES ('whatif', '1')" | Out-Null
        Restore-HotDbConfigDb -Backup $backup -Force -WhatIf | Should -BeNullOrEmpty
        Invoke-MariaDbFixtureSql $db "SELECT v FROM hotdb_config.hotdb_config_info WHERE k = 'whatif'" | Should -Be '1'
        Invoke-MariaDbFixtureSql $db "DELETE FROM hotdb_config.hotdb_config_info WHERE k = 'whatif'" | Out-Null
    }

    It 'never shows the password in any process command line or environment, nor in any output stream' {
        $sampled = Invoke-WithProcessSampler $db.Password {
            $streams = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.5.3 -Directory $backupDir -Verbose -Debug *>&1 | Out-String
            # An error path too: the dump cannot be written.
            $failure = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.5.3 -Directory '/proc/hotdb-not-writable' -Verbose -ErrorAction Continue *>&1 | Out-String
            $streams, $failure
        }
        $streams, $failure = $sampled.Output
        $sampled.Seen | Should -Not -BeNullOrEmpty -Because 'the sampler must have seen the dump running'
        $sampled.Hits | Should -BeNullOrEmpty
        $streams | Should -Match 'verified'
        $failure | Should -Match 'hotdb-not-writable'
        $streams + $failure | Should -Not -Match ([regex]::Escape($db.Password))
    }
}

Describe 'Backup and restore through an SSH session on the ConfigDB host' -Tag ConfigDb, Ssh -Skip:$sshdMissing {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
        $script:fx = Start-SshdFixture
        $knownHosts = Join-Path $work 'known_hosts'
        Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
        # A non-root login, as a ConfigDB host's administrator would use.
        $script:session = New-HotDbSession -ComputerName 127.0.0.1 -Port $fx.Port -KnownHostsPath $knownHosts -Credential (New-FixtureCredential $fx.User)
        $script:remoteDir = (Invoke-HotDbCommand -Session $session 'mktemp -d /tmp/hotdb-configdb-ssh.XXXXXXXX').StandardOutput.Trim()
        $script:overSsh = New-HotDbConfigDb -ComputerName $db.Endpoint -Credential $db.Credential -Session $session
    }

    AfterAll {
        if ($script:session) { $session | Remove-HotDbSession }
        if ($script:remoteDir) { Remove-Item -LiteralPath $remoteDir -Recurse -Force -ErrorAction SilentlyContinue }
        if ($script:fx) { Stop-SshdFixture $fx }
    }

    It 'runs mysqldump on the ConfigDB host as the session user, keeps the password out of every process, and copies the dump back' {
        $local = Join-Path $work 'copies'
        $sampled = Invoke-WithProcessSampler $db.Password {
            Backup-HotDbConfigDb -ConfigDb $overSsh -Version 2.5.3 -Directory "$remoteDir/backups" -Destination $local -Verbose *>&1
        }
        $sampled.Seen | Should -Not -BeNullOrEmpty -Because 'the sampler must have seen the dump running'
        $sampled.Hits | Should -BeNullOrEmpty
        ($sampled.Output | Out-String) | Should -Not -Match ([regex]::Escape($db.Password))
        $backup = $sampled.Output | Where-Object { $_ -isnot [System.Management.Automation.InformationalRecord] }
        $backup.ComputerName | Should -Be '127.0.0.1'
        (& stat -c '%U %a' $backup.Path) | Should -Be "$($fx.User.UserName) 600"
        (& stat -c '%a' "$remoteDir/backups") | Should -Be '700'
        $backup.Sha256 | Should -Be (Get-FileHash $backup.Path -Algorithm SHA256).Hash.ToLowerInvariant()
        $backup.LocalPath | Should -Be (Join-Path $local (Split-Path -Leaf $backup.Path))
        (& stat -c '%a' $backup.LocalPath) | Should -Be '600'
        (Get-FileHash $backup.LocalPath -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $backup.Sha256
        @(Get-ChildItem "$remoteDir/backups" -Force -Filter '*.cnf') | Should -BeNullOrEmpty
        $script:sshBackup = $backup
    }

    It 'writes the sidecar on the ConfigDB host, which Get-HotDbConfigDbBackup -Session reads back and verifies' {
        (& stat -c '%U %a' $sshBackup.SidecarPath) | Should -Be "$($fx.User.UserName) 600"
        $read = Get-HotDbConfigDbBackup -Session $session -Path "$remoteDir/backups" -ConfigDb $overSsh -Verify
        $read.ComputerName | Should -Be '127.0.0.1'
        $read.Path | Should -Be $sshBackup.Path
        $read.Sha256 | Should -Be $sshBackup.Sha256
        $read.Host | Should -Be $session
    }

    It 'restores through the session and proves it with the recorded checksums' {
        $recorded = $sshBackup.Tables | ForEach-Object { '{0}={1}' -f $_.Table, $_.Checksum } | Sort-Object
        Invoke-MariaDbFixtureSql $db -Database hotdb_config "UPDATE hotdb_datanode SET name = 'changed'; CREATE TABLE stray_ssh (id INT);" | Out-Null
        $restore = $sshBackup | Restore-HotDbConfigDb -Force
        $restore.TablesVerified | Should -Be @($sshBackup.Tables).Count
        (Get-MariaDbFixtureChecksum $db hotdb_config | Sort-Object) | Should -Be $recorded
    }
}

Describe 'Backup-HotDbConfigDb errors before anything changes' -Tag ConfigDb {
    It 'names wrong credentials' {
        $wrong = New-HotDbConfigDb -ComputerName $db.Endpoint -Credential ([pscredential]::new($db.UserName, (ConvertTo-SecureString 'wrong' -AsPlainText -Force)))
        $dir = Join-Path $work 'wrong-credentials'
        $result = Backup-HotDbConfigDb -ConfigDb $wrong -Version 2.5.3 -Directory $dir -ErrorVariable problems -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbAccessDenied*'
        $problems[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $problems[0].ErrorDetails.RecommendedAction | Should -Match 'Credential'
        $dir | Should -Not -Exist
    }

    It 'names an unreachable server' {
        $port = ([System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0))
        $port.Start(); $free = $port.LocalEndpoint.Port; $port.Stop()
        $gone = New-HotDbConfigDb -ComputerName "127.0.0.1:$free" -Credential $db.Credential -ConnectTimeoutSeconds 3
        $result = Backup-HotDbConfigDb -ConfigDb $gone -Version 2.5.3 -Directory (Join-Path $work 'unreachable') -ErrorVariable problems -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbUnreachable*'
        $problems[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $problems[0].Exception.Message | Should -Match "127\.0\.0\.1:$free"
    }

    It 'backs up the writable master when given several servers' {
        $replica = Start-MariaDbFixture -Password $db.Password -Database hotdb_config
        try {
            Invoke-MariaDbFixtureSql $replica 'SET GLOBAL read_only = 1' | Out-Null
            $pair = New-HotDbConfigDb -ComputerName $replica.Endpoint, $db.Endpoint -Credential $db.Credential
            $backup = Backup-HotDbConfigDb -ConfigDb $pair -Version 2.5.3 -Directory $backupDir
            $backup.Server.Endpoint.ToString() | Should -Be $db.Endpoint
            $backup.Server.Reason | Should -Match 'writable'
        }
        finally { Stop-MariaDbFixture $replica }
    }
}

Describe 'Invoke-HotDbConfigDbUpgrade' -Tag ConfigDb {
    BeforeAll {
        $script:goodScripts = @{
            'hotdb_config_2.5.4.sql' = "CREATE TABLE hotdb_new_feature (id INT PRIMARY KEY, flag TINYINT);`nALTER TABLE hotdb_datanode ADD COLUMN weight INT DEFAULT 1;"
            'hotdb_config_2.5.5.sql' = "INSERT INTO hotdb_new_feature VALUES (1, 0);`nALTER TABLE hotdb_datanode MODIFY weight BIGINT DEFAULT 1;"
            'hotdb_cloud_config_2.5.5.sql' = 'CREATE TABLE must_not_run_here (id INT);'
            'hotdb_config_2.5.7.sql' = 'CREATE TABLE beyond_target (id INT);'
        }
    }

    It 'shows the ordered plan and the combined SQL with -WhatIf without touching the server' {
        $folder = New-ScriptFolder $goodScripts
        $before = Get-MariaDbFixtureChecksum $db hotdb_config
        $plan = Invoke-HotDbConfigDbUpgrade -ConfigDb $configDb -Path $folder -From 2.5.3 -To 2.5.6 -WhatIf
        $plan.Scripts.Name | Should -Be @('hotdb_config_2.5.4.sql', 'hotdb_config_2.5.5.sql')
        $plan.CombinedSql | Should -Match '(?s)CREATE TABLE hotdb_new_feature.*INSERT INTO hotdb_new_feature'
        $plan.CombinedSql | Should -Not -Match 'must_not_run_here|beyond_target'
        Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
        Invoke-MariaDbFixtureSql $db "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'hotdb_upgrade_ledger'" | Should -Be '0'
    }

    It 'plans only management-platform scripts for a management-platform ConfigDB and says the platform upgrades its own from 2.5.3' {
        $folder = New-ScriptFolder $goodScripts
        $platform = New-HotDbConfigDb -ComputerName $db.Endpoint -Kind ManagementPlatform -Credential $db.Credential
        $plan = Invoke-HotDbConfigDbUpgrade -ConfigDb $platform -Path $folder -From 2.5.3 -To 2.5.6 -WhatIf -WarningVariable warnings 3>$null
        $plan.Database | Should -Be 'hotdb_cloud_config'
        $plan.Scripts.Name | Should -Be @('hotdb_cloud_config_2.5.5.sql')
        ($warnings -join ' ') | Should -Match 'upgrades its own ConfigDB'
    }

    It 'fails in the middle of the third of four scripts, names the error and leaves the ConfigDB as before' {
        $folder = New-ScriptFolder @{
            'hotdb_config_2.5.4.sql' = 'CREATE TABLE step_one (id INT);'
            'hotdb_config_2.5.5.sql' = "ALTER TABLE hotdb_datanode ADD COLUMN step_two INT;`nUPDATE hotdb_datanode SET status = 9;"
            'hotdb_config_2.5.6.sql' = "INSERT INTO hotdb_config_info VALUES ('three', 'a');`nINSERT INTO no_such_table VALUES (1);`nCREATE TABLE after_failure (id INT);"
            'hotdb_config_2.5.7.sql' = 'CREATE TABLE step_four (id INT);'
        }
        $before = Get-MariaDbFixtureChecksum $db hotdb_config
        $backup = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.5.3 -Directory $backupDir
        $result = $backup | Invoke-HotDbConfigDbUpgrade -Path $folder -To 2.5.7 -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Succeeded | Should -BeFalse
        $result.Restored | Should -BeTrue
        $result.Applied | Should -BeNullOrEmpty
        ($result.Stages | ForEach-Object { '{0}:{1}' -f $_.Stage, $_.Status }) | Should -Be @(
            'Backup:RolledBack', 'hotdb_config_2.5.4.sql:RolledBack', 'hotdb_config_2.5.5.sql:RolledBack', 'hotdb_config_2.5.6.sql:Failed', 'hotdb_config_2.5.7.sql:NotRun')
        $result.Error | Should -Match 'hotdb_config_2\.5\.6\.sql line 2 column 1'
        $result.Error | Should -Match "no_such_table"
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbScriptFailed*'
        $problems[0].Exception.Message | Should -Match 'restored'
        Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
        (Get-LedgerRow 2.5.4) | Should -Match "`t1`t1`t"  # success, rolled back
        (Get-LedgerRow 2.5.6) | Should -Match "`t0`t1`t"  # failed, rolled back
        Get-LedgerRow 2.5.7 | Should -BeNullOrEmpty
    }

    It 'applies every script in (From, To] in order, records the ledger and skips what was applied' {
        $folder = New-ScriptFolder $goodScripts
        $result = Invoke-HotDbConfigDbUpgrade -ConfigDb $configDb -Path $folder -From 2.5.3 -To 2.5.6 -BackupDirectory $backupDir -Confirm:$false
        $result.Succeeded | Should -BeTrue
        $result.Applied | Should -Be @('hotdb_config_2.5.4.sql', 'hotdb_config_2.5.5.sql')
        $result.Backup.Path | Should -Exist
        Invoke-MariaDbFixtureSql $db 'SELECT COUNT(*) FROM hotdb_config.hotdb_new_feature' | Should -Be '1'
        Invoke-MariaDbFixtureSql $db "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME IN ('must_not_run_here', 'beyond_target')" | Should -Be '0'
        $row = @(Get-LedgerRow 2.5.5)[-1]
        $row | Should -Match "^2\.5\.5`thotdb_config_2\.5\.5\.sql`t1`t0`t2`t.+@.+ as $($db.UserName)@127\.0\.0\.1$"

        $again = Invoke-HotDbConfigDbUpgrade -ConfigDb $configDb -Path $folder -From 2.5.3 -To 2.5.6 -BackupDirectory $backupDir -Confirm:$false -Verbose 4>&1
        $verbose = $again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String
        $outcome = $again | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $outcome.Skipped | Should -Be @('hotdb_config_2.5.4.sql', 'hotdb_config_2.5.5.sql')
        $verbose | Should -Match 'already applied with the same SHA-256'
    }

    It 'leaves the failed state with -NoAutoRestore, says so, and Restore-HotDbConfigDb brings the ConfigDB back' {
        $folder = New-ScriptFolder @{
            'hotdb_config_2.6.1.sql' = 'CREATE TABLE partial_one (id INT);'
            'hotdb_config_2.6.2.sql' = "CREATE TABLE partial_two (id INT);`nSELECT no_such_column FROM partial_two;"
        }
        $before = Get-MariaDbFixtureChecksum $db hotdb_config
        $backup = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.6.0 -Directory $backupDir
        $result = $backup | Invoke-HotDbConfigDbUpgrade -Path $folder -To 2.6.2 -NoAutoRestore -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Restored | Should -BeFalse
        $result.Error | Should -Match 'hotdb_config_2\.6\.2\.sql line 2 column 1.+no_such_column'
        $problems[0].Exception.Message | Should -Match '-NoAutoRestore'
        # Nothing was rolled back, and no stage may say it was.
        $result.Stages | ForEach-Object { '{0}:{1}' -f $_.Stage, $_.Status } | Should -Be @('Backup:NotRolledBack', 'hotdb_config_2.6.1.sql:NotRolledBack', 'hotdb_config_2.6.2.sql:Failed')
        (($result.Stages | Where-Object Stage -eq 'hotdb_config_2.6.1.sql').Notes -join "`n") | Should -Match 'not rolled back'
        $result.Applied | Should -Be @('hotdb_config_2.6.1.sql')
        ($result.Stages | Format-Table | Out-String -Width 300) | Should -Match 'NotRolledBack\s+[\d.]+\s+left in place \(rollback off\)'
        Invoke-MariaDbFixtureSql $db "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'hotdb_config' AND TABLE_NAME LIKE 'partial%'" | Should -Be '2'
        @(Get-LedgerRow 2.6.1)[-1] | Should -Match "`t1`t0`t"  # applied, not rolled back

        $backup | Restore-HotDbConfigDb -Force | Out-Null
        Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
        @(Get-LedgerRow 2.6.1)[-1] | Should -Match "`t1`t1`t"  # the restore undid it: a new run applies it again
    }

    It 'refuses a backup older than the live ConfigDB (given directly or read from its sidecar) before anything changes' {
        $folder = New-ScriptFolder @{ 'hotdb_config_2.7.1.sql' = 'CREATE TABLE after_stale_backup (id INT);' }
        $backup = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.7.0 -Directory $backupDir
        Invoke-MariaDbFixtureSql $db "INSERT INTO hotdb_config.hotdb_config_info VALUES ('written-after-backup', 'must survive')" | Out-Null
        try {
            $before = Get-MariaDbFixtureChecksum $db hotdb_config
            foreach ($stale in $backup, (Get-HotDbConfigDbBackup -Path $backup.SidecarPath -ConfigDb $configDb)) {
                $result = $stale | Invoke-HotDbConfigDbUpgrade -Path $folder -To 2.7.1 -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
                $result | Should -BeNullOrEmpty
                $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbBackupOutdated*'
                $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
                $problems[0].Exception.Message | Should -Match 'hotdb_config_info has checksum'
                $problems[0].ErrorDetails.RecommendedAction | Should -Match 'Backup-HotDbConfigDb'
                Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
                Invoke-MariaDbFixtureSql $db "SELECT v FROM hotdb_config.hotdb_config_info WHERE k = 'written-after-backup'" | Should -Be 'must survive'
                Invoke-MariaDbFixtureSql $db "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'after_stale_backup'" | Should -Be '0'
                Get-LedgerRow 2.7.1 | Should -BeNullOrEmpty
            }
        }
        finally { Invoke-MariaDbFixtureSql $db "DELETE FROM hotdb_config.hotdb_config_info WHERE k = 'written-after-backup'" | Out-Null }
    }

    It 'refuses a script whose checksum differs from the ledger before anything changes' {
        $changed = $goodScripts.Clone()
        $changed['hotdb_config_2.5.5.sql'] = 'INSERT INTO hotdb_new_feature VALUES (2, 0);'
        $folder = New-ScriptFolder $changed
        $before = Get-MariaDbFixtureChecksum $db hotdb_config
        $backups = @(Get-ChildItem $backupDir -Filter *.sql).Count
        $result = Invoke-HotDbConfigDbUpgrade -ConfigDb $configDb -Path $folder -From 2.5.3 -To 2.5.6 -BackupDirectory $backupDir -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbLedgerMismatch*'
        $problems[0].Exception.Message | Should -Match '2\.5\.5'
        Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
        @(Get-ChildItem $backupDir -Filter *.sql).Count | Should -Be $backups
    }

    It 'refuses <Case> before anything changes' -ForEach @(
        @{ Case = 'two scripts for one version'; Scripts = @{ 'hotdb_config_2.5.4.sql' = 'CREATE TABLE x1 (id INT);'; 'hotdb_config_2.5.4_fix.sql' = 'CREATE TABLE x2 (id INT);' }; Pattern = '*2 scripts upgrade the hotdb_config ConfigDB to 2.5.4*' }
        @{ Case = 'an unterminated string'; Scripts = @{ 'hotdb_config_2.5.4.sql' = "CREATE TABLE x1 (id INT);`nINSERT INTO x1 VALUES ('open);" }; Pattern = '*hotdb_config_2.5.4.sql:2:*: the string*' }
        @{ Case = 'an unterminated comment'; Scripts = @{ 'hotdb_config_2.5.4.sql' = "CREATE TABLE x1 (id INT);`n/* open"; 'hotdb_config_2.5.5.sql' = 'SELECT 1;' }; Pattern = '*hotdb_config_2.5.4.sql:2:1: the comment*' }
    ) {
        $folder = New-ScriptFolder $Scripts
        $before = Get-MariaDbFixtureChecksum $db hotdb_config
        { Invoke-HotDbConfigDbUpgrade -ConfigDb $configDb -Path $folder -From 2.5.3 -To 2.5.6 -BackupDirectory (Join-Path $work 'never') -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'UpgradeScriptsNotUsable,HotDb.Upgrade.Commands.InvokeHotDbConfigDbUpgradeCommand' -ExpectedMessage $Pattern
        Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
        Join-Path $work 'never' | Should -Not -Exist
    }
}

Describe 'Invoke-HotDbConfigDbUpgrade against a table another session keeps locked' -Tag ConfigDb {
    BeforeAll {
        # The upgrade runs in a PowerShell of its own, so this test can watch the server, release the lock and stop it;
        # the backup goes there through its sidecar.
        function Start-BackgroundUpgrade([string] $Folder, [string] $To, [int] $LockWaitTimeoutSeconds, [string] $Sidecar) {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                param($Module, $Endpoint, $Credential, $LockWaitTimeoutSeconds, $Sidecar, $Folder, $To)
                Import-Module $Module
                $target = New-HotDbConfigDb -ComputerName $Endpoint -Credential $Credential -LockWaitTimeoutSeconds $LockWaitTimeoutSeconds
                Get-HotDbConfigDbBackup -Path $Sidecar -ConfigDb $target | Invoke-HotDbConfigDbUpgrade -Path $Folder -To $To -Confirm:$false
            }).AddParameters(@{
                Module = $env:HOTDB_UPGRADE_MODULE; Endpoint = $db.Endpoint; Credential = $db.Credential
                LockWaitTimeoutSeconds = $LockWaitTimeoutSeconds; Sidecar = $Sidecar; Folder = $Folder; To = $To
            })
            [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
        }
        function Get-FailedLedgerCount([string] $Version) {
            "SELECT COUNT(*) FROM hotdb_upgrade_ledger.history WHERE database_name = 'hotdb_config' AND version = '$Version' AND success = 0"
        }
    }

    It 'gives up after -LockWaitTimeoutSeconds, restores the backup, says it timed out and marks nothing applied' {
        $folder = New-ScriptFolder @{
            'hotdb_config_2.8.1.sql' = 'CREATE TABLE before_the_lock (id INT);'
            'hotdb_config_2.8.2.sql' = 'ALTER TABLE hotdb_datanode ADD COLUMN behind_the_lock INT;'
        }
        $before = Get-MariaDbFixtureChecksum $db hotdb_config
        $backup = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.8.0 -Directory $backupDir
        $holder = Start-MariaDbFixtureLockHolder $db 'LOCK TABLES hotdb_config.hotdb_datanode READ'
        try {
            $run = Start-BackgroundUpgrade $folder 2.8.2 3 $backup.SidecarPath
            # The ALTER's failure is in the ledger before the restore starts; the restore needs the lock too.
            Wait-MariaDbFixtureCondition $db (Get-FailedLedgerCount 2.8.2)
        }
        finally { Stop-MariaDbFixtureLockHolder $holder }
        $result = $run.PowerShell.EndInvoke($run.Handle)
        $problems = @($run.PowerShell.Streams.Error)
        $run.PowerShell.Dispose()

        $result.Succeeded | Should -BeFalse
        $result.Restored | Should -BeTrue
        $result.Error | Should -Match 'hotdb_config_2\.8\.2\.sql line 1.+error 1205.+more than 3 s.+timed out'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ConfigDbScriptFailed*'
        $problems[0].Exception.Message | Should -Match 'restored from .+ and verified'
        Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
        Invoke-MariaDbFixtureSql $db "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_NAME = 'hotdb_datanode' AND COLUMN_NAME = 'behind_the_lock'" | Should -Be '0'
        (Get-LedgerRow 2.8.1) | Should -Match "`t1`t1`t"  # applied, then undone by the restore
        (Get-LedgerRow 2.8.2) | Should -Match "`t0`t1`t"  # failed
    }

    It 'stops a statement waiting for a lock when the pipeline is stopped, then restores the backup' {
        $folder = New-ScriptFolder @{
            'hotdb_config_2.9.1.sql' = 'CREATE TABLE before_the_stop (id INT);'
            'hotdb_config_2.9.2.sql' = 'ALTER TABLE hotdb_datanode ADD COLUMN stopped_probe INT;'
        }
        $before = Get-MariaDbFixtureChecksum $db hotdb_config
        $backup = Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.9.0 -Directory $backupDir
        $holder = Start-MariaDbFixtureLockHolder $db 'LOCK TABLES hotdb_config.hotdb_datanode READ'
        try {
            $run = Start-BackgroundUpgrade $folder 2.9.2 600 $backup.SidecarPath
            Wait-MariaDbFixtureCondition $db "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE hotdb_datanode ADD COLUMN stopped_probe%' AND STATE = 'Waiting for table metadata lock'"
            $stopping = $run.PowerShell.BeginStop($null, $null)
            Wait-MariaDbFixtureCondition $db (Get-FailedLedgerCount 2.9.2)
            Invoke-MariaDbFixtureSql $db "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE hotdb_datanode%'" | Should -Be '0'
        }
        finally { Stop-MariaDbFixtureLockHolder $holder }
        $run.PowerShell.EndStop($stopping)
        $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        $run.PowerShell.Dispose()

        Get-MariaDbFixtureChecksum $db hotdb_config | Should -Be $before
        Invoke-MariaDbFixtureSql $db "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'before_the_stop'" | Should -Be '0'
        (Get-LedgerRow 2.9.1) | Should -Match "`t1`t1`t"  # applied, then undone by the restore
        (Get-LedgerRow 2.9.2) | Should -Match "`t0`t1`t"  # cancelled, not applied
        Invoke-MariaDbFixtureSql $db "SELECT error_message FROM hotdb_upgrade_ledger.history WHERE version = '2.9.2'" | Should -Match 'cancelled'
    }
}
