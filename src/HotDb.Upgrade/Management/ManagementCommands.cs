using System;
using System.IO;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Management;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.Management;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>What the management platform cmdlets share: sessions to the platform's hosts and the install directory.</summary>
    public abstract class ManagementCmdlet : HostSessionCmdlet
    {
        /// <summary>The install directory; default /usr/local/hotdb/hotdb-management.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string InstallPath { get; set; } = ManagementReader.DefaultInstallPath;
    }

    /// <summary>Reads the management platform on each host (install, version, process, HTTP port and the version it reports, ConfigDB, JDK); changes nothing.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbManagement")]
    [OutputType(typeof(ManagementInfo))]
    public sealed class GetHotDbManagementCommand : ManagementCmdlet
    {
        protected override void ProcessRecord()
        {
            foreach (var session in Session)
            {
                TryHost(session, () =>
                {
                    var info = ManagementReader.Read(session, InstallPath, queryHttp: true, cancellationToken: Cancellation.Token);
                    if (!info.Installed)
                        WriteHotDbError(new ItemNotFoundException($"{session.ComputerName}: no management platform at {info.InstallPath} (no {ManagementReader.StartScript}, {ManagementReader.PropertiesFile} or lib/hotdb-management-<version>.jar)."),
                            "ManagementNotFound", ErrorCategory.ObjectNotFound, info, $"Give the install directory with -InstallPath (default {ManagementReader.DefaultInstallPath}).");
                    else WriteObject(info);
                });
            }
        }
    }

    /// <summary>
    /// Upgrades the management platform (the manual's section 2) on each host given, with one plan per host: stop,
    /// ConfigDB backup, the vendor's SQL for a target before 2.5.3 (from 2.5.3 the platform upgrades its ConfigDB at
    /// start), keep hotdb_management_&lt;old&gt;, extract, carry application.properties, JDK 8 for 2.5.6 and later,
    /// start and verify; rolled back on failure (directories, ConfigDB restore, old version started).
    /// </summary>
    [Cmdlet(VerbsData.Update, "HotDbManagement", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(PlanRunResult))]
    public sealed class UpdateHotDbManagementCommand : ManagementCmdlet
    {
        /// <summary>The local hotdb-management-&lt;version&gt;-ga-&lt;yyyymmdd&gt;.tar.gz.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [Alias("PackagePath")]
        [ValidateNotNullOrEmpty]
        public string Package { get; set; } = "";

        /// <summary>The local folder of the vendor's hotdb_cloud_config_&lt;version&gt;.sql scripts; needed for a target before 2.5.3.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ScriptsPath { get; set; }

        /// <summary>host[:port] of the platform's ConfigDB; default: spring.datasource.url of application.properties.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? ConfigDb { get; set; }

        /// <summary>The ConfigDB login; default: spring.datasource.username/password of application.properties.</summary>
        [Parameter]
        [Credential]
        public PSCredential? ConfigDbCredential { get; set; }

        /// <summary>The folder on the platform's host for the ConfigDB dump (mode 0700).</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string BackupDirectory { get; set; } = SingleNodePlanOptions.DefaultBackupDirectory;

        /// <summary>A local OpenJDK 8 tarball, installed under -JdkRoot when the target needs JDK 8.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? JdkPackage { get; set; }

        /// <summary>A JDK 8 java already on the host.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string? JavaBin { get; set; }

        [Parameter]
        [ValidatePattern("^/.+")]
        public string JdkRoot { get; set; } = "/usr/local/jdk8";

        [Parameter]
        [ValidatePattern("^/.+")]
        public string? StagingPath { get; set; }

        [Parameter]
        [ValidatePattern("^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$")]
        public string? Owner { get; set; }

        /// <summary>The local folder of the journals (one per host, mode 0600) Resume-HotDbUpgradePlan continues from; default: the current folder.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? JournalDirectory { get; set; }

        [Parameter]
        [ValidateRange(1, 86400)]
        public int StartTimeout { get; set; } = (int)ManagementService.DefaultStartTimeout.TotalSeconds;

        [Parameter]
        [ValidateRange(1, 86400)]
        public int StopTimeout { get; set; } = (int)ManagementService.DefaultStopTimeout.TotalSeconds;

        /// <summary>Install the same or an older version deliberately.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        private string Local(string path, string parameter, string what)
        {
            var full = GetUnresolvedProviderPathFromPSPath(path);
            if (!File.Exists(full) && !Directory.Exists(full))
                ThrowHotDbError(new FileNotFoundException($"-{parameter}: the local path '{full}' does not exist.", full), parameter + "NotFound", ErrorCategory.ObjectNotFound, full, what);
            return full;
        }

        protected override void BeginProcessing()
        {
            if (JdkPackage != null && JavaBin != null)
                ThrowHotDbError(new ArgumentException("Give -JdkPackage or -JavaBin, not both."), "JdkTwice", ErrorCategory.InvalidArgument, JavaBin,
                    "Use -JdkPackage to install a JDK 8, or -JavaBin to use one already on the host.");
            Package = Local(Package, "Package", "Give the path of the vendor's hotdb-management-<version>-ga-<yyyymmdd>.tar.gz.");
            if (JdkPackage != null) JdkPackage = Local(JdkPackage, "JdkPackage", "Give the path of the OpenJDK 8 tarball.");
            if (ScriptsPath != null) ScriptsPath = Local(ScriptsPath, "ScriptsPath", "Give the folder of the vendor's hotdb_cloud_config scripts.");
        }

        protected override void ProcessRecord()
        {
            foreach (var session in Session)
            {
                if (Cancellation.IsCancellationRequested) return;
                TryHost(session, () => Upgrade(session));
            }
        }

        private void Upgrade(SshSession session)
        {
            var options = new ManagementPlanOptions
            {
                InstallPath = InstallPath,
                PackagePath = Package,
                StagingPath = StagingPath,
                ScriptsPath = ScriptsPath,
                ConfigDbServers = ConfigDb ?? Array.Empty<string>(),
                ConfigDbCredential = ConfigDbCredential?.GetNetworkCredential(),
                BackupDirectory = BackupDirectory,
                JdkPackagePath = JdkPackage,
                JavaBin = JavaBin,
                JdkRoot = JdkRoot,
                Owner = Owner,
                Force = Force,
                StartTimeout = TimeSpan.FromSeconds(StartTimeout),
                StopTimeout = TimeSpan.FromSeconds(StopTimeout),
            };
            WriteProgress(new ProgressRecord(1, "HotDB Management upgrade", $"Reading {session.ComputerName}"));
            var plan = ManagementPlan.Build(session, options, Cancellation.Token);
            WriteProgress(new ProgressRecord(1, "HotDB Management upgrade", "Done") { RecordType = ProgressRecordType.Completed });
            PlanCmdletSupport.RunHostPlan(this, plan, "HotDB Management", session.ComputerName, JournalDirectory, Cancellation.Token);
        }
    }
}
