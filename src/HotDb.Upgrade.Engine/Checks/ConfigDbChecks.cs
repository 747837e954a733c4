using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Topology;
using MySqlConnector;

namespace HotDb.Upgrade.Checks
{
    /// <summary>
    /// Test-HotDbConfigDb: CD1 the master answers the login on the database, CD2 the database holds a HotDB ConfigDB,
    /// CD3 the login's privileges for a backup, an upgrade and a restore, CD4 a dump client where the backup runs, CD5
    /// free space there for a dump. Read-only: the checks run SELECT and SHOW statements and, on the dump host, command -v and df.
    /// </summary>
    public static class ConfigDbChecks
    {
        /// <summary>What mysqldump, the upgrade scripts and a restore need on the database.</summary>
        public static readonly IReadOnlyList<string> RequiredPrivileges = new[]
        {
            "SELECT", "LOCK TABLES", "SHOW VIEW", "TRIGGER", "CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE", "INDEX", "REFERENCES",
        };

        public static IReadOnlyList<HotDbCheck> Run(ConfigDbTarget target, IRemoteHost dumpHost, string backupDirectory, Action<string>? log = null,
            CancellationToken cancellationToken = default)
        {
            if (target is null) throw new ArgumentNullException(nameof(target));
            if (dumpHost is null) throw new ArgumentNullException(nameof(dumpHost));
            var host = target.Endpoints.FirstOrDefault()?.Host ?? target.ToString();
            var checks = new List<HotDbCheck>();
            ConfigDbServer master;
            MySqlConnection connection;
            try
            {
                master = MasterDiscovery.Find(target, log);
                host = master.Endpoint.Host;
                connection = target.Open(master.Endpoint, target.Database);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                checks.Add(HotDbCheck.Result("CD1", "Reachable (master accepts the login)", host, false, $"{target} accepts {target.UserName}", e.Message,
                    e is IHotDbError known ? known.RecommendedAction : "Check the address, the login and the network, then run the test again."));
                AddBlocked(checks, host, "CD1 (Reachable)", target, backupDirectory, dumpHost);
                return checks;
            }
            using (connection)
            {
                checks.Add(HotDbCheck.Result("CD1", "Reachable (master accepts the login)", host, true, $"{target} accepts {target.UserName}",
                    $"master {master.Endpoint} ({master.Version}) accepts {target.UserName} on {target.Database}", null));

                var tables = Scalar(connection, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @db AND table_name LIKE 'hotdb\\_%'", target.Database);
                var bytes = Scalar(connection, "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = @db", target.Database);
                var isHotDb = tables > 0;
                checks.Add(HotDbCheck.Result("CD2", "A HotDB ConfigDB", host, isHotDb, $"{target.Database} holds HotDB's tables (hotdb_*)",
                    isHotDb ? $"{tables} hotdb_* tables, {bytes / 1048576.0:0.0} MiB" : $"{target.Database} holds no hotdb_* table",
                    "Give the ConfigDB's own database (-Database; hotdb_config for compute nodes, hotdb_cloud_config for the platform)."));
                if (!isHotDb)
                {
                    AddBlocked(checks, host, "CD2 (A HotDB ConfigDB)", target, backupDirectory, dumpHost, skip: 1);
                    return checks;
                }
                checks.Add(Privileges(connection, target, host));
                checks.Add(DumpClient(dumpHost, host, log));
                checks.Add(Disk(dumpHost, host, backupDirectory, bytes, cancellationToken));
            }
            return checks;
        }

        private static void AddBlocked(List<HotDbCheck> checks, string host, string blockedBy, ConfigDbTarget target, string backupDirectory, IRemoteHost dumpHost, int skip = 0)
        {
            var why = $"not checked: {blockedBy} did not pass";
            var remedy = $"Fix {blockedBy} first.";
            var rest = new[]
            {
                ("CD2", "A HotDB ConfigDB", $"{target.Database} holds HotDB's tables (hotdb_*)"),
                ("CD3", "Privileges for backup and upgrade", string.Join(", ", RequiredPrivileges) + " on " + target.Database),
                ("CD4", "Dump client", $"mysqldump or mariadb-dump on {dumpHost.ComputerName}"),
                ("CD5", "Free space for a dump", $"{dumpHost.ComputerName}:{backupDirectory} holds a dump of {target.Database}"),
            };
            foreach (var (id, name, expected) in rest.Skip(skip)) checks.Add(HotDbCheck.NotVerified(id, name, host, expected, why, remedy));
        }

        private static long Scalar(MySqlConnection connection, string sql, string database)
        {
            using var command = new MySqlCommand(sql, connection);
            command.Parameters.AddWithValue("@db", database);
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        private static HotDbCheck Privileges(MySqlConnection connection, ConfigDbTarget target, string host)
        {
            var expected = string.Join(", ", RequiredPrivileges) + " on " + target.Database;
            var grants = new List<string>();
            using (var command = new MySqlCommand("SHOW GRANTS FOR CURRENT_USER()", connection))
            using (var reader = command.ExecuteReader())
                while (reader.Read()) grants.Add(reader.GetString(0));
            var held = Held(grants, target.Database);
            var missing = RequiredPrivileges.Where(p => !held.Contains("ALL PRIVILEGES") && !held.Contains(p)).ToList();
            return HotDbCheck.Result("CD3", "Privileges for backup and upgrade", host, missing.Count == 0, expected,
                missing.Count == 0 ? (held.Contains("ALL PRIVILEGES") ? "ALL PRIVILEGES" : "all held") : "missing: " + string.Join(", ", missing),
                $"GRANT {string.Join(", ", missing)} ON {target.Database}.* TO the login (as an administrator of the ConfigDB).");
        }

        /// <summary>The privileges a list of GRANT statements gives on a database (global grants count too).</summary>
        internal static HashSet<string> Held(IEnumerable<string> grants, string database)
        {
            var held = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var pattern = new Regex(@"^GRANT\s+(?<privs>.+?)\s+ON\s+(?<on>\S+)\s+TO\s", RegexOptions.IgnoreCase);
            foreach (var grant in grants)
            {
                var match = pattern.Match(grant);
                if (!match.Success) continue;
                var on = match.Groups["on"].Value.Replace("`", "").Replace("\\", "");
                if (on != "*.*" && !string.Equals(on, database + ".*", StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var privilege in match.Groups["privs"].Value.Split(','))
                {
                    var name = Regex.Replace(privilege.Trim(), @"\s*\(.*\)$", "").ToUpperInvariant();
                    held.Add(name == "ALL" ? "ALL PRIVILEGES" : name);
                }
            }
            return held;
        }

        private static HotDbCheck DumpClient(IRemoteHost dumpHost, string host, Action<string>? log)
        {
            var expected = $"mysqldump or mariadb-dump on {dumpHost.ComputerName}";
            try
            {
                var client = new ConfigDbBackupService(log).FindDumpClient(dumpHost);
                return HotDbCheck.Result("CD4", "Dump client", host, true, expected, $"{client} on {dumpHost.ComputerName}", null);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return HotDbCheck.Result("CD4", "Dump client", host, false, expected, e.Message,
                    e is IHotDbError known ? known.RecommendedAction : $"Install the MySQL or MariaDB client on {dumpHost.ComputerName}.");
            }
        }

        private static HotDbCheck Disk(IRemoteHost dumpHost, string host, string directory, long databaseBytes, CancellationToken cancellationToken)
        {
            // A dump is text: allow the data and index size plus a tenth, and never less than 16 MiB.
            var need = Math.Max(16L * 1048576, databaseBytes + databaseBytes / 10);
            var expected = $"{dumpHost.ComputerName}:{directory} has {need / 1048576.0:0.0} MiB free for a dump";
            try
            {
                var free = dumpHost.FreeSpace(directory, cancellationToken);
                return HotDbCheck.Result("CD5", "Free space for a dump", host, free >= need, expected, $"{free / 1048576.0:0.0} MiB free",
                    $"Free space in {directory} on {dumpHost.ComputerName} (old dumps), or give another -Directory.");
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return HotDbCheck.Result("CD5", "Free space for a dump", host, false, expected, e.Message, "Check that df works on the dump host.");
            }
        }
    }
}
