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
        internal ConfigDbServer(ConfigDbEndpoint endpoint, string version, bool readOnly, bool isReplica, string? groupRole, bool binaryLog,
            ConfigDbEndpoint? replicationSource = null)
        {
            ReplicationSource = replicationSource;
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
        /// <summary>The server it replicates from (Master_Host/Source_Host and port); null when it is no replica.</summary>
        public ConfigDbEndpoint? ReplicationSource { get; }
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
            var replicas = servers.Where(s => s.ReadOnly && s.IsReplica || ReplicatesFromOutside(s, servers)).ToList();
            // A DR centre's ConfigDB is a replica of the master centre's, often writable: upgrade SQL there would break replication.
            if (chosen is null && replicas.Count > 0)
                throw new ConfigDbException(ConfigDbFailure.IsReplica,
                    $"The ConfigDB {string.Join(", ", replicas.Select(r => $"{r.Endpoint} replicates from {r.ReplicationSource?.ToString() ?? "another server"}{(r.ReadOnly ? " (read_only)" : "")}"))}: " +
                    "a replica is never backed up for, nor changed by, an upgrade. Nothing was changed.",
                    "Upgrade the master centre's ConfigDB (the replication source); a DR centre's replica receives the upgrade SQL by replication. " +
                    "For a master-master ConfigDB give both servers; on a replica promoted to master, clear its old source first (RESET SLAVE ALL).", target);
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
            // A server replicating from one not given (a DR replica) is never the master, even when writable.
            var writable = servers.Where(s => !s.ReadOnly && !string.Equals(s.GroupRole, "SECONDARY", StringComparison.OrdinalIgnoreCase)
                && !ReplicatesFromOutside(s, servers)).ToList();
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

        /// <summary>True when the server replicates from a server that is not among those given (master-master replicates inside).</summary>
        internal static bool ReplicatesFromOutside(ConfigDbServer server, IReadOnlyList<ConfigDbServer> servers)
        {
            if (!server.IsReplica) return false;
            var source = server.ReplicationSource;
            if (source == null) return true;
            return !servers.Any(s => !ReferenceEquals(s, server) && s.Endpoint.Port == source.Port && SameHost(s.Endpoint.Host, source.Host));
        }

        private static bool SameHost(string a, string b)
        {
            if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase)) return true;
            try
            {
                var left = System.Net.Dns.GetHostAddresses(a);
                var right = System.Net.Dns.GetHostAddresses(b);
                return left.Any(l => right.Any(r => r.Equals(l)));
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
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
            var source = ReplicationSourceOf(connection, "SHOW REPLICA STATUS") ?? ReplicationSourceOf(connection, "SHOW SLAVE STATUS");
            var isReplica = source is { } s && s.Row;
            var role = TryScalar(connection,
                "SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid") as string;
            return new ConfigDbServer(endpoint, version, readOnly, isReplica, role, binaryLog, isReplica ? source!.Value.Source : null);
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

        /// <summary>Whether the status has a row and the source it names; null when the statement is unknown or not allowed.</summary>
        private static (bool Row, ConfigDbEndpoint? Source)? ReplicationSourceOf(MySqlConnection connection, string sql)
        {
            try
            {
                using (var command = new MySqlCommand(sql, connection))
                using (var reader = command.ExecuteReader())
                {
                    if (!reader.Read()) return (false, null);
                    string? Column(string modern, string classic)
                    {
                        for (var i = 0; i < reader.FieldCount; i++)
                            if ((reader.GetName(i) == modern || reader.GetName(i) == classic) && !reader.IsDBNull(i))
                                return Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
                        return null;
                    }
                    var host = Column("Source_Host", "Master_Host");
                    var port = int.TryParse(Column("Source_Port", "Master_Port"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p > 0 && p < 65536 ? p : 3306;
                    return (true, string.IsNullOrWhiteSpace(host) ? null : new ConfigDbEndpoint(host!, port));
                }
            }
            catch (MySqlException)
            {
                return null;
            }
        }
    }
}
