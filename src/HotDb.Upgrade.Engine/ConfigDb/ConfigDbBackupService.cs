using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;
using MySqlConnector;

namespace HotDb.Upgrade.ConfigDb
{
    /// <summary>One table's CHECKSUM TABLE figure.</summary>
    public sealed class TableChecksum
    {
        public TableChecksum(string table, long? checksum)
        {
            Table = table;
            Checksum = checksum;
        }

        public string Table { get; }
        public long? Checksum { get; }
        public override string ToString() => $"{Table}={Checksum}";
    }

    /// <summary>A verified ConfigDB dump: where it is, what it holds and the figures that prove a restore.</summary>
    public sealed class ConfigDbBackup
    {
        internal ConfigDbBackup(ConfigDbTarget? configDb, string database, ConfigDbKind kind, IRemoteHost host, ConfigDbServer server,
            HotDbVersion version, string path, long size, string sha256, string? binaryLogFile, long? binaryLogPosition, string? gtid,
            DateTimeOffset time, string dumpClient, IReadOnlyList<string> dumpOptions, IReadOnlyList<TableChecksum> tables)
        {
            ConfigDb = configDb;
            Database = database;
            Kind = kind;
            Host = host;
            Server = server;
            Version = version;
            Path = path;
            Size = size;
            Sha256 = sha256;
            BinaryLogFile = binaryLogFile;
            BinaryLogPosition = binaryLogPosition;
            Gtid = gtid;
            Time = time;
            DumpClient = dumpClient;
            DumpOptions = dumpOptions;
            Tables = tables;
        }

        /// <summary>
        /// The ConfigDB this backup was taken from; Restore-HotDbConfigDb restores into it by default. Null for a backup
        /// read from its sidecar without -ConfigDb (the sidecar never holds the login).
        /// </summary>
        public ConfigDbTarget? ConfigDb { get; }
        /// <summary>The host that holds <see cref="Path"/>.</summary>
        public IRemoteHost Host { get; }
        public string ComputerName => Host.ComputerName;
        /// <summary>The master whose data was dumped.</summary>
        public ConfigDbServer Server { get; }
        public string Database { get; }
        public ConfigDbKind Kind { get; }
        /// <summary>The HotDB version the ConfigDB belonged to when dumped.</summary>
        public HotDbVersion Version { get; }
        public string Path { get; }
        /// <summary>The JSON sidecar next to <see cref="Path"/> that Get-HotDbConfigDbBackup reads back.</summary>
        public string? SidecarPath { get; internal set; }
        /// <summary>A copy on the admin machine (with its own sidecar), when one was asked for.</summary>
        public string? LocalPath { get; internal set; }
        public long Size { get; }
        public string Sha256 { get; }
        public string? BinaryLogFile { get; }
        public long? BinaryLogPosition { get; }
        public string? Gtid { get; }
        public DateTimeOffset Time { get; }
        public string DumpClient { get; }
        public IReadOnlyList<string> DumpOptions { get; }
        /// <summary>CHECKSUM TABLE of every table at backup time.</summary>
        public IReadOnlyList<TableChecksum> Tables { get; }

        public override string ToString() => $"{ComputerName}:{Path}";
    }

    /// <summary>What a restore did and how it was proven.</summary>
    public sealed class ConfigDbRestore
    {
        internal ConfigDbRestore(ConfigDbBackup backup, ConfigDbServer server, int tablesVerified, TimeSpan duration)
        {
            Backup = backup;
            Server = server;
            TablesVerified = tablesVerified;
            Duration = duration;
        }

        public ConfigDbBackup Backup { get; }
        public ConfigDbServer Server { get; }
        public string Database => Backup.Database;
        /// <summary>Tables whose CHECKSUM TABLE equals the figure recorded at backup time (all of them, or the restore failed).</summary>
        public int TablesVerified { get; }
        public TimeSpan Duration { get; }
    }

    /// <summary>Backs up a ConfigDB with mysqldump on a host (its own, over SSH, or this machine) and restores it.</summary>
    public sealed class ConfigDbBackupService
    {
        private static readonly TimeSpan DumpTimeout = TimeSpan.FromHours(2);
        private static readonly Regex FilePosition = new Regex(
            @"(?:MASTER|SOURCE)_LOG_FILE\s*=\s*'(?<file>[^']+)'\s*,\s*(?:MASTER|SOURCE)_LOG_POS\s*=\s*(?<pos>\d+)", RegexOptions.CultureInvariant);
        private static readonly Regex GtidPosition = new Regex(
            @"(?:gtid_slave_pos|GTID_PURGED)\s*=\s*'(?:\+)?(?<gtid>[^']*)'", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        private readonly Action<string>? _log;
        private readonly Action<string, int>? _progress;

        public ConfigDbBackupService(Action<string>? log = null, Action<string, int>? progress = null)
        {
            _log = log;
            _progress = progress;
        }

        /// <summary>The file name the manual's way: database, version, time.</summary>
        public static string FileName(string database, HotDbVersion version, DateTimeOffset time) =>
            $"{database}_{version}_{time.ToLocalTime().ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture)}.sql";

        public ConfigDbBackup Backup(ConfigDbTarget target, IRemoteHost host, HotDbVersion version, string directory, string? copyToDirectory = null,
            CancellationToken cancellationToken = default)
        {
            Report("Finding the ConfigDB master", 5);
            var master = MasterDiscovery.Find(target, _log);
            var before = Checksums(target, master, cancellationToken);
            Report("Finding the dump client", 15);
            var client = FindDumpClient(host);
            var options = client.BackupOptions(master.BinaryLog, master.IsMariaDb, ServerVersion(master.Version)).ToList();
            if (!master.BinaryLog) _log?.Invoke($"{master.Endpoint} writes no binary log; the backup records no replication position.");

            var time = DateTimeOffset.Now;
            Require(host, $"umask 077 && mkdir -p {ShellQuote.Quote(directory)} && test -w {ShellQuote.Quote(directory)}",
                ConfigDbFailure.DumpFailed, $"Cannot create or write the backup directory '{directory}' on {host.ComputerName}",
                "Give a -Directory the login user may create and write.");
            var path = FreePath(host, directory, FileName(target.Database, version, time));

            Report($"Dumping {target.Database} from {master.Endpoint}", 25);
            var arguments = new List<string> { client.Program };
            CommandResult result;
            try
            {
                result = WithDefaultsFile(host, target, directory, defaultsFile =>
                {
                    arguments.Add("--defaults-extra-file=" + defaultsFile);
                    arguments.AddRange(ConnectionOptions(master.Endpoint));
                    arguments.AddRange(options);
                    arguments.Add("--result-file=" + path);
                    arguments.Add("--databases");
                    arguments.Add(target.Database);
                    var line = "umask 077 && " + ShellQuote.Join(arguments);
                    _log?.Invoke($"Running on {host.ComputerName}: {line}");
                    return host.Run(line, timeout: DumpTimeout, cancellationToken: cancellationToken);
                });
            }
            catch (OperationCanceledException)
            {
                // A stopped dump is half a file: never leave it where a restore could pick it up.
                host.TryRemove(path);
                throw;
            }
            if (!result.Succeeded)
            {
                host.TryRemove(path);
                throw new ConfigDbException(ConfigDbFailure.DumpFailed,
                    $"{client.Program} on {host.ComputerName} failed (exit {result.ExitCode}): {result.StandardError.Trim()}",
                    "Fix what the dump client reports (privileges: SELECT, LOCK TABLES, RELOAD and REPLICATION CLIENT for the position), then back up again.", target);
            }

            Report("Verifying the dump", 80);
            var (size, sha256) = Verify(host, path, target, cancellationToken);
            var (logFile, logPosition, gtid) = ReadPosition(host, path);
            var after = Checksums(target, master, cancellationToken);
            if (!SameChecksums(before, after, out var difference))
                throw new ConfigDbException(ConfigDbFailure.VerificationFailed,
                    $"The ConfigDB changed while the backup ran ({difference}); the recorded checksums cannot prove a restore.",
                    "Stop the compute nodes or the management platform that write to the ConfigDB, then back up again.", target);

            var backup = new ConfigDbBackup(target, target.Database, target.Kind, host, master, version, path, size, sha256, logFile, logPosition,
                gtid, time, client.ToString(), options, after);
            backup.SidecarPath = WriteSidecar(host, backup, path);
            if (copyToDirectory != null)
            {
                backup.LocalPath = CopyToAdmin(host, backup, copyToDirectory);
                WriteSidecar(new LocalHost(), backup, backup.LocalPath);
            }
            _log?.Invoke($"Backup {host.ComputerName}:{path} ({size} bytes, SHA-256 {sha256}) verified.");
            Report("Backup verified", 100);
            return backup;
        }

        /// <summary>
        /// The backups <paramref name="path"/> names on <paramref name="host"/> (a dump, a sidecar, a wildcard or a folder),
        /// rebuilt from their sidecars. Without <paramref name="verify"/> the dump must exist with its recorded size; with it,
        /// its SHA-256 and trailer are checked as a restore would. Every backup that cannot be read is a problem, not an output.
        /// </summary>
        public IReadOnlyList<ConfigDbBackup> Open(IRemoteHost host, string path, ConfigDbTarget? configDb, bool verify, out IReadOnlyList<ConfigDbException> problems)
        {
            var errors = new List<ConfigDbException>();
            var sidecars = ConfigDbBackupSidecar.Locate(host, path, out var missing);
            errors.AddRange(missing.Select(m => new ConfigDbException(ConfigDbFailure.InvalidBackup, m,
                "Take a new backup with Backup-HotDbConfigDb, which writes the sidecar, or keep using the object it returned.", path)));
            if (sidecars.Count == 0 && missing.Count == 0)
                errors.Add(new ConfigDbException(ConfigDbFailure.BackupNotFound, $"No ConfigDB backup matches {host.ComputerName}:{path}.",
                    "Give a dump, its .json sidecar, a wildcard or the backup folder" + (host is LocalHost ? ", and -Session when the backups are on the ConfigDB host." : "."), path));
            var backups = new List<ConfigDbBackup>();
            foreach (var sidecar in sidecars)
            {
                try
                {
                    using (var json = new MemoryStream())
                    {
                        host.ReadFile(sidecar, json);
                        var backup = ConfigDbBackupSidecar.FromJson(json.ToArray(), host, sidecar, configDb);
                        CheckDump(host, backup, verify);
                        backups.Add(backup);
                    }
                }
                catch (ConfigDbException e)
                {
                    errors.Add(e);
                }
                catch (Exception e) when (!(e is OperationCanceledException))
                {
                    errors.Add(new ConfigDbException(ConfigDbFailure.InvalidBackup, $"Cannot read {host.ComputerName}:{sidecar}: {e.Message}",
                        "Check that the login user may read the backup folder.", sidecar, e));
                }
            }
            problems = errors;
            return backups;
        }

        private void CheckDump(IRemoteHost host, ConfigDbBackup backup, bool verify)
        {
            long size;
            if (verify)
            {
                string sha256;
                (size, sha256) = Verify(host, backup.Path, backup, default);
                if (!string.Equals(sha256, backup.Sha256, StringComparison.OrdinalIgnoreCase))
                    throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                        $"{host.ComputerName}:{backup.Path} has SHA-256 {sha256}, not the {backup.Sha256} its sidecar recorded; it was changed or damaged.",
                        "Use an intact copy of the backup, or take a new one.", backup);
                _log?.Invoke($"{host.ComputerName}:{backup.Path}: SHA-256 {sha256} matches its sidecar.");
            }
            else
            {
                var stat = host.Run("stat -c %s " + ShellQuote.Quote(backup.Path));
                if (!stat.Succeeded || !long.TryParse(stat.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out size))
                    throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                        $"The dump {host.ComputerName}:{backup.Path} that {System.IO.Path.GetFileName(backup.SidecarPath)} describes is missing: {stat.StandardError.Trim()}",
                        "Keep each dump next to its sidecar; copy both when moving a backup.", backup);
            }
            if (size != backup.Size)
                throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                    $"{host.ComputerName}:{backup.Path} has {size} bytes, not the {backup.Size} its sidecar recorded; it was changed or damaged.",
                    "Use an intact copy of the backup, or take a new one.", backup);
        }

        private string WriteSidecar(IRemoteHost host, ConfigDbBackup backup, string dumpPath)
        {
            try
            {
                var sidecar = ConfigDbBackupSidecar.Write(host, backup, dumpPath);
                _log?.Invoke($"Backup facts written to {host.ComputerName}:{sidecar}.");
                return sidecar;
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                throw new ConfigDbException(ConfigDbFailure.DumpFailed, $"Cannot write the sidecar of {host.ComputerName}:{dumpPath}: {e.Message}",
                    "Free disk space or fix the backup folder's permissions, then back up again.", backup, e);
            }
        }

        /// <summary>
        /// Replaces the database with the backup. Every statement waits for locks at most the target's lock wait timeout;
        /// <paramref name="cancellationToken"/> stops the restore (leaving the database incomplete, as the error says).
        /// </summary>
        public ConfigDbRestore Restore(ConfigDbBackup backup, ConfigDbTarget? into = null, IRemoteHost? host = null, CancellationToken cancellationToken = default)
        {
            var started = DateTimeOffset.Now;
            var target = into ?? backup.ConfigDb ?? throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                $"The backup {backup} was read from its sidecar without a ConfigDB, so there is no login to restore it with.",
                "Give -ConfigDb (New-HotDbConfigDb) to Restore-HotDbConfigDb or to Get-HotDbConfigDbBackup.", backup);
            host ??= backup.Host;
            Report($"Checking {backup.Path} before touching anything", 5);
            var (_, sha256) = Verify(host, backup.Path, backup, cancellationToken);
            if (!string.Equals(sha256, backup.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                    $"{host.ComputerName}:{backup.Path} has SHA-256 {sha256}, not the {backup.Sha256} recorded at backup time; it was changed or damaged.",
                    "Restore from an intact copy of the backup; the ConfigDB was not touched.", backup);
            var master = MasterDiscovery.Find(target, _log);
            if (master.Endpoint.ToString() != backup.Server.Endpoint.ToString())
                _log?.Invoke($"The master is now {master.Endpoint}; the backup was taken from {backup.Server.Endpoint}.");
            var client = FindProgram(host, "mysql", "mariadb");

            Report($"Restoring {target.Database} on {master.Endpoint}", 30);
            // Dropping first removes what a failed upgrade added (new tables, views, routines): the result is the backup, exactly.
            using (var connection = target.Open(master.Endpoint, null))
            using (var drop = new MySqlCommand($"DROP DATABASE IF EXISTS {QuoteIdentifier(target.Database)}", connection))
            {
                try
                {
                    ConfigDbCommands.Run(drop, c => c.ExecuteNonQuery(), cancellationToken);
                }
                catch (MySqlException e) when (ConfigDbCommands.IsLockWaitTimeout(e))
                {
                    throw new ConfigDbException(ConfigDbFailure.RestoreFailed,
                        $"{master.Endpoint} could not drop {target.Database} before the restore: another session held a lock on one of its tables " +
                        $"for more than {target.LockWaitSeconds} s ({e.Message}).",
                        "End the session that holds the lock (an open transaction or LOCK TABLES; see SHOW PROCESSLIST), then run Restore-HotDbConfigDb; nothing was changed by the restore.", backup, e);
                }
                catch (MySqlException e)
                {
                    throw new ConfigDbException(ConfigDbFailure.RestoreFailed,
                        $"{master.Endpoint} refused to drop {target.Database} before the restore: {e.Message}",
                        $"Give '{target.UserName}' the DROP and CREATE privileges on {target.Database}, then restore again; nothing was changed.", backup, e);
                }
            }
            var result = WithDefaultsFile(host, target, DirectoryOf(backup.Path), defaultsFile =>
            {
                var arguments = new List<string> { client, "--defaults-extra-file=" + defaultsFile };
                arguments.AddRange(ConnectionOptions(master.Endpoint));
                arguments.Add("--default-character-set=utf8");
                arguments.Add("--init-command=" + target.LockWaitStatement);
                // The dump's replication statements would reconfigure replication on the master (or fail on a running
                // replica, half way through); the data and the recorded position are all a restore needs.
                var line = "sed -e '/^CHANGE MASTER TO /d' -e '/^CHANGE REPLICATION SOURCE TO /d' -e '/^SET GLOBAL gtid_slave_pos=/d' " +
                    ShellQuote.Quote(backup.Path) + " | " + ShellQuote.Join(arguments);
                _log?.Invoke($"Running on {host.ComputerName}: {line}");
                return host.Run(line, timeout: DumpTimeout, cancellationToken: cancellationToken);
            });
            if (!result.Succeeded)
                throw new ConfigDbException(ConfigDbFailure.RestoreFailed,
                    $"Loading {backup.Path} into {master.Endpoint} failed (exit {result.ExitCode}): {result.StandardError.Trim()}",
                    $"Fix what the client reports and run Restore-HotDbConfigDb again; until then {target.Database} is incomplete.", backup);

            Report("Proving the restore with CHECKSUM TABLE", 85);
            var now = Checksums(target, master, cancellationToken);
            if (!SameChecksums(backup.Tables, now, out var difference))
                throw new ConfigDbException(ConfigDbFailure.VerificationFailed,
                    $"After the restore {target.Database} differs from the backup: {difference}.",
                    "Run Restore-HotDbConfigDb again; if it persists, keep the backup file and the server error log for analysis.", backup);
            _log?.Invoke($"Restore of {target.Database} on {master.Endpoint} verified: {now.Count} tables match their backup checksums.");
            // The ledger lives outside the restored database: say there that the later steps are undone, or a new run would skip them.
            try
            {
                using var connection = target.Open(master.Endpoint, null);
                var marked = new UpgradeLedger(connection).MarkRestored(target.Database, backup.Version);
                if (marked > 0) _log?.Invoke($"Ledger: {marked} step(s) after {backup.Version} marked as undone by this restore.");
            }
            catch (MySqlException e)
            {
                _log?.Invoke($"The upgrade ledger could not be updated ({e.Message}); steps after {backup.Version} may be skipped by a new run until it is.");
            }
            Report("Restore verified", 100);
            return new ConfigDbRestore(backup, master, now.Count, DateTimeOffset.Now - started);
        }

        /// <summary>CHECKSUM TABLE ... EXTENDED of every base table of the target's database, by name.</summary>
        internal static IReadOnlyList<TableChecksum> Checksums(ConfigDbTarget target, ConfigDbServer master, CancellationToken cancellationToken)
        {
            using (var connection = target.Open(master.Endpoint, null))
            {
                var tables = new List<string>();
                using (var command = new MySqlCommand(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = @db AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", connection))
                {
                    command.Parameters.AddWithValue("@db", target.Database);
                    using (var reader = command.ExecuteReader())
                        while (reader.Read()) tables.Add(reader.GetString(0));
                }
                if (tables.Count == 0 && !DatabaseExists(connection, target.Database))
                    throw new ConfigDbException(ConfigDbFailure.InvalidBackup, $"The database {target.Database} does not exist on {master.Endpoint}.",
                        "Check -Database (hotdb_config for compute nodes, hotdb_cloud_config for the management platform).", target);
                var sums = new List<TableChecksum>();
                foreach (var table in tables)
                {
                    using (var command = new MySqlCommand($"CHECKSUM TABLE {QuoteIdentifier(target.Database)}.{QuoteIdentifier(table)} EXTENDED", connection))
                    using (var reader = ConfigDbCommands.Run(command, c => c.ExecuteReader(), cancellationToken))
                    {
                        reader.Read();
                        sums.Add(new TableChecksum(table, reader.IsDBNull(1) ? (long?)null : Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture)));
                    }
                }
                return sums;
            }
        }

        internal static bool SameChecksums(IReadOnlyList<TableChecksum> expected, IReadOnlyList<TableChecksum> actual, out string difference)
        {
            var problems = new List<string>();
            var now = actual.ToDictionary(t => t.Table, StringComparer.Ordinal);
            foreach (var table in expected)
            {
                if (!now.TryGetValue(table.Table, out var current)) problems.Add($"table {table.Table} is missing");
                else if (current.Checksum != table.Checksum) problems.Add($"table {table.Table} has checksum {current.Checksum}, expected {table.Checksum}");
            }
            var known = new HashSet<string>(expected.Select(t => t.Table), StringComparer.Ordinal);
            problems.AddRange(actual.Where(t => !known.Contains(t.Table)).Select(t => $"table {t.Table} is new"));
            difference = string.Join("; ", problems);
            return problems.Count == 0;
        }

        private static bool DatabaseExists(MySqlConnection connection, string database)
        {
            using (var command = new MySqlCommand("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db", connection))
            {
                command.Parameters.AddWithValue("@db", database);
                return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
            }
        }

        internal DumpClient FindDumpClient(IRemoteHost host)
        {
            var program = FindProgram(host, "mysqldump", "mariadb-dump");
            var version = host.Run(ShellQuote.Join(program, "--version"));
            var client = DumpClient.Parse(program, version.StandardOutput + version.StandardError);
            _log?.Invoke($"Dump client on {host.ComputerName}: {client}");
            return client;
        }

        private static string FindProgram(IRemoteHost host, params string[] names)
        {
            foreach (var name in names)
            {
                var found = host.Run("command -v " + ShellQuote.Quote(name));
                var path = found.StandardOutput.Trim();
                if (found.Succeeded && path.Length > 0) return path;
            }
            throw new ConfigDbException(ConfigDbFailure.DumpFailed, $"Neither {string.Join(" nor ", names)} is installed on {host.ComputerName}.",
                $"Install the MySQL or MariaDB client on {host.ComputerName}, or use the other backup method.", host.ComputerName);
        }

        /// <summary>
        /// Runs <paramref name="action"/> with a client option file holding the login: created with mode 0600 before its
        /// content is written, in a directory only the owner reads, removed afterwards whatever happens.
        /// </summary>
        private CommandResult WithDefaultsFile(IRemoteHost host, ConfigDbTarget target, string directory, Func<string, CommandResult> action)
        {
            var path = JoinPath(directory, $".hotdb-upgrade-{Guid.NewGuid():N}.cnf");
            try
            {
                var content = "[client]\nuser=" + OptionValue(target.UserName) + "\npassword=" + OptionValue(target.Password) + "\n";
                using (var stream = new MemoryStream(new UTF8Encoding(false).GetBytes(content)))
                    host.WriteFile(path, stream, UnixMode.Private);
                return action(path);
            }
            finally
            {
                try { host.Remove(path); }
                catch (RemoteCommandException e) { _log?.Invoke(e.Message); }
            }
        }

        // Option files take "..." values with backslash escapes.
        internal static string OptionValue(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

        private static IEnumerable<string> ConnectionOptions(ConfigDbEndpoint endpoint) => new[]
        {
            "--protocol=TCP", "--host=" + endpoint.Host, "--port=" + endpoint.Port.ToString(CultureInfo.InvariantCulture),
        };

        private static (long Size, string Sha256) Verify(IRemoteHost host, string path, object target, CancellationToken cancellationToken)
        {
            var q = ShellQuote.Quote(path);
            var facts = host.Run($"chmod 600 {q} && stat -c %s {q} && sha256sum {q} && tail -c 512 {q}", cancellationToken: cancellationToken);
            if (!facts.Succeeded)
                throw new ConfigDbException(ConfigDbFailure.InvalidBackup, $"Cannot read {host.ComputerName}:{path}: {facts.StandardError.Trim()}",
                    "Check that the backup file exists and is readable.", target);
            var lines = facts.StandardOutput.Split('\n');
            var size = long.Parse(lines[0].Trim(), CultureInfo.InvariantCulture);
            var sha256 = lines[1].Split(' ')[0].Trim().ToLowerInvariant();
            var tail = string.Join("\n", lines.Skip(2));
            if (size == 0)
                throw new ConfigDbException(ConfigDbFailure.InvalidBackup, $"{host.ComputerName}:{path} is empty.", "Back up again and read the dump client's errors.", target);
            if (tail.IndexOf("-- Dump completed", StringComparison.Ordinal) < 0)
                throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                    $"{host.ComputerName}:{path} has no '-- Dump completed' trailer; the dump stopped before the end.",
                    "Back up again; check free disk space and the dump client's errors.", target);
            return (size, sha256);
        }

        private static (string? File, long? Position, string? Gtid) ReadPosition(IRemoteHost host, string path)
        {
            var found = host.Run("grep -m 4 -E '^(-- )?(CHANGE MASTER TO|CHANGE REPLICATION SOURCE TO|SET GLOBAL gtid_slave_pos|SET @@GLOBAL.GTID_PURGED)' " +
                ShellQuote.Quote(path));
            string? file = null, gtid = null;
            long? position = null;
            foreach (var line in found.StandardOutput.Split('\n'))
            {
                var m = FilePosition.Match(line);
                if (m.Success && file is null)
                {
                    file = m.Groups["file"].Value;
                    position = long.Parse(m.Groups["pos"].Value, CultureInfo.InvariantCulture);
                }
                var g = GtidPosition.Match(line);
                if (g.Success && gtid is null) gtid = g.Groups["gtid"].Value;
            }
            return (file, position, gtid);
        }

        private string CopyToAdmin(IRemoteHost host, ConfigDbBackup backup, string directory)
        {
            Directory.CreateDirectory(directory);
            var local = System.IO.Path.Combine(directory, System.IO.Path.GetFileName(backup.Path));
            Report($"Copying the backup to {local}", 90);
            using (var file = LocalHost.CreateWithMode(local, UnixMode.Private))
                host.ReadFile(backup.Path, file);
            string sha;
            using (var file = File.OpenRead(local))
            using (var hash = System.Security.Cryptography.SHA256.Create())
                sha = string.Concat(hash.ComputeHash(file).Select(b => b.ToString("x2")));
            if (sha != backup.Sha256)
                throw new ConfigDbException(ConfigDbFailure.InvalidBackup, $"The copy {local} has SHA-256 {sha}, not {backup.Sha256}.",
                    "Copy the backup again; the original on the ConfigDB host is intact.", backup);
            return local;
        }

        // Never overwrite a backup: a second backup within the same second gets a _2, _3, ... suffix.
        private static string FreePath(IRemoteHost host, string directory, string fileName)
        {
            var stem = fileName.Substring(0, fileName.Length - ".sql".Length);
            try { return host.FreeName(new NamePattern(JoinPath(directory, stem), "_", 2, ".sql", 20)); }
            catch (RemoteCommandException e)
            {
                throw new ConfigDbException(ConfigDbFailure.DumpFailed, $"Twenty backups named {fileName} already exist in {directory} on {host.ComputerName}.",
                    "Wait a second and back up again.", host.ComputerName, e);
            }
        }

        private static void Require(IRemoteHost host, string line, ConfigDbFailure failure, string message, string action)
        {
            try { host.RunOrFail(line, message, action); }
            catch (RemoteCommandException e)
            {
                var detail = e.StandardErrorTail;
                throw new ConfigDbException(failure, detail.Length > 0 ? $"{message}: {detail}" : message + ".", action, host.ComputerName, e);
            }
        }

        private void Report(string status, int percent) => _progress?.Invoke(status, percent);

        internal static string QuoteIdentifier(string name) => "`" + name.Replace("`", "``") + "`";

        private static string JoinPath(string directory, string name) => directory.TrimEnd('/') + "/" + name;

        private static string DirectoryOf(string path)
        {
            var slash = path.LastIndexOf('/');
            return slash <= 0 ? "/" : path.Substring(0, slash);
        }

        private static Version ServerVersion(string version)
        {
            var m = Regex.Match(version, @"^(\d+)\.(\d+)\.(\d+)");
            return m.Success ? new Version(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)) : new Version(0, 0);
        }
    }
}
