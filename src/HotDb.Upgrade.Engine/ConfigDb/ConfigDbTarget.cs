using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.Remote;
using MySqlConnector;

namespace HotDb.Upgrade.ConfigDb
{
    /// <summary>One MySQL/MariaDB server of a ConfigDB.</summary>
    public sealed class ConfigDbEndpoint
    {
        public ConfigDbEndpoint(string host, int port)
        {
            if (string.IsNullOrWhiteSpace(host)) throw new ArgumentException("A ConfigDB host cannot be empty.", nameof(host));
            if (port < 1 || port > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 1..65535.");
            Host = host;
            Port = port;
        }

        public string Host { get; }
        public int Port { get; }

        /// <summary>host, host:port or [v6]:port; <paramref name="defaultPort"/> when no port is given.</summary>
        public static ConfigDbEndpoint Parse(string text, int defaultPort)
        {
            var value = text.Trim();
            if (value.StartsWith("[", StringComparison.Ordinal))
            {
                var close = value.IndexOf(']');
                if (close < 0) throw new FormatException($"'{text}' opens an IPv6 address with '[' but never closes it.");
                var host = value.Substring(1, close - 1);
                var rest = value.Substring(close + 1);
                return new ConfigDbEndpoint(host, rest.StartsWith(":", StringComparison.Ordinal) ? ParsePort(rest.Substring(1), text) : defaultPort);
            }
            var colon = value.LastIndexOf(':');
            if (colon > 0 && value.IndexOf(':') == colon)
                return new ConfigDbEndpoint(value.Substring(0, colon), ParsePort(value.Substring(colon + 1), text));
            return new ConfigDbEndpoint(value, defaultPort);
        }

        private static int ParsePort(string port, string text)
        {
            if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= 65535) return value;
            throw new FormatException($"'{text}' has no valid port after ':'.");
        }

        public override string ToString() => Host.Contains(":") ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
    }

    /// <summary>Why a ConfigDB operation could not go on.</summary>
    public enum ConfigDbFailure
    {
        AccessDenied,
        Unreachable,
        NoWritableMaster,
        InvalidBackup,
        BackupNotFound,
        BackupOutdated,
        DumpFailed,
        RestoreFailed,
        VerificationFailed,
        LedgerMismatch,
        /// <summary>The server replicates from another ConfigDB (e.g. a DR centre's replica): never upgraded directly.</summary>
        IsReplica,
    }

    /// <summary>A ConfigDB error that says what went wrong and what to do next.</summary>
    public sealed class ConfigDbException : Exception, IHotDbError
    {
        public ConfigDbException(ConfigDbFailure failure, string message, string recommendedAction, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            Failure = failure;
            RecommendedAction = recommendedAction;
            Target = target;
        }

        public ConfigDbFailure Failure { get; }
        public string RecommendedAction { get; }
        public object? Target { get; }

        /// <summary>"ConfigDb" and the failure, e.g. ConfigDbUnreachable.</summary>
        public string ErrorId => "ConfigDb" + Failure;

        public string Category
        {
            get
            {
                switch (Failure)
                {
                    case ConfigDbFailure.AccessDenied: return "AuthenticationError";
                    case ConfigDbFailure.Unreachable: return "ConnectionError";
                    case ConfigDbFailure.NoWritableMaster: return "ResourceUnavailable";
                    case ConfigDbFailure.InvalidBackup: return "InvalidData";
                    case ConfigDbFailure.BackupNotFound: return "ObjectNotFound";
                    case ConfigDbFailure.BackupOutdated: return "InvalidData";
                    case ConfigDbFailure.LedgerMismatch: return "InvalidData";
                    case ConfigDbFailure.IsReplica: return "InvalidOperation";
                    case ConfigDbFailure.VerificationFailed: return "InvalidResult";
                    default: return "OperationStopped";
                }
            }
        }
    }

    /// <summary>
    /// A ConfigDB to work on: its servers (the first is the configured master; more for master/slave, master-master
    /// or MGR), the vendor database, the login, and optionally a session on the ConfigDB's own host for mysqldump.
    /// The password stays inside; no property returns it.
    /// </summary>
    public sealed class ConfigDbTarget
    {
        private readonly NetworkCredential _credential;

        public ConfigDbTarget(IEnumerable<ConfigDbEndpoint> endpoints, ConfigDbKind kind, string? database, NetworkCredential credential,
            IRemoteHost? session = null, TimeSpan? connectTimeout = null, TimeSpan? lockWaitTimeout = null)
        {
            Endpoints = endpoints.ToList();
            if (Endpoints.Count == 0) throw new ArgumentException("A ConfigDB needs at least one server.", nameof(endpoints));
            Kind = kind;
            Database = string.IsNullOrEmpty(database) ? UpgradeScriptCatalog.DatabaseOf(kind) : database!;
            _credential = credential ?? throw new ArgumentNullException(nameof(credential));
            if (string.IsNullOrEmpty(credential.UserName)) throw new ArgumentException("The ConfigDB login needs a user name.", nameof(credential));
            if (credential.Password.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0)
                throw new ArgumentException("A ConfigDB password with a line break or NUL cannot be passed to mysqldump safely.", nameof(credential));
            Session = session;
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10);
            LockWaitTimeout = lockWaitTimeout ?? DefaultLockWaitTimeout;
            if (LockWaitTimeout < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(lockWaitTimeout), lockWaitTimeout, "A lock wait timeout is at least one second.");
        }

        public static readonly TimeSpan DefaultLockWaitTimeout = TimeSpan.FromSeconds(60);

        public IReadOnlyList<ConfigDbEndpoint> Endpoints { get; }
        public ConfigDbKind Kind { get; }
        public string Database { get; }
        public string UserName => _credential.UserName;
        /// <summary>The ConfigDB's own host, where mysqldump runs by default; null to dump from this machine.</summary>
        public IRemoteHost? Session { get; }
        public TimeSpan ConnectTimeout { get; }
        /// <summary>
        /// How long any statement of ours waits for a metadata or row lock another session holds (the session's
        /// lock_wait_timeout and innodb_lock_wait_timeout); the servers' defaults are a day and more.
        /// </summary>
        public TimeSpan LockWaitTimeout { get; }

        internal int LockWaitSeconds => (int)Math.Max(1, Math.Ceiling(LockWaitTimeout.TotalSeconds));

        /// <summary>The statement a mysql client session starts with to wait no longer for locks than ours do.</summary>
        internal string LockWaitStatement =>
            $"SET SESSION lock_wait_timeout = {LockWaitSeconds}, SESSION innodb_lock_wait_timeout = {LockWaitSeconds}";

        internal string Password => _credential.Password;

        /// <summary>Opens a utf8mb4 connection; errors become <see cref="ConfigDbException"/> that say what to do.</summary>
        internal MySqlConnection Open(ConfigDbEndpoint endpoint, string? database)
        {
            var builder = new MySqlConnectionStringBuilder
            {
                Server = endpoint.Host,
                Port = (uint)endpoint.Port,
                UserID = _credential.UserName,
                Password = _credential.Password,
                CharacterSet = "utf8mb4",
                ConnectionTimeout = (uint)Math.Max(1, ConnectTimeout.TotalSeconds),
                DefaultCommandTimeout = 600,
                Pooling = false,
                AllowUserVariables = true,
                SslMode = MySqlSslMode.Preferred,
            };
            if (!string.IsNullOrEmpty(database)) builder.Database = database;
            var connection = new MySqlConnection(builder.ConnectionString);
            try
            {
                connection.Open();
                using (var limit = new MySqlCommand(LockWaitStatement, connection)) limit.ExecuteNonQuery();
                return connection;
            }
            catch (MySqlException e)
            {
                connection.Dispose();
                throw Translate(e, endpoint);
            }
        }

        internal ConfigDbException Translate(MySqlException e, ConfigDbEndpoint endpoint)
        {
            if (e.ErrorCode == MySqlErrorCode.AccessDenied || e.ErrorCode == MySqlErrorCode.DatabaseAccessDenied)
                return new ConfigDbException(ConfigDbFailure.AccessDenied,
                    $"The ConfigDB server {endpoint} refused the login of '{UserName}': {e.Message}",
                    "Check the user name and password given with -Credential, and that the user may connect from this host.", endpoint, e);
            if (e.ErrorCode == MySqlErrorCode.UnableToConnectToHost)
                return new ConfigDbException(ConfigDbFailure.Unreachable,
                    $"The ConfigDB server {endpoint} cannot be reached: {e.Message}",
                    "Check the host name and port, that MySQL/MariaDB runs there, and that no firewall is in the way.", endpoint, e);
            return new ConfigDbException(ConfigDbFailure.Unreachable, $"The ConfigDB server {endpoint} answered with an error: {e.Message}",
                "Check the server's error log and the login's privileges.", endpoint, e);
        }

        public override string ToString() => $"{Database}@{string.Join(",", Endpoints)}";
    }

    internal static class ConfigDbCommands
    {
        /// <summary>
        /// Runs <paramref name="execute"/> so that cancelling <paramref name="cancellationToken"/> stops the statement on the
        /// server (KILL QUERY) and surfaces as <see cref="OperationCanceledException"/>.
        /// </summary>
        public static T Run<T>(MySqlCommand command, Func<MySqlCommand, T> execute, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (cancellationToken.Register(command.Cancel))
            {
                try
                {
                    return execute(command);
                }
                catch (MySqlException e) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException($"Cancelled: {command.CommandText}", e, cancellationToken);
                }
            }
        }

        /// <summary>ER_LOCK_WAIT_TIMEOUT: a metadata or row lock was not granted within the session's lock wait timeout.</summary>
        public static bool IsLockWaitTimeout(MySqlException e) => e.Number == 1205;
    }
}
