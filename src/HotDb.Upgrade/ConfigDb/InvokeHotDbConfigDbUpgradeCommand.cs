using System;
using System.Management.Automation;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Applies the vendor's ConfigDB upgrade scripts in (From, To] in version order, restoring the backup on failure.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "HotDbConfigDbUpgrade", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ConfigDbUpgradeResult), typeof(ConfigDbUpgradePlan))]
    public sealed class InvokeHotDbConfigDbUpgradeCommand : ConfigDbCmdlet
    {
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        public ConfigDbTarget? ConfigDb { get; set; }

        /// <summary>The folder of vendor upgrade scripts.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The version the ConfigDB is at now; defaults to the backup's version.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VersionCompleter))]
        public string? From { get; set; }

        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VersionCompleter))]
        public string To { get; set; } = "";

        /// <summary>A verified backup of this ConfigDB; without one, a backup is taken before anything runs.</summary>
        [Parameter(ValueFromPipeline = true)]
        public ConfigDbBackup? Backup { get; set; }

        /// <summary>Where a backup taken now is written (on the host given by -BackupMethod).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string BackupDirectory { get; set; } = BackupHotDbConfigDbCommand.DefaultDirectory;

        [Parameter]
        public ConfigDbBackupMethod? BackupMethod { get; set; }

        /// <summary>Leave the ConfigDB as the failure left it instead of restoring the backup.</summary>
        [Parameter]
        public SwitchParameter NoAutoRestore { get; set; }

        protected override void ProcessRecord()
        {
            var target = ConfigDb!;
            var fromText = From ?? Backup?.Version.ToString();
            if (fromText is null)
                ThrowHotDbError(new ArgumentException("The current version is unknown."), "FromVersionMissing", ErrorCategory.InvalidArgument, target,
                    "Give -From (the version the ConfigDB is at now) or pipe in a backup, whose version is used.");
            var from = ParseVersion(fromText!, nameof(From));
            var to = ParseVersion(To, nameof(To));
            ConfigDbUpgradePlan plan;
            try
            {
                var scripts = UpgradeScriptCatalog.Load(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path));
                plan = ConfigDbUpgrader.Plan(target, scripts, from, to);
            }
            catch (Exception e) when (e is UpgradeScriptCatalogException || e is ArgumentException || e is System.IO.IOException)
            {
                ThrowTerminatingError(ErrorRecordFor(e, Path));
                return;
            }
            foreach (var script in plan.Scripts)
                WriteVerbose($"Plan: {script.Version} {script.Name} ({script.StatementCount} statements, SHA-256 {script.Sha256})");
            if (target.Kind == ConfigDbKind.ManagementPlatform && VersionRules.ManagementUpgradesOwnConfigDb(to))
                WriteWarning($"A management platform at {to} upgrades its own ConfigDB when it starts; run these scripts by hand only if the vendor says so.");
            if (plan.Scripts.Count == 0) WriteWarning($"No {target.Kind} script in {Path} upgrades {from} to {to}; nothing to do.");

            if (IsWhatIf())
            {
                ShouldProcess(target.ToString(), $"Apply {plan.Scripts.Count} scripts ({plan.StatementCount} statements) in this order:\n{plan.CombinedSql}");
                WriteObject(plan);
                return;
            }
            if (plan.Scripts.Count == 0) return;
            if (!ShouldProcess(target.ToString(), $"Upgrade {target.Database} from {from} to {to} with {plan.Scripts.Count} scripts")) return;

            try
            {
                var backups = new ConfigDbBackupService(Verbose, BackupProgress.For(this, $"Backing up {target.Database}"));
                var upgrader = new ConfigDbUpgrader(backups, Verbose);
                var result = upgrader.Run(target, plan,
                    () => Backup ?? backups.Backup(target, BackupHotDbConfigDbCommand.HostFor(this, target, BackupMethod), from, BackupDirectory,
                        cancellationToken: Cancellation),
                    !NoAutoRestore, new ProgressObserver(this, $"Upgrading {target.Database} to {to}"), Cancellation);
                foreach (var skipped in result.Skipped) WriteVerbose($"{skipped}: already applied with the same SHA-256 (ledger); skipped.");
                WriteObject(result);
                if (!result.Succeeded)
                {
                    var restored = result.Restored ? $" The ConfigDB was restored from {result.Backup.Path} and verified."
                        : NoAutoRestore ? $" The ConfigDB was left as the failure left it (-NoAutoRestore); restore it from {result.Backup.Path}."
                        : " The automatic restore failed too: restore it with Restore-HotDbConfigDb.";
                    WriteError(NewError(new InvalidOperationException($"The ConfigDB upgrade failed: {result.Error}{restored}"), "ConfigDbScriptFailed",
                        ErrorCategory.InvalidOperation, target,
                        "Keep the error, the scripts and the backup for the vendor; fix the cause and run Invoke-HotDbConfigDbUpgrade again."));
                }
            }
            catch (Exception e) when (!(e is PipelineStoppedException))
            {
                WriteError(ErrorRecordFor(e, target));
            }
        }
    }
}
