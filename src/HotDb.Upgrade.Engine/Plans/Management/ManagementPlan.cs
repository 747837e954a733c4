using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Management;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Plans.Management
{
    /// <summary>What a management platform upgrade (the manual's section 2) is asked to do.</summary>
    public sealed class ManagementPlanOptions
    {
        public string InstallPath { get; set; } = ManagementReader.DefaultInstallPath;
        /// <summary>The local hotdb-management-&lt;version&gt;-ga-&lt;date&gt;.tar.gz.</summary>
        public string PackagePath { get; set; } = "";
        /// <summary>Remote folder for uploads; default &lt;install root&gt;/Install_Package.</summary>
        public string? StagingPath { get; set; }
        /// <summary>The local folder of the vendor's ConfigDB scripts (hotdb_cloud_config_&lt;version&gt;.sql); needed only for a target before 2.5.3.</summary>
        public string? ScriptsPath { get; set; }
        /// <summary>host[:port] of the platform's ConfigDB; default: spring.datasource.url of application.properties.</summary>
        public IReadOnlyList<string> ConfigDbServers { get; set; } = Array.Empty<string>();
        /// <summary>The ConfigDB login; default: spring.datasource.username/password of application.properties.</summary>
        public NetworkCredential? ConfigDbCredential { get; set; }
        /// <summary>Folder on the platform's host for the ConfigDB dump.</summary>
        public string BackupDirectory { get; set; } = SingleNodePlanOptions.DefaultBackupDirectory;
        /// <summary>A local OpenJDK 8 tarball, installed under <see cref="JdkRoot"/> when the target needs JDK 8.</summary>
        public string? JdkPackagePath { get; set; }
        /// <summary>A JDK 8 java already on the host.</summary>
        public string? JavaBin { get; set; }
        public string JdkRoot { get; set; } = "/usr/local/jdk8";
        /// <summary>owner:group of the new install; default: the old install's.</summary>
        public string? Owner { get; set; }
        /// <summary>Allow the same or an older version.</summary>
        public bool Force { get; set; }
        public TimeSpan StartTimeout { get; set; } = ManagementService.DefaultStartTimeout;
        public TimeSpan StopTimeout { get; set; } = ManagementService.DefaultStopTimeout;
    }

    /// <summary>State shared by the steps of one platform upgrade.</summary>
    public sealed class ManagementUpgradeContext
    {
        internal ManagementUpgradeContext(IRemoteHost host, ManagementPlanOptions options, ManagementInfo before, DateTime startedUtc)
        {
            Host = host;
            Options = options;
            Before = before;
            InstallPath = before.InstallPath;
            InstallRoot = InstallPath.Substring(0, InstallPath.LastIndexOf('/')) is { Length: > 0 } root ? root : "/";
            StagingPath = (options.StagingPath ?? InstallRoot.TrimEnd('/') + "/Install_Package").TrimEnd('/');
            StartedUtc = startedUtc;
            Stamp = startedUtc.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            HotDbPackage.TryParse(options.PackagePath, out var package);
            Package = package;
            if (options.JdkPackagePath != null && HotDbPackage.TryParse(options.JdkPackagePath, out var jdk)) JdkPackage = jdk;
        }

        public IRemoteHost Host { get; }
        public ManagementPlanOptions Options { get; }
        public ManagementInfo Before { get; }
        public string InstallPath { get; }
        public string InstallRoot { get; }
        public string StagingPath { get; }
        public DateTime StartedUtc { get; }
        internal string Stamp { get; }
        public HotDbPackage? Package { get; }
        public HotDbPackage? JdkPackage { get; }
        internal PackageContents? Contents { get; set; }
        internal PackageContents? JdkContents { get; set; }
        public HotDbVersion? FromVersion => Before.Version;
        public HotDbVersion? ToVersion => Package?.Version;
        /// <summary>The manual's hotdb_management_&lt;version digits&gt;, with _2, _3... when that exists.</summary>
        public string BackupPath { get; internal set; } = "";
        public string StagedPackagePath => StagingPath + "/" + Path.GetFileName(Options.PackagePath);
        public string? StagedJdkPath => Options.JdkPackagePath == null ? null : StagingPath + "/" + Path.GetFileName(Options.JdkPackagePath);
        public string Owner => Options.Owner ?? Before.Owner ?? "hotdb:hotdb";
        public bool WasRunning => Before.Running;
        /// <summary>True when the target upgrades its own ConfigDB at start (2.5.3 and later): no SQL is run, the start is verified instead.</summary>
        public bool SelfUpgradesConfigDb => ToVersion != null && VersionRules.ManagementUpgradesOwnConfigDb(ToVersion);
        public bool NeedsJdk8 => ToVersion != null && VersionRules.RequiresJdk8(ToVersion);
        public string? TargetJavaBin { get; internal set; }
        public string? TargetJavaVersion { get; internal set; }
        internal string? JdkHome => JdkPackage?.TopDirectory == null ? null : Options.JdkRoot.TrimEnd('/') + "/" + JdkPackage.TopDirectory;
        internal bool ExtractedJdk { get; set; }
        internal bool NewInstallInPlace { get; set; }
        /// <summary>The failed new install, moved aside for analysis during a rollback.</summary>
        public string? FailedInstallPath { get; internal set; }
        public List<ConfigChange> ConfigChanges { get; } = new List<ConfigChange>();
        /// <summary>The log lines in which a self-upgrading platform reported its ConfigDB upgrade at start.</summary>
        public IReadOnlyList<string> ConfigDbSelfUpgradeLog { get; internal set; } = Array.Empty<string>();
        public ManagementInfo? After { get; internal set; }
    }

    /// <summary>
    /// The management platform upgrade (the manual's section 2) as a plan. Checks (read-only, before anything stops);
    /// Stage (the upload, while the old version serves); Upgrade: stop, ConfigDB backup, the versioned ConfigDB SQL for a
    /// target before 2.5.3 (from 2.5.3 the platform upgrades its ConfigDB at start, and a rollback restores the backup),
    /// keep the old directory as hotdb_management_&lt;version&gt;, extract (chown, restorecon), carry
    /// conf/application.properties over, point bin/hotdb_management at JDK 8 (2.5.6 and later), start and verify the
    /// HTTP port reports the new version. The runner's reverse-order rollback puts the directories back, restores the
    /// ConfigDB and starts the old version.
    /// </summary>
    public static class ManagementPlan
    {
        public const string Mode = "Management";

        /// <summary>Reads the platform (nothing changes) and builds the plan.</summary>
        public static UpgradePlan Build(IRemoteHost host, ManagementPlanOptions options, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            if (string.IsNullOrWhiteSpace(options.PackagePath)) throw new ArgumentException("A package path is required.", nameof(options));
            var before = ManagementReader.Read(host, options.InstallPath, queryHttp: true, cancellationToken: cancellationToken);
            var context = new ManagementUpgradeContext(host, options, before, DateTime.UtcNow);
            context.BackupPath = ChooseBackupPath(host, context.InstallRoot, before.Version);
            return Assemble(context, options.ConfigDbCredential ?? CredentialOf(before));
        }

        /// <summary>Rebuilds the plan a journal was written for, with the session and the ConfigDB login given again.</summary>
        public static UpgradePlan Rebuild(PlanJournal journal, IRemoteHost host, NetworkCredential configDbCredential)
        {
            if (journal.Mode != Mode) throw new PlanJournalException($"The journal is of a {journal.Mode} plan, not {Mode}.", "Resume it with the command that rebuilds that plan.");
            var p = journal.Parameters;
            if (!string.Equals(p["configDbUser"], configDbCredential.UserName, StringComparison.Ordinal))
                throw new PlanJournalException($"The run used the ConfigDB login '{p["configDbUser"]}', not '{configDbCredential.UserName}'.",
                    "Give -ConfigDbCredential of the login the interrupted run used (spring.datasource.username of application.properties when none was given).");
            if (!journal.State.TryGetValue(PlatformState.KeyOf(host.ComputerName), out var state))
                throw new PlanJournalException($"The journal holds no state for {host.ComputerName}; it was written for {string.Join(", ", journal.Hosts)}.",
                    "Give a -Session to the host the interrupted run upgraded.");
            var options = new ManagementPlanOptions
            {
                InstallPath = p["installPath"]!,
                PackagePath = p["package"]!,
                StagingPath = p["stagingPath"],
                ScriptsPath = p["scriptsPath"],
                ConfigDbServers = p["configDb"]!.Split(','),
                ConfigDbCredential = configDbCredential,
                BackupDirectory = p["backupDirectory"]!,
                JdkPackagePath = p["jdkPackage"],
                JavaBin = p["javaBin"],
                JdkRoot = p["jdkRoot"]!,
                Owner = p["owner"],
                Force = p["force"] == "true",
                StartTimeout = TimeSpan.FromSeconds(double.Parse(p["startTimeout"]!, CultureInfo.InvariantCulture)),
                StopTimeout = TimeSpan.FromSeconds(double.Parse(p["stopTimeout"]!, CultureInfo.InvariantCulture)),
            };
            var context = new ManagementUpgradeContext(host, options, PlatformState.Before(host, options.InstallPath, state),
                DateTime.Parse(state["startedUtc"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind))
            {
                BackupPath = state["backupPath"] ?? "",
            };
            return Assemble(context, configDbCredential, p["configDbDatabase"]);
        }

        internal static NetworkCredential CredentialOf(ManagementInfo before)
        {
            var user = before.ConfigDbUser;
            if (string.IsNullOrEmpty(user))
                throw new ArgumentException($"{before.ComputerName}: {before.InstallPath}/{ManagementReader.PropertiesFile} names no spring.datasource.username; give the ConfigDB login.");
            return new NetworkCredential(user, before.ConfigDbPassword ?? "");
        }

        internal static UpgradePlan Assemble(ManagementUpgradeContext context, NetworkCredential credential, string? database = null)
        {
            var host = context.Host;
            var name = host.ComputerName;
            var target = TargetOf(context, credential, database);
            var sqlNeeded = !context.SelfUpgradesConfigDb && context.ToVersion != null && context.FromVersion != null && context.ToVersion > context.FromVersion;
            var configDb = new ConfigDbPart(target, host, context.Options.ScriptsPath ?? "", context.Options.BackupDirectory, name,
                () => context.FromVersion, () => context.ToVersion);

            var checks = new List<PlanStep> { new CheckManagementPackageStep(context) };
            if (context.NeedsJdk8) checks.Add(new CheckManagementJdkStep(context));
            checks.Add(sqlNeeded ? (PlanStep)new CheckConfigDbStep(configDb) : new CheckManagementConfigDbStep(context, configDb));
            var upgrade = new List<PlanStep>
            {
                new StopPlatformStep(context),
                new BackupConfigDbStep(configDb),
                sqlNeeded ? new UpgradeConfigDbStep(configDb) : (PlanStep)new ConfigDbRestorePointStep(context, configDb),
                new KeepOldPlatformStep(context),
                new ExtractPlatformStep(context),
                new CarryOverPropertiesStep(context),
            };
            if (context.NeedsJdk8) upgrade.Add(new InstallManagementJdkStep(context));
            upgrade.Add(new StartPlatformStep(context));
            var o = context.Options;
            var parameters = new Dictionary<string, string?>
            {
                ["installPath"] = context.InstallPath,
                ["package"] = o.PackagePath,
                ["stagingPath"] = o.StagingPath,
                ["scriptsPath"] = o.ScriptsPath,
                ["configDb"] = string.Join(",", target.Endpoints),
                ["configDbDatabase"] = target.Database,
                ["configDbUser"] = target.UserName,
                ["backupDirectory"] = o.BackupDirectory,
                ["jdkPackage"] = o.JdkPackagePath,
                ["javaBin"] = o.JavaBin,
                ["jdkRoot"] = o.JdkRoot,
                ["owner"] = o.Owner,
                ["force"] = o.Force ? "true" : "false",
                ["startTimeout"] = o.StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["stopTimeout"] = o.StopTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            };
            return new UpgradePlan(Mode, Path.GetFileName(o.PackagePath), context.FromVersion?.ToString(), context.ToVersion?.ToString(), new[]
            {
                new PlanPhase("Checks", checks),
                new PlanPhase("Stage", new PlanStep[] { new UploadManagementPackageStep(context) }),
                new PlanPhase("Upgrade", upgrade),
            }, new IPlanState[] { new PlatformState(context), configDb }, parameters)
            {
                InstallPath = context.InstallPath,
            };
        }

        /// <summary>The platform's ConfigDB: the given servers, else application.properties' url (a loopback url means the platform's host).</summary>
        internal static ConfigDbTarget TargetOf(ManagementUpgradeContext context, NetworkCredential credential, string? database)
        {
            var servers = context.Options.ConfigDbServers.Count > 0 ? context.Options.ConfigDbServers
                : context.Before.ConfigDbServer is { } fromProperties ? new[] { Reachable(fromProperties, context.Host.ComputerName) }
                : throw new ArgumentException($"{context.Host.ComputerName}: {ManagementReader.PropertiesFile} names no usable spring.datasource.url ('{context.Before.ConfigDbUrl}'); give the ConfigDB's host:port.");
            database ??= context.Before.ConfigDbDatabase ?? UpgradeScriptCatalog.DatabaseOf(ConfigDbKind.ManagementPlatform);
            return new ConfigDbTarget(servers.Select(s => ConfigDbEndpoint.Parse(s, 3306)), ConfigDbKind.ManagementPlatform, database, credential, context.Host);
        }

        // 127.0.0.1 in the platform's url is the platform's own host, not this machine.
        private static string Reachable(string server, string hostName)
        {
            var endpoint = ConfigDbEndpoint.Parse(server, 3306);
            var loopback = endpoint.Host == "localhost" || endpoint.Host.StartsWith("127.", StringComparison.Ordinal) || endpoint.Host == "::1" || endpoint.Host == "[::1]";
            return loopback ? new ConfigDbEndpoint(hostName, endpoint.Port).ToString() : server;
        }

        /// <summary>The manual's backup name (hotdb_management_249 for 2.4.9); never an existing path: _2, _3... are appended.</summary>
        internal static string ChooseBackupPath(IRemoteHost host, string installRoot, HotDbVersion? version)
        {
            var digits = version == null ? "unknown" : version.ToString().Replace(".", "");
            return host.FreeName(new NamePattern(installRoot.TrimEnd('/') + "/hotdb_management_" + digits, "_", 2));
        }
    }

    /// <summary>The platform as the first run read it and what the steps decided, as the journal keeps it (no secret).</summary>
    internal sealed class PlatformState : IPlanState
    {
        private readonly ManagementUpgradeContext _context;

        public PlatformState(ManagementUpgradeContext context) => _context = context;

        public static string KeyOf(string computerName) => "management:" + computerName;

        public string Key => KeyOf(_context.Host.ComputerName);

        public IDictionary<string, string?> Save()
        {
            var b = _context.Before;
            return new Dictionary<string, string?>
            {
                ["installed"] = b.Installed ? "true" : "false",
                ["version"] = b.Version?.ToString(),
                ["owner"] = b.Owner,
                ["running"] = b.Running ? "true" : "false",
                ["httpPort"] = b.HttpPort.ToString(CultureInfo.InvariantCulture),
                ["javaBin"] = b.JavaBin,
                ["javaVersion"] = b.JavaVersion,
                ["javaReportedVersion"] = b.JavaReportedVersion,
                ["startedUtc"] = _context.StartedUtc.ToString("o", CultureInfo.InvariantCulture),
                ["backupPath"] = _context.BackupPath,
                ["targetJavaBin"] = _context.TargetJavaBin,
                ["targetJavaVersion"] = _context.TargetJavaVersion,
                ["extractedJdk"] = _context.ExtractedJdk ? "true" : "false",
                ["newInstallInPlace"] = _context.NewInstallInPlace ? "true" : "false",
                ["failedInstallPath"] = _context.FailedInstallPath,
            };
        }

        public void Load(IReadOnlyDictionary<string, string?> values)
        {
            _context.BackupPath = values["backupPath"] ?? "";
            _context.TargetJavaBin = values["targetJavaBin"];
            _context.TargetJavaVersion = values["targetJavaVersion"];
            _context.ExtractedJdk = values["extractedJdk"] == "true";
            _context.NewInstallInPlace = values["newInstallInPlace"] == "true";
            _context.FailedInstallPath = values["failedInstallPath"];
        }

        public static ManagementInfo Before(IRemoteHost host, string installPath, IReadOnlyDictionary<string, string?> v) => new ManagementInfo(host, installPath)
        {
            Installed = v["installed"] == "true",
            Version = v["version"] is { } version ? HotDbVersion.Parse(version) : null,
            Owner = v["owner"],
            Running = v["running"] == "true",
            HttpPort = int.Parse(v["httpPort"]!, CultureInfo.InvariantCulture),
            JavaBin = v["javaBin"],
            JavaVersion = v["javaVersion"],
            JavaReportedVersion = v["javaReportedVersion"],
        };
    }
}
