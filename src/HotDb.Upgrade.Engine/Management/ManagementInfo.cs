using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Management
{
    /// <summary>A management platform install (hotdb-management) as read from its host: files, process, HTTP port, ConfigDB, JDK.</summary>
    public sealed class ManagementInfo
    {
        internal ManagementInfo(IRemoteHost host, string installPath)
        {
            Session = host;
            ComputerName = host.ComputerName;
            InstallPath = installPath;
        }

        /// <summary>The session the platform was read through; cmdlets take it from the pipeline.</summary>
        public IRemoteHost Session { get; }
        public string ComputerName { get; }
        public string InstallPath { get; }
        public bool Installed { get; internal set; }
        /// <summary>The version of lib/hotdb-management-&lt;version&gt;.jar.</summary>
        public HotDbVersion? Version { get; internal set; }
        /// <summary>owner:group of the install directory.</summary>
        public string? Owner { get; internal set; }
        public bool Running { get; internal set; }
        public int? ProcessId { get; internal set; }
        /// <summary>server.port of conf/application.properties (3324 when it sets none).</summary>
        public int HttpPort { get; internal set; } = 3324;
        /// <summary>server.backup.port, where HotDB Backup agents connect (3322 when it sets none).</summary>
        public int BackupPort { get; internal set; } = 3322;
        public bool HttpPortOpen => ListeningPorts.Contains(HttpPort);
        public IReadOnlyList<int> ListeningPorts { get; internal set; } = Array.Empty<int>();
        /// <summary>The version the HTTP port reports (/api/version); null when it does not answer.</summary>
        public HotDbVersion? HttpVersion { get; internal set; }

        /// <summary>Every application.properties setting as written; secrets (and urls carrying a password) masked.</summary>
        public IReadOnlyDictionary<string, string> Properties { get; internal set; } = new Dictionary<string, string>();
        /// <summary>application.properties as written, passwords included: for the engine's ConfigDB connections, never shown.</summary>
        internal IReadOnlyDictionary<string, string> RawProperties { get; set; } = new Dictionary<string, string>();

        /// <summary>spring.datasource.url without its options (they may carry a password).</summary>
        public string? ConfigDbUrl => RawConfigDbUrl?.Split('?')[0];
        internal string? RawConfigDbUrl => RawProperties.TryGetValue("spring.datasource.url", out var url) ? url : null;
        /// <summary>host:port of the platform's ConfigDB (3306 when the url names no port).</summary>
        public string? ConfigDbServer => Parsed?.Groups["host"].Value is { Length: > 0 } h
            ? h + ":" + (Parsed.Groups["port"].Success ? Parsed.Groups["port"].Value : "3306") : null;
        /// <summary>The database of the url (hotdb_cloud_config by default).</summary>
        public string? ConfigDbDatabase => Parsed?.Groups["db"] is { Success: true } db ? db.Value : null;
        public string? ConfigDbUser => RawProperties.TryGetValue("spring.datasource.username", out var user) ? user : null;
        internal string? ConfigDbPassword => RawProperties.TryGetValue("spring.datasource.password", out var password) ? password : null;

        /// <summary>JAVA_BIN as bin/hotdb_management sets it.</summary>
        public string? JavaBinSetting { get; internal set; }
        /// <summary>JAVA_BIN resolved to a path; null when the setting needs the shell.</summary>
        public string? JavaBin { get; internal set; }
        /// <summary>JAVA_VERSION of the start script.</summary>
        public string? JavaVersion { get; internal set; }
        /// <summary>What JAVA_BIN -version reports.</summary>
        public string? JavaReportedVersion { get; internal set; }

        private static readonly Regex JdbcUrl = new Regex(@"^jdbc:mysql://(?<host>\[[^\]]+\]|[^:/?,]+)(?::(?<port>\d+))?(?:/(?<db>[^?;]+))?",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        private Match? Parsed => RawConfigDbUrl is { } url && JdbcUrl.Match(url) is { Success: true } m ? m : null;

        public override string ToString() => $"{ComputerName}:{InstallPath} {Version} ({(Running ? "running" : "stopped")}, HTTP {HttpPort.ToString(CultureInfo.InvariantCulture)})";
    }
}
