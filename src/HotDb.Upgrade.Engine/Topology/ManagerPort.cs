using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Threading;
using MySqlConnector;

namespace HotDb.Upgrade.Topology
{
    /// <summary>A manager-port command failed; the message names the host, the port and the node's answer.</summary>
    public sealed class ManagerPortException : Exception
    {
        public ManagerPortException(string message, int? errorNumber, Exception? inner = null) : base(message, inner) => ErrorNumber = errorNumber;

        /// <summary>HotDB's error number (10187 no ConfigDB, 10190 license, 10191 reload failed...); null when the port did not answer.</summary>
        public int? ErrorNumber { get; }
    }

    /// <summary>Commands on a compute node's manager port (3325 by default), over the MySQL protocol.</summary>
    public static class ManagerPort
    {
        /// <summary>Runs reload @@config: the node re-reads the ConfigDB, so its memory matches the ConfigDB.</summary>
        public static void ReloadConfig(string host, int port, NetworkCredential credential, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            try
            {
                using var connection = Open(host, port, credential, timeout);
                using var command = new MySqlCommand("reload @@config", connection);
                command.ExecuteNonQuery();
            }
            catch (MySqlException e)
            {
                throw Failed(host, port, "reload @@config", e);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }

        /// <summary>Runs a show command and returns its rows, column name to text (null for SQL NULL).</summary>
        public static IReadOnlyList<IReadOnlyDictionary<string, string?>> Query(string host, int port, string statement, NetworkCredential credential, TimeSpan timeout,
            CancellationToken cancellationToken = default)
        {
            var rows = new List<IReadOnlyDictionary<string, string?>>();
            try
            {
                using var connection = Open(host, port, credential, timeout);
                using var command = new MySqlCommand(statement, connection);
                using (cancellationToken.Register(command.Cancel))
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        var row = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                        for (var i = 0; i < reader.FieldCount; i++)
                            row[reader.GetName(i)] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
                        rows.Add(row);
                    }
                }
            }
            catch (MySqlException e)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw Failed(host, port, statement, e);
            }
            return rows;
        }

        private static MySqlConnection Open(string host, int port, NetworkCredential credential, TimeSpan timeout)
        {
            if (credential is null) throw new ArgumentNullException(nameof(credential));
            var builder = new MySqlConnectionStringBuilder
            {
                Server = host,
                Port = (uint)port,
                UserID = credential.UserName,
                Password = credential.Password,
                ConnectionTimeout = (uint)Math.Max(1, Math.Min(timeout.TotalSeconds, 30)),
                DefaultCommandTimeout = (uint)Math.Max(1, timeout.TotalSeconds),
                Pooling = false,
                SslMode = MySqlSslMode.Preferred,
            };
            var connection = new MySqlConnection(builder.ConnectionString);
            try
            {
                connection.Open();
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        private static ManagerPortException Failed(string host, int port, string statement, MySqlException e) =>
            new ManagerPortException($"{host}:{port}: {statement} failed: {(e.Number != 0 ? "ERROR " + e.Number + ": " : "")}{e.Message}",
                e.Number == 0 ? (int?)null : e.Number, e);
    }
}
