using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MySqlConnector;

namespace HotDb.Upgrade.ConfigDb
{
    /// <summary>What one ConfigDB server said about itself.</summary>
    public sealed class ConfigDbServer
    {
        internal ConfigDbServer(ConfigDbEndpoint endpoint, string version, bool readOnly, bool isReplica, string? groupRole, bool binaryLog)
        {
            Endpoint = endpoint;
            Version = version;
            ReadOnly = readOnly;
            IsReplica = isReplica;
            GroupRole = groupRole;
            BinaryLog = binaryLog;
        }

        public ConfigDbEndpoint Endpoint { get; }
        /// <summary>SELECT VERSION(), e.g. 10.11.6-MariaDB-0+deb12u1 or 8.0.36.</summary>
        public string Version { get; }
        public bool IsMariaDb => Version.IndexOf("MariaDB", StringComparison.OrdinalIgnoreCase) >= 0;
        public bool ReadOnly { get; }
        /// <summary>The server replicates from another (SHOW REPLICA/SLAVE STATUS has a row).</summary>
        public bool IsReplica { get; }
        /// <summary>PRIMARY or SECONDARY when the server is a Group Replication member; otherwise null.</summary>
        public string? GroupRole { get; }
        public bool BinaryLog { get; }
        /// <summary>Why this server was chosen as the master (set on the chosen one).</summary>
        public string? Reason { get; internal set; }

        public override string ToString() => Endpoint.ToString();
    }

    /// <summary>Finds the writable master among a ConfigDB's servers, so only its data is backed up and changed.</summary>
    internal static class MasterDiscovery
    {
        public static ConfigDbServer Find(ConfigDbTarget target, Action<string>? log)
        {
            var servers = new List<ConfigDbServer>();
            var failures = new List<ConfigDbException>();
            foreach (var endpoint in target.Endpoints)
            {
                try
                {
                    using (var connection = target.Open(endpoint, null))
                        servers.Add(Describe(connection, endpoint));
                }
                catch (ConfigDbException e)
                {
                    // Wrong credentials are never a reason to try the next server: say so at once.
                    if (e.Failure == ConfigDbFailure.AccessDenied) throw;
                    failures.Add(e);
                    log?.Invoke($"ConfigDB server {endpoint} is not reachable: {e.Message}");
                }
            }
            if (servers.Count == 0)
            {
                if (failures.Count == 1) throw failures[0];
                throw new ConfigDbException(ConfigDbFailure.Unreachable,
                    $"None of the ConfigDB servers could be reached: {string.Join(" ", failures.Select(f => f.Message))}",
                    "Check the host names and ports, that MySQL/MariaDB runs there, and that no firewall is in the way.", target);
            }
            var chosen = Choose(servers, out var reason);
            if (chosen is null)
                throw new ConfigDbException(ConfigDbFailure.NoWritableMaster,
                    $"No ConfigDB server is a writable master: {string.Join("; ", servers.Select(Summary))}.",
                    "Give the current master's address (the url in server.xml or application.properties), or clear read_only on the master.", target);
            chosen.Reason = reason;
            log?.Invoke($"Using ConfigDB master {chosen.Endpoint}: {reason}");
            return chosen;
        }

        /// <summary>The master among described servers; pure so the rules are unit-tested.</summary>
        internal static ConfigDbServer? Choose(IReadOnlyList<ConfigDbServer> servers, out string reason)
        {
            var primary = servers.FirstOrDefault(s => string.Equals(s.GroupRole, "PRIMARY", StringComparison.OrdinalIgnoreCase) && !s.ReadOnly);
            if (primary != null)
            {
                reason = "the Group Replication PRIMARY";
                return primary;
            }
            var writable = servers.Where(s => !s.ReadOnly && !string.Equals(s.GroupRole, "SECONDARY", StringComparison.OrdinalIgnoreCase)).ToList();
            if (writable.Count == 0)
            {
                reason = "";
                return null;
            }
            if (writable.Count == 1)
            {
                reason = servers.Count == 1 ? "the only server given, writable" : "the only writable server";
                return writable[0];
            }
            var notReplicas = writable.Where(s => !s.IsReplica).ToList();
            if (notReplicas.Count == 1)
            {
                reason = "the only writable server that replicates from no other";
                return notReplicas[0];
            }
            // Master-master: both writable and replicating; the configured master (listed first) is the one in use.
            reason = "writable and listed first among several writable servers (master-master: the configured master)";
            return writable[0];
        }

        private static string Summary(ConfigDbServer s) =>
            $"{s.Endpoint} read_only={(s.ReadOnly ? 1 : 0)}{(s.IsReplica ? " replica" : "")}{(s.GroupRole != null ? " " + s.GroupRole : "")}";

        private static ConfigDbServer Describe(MySqlConnection connection, ConfigDbEndpoint endpoint)
        {
            string version;
            bool readOnly, binaryLog;
            using (var command = new MySqlCommand("SELECT VERSION(), @@read_only, @@log_bin", connection))
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                version = reader.GetString(0);
                readOnly = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture) != 0;
                binaryLog = Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture) != 0;
            }
            var superReadOnly = TryScalar(connection, "SELECT @@super_read_only");
            if (superReadOnly != null && Convert.ToInt64(superReadOnly, CultureInfo.InvariantCulture) != 0) readOnly = true;
            var isReplica = HasRows(connection, "SHOW REPLICA STATUS") ?? HasRows(connection, "SHOW SLAVE STATUS") ?? false;
            var role = TryScalar(connection,
                "SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid") as string;
            return new ConfigDbServer(endpoint, version, readOnly, isReplica, role, binaryLog);
        }

        // Statements a flavour or version lacks (or a privilege the login lacks) answer null, not an error.
        private static object? TryScalar(MySqlConnection connection, string sql)
        {
            try
            {
                using (var command = new MySqlCommand(sql, connection))
                {
                    var value = command.ExecuteScalar();
                    return value is DBNull ? null : value;
                }
            }
            catch (MySqlException)
            {
                return null;
            }
        }

        private static bool? HasRows(MySqlConnection connection, string sql)
        {
            try
            {
                using (var command = new MySqlCommand(sql, connection))
                using (var reader = command.ExecuteReader())
                    return reader.Read();
            }
            catch (MySqlException)
            {
                return null;
            }
        }
    }
}
