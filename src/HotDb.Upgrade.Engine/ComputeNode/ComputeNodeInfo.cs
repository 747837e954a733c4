using System;
using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.ComputeNode
{
    /// <summary>Whether a port must be listening, must be closed, or may be either, for a node's role.</summary>
    public enum PortExpectation
    {
        Open,
        Closed,
        Any,
    }

    /// <summary>A compute node install as read from its host: files, process, ports, JDK, license.</summary>
    public sealed class ComputeNodeInfo
    {
        internal ComputeNodeInfo(IRemoteHost host, string installPath)
        {
            Session = host;
            ComputerName = host.ComputerName;
            InstallPath = installPath;
        }

        /// <summary>The session the node was read through; cmdlets take it from the pipeline.</summary>
        public IRemoteHost Session { get; }
        public string ComputerName { get; }
        public string InstallPath { get; }
        public bool Installed { get; internal set; }
        public HotDbVersion? Version { get; internal set; }
        public DateTime? BuildDate { get; internal set; }
        /// <summary>The JDK the node's jar was built with (its manifest's Build-Jdk), when recorded.</summary>
        public string? BuildJdk { get; internal set; }
        /// <summary>owner:group of the install directory.</summary>
        public string? Owner { get; internal set; }

        /// <summary>Every server.xml property as written (a missing one takes the vendor default); passwords masked.</summary>
        public IReadOnlyDictionary<string, string> Properties => SecretSettings.Masked(RawProperties);

        /// <summary>server.xml as written, passwords included: for the engine's own ConfigDB connections, never shown.</summary>
        internal IReadOnlyDictionary<string, string> RawProperties { get; set; } = new Dictionary<string, string>();
        public int ServerPort { get; internal set; } = 3323;
        public int ManagerPort { get; internal set; } = 3325;
        public int HaMode { get; internal set; }
        /// <summary>server.xml's haState (master when it sets none); null without a server.xml.</summary>
        public string? HaState { get; internal set; }
        public string? HaNodeHost { get; internal set; }
        public int ServerId { get; internal set; } = 1;
        public string? ClusterName { get; internal set; }
        public int? ClusterSize { get; internal set; }
        public string? ClusterHost { get; internal set; }
        public int? ClusterPort { get; internal set; }
        public int IdcId { get; internal set; }
        public string? ConfigDbUrl { get; internal set; }
        public string? ConfigDbBackupUrl { get; internal set; }
        /// <summary>host:port of the ConfigDB from <see cref="ConfigDbUrl"/> (3306 when the url names no port).</summary>
        public string? ConfigDbServer => ConfigDbHost == null ? null : ConfigDbHost + ":" + ConfigDbPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        /// <summary>The database named in <see cref="ConfigDbUrl"/>, when it names one.</summary>
        public string? ConfigDbDatabase => ParsedConfigDbUrl?.Groups["db"] is { Success: true } db ? db.Value : null;

        internal string? ConfigDbHost => ParsedConfigDbUrl?.Groups["host"].Value;
        internal int ConfigDbPort => ParsedConfigDbUrl?.Groups["port"] is { Success: true } port ? int.Parse(port.Value, System.Globalization.CultureInfo.InvariantCulture) : 3306;

        // server.xml's url: jdbc:mysql://host[:port][/database][?options]
        private static readonly System.Text.RegularExpressions.Regex JdbcUrl =
            new System.Text.RegularExpressions.Regex(@"^jdbc:mysql://(?<host>[^:/?]+)(?::(?<port>\d+))?(?:/(?<db>[^?]+))?");
        private System.Text.RegularExpressions.Match? ParsedConfigDbUrl =>
            ConfigDbUrl != null && JdbcUrl.Match(ConfigDbUrl.Trim()) is { Success: true } m ? m : null;

        public bool Running { get; internal set; }
        public int? ProcessId { get; internal set; }
        public IReadOnlyList<int> ListeningPorts { get; internal set; } = Array.Empty<int>();
        public bool ServerPortOpen => ListeningPorts.Contains(ServerPort);
        public bool ManagerPortOpen => ListeningPorts.Contains(ManagerPort);

        /// <summary>JAVA_BIN as the start script writes it.</summary>
        public string? JavaBinSetting { get; internal set; }
        /// <summary>JAVA_BIN with $HOTDB_HOME and $shellPath resolved; null when the value uses anything else.</summary>
        public string? JavaBin { get; internal set; }
        /// <summary>JAVA_VERSION from the start script.</summary>
        public string? JavaVersion { get; internal set; }
        /// <summary>What "JAVA_BIN -version" reports, e.g. 1.8.0_252; null when it cannot be run.</summary>
        public string? JavaReportedVersion { get; internal set; }

        /// <summary>ndbsql* entries in the install directory (directories or symlinks).</summary>
        public IReadOnlyList<string> NdbSqlDirectories { get; internal set; } = Array.Empty<string>();
        /// <summary>Files in keys/.</summary>
        public IReadOnlyList<string> LicenseFiles { get; internal set; } = Array.Empty<string>();
        /// <summary>The largest data-node limit a readable license in keys/ states; null before 2.5.6 (USB keys) or when none states one.</summary>
        public int? LicenseNodeLimit { get; internal set; }
        public string LicenseState { get; internal set; } = "";

        /// <summary>
        /// Master-slave backups and DR-centre nodes keep the service port closed; the rest open it. Null when there is no
        /// server.xml to tell (no install at the path).
        /// </summary>
        public string? Role => HaState == null ? null
            : IsDrCentre ? "DrCentre" : HaMode == 1 ? "ClusterMember" : string.Equals(HaState, "backup", StringComparison.OrdinalIgnoreCase) ? "Backup" : "Master";

        internal bool IsDrCentre => HaMode == 3 || HaMode == 5 || IdcId == 2;

        public PortExpectation ExpectedServerPort => Role == null ? PortExpectation.Any
            : Role == "Master" || Role == "ClusterMember" ? PortExpectation.Open : PortExpectation.Closed;
        public PortExpectation ExpectedManagerPort => PortExpectation.Open;

        /// <summary>True when the ports are in the state the role implies (and the process runs).</summary>
        public bool Healthy => Running && ManagerPortOpen && ExpectedServerPort switch
        {
            PortExpectation.Open => ServerPortOpen,
            PortExpectation.Closed => !ServerPortOpen,
            _ => true,
        };

        public override string ToString() => $"{ComputerName}:{InstallPath} {Version?.ToString() ?? "(unknown version)"}";
    }
}
