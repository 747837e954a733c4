using System;
using System.Management.Automation;
using HotDb.Upgrade.ConfigDb;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Replaces a ConfigDB's database with a verified backup and proves it with CHECKSUM TABLE.</summary>
    [Cmdlet(VerbsData.Restore, "HotDbConfigDb", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ConfigDbRestore))]
    public sealed class RestoreHotDbConfigDbCommand : ConfigDbCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        public ConfigDbBackup? Backup { get; set; }

        /// <summary>Restore into this ConfigDB instead of the one the backup came from (same database name).</summary>
        [Parameter]
        public ConfigDbTarget? ConfigDb { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var backup = Backup!;
            var target = ConfigDb ?? backup.ConfigDb;
            if (target is null)
            {
                ThrowHotDbError(new ArgumentException($"The backup {backup} was read from its sidecar without a ConfigDB; there is no login to restore it with."),
                    "ConfigDbMissing", ErrorCategory.InvalidArgument, backup,
                    "Give -ConfigDb (New-HotDbConfigDb), here or to Get-HotDbConfigDbBackup.");
                return;
            }
            if (!string.Equals(target.Database, backup.Database, StringComparison.Ordinal))
                ThrowHotDbError(new ArgumentException($"The backup holds {backup.Database}; -ConfigDb names {target.Database}."), "DatabaseMismatch",
                    ErrorCategory.InvalidArgument, target, "Restore a backup into a ConfigDB with the same database name.");
            var action = $"Replace every table of {target.Database} with {backup.ComputerName}:{backup.Path} (taken {backup.Time:yyyy-MM-dd HH:mm:ss})";
            // -Force skips the confirmation prompt, never -WhatIf.
            var confirmed = Force && !IsWhatIf() || ShouldProcess(target.ToString(), action);
            if (!confirmed) return;
            try
            {
                var service = new ConfigDbBackupService(Verbose, BackupProgress.For(this, $"Restoring {target.Database}"));
                WriteObject(service.Restore(backup, target, cancellationToken: Cancellation));
            }
            catch (Exception e) when (!(e is PipelineStoppedException))
            {
                WriteError(ErrorRecordFor(e, backup));
            }
        }
    }
}
