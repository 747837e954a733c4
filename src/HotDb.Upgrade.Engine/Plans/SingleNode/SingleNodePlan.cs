using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Plans.SingleNode
{
    /// <summary>What a single-node upgrade (the manual's section 3.2) is asked to do.</summary>
    public sealed class SingleNodePlanOptions
    {
        public ComputeNodeUpgradeOptions Node { get; set; } = new ComputeNodeUpgradeOptions();
        /// <summary>The local folder of the vendor's ConfigDB upgrade scripts (hotdb_config_&lt;version&gt;.sql).</summary>
        public string ScriptsPath { get; set; } = "";
        /// <summary>host[:port] of the ConfigDB servers; default: the url in the node's server.xml.</summary>
        public IReadOnlyList<string> ConfigDbServers { get; set; } = Array.Empty<string>();
        public NetworkCredential ConfigDbCredential { get; set; } = new NetworkCredential();
        /// <summary>Folder on the node's host for the ConfigDB dump.</summary>
        public string BackupDirectory { get; set; } = DefaultBackupDirectory;

        public const string DefaultBackupDirectory = "/usr/local/hotdb/backup/configdb";
    }

    /// <summary>
    /// The single-node upgrade as a plan. Checks (read-only, all before anything stops); Stage (the upload, while the old
    /// version serves); Upgrade: stop, ConfigDB backup, ConfigDB upgrade (undone by restoring the backup), keep the old
    /// install, extract, NDB SQL, configuration, JDK, license, start and verify. The reverse-order rollback restores the
    /// ConfigDB before the stop's rollback starts the old version.
    /// </summary>
    public static class SingleNodePlan
    {
        public const string Mode = "SingleNode";

        /// <summary>
        /// Stages that may simply run again when a killed process left them unfinished: the upload (checked by SHA-256),
        /// the stop (stopping a stopped node changes nothing) and the license copy (a plain overwrite). Every other
        /// state-changing stage is rolled back instead (its rollback copes with a partial run).
        /// </summary>
        internal static readonly HashSet<string> SafeToRerun = new HashSet<string>(StringComparer.Ordinal) { "UploadPackage", "StopService", "InstallLicense" };

        /// <summary>Reads the node (nothing changes) and builds the plan.</summary>
        public static UpgradePlan Build(IRemoteHost host, SingleNodePlanOptions options, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            if (string.IsNullOrWhiteSpace(options.ScriptsPath)) throw new ArgumentException("The ConfigDB upgrade scripts folder is required.", nameof(options));
            var context = ComputeNodeUpgrade.Prepare(host, options.Node, cancellationToken);
            return Assemble(context, options);
        }

        /// <summary>
        /// Rebuilds the plan a journal was written for, in a later process: the node as it was before the upgrade comes
        /// from the journal (after a kill it may be stopped and its directory moved), the session and the ConfigDB login
        /// are given again (the journal holds no secret).
        /// </summary>
        public static UpgradePlan Rebuild(PlanJournal journal, IRemoteHost host, NetworkCredential configDbCredential)
        {
            if (journal.Mode != Mode) throw new PlanJournalException($"The journal is of a {journal.Mode} plan, not {Mode}.", "Resume it with the command that rebuilds that plan.");
            var p = journal.Parameters;
            var options = OptionsOf(p, configDbCredential);
            if (!journal.State.TryGetValue(NodeState.KeyOf(host.ComputerName), out var state))
                throw new PlanJournalException($"The journal holds no state for {host.ComputerName}; it was written for {string.Join(", ", journal.Hosts)}.",
                    "Give a -Session to the host the interrupted run upgraded.");
            var context = new ComputeNodeUpgradeContext(host, options.Node, NodeState.Before(host, options.Node.InstallPath, state),
                DateTime.Parse(state["startedUtc"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
            return Assemble(context, options, p["configDbDatabase"]);
        }

        /// <summary>The options a plan's journal parameters describe, with the ConfigDB login given again (the journal keeps no secret).</summary>
        internal static SingleNodePlanOptions OptionsOf(IReadOnlyDictionary<string, string?> p, NetworkCredential configDbCredential)
        {
            var options = new SingleNodePlanOptions
            {
                Node = new ComputeNodeUpgradeOptions
                {
                    InstallPath = p["installPath"]!,
                    PackagePath = p["package"]!,
                    StagingPath = p["stagingPath"],
                    JdkPackagePath = p["jdkPackage"],
                    JavaBin = p["javaBin"],
                    JdkRoot = p["jdkRoot"]!,
                    LicenseFilePath = p["licenseFile"],
                    Owner = p["owner"],
                    Force = p["force"] == "true",
                    IncludeLog4j = p["includeLog4j"] == "true",
                    StartTimeout = TimeSpan.FromSeconds(double.Parse(p["startTimeout"]!, CultureInfo.InvariantCulture)),
                    StopTimeout = TimeSpan.FromSeconds(double.Parse(p["stopTimeout"]!, CultureInfo.InvariantCulture)),
                },
                ScriptsPath = p["scriptsPath"]!,
                ConfigDbServers = p["configDb"]!.Split(','),
                ConfigDbCredential = configDbCredential,
                BackupDirectory = p["backupDirectory"]!,
            };
            if (!string.Equals(p["configDbUser"], configDbCredential.UserName, StringComparison.Ordinal))
                throw new PlanJournalException($"The run used the ConfigDB login '{p["configDbUser"]}', not '{configDbCredential.UserName}'.",
                    "Give -ConfigDbCredential of the login the interrupted run used.");
            return options;
        }

        internal static UpgradePlan Assemble(ComputeNodeUpgradeContext context, SingleNodePlanOptions options, string? database = null)
        {
            var host = context.Host;
            var name = host.ComputerName;
            var target = TargetOf(context, options, database);
            var configDb = new ConfigDbPart(target, host, options.ScriptsPath, options.BackupDirectory, context);

            PlanStep Step(UpgradeStage<ComputeNodeUpgradeContext> stage) => new StageStep<ComputeNodeUpgradeContext>(stage, context, name, SafeToRerun.Contains(stage.Name));
            var stages = ComputeNodeUpgrade.Stages(context);
            var checks = stages.Where(s => !s.ChangesState).Select(Step).ToList();
            checks.Add(new CheckConfigDbStep(configDb));
            var upload = stages.Where(s => s.Name == "UploadPackage").Select(Step).ToList();
            var upgrade = new List<PlanStep>();
            foreach (var stage in stages.Where(s => s.ChangesState && s.Name != "UploadPackage"))
            {
                upgrade.Add(Step(stage));
                // The ConfigDB changes while nothing uses it: after the stop, before the old install moves.
                if (stage.Name == "StopService")
                {
                    upgrade.Add(new BackupConfigDbStep(configDb));
                    upgrade.Add(new UpgradeConfigDbStep(configDb));
                }
            }
            var o = context.Options;
            var parameters = ParametersOf(context, options, target);
            return new UpgradePlan(Mode, Path.GetFileName(o.PackagePath), context.FromVersion?.ToString(), context.ToVersion?.ToString(), new[]
            {
                new PlanPhase("Checks", checks),
                new PlanPhase("Stage", upload),
                new PlanPhase("Upgrade", upgrade),
            }, new IPlanState[] { new NodeState(context), configDb }, parameters)
            {
                InstallPath = context.InstallPath,
            };
        }

        /// <summary>The node's ConfigDB: the given servers, else server.xml's url; the database from the journal, else server.xml's.</summary>
        internal static ConfigDbTarget TargetOf(ComputeNodeUpgradeContext context, SingleNodePlanOptions options, string? database)
        {
            var servers = options.ConfigDbServers.Count > 0 ? options.ConfigDbServers
                : context.Before.ConfigDbServer is { } fromXml ? new[] { fromXml }
                : throw new ArgumentException($"{context.Host.ComputerName}: server.xml names no usable ConfigDB url ('{context.Before.ConfigDbUrl}'); give the ConfigDB's host:port.");
            database ??= context.Before.ConfigDbDatabase ?? UpgradeScriptCatalog.DatabaseOf(ConfigDbKind.ComputeNode);
            return new ConfigDbTarget(servers.Select(s => ConfigDbEndpoint.Parse(s, 3306)), ConfigDbKind.ComputeNode, database, options.ConfigDbCredential, context.Host);
        }

        /// <summary>What rebuilds the options in a later process (<see cref="OptionsOf"/>); never a secret.</summary>
        internal static Dictionary<string, string?> ParametersOf(ComputeNodeUpgradeContext context, SingleNodePlanOptions options, ConfigDbTarget target)
        {
            var o = context.Options;
            return new Dictionary<string, string?>
            {
                ["installPath"] = context.InstallPath,
                ["package"] = o.PackagePath,
                ["stagingPath"] = o.StagingPath,
                ["jdkPackage"] = o.JdkPackagePath,
                ["javaBin"] = o.JavaBin,
                ["jdkRoot"] = o.JdkRoot,
                ["licenseFile"] = o.LicenseFilePath,
                ["owner"] = o.Owner,
                ["force"] = o.Force ? "true" : "false",
                ["includeLog4j"] = o.IncludeLog4j ? "true" : "false",
                ["startTimeout"] = o.StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["stopTimeout"] = o.StopTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["scriptsPath"] = options.ScriptsPath,
                ["configDb"] = string.Join(",", target.Endpoints),
                ["configDbDatabase"] = target.Database,
                ["configDbUser"] = target.UserName,
                ["backupDirectory"] = options.BackupDirectory,
            };
        }
    }

    /// <summary>The node's upgrade context as the journal keeps it: the node before the upgrade and what the stages decided.</summary>
    internal sealed class NodeState : IPlanState
    {
        private readonly ComputeNodeUpgradeContext _context;

        public NodeState(ComputeNodeUpgradeContext context) => _context = context;

        public static string KeyOf(string computerName) => "node:" + computerName;

        public string Key => KeyOf(_context.Host.ComputerName);

        public IDictionary<string, string?> Save()
        {
            var b = _context.Before;
            return new Dictionary<string, string?>
            {
                ["installed"] = Flag(b.Installed),
                ["version"] = b.Version?.ToString(),
                ["owner"] = b.Owner,
                ["running"] = Flag(b.Running),
                ["serverPort"] = Number(b.ServerPort),
                ["managerPort"] = Number(b.ManagerPort),
                ["haMode"] = Number(b.HaMode),
                ["haState"] = b.HaState,
                ["idcId"] = Number(b.IdcId),
                // Host, port and database only: a url's options could carry a password.
                ["configDbUrl"] = b.ConfigDbUrl?.Split('?')[0],
                ["javaBin"] = b.JavaBin,
                ["javaVersion"] = b.JavaVersion,
                ["javaReportedVersion"] = b.JavaReportedVersion,
                ["ndbSqlDirectories"] = string.Join("\n", b.NdbSqlDirectories),
                ["startedUtc"] = _context.StartedUtc.ToString("o", CultureInfo.InvariantCulture),
                ["backupPath"] = _context.BackupPath,
                ["targetJavaBin"] = _context.TargetJavaBin,
                ["targetJavaVersion"] = _context.TargetJavaVersion,
                ["extractedJdk"] = Flag(_context.ExtractedJdk),
                ["newInstallInPlace"] = Flag(_context.NewInstallInPlace),
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

        /// <summary>The node as the first run read it.</summary>
        public static ComputeNodeInfo Before(IRemoteHost host, string installPath, IReadOnlyDictionary<string, string?> v) => new ComputeNodeInfo(host, installPath)
        {
            Installed = v["installed"] == "true",
            Version = v["version"] is { } version ? HotDbVersion.Parse(version) : null,
            Owner = v["owner"],
            Running = v["running"] == "true",
            ServerPort = int.Parse(v["serverPort"]!, CultureInfo.InvariantCulture),
            ManagerPort = int.Parse(v["managerPort"]!, CultureInfo.InvariantCulture),
            HaMode = int.Parse(v["haMode"]!, CultureInfo.InvariantCulture),
            HaState = v["haState"] ?? "master",
            IdcId = int.Parse(v["idcId"]!, CultureInfo.InvariantCulture),
            ConfigDbUrl = v["configDbUrl"],
            JavaBin = v["javaBin"],
            JavaVersion = v["javaVersion"],
            JavaReportedVersion = v["javaReportedVersion"],
            NdbSqlDirectories = (v["ndbSqlDirectories"] ?? "").Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries),
        };

        private static string Flag(bool value) => value ? "true" : "false";
        private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
