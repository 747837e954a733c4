using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;
using MySqlConnector;

namespace HotDb.Upgrade.ConfigDb
{
    /// <summary>The ordered scripts an upgrade will apply, and their SQL as one text (what -WhatIf shows).</summary>
    public sealed class ConfigDbUpgradePlan
    {
        internal ConfigDbUpgradePlan(string database, ConfigDbKind kind, HotDbVersion from, HotDbVersion to, IReadOnlyList<UpgradeScript> scripts)
        {
            Database = database;
            Kind = kind;
            From = from;
            To = to;
            Scripts = scripts;
        }

        public string Database { get; }
        public ConfigDbKind Kind { get; }
        public HotDbVersion From { get; }
        public HotDbVersion To { get; }
        public IReadOnlyList<UpgradeScript> Scripts { get; }
        public int StatementCount => Scripts.Sum(s => s.StatementCount);

        /// <summary>Every statement in the order it would run, each script headed by a comment.</summary>
        public string CombinedSql
        {
            get
            {
                var sql = new StringBuilder();
                foreach (var script in Scripts)
                {
                    sql.Append("-- ").Append(script.Name).Append(": ").Append(Database).Append(" to ").Append(script.Version)
                        .Append(", SHA-256 ").Append(script.Sha256).Append('\n');
                    foreach (var statement in script.Statements)
                    {
                        // A statement with ';' inside (a procedure body) needs its own delimiter to be read back the same.
                        if (statement.Text.IndexOf(';') >= 0) sql.Append("DELIMITER $$\n").Append(statement.Text).Append("$$\nDELIMITER ;\n");
                        else sql.Append(statement.Text).Append(";\n");
                    }
                }
                return sql.ToString();
            }
        }
    }

    /// <summary>What Invoke-HotDbConfigDbUpgrade did.</summary>
    public sealed class ConfigDbUpgradeResult
    {
        internal ConfigDbUpgradeResult(ConfigDbUpgradePlan plan, ConfigDbServer server, ConfigDbBackup backup, StageRunResult run)
        {
            Plan = plan;
            Server = server;
            Backup = backup;
            Stages = run.Stages;
            _run = run;
        }

        private readonly StageRunResult _run;

        public ConfigDbUpgradePlan Plan { get; }
        public string Database => Plan.Database;
        public HotDbVersion From => Plan.From;
        public HotDbVersion To => Plan.To;
        public ConfigDbServer Server { get; }
        public ConfigDbBackup Backup { get; }
        public IReadOnlyList<StageResult> Stages { get; }
        public bool Succeeded => _run.Succeeded;
        /// <summary>Scripts whose changes are in the ConfigDB now (after a failure: only when not restored, -NoAutoRestore).</summary>
        public IReadOnlyList<string> Applied => Stages.Where(s => (s.Status == StageStatus.Succeeded || s.Status == StageStatus.NotRolledBack) && s.Stage != GuardStageName)
            .Select(s => s.Stage).ToList();
        public IReadOnlyList<string> Skipped => Stages.Where(s => s.Status == StageStatus.Skipped).Select(s => s.Stage).ToList();
        /// <summary>The failure (script, line, server error), or null.</summary>
        public string? Error => _run.FailedStage?.Error;
        /// <summary>The ConfigDB was restored from <see cref="Backup"/> after the failure.</summary>
        public bool Restored { get; internal set; }

        internal const string GuardStageName = "Backup";
    }

    /// <summary>
    /// Applies the vendor's upgrade scripts in (From, To] in version order: checks the ledger, keeps a verified backup
    /// as the first stage (whose rollback is the restore), runs every statement, stops at the first failure.
    /// </summary>
    public sealed class ConfigDbUpgrader
    {
        private readonly ConfigDbBackupService _backups;
        private readonly Action<string>? _log;

        public ConfigDbUpgrader(ConfigDbBackupService backups, Action<string>? log = null)
        {
            _backups = backups;
            _log = log;
        }

        public static ConfigDbUpgradePlan Plan(ConfigDbTarget target, IEnumerable<UpgradeScript> catalog, HotDbVersion from, HotDbVersion to) =>
            new ConfigDbUpgradePlan(target.Database, target.Kind, from, to, UpgradeScriptCatalog.Select(catalog, target.Kind, from, to));

        /// <summary>
        /// Runs the plan. Before anything changes: the master is found, the ledger agrees with the scripts, then
        /// <paramref name="backup"/> is asked for the backup (given, or taken now).
        /// </summary>
        public ConfigDbUpgradeResult Run(ConfigDbTarget target, ConfigDbUpgradePlan plan, Func<ConfigDbBackup> backup, bool autoRestore,
            IStageObserver? observer, CancellationToken cancellationToken = default)
        {
            var master = MasterDiscovery.Find(target, _log);
            using (var connection = target.Open(master.Endpoint, target.Database))
            {
                var ledger = new UpgradeLedger(connection);
                var applied = CheckLedger(ledger.Entries(target.Database), plan);
                var taken = backup();
                if (!string.Equals(taken.Database, target.Database, StringComparison.Ordinal))
                    throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                        $"The backup {taken.Path} holds {taken.Database}, not {target.Database}.", "Give a backup of the ConfigDB being upgraded.", taken);
                RefuseOutdated(taken, ConfigDbBackupService.Checksums(target, master, cancellationToken));
                ledger.Ensure();
                var context = new Context(target, taken, connection, ledger, applied, autoRestore, _backups,
                    Guid.NewGuid().ToString("N"), $"{Environment.UserName}@{Environment.MachineName} as {CurrentUser(connection)}");
                var stages = new List<UpgradeStage<Context>> { new GuardStage() };
                stages.AddRange(plan.Scripts.Select(s => new ScriptStage(s)));
                var run = new StageRunner<Context>(stages, observer).Run(target.ToString(), context, cancellationToken, rollBack: autoRestore);
                return new ConfigDbUpgradeResult(plan, master, taken, run) { Restored = context.Restored };
            }
        }

        /// <summary>
        /// A restore after a failure must not lose what was written after the backup: the live tables must still be
        /// exactly what the backup recorded.
        /// </summary>
        internal static void RefuseOutdated(ConfigDbBackup backup, IReadOnlyList<TableChecksum> live)
        {
            if (ConfigDbBackupService.SameChecksums(backup.Tables, live, out var difference)) return;
            throw new ConfigDbException(ConfigDbFailure.BackupOutdated,
                $"The ConfigDB changed since the backup {backup.ComputerName}:{backup.Path} was taken ({backup.Time:yyyy-MM-dd HH:mm:ss}): {difference}. " +
                "Restoring it after a failure would lose those changes; nothing was changed.",
                "Take a fresh backup with Backup-HotDbConfigDb (or run without -Backup, which takes one), then run the upgrade again.", backup);
        }

        /// <summary>Versions already applied with the same checksum; a different checksum refuses the whole run.</summary>
        internal static IReadOnlyDictionary<string, LedgerEntry> CheckLedger(IReadOnlyList<LedgerEntry> entries, ConfigDbUpgradePlan plan)
        {
            var applied = new Dictionary<string, LedgerEntry>();
            var conflicts = new List<string>();
            foreach (var script in plan.Scripts)
            {
                var entry = entries.LastOrDefault(e => e.IsApplied && HotDbVersion.Parse(e.Version) == script.Version);
                if (entry is null) continue;
                if (!string.Equals(entry.Sha256, script.Sha256, StringComparison.OrdinalIgnoreCase))
                    conflicts.Add($"{script.Version} was applied from {entry.ScriptName} (SHA-256 {entry.Sha256}) on {entry.EndTime:yyyy-MM-dd HH:mm} " +
                        $"by {entry.AppliedBy}, but {script.Name} now has SHA-256 {script.Sha256}.");
                else applied[script.Name] = entry;
            }
            if (conflicts.Count > 0)
                throw new ConfigDbException(ConfigDbFailure.LedgerMismatch,
                    $"The upgrade ledger disagrees with the scripts: {string.Join(" ", conflicts)}",
                    "Use the exact scripts that were applied before (ask the vendor which is right); nothing was changed.", plan);
            return applied;
        }

        private static string CurrentUser(MySqlConnection connection)
        {
            using (var command = new MySqlCommand("SELECT CURRENT_USER()", connection)) return Convert.ToString(command.ExecuteScalar()) ?? "";
        }

        private sealed class Context
        {
            public Context(ConfigDbTarget target, ConfigDbBackup backup, MySqlConnection connection, UpgradeLedger ledger,
                IReadOnlyDictionary<string, LedgerEntry> applied, bool autoRestore, ConfigDbBackupService backups, string runId, string appliedBy)
            {
                Target = target;
                Backup = backup;
                Connection = connection;
                Ledger = ledger;
                Applied = applied;
                AutoRestore = autoRestore;
                Backups = backups;
                RunId = runId;
                AppliedBy = appliedBy;
            }

            public ConfigDbTarget Target { get; }
            public ConfigDbBackup Backup { get; }
            public MySqlConnection Connection { get; }
            public UpgradeLedger Ledger { get; }
            public IReadOnlyDictionary<string, LedgerEntry> Applied { get; }
            public bool AutoRestore { get; }
            public ConfigDbBackupService Backups { get; }
            public string RunId { get; }
            public string AppliedBy { get; }
            public bool Restored { get; set; }
        }

        /// <summary>Holds the verified backup; its rollback restores it, undoing every script that ran.</summary>
        private sealed class GuardStage : UpgradeStage<Context>
        {
            public override string Name => ConfigDbUpgradeResult.GuardStageName;

            public override string Describe(Context context) =>
                $"keep the verified backup {context.Backup.ComputerName}:{context.Backup.Path} to restore if any statement fails" +
                (context.AutoRestore ? "" : " (automatic restore is off)");

            public override void Execute(Context context, IStageProgress progress, CancellationToken cancellationToken) =>
                progress.Note($"backup {context.Backup.Path}, SHA-256 {context.Backup.Sha256}, {context.Backup.Tables.Count} tables");

            public override void Rollback(Context context, IStageProgress progress, CancellationToken cancellationToken)
            {
                progress.Report("restoring the backup");
                context.Backups.Restore(context.Backup, context.Target);
                context.Restored = true;
                context.Ledger.MarkRolledBack(context.RunId);
                progress.Note($"restored from {context.Backup.Path}; every table matches its backup checksum");
            }
        }

        private sealed class ScriptStage : UpgradeStage<Context>
        {
            private readonly UpgradeScript _script;

            public ScriptStage(UpgradeScript script) => _script = script;

            public override string Name => _script.Name;

            public override string Describe(Context context) =>
                $"upgrade {context.Target.Database} to {_script.Version}: {_script.StatementCount} statements from {_script.Name}";

            public override bool IsAlreadyDone(Context context) => context.Applied.ContainsKey(_script.Name);

            public override void Execute(Context context, IStageProgress progress, CancellationToken cancellationToken)
            {
                var start = DateTime.Now;
                var statements = _script.Statements;
                for (var i = 0; i < statements.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var statement = statements[i];
                    progress.Report($"statement {i + 1} of {statements.Count} (line {statement.Line})", statements.Count == 0 ? 100 : i * 100 / statements.Count);
                    try
                    {
                        using (var command = new MySqlCommand(statement.Text, context.Connection))
                            ConfigDbCommands.Run(command, c => c.ExecuteNonQuery(), cancellationToken);
                    }
                    catch (OperationCanceledException e)
                    {
                        var error = $"{_script.Name} line {statement.Line} column {statement.Column}: statement {i + 1} was cancelled (stopped on the server with KILL QUERY).";
                        context.Ledger.Record(context.RunId, context.Target.Database, _script, false, start, DateTime.Now, context.AppliedBy, error);
                        throw new StageFailedException(error, "Run Invoke-HotDbConfigDbUpgrade again when the ConfigDB may be upgraded.", e);
                    }
                    catch (MySqlException e)
                    {
                        var error = $"{_script.Name} line {statement.Line} column {statement.Column}: the server refused statement {i + 1} " +
                            $"with error {e.Number} ({e.SqlState}): {e.Message}" +
                            (ConfigDbCommands.IsLockWaitTimeout(e)
                                ? $" Another session held a lock on the table for more than {context.Target.LockWaitSeconds} s (an open transaction, LOCK TABLES or a long query); the statement timed out."
                                : "");
                        context.Ledger.Record(context.RunId, context.Target.Database, _script, false, start, DateTime.Now, context.AppliedBy, error);
                        throw new StageFailedException(error,
                            "Keep the error, the scripts and the backup for the vendor; fix the script or the ConfigDB and run the upgrade again.", e);
                    }
                }
                context.Ledger.Record(context.RunId, context.Target.Database, _script, true, start, DateTime.Now, context.AppliedBy, null);
                progress.Note($"{statements.Count} statements applied");
            }
        }
    }
}
