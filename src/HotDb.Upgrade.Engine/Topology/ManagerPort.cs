using System;
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
            try
            {
                using var connection = new MySqlConnection(builder.ConnectionString);
                connection.Open();
                using var command = new MySqlCommand("reload @@config", connection);
                command.ExecuteNonQuery();
            }
            catch (MySqlException e)
            {
                throw new ManagerPortException($"{host}:{port}: reload @@config failed: {(e.Number != 0 ? "ERROR " + e.Number + ": " : "")}{e.Message}",
                    e.Number == 0 ? (int?)null : e.Number, e);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
