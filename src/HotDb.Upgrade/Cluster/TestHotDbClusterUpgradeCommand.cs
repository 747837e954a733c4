using System;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Topology;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Commands
{
    /// <summary>The checks before a multi-node cluster upgrade; with -Online also the conditions of an upgrade without stopping service.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "HotDbClusterUpgrade")]
    [OutputType(typeof(ClusterCheck), typeof(bool))]
    public sealed class TestHotDbClusterUpgradeCommand : ClusterCmdlet
    {
        private HotDbPackage? _target;
        private string? _scripts;

        /// <summary>The compute node package to upgrade to (a path or the vendor's file name); without it CL6 and CL8 are not verified.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Package { get; set; }

        /// <summary>Check the conditions of an upgrade without stopping service (manual 3.6.1).</summary>
        [Parameter]
        public SwitchParameter Online { get; set; }

        /// <summary>The folder of the vendor's ConfigDB upgrade scripts, for the SQL condition of -Online.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ScriptsPath { get; set; }

        /// <summary>Returns only true (every check passed) or false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            if (Package != null && !HotDbPackage.TryParse(Package, out _target))
                ThrowHotDbError(new ArgumentException($"'{Package}' is not a HotDB package name; expected {HotDbPackage.ExpectedPatterns}."), "InvalidPackageName",
                    ErrorCategory.InvalidArgument, Package, "Give the vendor's package file name or path, such as hotdb-server-2.5.4-ga-20190812.tar.gz.");
            if (ScriptsPath != null)
            {
                _scripts = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ScriptsPath);
                if (!System.IO.Directory.Exists(_scripts))
                    ThrowHotDbError(new System.IO.DirectoryNotFoundException($"The scripts folder '{ScriptsPath}' does not exist."), "UpgradeScriptsNotFound",
                        ErrorCategory.ObjectNotFound, ScriptsPath, "Give -ScriptsPath the folder of the vendor's ConfigDB upgrade scripts.");
            }
        }

        protected override void Process(HotDbCluster cluster)
        {
            var checks = ClusterUpgradeChecks.Run(cluster, _target, Online, _scripts);
            if (Quiet) WriteObject(checks.All(c => c.Status == HaCheckStatus.Passed));
            else WriteObject(checks, enumerateCollection: true);
        }
    }
}
