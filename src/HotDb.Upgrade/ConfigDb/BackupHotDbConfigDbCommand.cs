using System;
using System.Management.Automation;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Where mysqldump runs.</summary>
    public enum ConfigDbBackupMethod
    {
        /// <summary>On the ConfigDB's own host, through the ConfigDB's -Session (the manual's way).</summary>
        ConfigDbHost,
        /// <summary>This machine's own mysqldump, over the network.</summary>
        Local,
    }

    /// <summary>Dumps a ConfigDB's master with mysqldump, verifies the dump and returns a backup object.</summary>
    [Cmdlet(VerbsData.Backup, "HotDbConfigDb", SupportsShouldProcess = true)]
    [OutputType(typeof(ConfigDbBackup))]
    public sealed class BackupHotDbConfigDbCommand : ConfigDbCmdlet
    {
        public const string DefaultDirectory = "/usr/local/hotdb/backup/configdb";

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        public ConfigDbTarget? ConfigDb { get; set; }

        /// <summary>The HotDB version the ConfigDB belongs to now; part of the file name.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VersionCompleter))]
        public string Version { get; set; } = "";

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Directory { get; set; } = DefaultDirectory;

        [Parameter]
        public ConfigDbBackupMethod? Method { get; set; }

        /// <summary>A folder on this machine to copy a remote dump into.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Destination { get; set; }

        protected override void ProcessRecord()
        {
            var target = ConfigDb!;
            var version = ParseVersion(Version, nameof(Version));
            var host = HostFor(this, target, Method);
            if (!ShouldProcess($"{target} (dump to {host.ComputerName}:{Directory})", "Back up ConfigDB")) return;
            try
            {
                var service = new ConfigDbBackupService(Verbose, BackupProgress.For(this, $"Backing up {target.Database}"));
                var destination = Destination is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination);
                WriteObject(service.Backup(target, host, version, Directory, destination, Cancellation));
            }
            catch (Exception e) when (!(e is PipelineStoppedException))
            {
                WriteError(ErrorRecordFor(e, target));
            }
        }

        internal static IRemoteHost HostFor(ConfigDbCmdlet cmdlet, ConfigDbTarget target, ConfigDbBackupMethod? method)
        {
            var chosen = method ?? (target.Session != null ? ConfigDbBackupMethod.ConfigDbHost : ConfigDbBackupMethod.Local);
            if (chosen == ConfigDbBackupMethod.Local) return new LocalHost();
            if (target.Session is null)
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException("-Method ConfigDbHost needs the ConfigDB's -Session (New-HotDbConfigDb -Session)."),
                    "ConfigDbHostNeedsSession", ErrorCategory.InvalidArgument, target)
                { ErrorDetails = new ErrorDetails("-Method ConfigDbHost needs the ConfigDB's -Session.") { RecommendedAction = "Create the ConfigDB with New-HotDbConfigDb -Session, or use -Method Local." } });
            return target.Session!;
        }
    }
}
