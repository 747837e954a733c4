using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.ConfigDb.Sql;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Plans.SingleNode
{
    /// <summary>
    /// The ConfigDB side of an upgrade (a compute node's, or the management platform's): where it is, its scripts, and
    /// the backup (journaled so a later process can restore it).
    /// </summary>
    internal sealed class ConfigDbPart : IPlanState
    {
        private readonly Func<HotDbVersion?> _from;
        private readonly Func<HotDbVersion?> _to;

        public ConfigDbPart(ConfigDbTarget target, IRemoteHost dumpHost, string scriptsPath, string backupDirectory, ComputeNodeUpgradeContext node)
            : this(target, dumpHost, scriptsPath, backupDirectory, node.Host.ComputerName, () => node.FromVersion, () => node.ToVersion)
        {
            Node = node;
        }

        /// <summary>A ConfigDB upgraded for another component than a compute node: its host and its versions before and after.</summary>
        public ConfigDbPart(ConfigDbTarget target, IRemoteHost dumpHost, string scriptsPath, string backupDirectory, string hostName,
            Func<HotDbVersion?> fromVersion, Func<HotDbVersion?> toVersion)
        {
            Target = target;
            DumpHost = dumpHost;
            ScriptsPath = scriptsPath;
            BackupDirectory = backupDirectory;
            HostName = hostName;
            _from = fromVersion;
            _to = toVersion;
        }

        /// <summary>The host whose steps these are (the compute node's, or the platform's).</summary>
        public string HostName { get; }
        public HotDbVersion? FromVersion => _from();
        public HotDbVersion? ToVersion => _to();

        public ConfigDbTarget Target { get; }
        /// <summary>Where mysqldump runs and the dump stays: the node's host.</summary>
        public IRemoteHost DumpHost { get; }
        public string ScriptsPath { get; }
        public string BackupDirectory { get; }
        /// <summary>The compute node upgrade this ConfigDB belongs to; null for the management platform.</summary>
        public ComputeNodeUpgradeContext? Node { get; }
        public ConfigDbBackup? Backup { get; set; }
        private ConfigDbUpgradePlan? _plan;

        public HotDbVersion From => FromVersion ?? throw new StageFailedException("The installed version is unknown; the ConfigDB upgrade cannot be chosen.");
        public HotDbVersion To => ToVersion ?? throw new StageFailedException("The package's version is unknown; the ConfigDB upgrade cannot be chosen.");

        /// <summary>The scripts for (From, To]; read once per process (a resumed run reads them again).</summary>
        public ConfigDbUpgradePlan UpgradePlan
        {
            get
            {
                if (_plan != null) return _plan;
                // A forced reinstall or downgrade keeps the ConfigDB as it is: scripts only ever go forward.
                if (To <= From) return _plan = new ConfigDbUpgradePlan(Target.Database, Target.Kind, From, To, Array.Empty<UpgradeScript>());
                IReadOnlyList<UpgradeScript> scripts;
                try { scripts = UpgradeScriptCatalog.Load(ScriptsPath); }
                catch (UpgradeScriptCatalogException e)
                {
                    throw new StageFailedException($"The ConfigDB upgrade scripts in {ScriptsPath} are not usable: {e.Message} {string.Join(" ", e.Problems)}",
                        $"Name every script {UpgradeScriptCatalog.NamingRule}, one per version.", e);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException)
                {
                    throw new StageFailedException($"The ConfigDB upgrade scripts folder {ScriptsPath} cannot be read: {e.Message}", "Give -ScriptsPath the folder of the vendor's scripts.", e);
                }
                return _plan = ConfigDbUpgrader.Plan(Target, scripts, From, To);
            }
        }

        public string Key => "configdb";

        public IDictionary<string, string?> Save()
        {
            var b = Backup;
            if (b == null) return new Dictionary<string, string?>();
            return new Dictionary<string, string?>
            {
                ["backupHost"] = b.ComputerName,
                ["backupPath"] = b.Path,
                ["backupSidecar"] = b.SidecarPath,
                ["backupVersion"] = b.Version.ToString(),
                ["backupSize"] = b.Size.ToString(CultureInfo.InvariantCulture),
                ["backupSha256"] = b.Sha256,
                ["backupBinaryLogFile"] = b.BinaryLogFile,
                ["backupBinaryLogPosition"] = b.BinaryLogPosition?.ToString(CultureInfo.InvariantCulture),
                ["backupGtid"] = b.Gtid,
                ["backupTime"] = b.Time.ToString("o", CultureInfo.InvariantCulture),
                ["backupDumpClient"] = b.DumpClient,
                ["backupDumpOptions"] = string.Join("\n", b.DumpOptions),
                ["backupServer"] = b.Server.Endpoint.ToString(),
                ["backupServerVersion"] = b.Server.Version,
                ["backupServerBinaryLog"] = b.Server.BinaryLog ? "true" : "false",
                ["backupTables"] = string.Join("\n", b.Tables.Select(t => t.Table + "=" + (t.Checksum?.ToString(CultureInfo.InvariantCulture) ?? ""))),
            };
        }

        public void Load(IReadOnlyDictionary<string, string?> values)
        {
            if (!values.TryGetValue("backupPath", out var path) || path == null) return;
            string V(string key) => values[key]!;
            var server = new ConfigDbServer(ConfigDbEndpoint.Parse(V("backupServer"), 3306), V("backupServerVersion"), false, false, null, V("backupServerBinaryLog") == "true");
            var tables = V("backupTables").Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries).Select(line =>
            {
                var at = line.LastIndexOf('=');
                var checksum = line.Substring(at + 1);
                return new TableChecksum(line.Substring(0, at), checksum.Length == 0 ? (long?)null : long.Parse(checksum, CultureInfo.InvariantCulture));
            }).ToList();
            Backup = new ConfigDbBackup(Target, Target.Database, Target.Kind, DumpHost, server, HotDbVersion.Parse(V("backupVersion")), path,
                long.Parse(V("backupSize"), CultureInfo.InvariantCulture), V("backupSha256"), values["backupBinaryLogFile"],
                values["backupBinaryLogPosition"] is { } position ? long.Parse(position, CultureInfo.InvariantCulture) : (long?)null, values["backupGtid"],
                DateTimeOffset.Parse(V("backupTime"), CultureInfo.InvariantCulture), V("backupDumpClient"),
                V("backupDumpOptions").Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries), tables)
            {
                SidecarPath = values.TryGetValue("backupSidecar", out var sidecar) ? sidecar : null,
            };
        }
    }

    /// <summary>
    /// Before anything stops: the ConfigDB answers with the given login, the database is there, the scripts for
    /// (from, to] are present and agree with the upgrade ledger, and what the SQL check finds is noted.
    /// </summary>
    internal sealed class CheckConfigDbStep : PlanStep
    {
        private readonly ConfigDbPart _part;

        public CheckConfigDbStep(ConfigDbPart part) => _part = part;

        public override string Name => "CheckConfigDb";
        public override string Host => _part.HostName;
        public override bool ChangesState => false;

        public override string Describe() =>
            $"Check the ConfigDB {_part.Target} accepts {_part.Target.UserName}, and {_part.ScriptsPath} holds the scripts for ({_part.FromVersion}, {_part.ToVersion}] (ledger, SQL check)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var target = _part.Target;
            var master = MasterDiscovery.Find(target, progress.Note);
            // Opening the database itself proves it exists and the login may use it.
            using (var connection = target.Open(master.Endpoint, target.Database))
            {
                progress.Note($"ConfigDB master {master.Endpoint} ({master.Version}) accepts {target.UserName} on {target.Database}");
                var plan = _part.UpgradePlan;
                if (plan.To > plan.From && plan.Scripts.Count == 0)
                    throw new StageFailedException($"{_part.ScriptsPath} holds no {target.Kind} ConfigDB upgrade script for ({plan.From}, {plan.To}]; nothing was changed.",
                        $"Give -ScriptsPath the folder of the vendor's scripts ({UpgradeScriptCatalog.NamingRule}) for this upgrade.");
                foreach (var script in plan.Scripts) progress.Note($"ConfigDB script {script.Name}: {script.StatementCount} statements, SHA-256 {script.Sha256}");
                var applied = ConfigDbUpgrader.CheckLedger(new UpgradeLedger(connection).Entries(target.Database), plan);
                foreach (var name in applied.Keys) progress.Note($"{name} is already applied (ledger); it will be skipped");
            }
            // The statements the catalog already split, not the files read whole again.
            var report = UpgradeSqlAnalyzer.Analyze(_part.UpgradePlan.Scripts.Select(s => SqlScriptSource.FromStatements(s.Path, s.Statements)));
            foreach (var finding in report.Findings)
                progress.Note($"SQL check: {finding.RuleId} {finding.Severity} {Path.GetFileName(finding.File)}:{finding.Line} {finding.Message}");
        }
    }

    /// <summary>mysqldump of the ConfigDB after the stop (nothing writes to it then), verified by table checksums.</summary>
    internal sealed class BackupConfigDbStep : PlanStep
    {
        private readonly ConfigDbPart _part;

        public BackupConfigDbStep(ConfigDbPart part) => _part = part;

        public override string Name => "BackupConfigDb";
        public override string Host => _part.HostName;
        // Only reads the ConfigDB and writes a new dump file: an interrupted run is simply taken again.
        public override bool SafeToRerun => true;

        public override string Describe() => $"Back up {_part.Target} ({_part.FromVersion}) with mysqldump into {_part.DumpHost.ComputerName}:{_part.BackupDirectory}, verified by table checksums";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var service = new ConfigDbBackupService(progress.Note, (status, percent) => progress.Report(status, percent));
            _part.Backup = service.Backup(_part.Target, _part.DumpHost, _part.From, _part.BackupDirectory);
            progress.Note($"ConfigDB backup {_part.Backup.ComputerName}:{_part.Backup.Path} (SHA-256 {_part.Backup.Sha256}, {_part.Backup.Tables.Count} tables checksummed)");
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (_part.Backup != null) progress.Note($"the dump {_part.Backup.Path} is kept");
        }
    }

    /// <summary>
    /// The vendor's scripts for (from, to], with the upgrader's own restore off: the plan runner alone decides to
    /// restore, and this step's rollback is that restore (verified by the backup's table checksums).
    /// </summary>
    internal sealed class UpgradeConfigDbStep : PlanStep
    {
        private readonly ConfigDbPart _part;

        public UpgradeConfigDbStep(ConfigDbPart part) => _part = part;

        public override string Name => "UpgradeConfigDb";
        public override string Host => _part.HostName;

        public override string Describe()
        {
            string scripts;
            try { scripts = string.Join(", ", _part.UpgradePlan.Scripts.Select(s => s.Name)); }
            catch (StageFailedException) { scripts = "the scripts in " + _part.ScriptsPath; }
            return $"Upgrade {_part.Target.Database} {_part.FromVersion} -> {_part.ToVersion} with {(scripts.Length == 0 ? "no script" : scripts)}; rollback restores the backup";
        }

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var backup = _part.Backup ?? throw new StageFailedException("No verified ConfigDB backup was taken; the ConfigDB is not changed without one.", "Run the whole plan, not single steps.");
            var service = new ConfigDbBackupService(progress.Note, (status, percent) => progress.Report(status, percent));
            var result = new ConfigDbUpgrader(service, progress.Note).Run(_part.Target, _part.UpgradePlan, () => backup, autoRestore: false,
                new NestedStageProgress(progress), cancellationToken);
            if (!result.Succeeded)
                throw new StageFailedException($"The ConfigDB upgrade failed: {result.Error}",
                    "Keep the error, the scripts and the backup for the vendor; fix the cause and run the upgrade again.");
            progress.Note($"ConfigDB upgraded to {_part.To}: {result.Applied.Count} script(s) applied, {result.Skipped.Count} already applied");
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            var backup = _part.Backup;
            if (backup == null)
            {
                progress.Note("no backup was taken, so the ConfigDB was not changed");
                return;
            }
            progress.Report("restoring " + backup.Path);
            var restore = new ConfigDbBackupService(progress.Note, (status, percent) => progress.Report(status, percent)).Restore(backup, _part.Target, _part.DumpHost);
            progress.Note($"ConfigDB restored and verified against the backup's table checksums ({restore.TablesVerified} tables, {backup.Path})");
        }
    }
}
