using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Checks;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// The read-only pre-checks of an upgrade of compute nodes to a package, each as a check (CN1..CN6): the stages
    /// Update-HotDbComputeNode -WhatIf runs, all of them even after a failure. Nothing on the host changes.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "HotDbComputeNode")]
    [OutputType(typeof(HotDbCheck), typeof(bool))]
    public sealed class TestHotDbComputeNodeCommand : ComputeNodePackageCmdlet
    {
        private bool _allPassed = true;

        /// <summary>The local compute node package the upgrade would install.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [Alias("PackagePath")]
        [ValidateNotNullOrEmpty]
        public string Package { get; set; } = "";

        /// <summary>The ConfigDB (New-HotDbConfigDb) for CN6: its login, upgrade ledger and the scripts in -ScriptsPath.</summary>
        [Parameter]
        public ConfigDbTarget? ConfigDb { get; set; }

        /// <summary>The folder of the vendor's ConfigDB upgrade scripts, with -ConfigDb.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ScriptsPath { get; set; }

        /// <summary>Returns only true (every check on every node passed) or false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            // A missing local file is a failed check (CN2), not an error: the node checks still run.
            Package = GetUnresolvedProviderPathFromPSPath(Package);
            if (JdkPackage != null) JdkPackage = GetUnresolvedProviderPathFromPSPath(JdkPackage);
            if (LicenseFile != null) LicenseFile = GetUnresolvedProviderPathFromPSPath(LicenseFile);
            RefuseTwoJdks();
            if ((ConfigDb == null) != (ScriptsPath == null))
                ThrowHotDbError(new ArgumentException("-ConfigDb and -ScriptsPath go together (CN6 checks the ConfigDB against the scripts)."), "ConfigDbNeedsScripts",
                    ErrorCategory.InvalidArgument, ConfigDb, "Give both -ConfigDb and -ScriptsPath, or neither.");
            if (ScriptsPath != null) ScriptsPath = GetUnresolvedProviderPathFromPSPath(ScriptsPath);
        }

        protected override void ProcessRecord()
        {
            foreach (var session in Session)
            {
                if (Cancellation.IsCancellationRequested) return;
                var options = new ComputeNodeUpgradeOptions
                {
                    InstallPath = InstallPath,
                    PackagePath = Package,
                    JdkPackagePath = JdkPackage,
                    JavaBin = JavaBin,
                    JdkRoot = JdkRoot,
                    LicenseFilePath = LicenseFile,
                    StagingPath = StagingPath,
                };
                var checks = ComputeNodeChecks.Run(session, options, ConfigDb, ScriptsPath, message => WriteVerbose($"{session.ComputerName}: {message}"), Cancellation.Token);
                _allPassed &= checks.All(c => c.Status == HaCheckStatus.Passed);
                if (!Quiet) WriteObject(checks, enumerateCollection: true);
            }
        }

        protected override void EndProcessing()
        {
            if (Quiet) WriteObject(_allPassed);
        }
    }
}
