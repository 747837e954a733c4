using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using MySqlConnector;

namespace HotDb.Upgrade.Topology
{
    /// <summary>The DR centre's ConfigDB as a replica of the master centre's: threads, lag, GTID and positions.</summary>
    public sealed class ConfigDbReplicationState
    {
        /// <summary>The DR centre's ConfigDB server (host:port).</summary>
        public string ReplicaServer { get; internal set; } = "";
        /// <summary>Why the replica's status could not be read; null when it was.</summary>
        public string? Problem { get; internal set; }
        /// <summary>False when the server has no replication configured (SHOW SLAVE STATUS gave no row).</summary>
        public bool IsReplica { get; internal set; }
        public string? SourceHost { get; internal set; }
        public int? SourcePort { get; internal set; }
        public string? IoRunning { get; internal set; }
        public string? SqlRunning { get; internal set; }
        public long? SecondsBehindSource { get; internal set; }
        /// <summary>MariaDB's Using_Gtid (Slave_Pos, Current_Pos, No) or MySQL's Auto_Position (1 or 0).</summary>
        public string? GtidMode { get; internal set; }
        public string? SourceLogFile { get; internal set; }
        public long? ReadSourceLogPosition { get; internal set; }
        public string? ExecutedSourceLogFile { get; internal set; }
        public long? ExecutedSourceLogPosition { get; internal set; }
        public string? LastError { get; internal set; }

        /// <summary>The master centre's ConfigDB server compared against; null when unknown.</summary>
        public string? SourceServer { get; internal set; }
        /// <summary>The master centre's binlog file and position now, when it could be read.</summary>
        public string? SourceBinlogFile { get; internal set; }
        public long? SourceBinlogPosition { get; internal set; }
        public string? SourceProblem { get; internal set; }

        public bool UsesGtid => GtidMode != null && !GtidMode.Equals("No", StringComparison.OrdinalIgnoreCase) && GtidMode != "0";
        public bool ThreadsRunning => string.Equals(IoRunning, "Yes", StringComparison.OrdinalIgnoreCase) && string.Equals(SqlRunning, "Yes", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads replication between the two IDCs' ConfigDBs; never changes anything.</summary>
    public static class ConfigDbReplication
    {
        /// <summary>Reads the replica's status and, when <paramref name="source"/> is given, the source's binlog position.</summary>
        public static ConfigDbReplicationState Read(ConfigDbTarget replica, ConfigDbTarget? source, CancellationToken cancellationToken = default)
        {
            if (replica is null) throw new ArgumentNullException(nameof(replica));
            var state = new ConfigDbReplicationState { ReplicaServer = replica.Endpoints[0].ToString(), SourceServer = source?.Endpoints[0].ToString() };
            try
            {
                using var connection = replica.Open(replica.Endpoints[0], null);
                var row = FirstRow(connection, cancellationToken, "SHOW REPLICA STATUS", "SHOW SLAVE STATUS");
                state.IsReplica = row != null;
                if (row != null) Fill(state, row);
            }
            catch (Exception e) when (e is ConfigDbException || e is MySqlException)
            {
                state.Problem = e.Message;
            }
            if (source == null) return state;
            try
            {
                using var connection = source.Open(source.Endpoints[0], null);
                var row = FirstRow(connection, cancellationToken, "SHOW BINARY LOG STATUS", "SHOW MASTER STATUS");
                if (row == null) state.SourceProblem = $"{state.SourceServer} has no binary log";
                else
                {
                    state.SourceBinlogFile = Get(row, "File");
                    state.SourceBinlogPosition = Long(Get(row, "Position"));
                }
            }
            catch (Exception e) when (e is ConfigDbException || e is MySqlException)
            {
                state.SourceProblem = e.Message;
            }
            return state;
        }

        /// <summary>A state for a DR ConfigDB that could not be found: every check on it fails with <paramref name="problem"/>.</summary>
        public static ConfigDbReplicationState Unknown(string problem) =>
            new ConfigDbReplicationState { ReplicaServer = "(DR ConfigDB unknown)", Problem = problem };

        /// <summary>The ConfigDB a compute node's server.xml names (url, username, password).</summary>
        public static ConfigDbTarget? ConfigDbOf(ComputeNodeInfo node)
        {
            if (node is null) throw new ArgumentNullException(nameof(node));
            if (!node.Installed || node.ConfigDbHost == null) return null;
            node.RawProperties.TryGetValue("username", out var user);
            node.RawProperties.TryGetValue("password", out var password);
            if (string.IsNullOrWhiteSpace(user)) return null;
            return new ConfigDbTarget(new[] { new ConfigDbEndpoint(node.ConfigDbHost, node.ConfigDbPort) }, ConfigDbKind.ComputeNode, node.ConfigDbDatabase,
                new NetworkCredential(user!.Trim(), password ?? ""));
        }

        internal static void Fill(ConfigDbReplicationState state, IReadOnlyDictionary<string, string?> row)
        {
            // MySQL 8.0.22+ names columns Source/Replica, MariaDB and older MySQL Master/Slave.
            string? Either(string modern, string classic) => Get(row, modern) ?? Get(row, classic);
            state.SourceHost = Either("Source_Host", "Master_Host");
            state.SourcePort = (int?)Long(Either("Source_Port", "Master_Port"));
            state.IoRunning = Either("Replica_IO_Running", "Slave_IO_Running");
            state.SqlRunning = Either("Replica_SQL_Running", "Slave_SQL_Running");
            state.SecondsBehindSource = Long(Either("Seconds_Behind_Source", "Seconds_Behind_Master"));
            state.GtidMode = Get(row, "Using_Gtid") ?? Get(row, "Auto_Position");
            state.SourceLogFile = Either("Source_Log_File", "Master_Log_File");
            state.ReadSourceLogPosition = Long(Either("Read_Source_Log_Pos", "Read_Master_Log_Pos"));
            state.ExecutedSourceLogFile = Either("Relay_Source_Log_File", "Relay_Master_Log_File");
            state.ExecutedSourceLogPosition = Long(Either("Exec_Source_Log_Pos", "Exec_Master_Log_Pos"));
            var io = Get(row, "Last_IO_Error");
            var sql = Get(row, "Last_SQL_Error");
            state.LastError = string.IsNullOrEmpty(io) ? (string.IsNullOrEmpty(sql) ? null : sql) : io;
        }

        private static IReadOnlyDictionary<string, string?>? FirstRow(MySqlConnection connection, CancellationToken cancellationToken, params string[] statements)
        {
            for (var i = 0; i < statements.Length; i++)
            {
                try
                {
                    using var command = new MySqlCommand(statements[i], connection);
                    return ConfigDbCommands.Run(command, c =>
                    {
                        using var reader = c.ExecuteReader();
                        if (!reader.Read()) return null;
                        var row = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                        for (var k = 0; k < reader.FieldCount; k++)
                            row[reader.GetName(k)] = reader.IsDBNull(k) ? null : Convert.ToString(reader.GetValue(k), CultureInfo.InvariantCulture);
                        return (IReadOnlyDictionary<string, string?>?)row;
                    }, cancellationToken);
                }
                // ER_PARSE_ERROR: an older server without the newer statement name; try the classic one.
                catch (MySqlException e) when (e.Number == 1064 && i < statements.Length - 1)
                {
                }
            }
            return null;
        }

        private static string? Get(IReadOnlyDictionary<string, string?> row, string name) => row.TryGetValue(name, out var v) && v != null ? v.Trim() : null;

        private static long? Long(string? text) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : (long?)null;
    }
}
