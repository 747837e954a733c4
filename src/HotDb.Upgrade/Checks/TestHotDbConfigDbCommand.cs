using System;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Checks;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Read-only checks of a ConfigDB before a backup and an upgrade (CD1..CD5): the master answers, the database is a
    /// HotDB ConfigDB, the login's privileges, a dump client and free space where the dump would be written.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "HotDbConfigDb")]
    [OutputType(typeof(HotDbCheck), typeof(bool))]
    public sealed class TestHotDbConfigDbCommand : ConfigDbCmdlet
    {
        private bool _allPassed = true;

        /// <summary>The ConfigDB from New-HotDbConfigDb.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNull]
        public ConfigDbTarget? ConfigDb { get; set; }

        /// <summary>Where a dump would be written, on the host -Method names.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Directory { get; set; } = BackupHotDbConfigDbCommand.DefaultDirectory;

        /// <summary>Where mysqldump would run: the ConfigDB's host (its -Session) or this machine.</summary>
        [Parameter]
        public ConfigDbBackupMethod? Method { get; set; }

        /// <summary>Returns only true (every check passed) or false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            var target = ConfigDb!;
            var host = BackupHotDbConfigDbCommand.HostFor(this, target, Method);
            var checks = ConfigDbChecks.Run(target, host, Directory, Verbose, Cancellation);
            _allPassed &= checks.All(c => c.Status == HaCheckStatus.Passed);
            if (!Quiet) WriteObject(checks, enumerateCollection: true);
        }

        protected override void EndProcessing()
        {
            if (Quiet) WriteObject(_allPassed);
        }
    }
}
