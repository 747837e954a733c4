using System;
using System.Management.Automation;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Reads ConfigDB backups back from the sidecars Backup-HotDbConfigDb writes next to each dump.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbConfigDbBackup")]
    [OutputType(typeof(ConfigDbBackup))]
    public sealed class GetHotDbConfigDbBackupCommand : ConfigDbCmdlet
    {
        /// <summary>A dump, its .json sidecar, a wildcard in the file name, or a backup folder.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>The host that holds the backups (the ConfigDB host); without it, this machine.</summary>
        [Parameter]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public IRemoteHost? Session { get; set; }

        /// <summary>The ConfigDB the backups belong to: its login is what a restore or an upgrade uses.</summary>
        [Parameter]
        public ConfigDbTarget? ConfigDb { get; set; }

        /// <summary>Re-check each dump's SHA-256 and trailer against its sidecar.</summary>
        [Parameter]
        public SwitchParameter Verify { get; set; }

        protected override void ProcessRecord()
        {
            var host = Session ?? new LocalHost();
            var service = new ConfigDbBackupService(Verbose);
            foreach (var item in Path)
            {
                // Local paths go through the provider (relative paths, ~); wildcards are kept for the host to expand.
                var path = Session is null ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(item) : item;
                try
                {
                    var backups = service.Open(host, path, ConfigDb, Verify, out var problems);
                    foreach (var problem in problems) WriteHotDbError(problem, item);
                    WriteObject(backups, enumerateCollection: true);
                }
                catch (Exception e) when (IsReportable(e))
                {
                    WriteHotDbError(e, item);
                }
            }
        }
    }
}
