using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.DataSourceAgents;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>What the HotDB Backup and HotDB Listener cmdlets share: sessions to the data-source hosts and the install directory.</summary>
    public abstract class DataSourceAgentCmdlet : HostSessionCmdlet
    {
        /// <summary>The install directory; default /usr/local/hotdb/hotdb-backup or /usr/local/hotdb/hotdb-listener.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string? InstallPath { get; set; }

        protected abstract DataSourceAgentKind Kind { get; }

        protected string Path => InstallPath ?? DataSourceAgentReader.DefaultPathOf(Kind);

        protected string Component => Kind == DataSourceAgentKind.Backup ? "HotDB Backup" : "HotDB Listener";
    }

    /// <summary>Reads the agent on each host; changes nothing.</summary>
    public abstract class GetDataSourceAgentCommand : DataSourceAgentCmdlet
    {
        protected override void ProcessRecord()
        {
            foreach (var session in Session)
            {
                TryHost(session, () =>
                {
                    var info = DataSourceAgentReader.Read(session, Kind, Path, Cancellation.Token);
                    if (!info.Installed)
                        WriteHotDbError(new ItemNotFoundException($"{session.ComputerName}: no {Component} install at {info.InstallPath} (no bin/{DataSourceAgentReader.ScriptOf(Kind)} or lib/{DataSourceAgentReader.DirectoryOf(Kind)}-<version>.jar)."),
                            Kind == DataSourceAgentKind.Backup ? "BackupAgentNotFound" : "ListenerNotFound", ErrorCategory.ObjectNotFound, info,
                            $"Give the install directory with -InstallPath (default {DataSourceAgentReader.DefaultPathOf(Kind)}).");
                    else WriteObject(info);
                });
            }
        }
    }

    /// <summary>Reads HotDB Backup agents: install, version, process, the platform it was started with, its connection, running backup tasks.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbBackup")]
    [OutputType(typeof(BackupAgentInfo))]
    public sealed class GetHotDbBackupCommand : GetDataSourceAgentCommand
    {
        protected override DataSourceAgentKind Kind => DataSourceAgentKind.Backup;
    }

    /// <summary>Reads HotDB Listeners: install, version, process, config.properties host/port, whether it listens.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbListener")]
    [OutputType(typeof(ListenerInfo))]
    public sealed class GetHotDbListenerCommand : GetDataSourceAgentCommand
    {
        protected override DataSourceAgentKind Kind => DataSourceAgentKind.Listener;
    }

    /// <summary>Upgrades the agent on each host with one plan per host (checks, upload, stop, keep, extract, configure, start; rolled back on failure).</summary>
    public abstract class UpdateDataSourceAgentCommand : DataSourceAgentCmdlet
    {
        /// <summary>The local package.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [Alias("PackagePath")]
        [ValidateNotNullOrEmpty]
        public string Package { get; set; } = "";

        /// <summary>The remote folder the package is uploaded to; default &lt;install root&gt;/Install_Package.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string? StagingPath { get; set; }

        /// <summary>owner:group of the new install; default: the old install's.</summary>
        [Parameter]
        [ValidatePattern("^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$")]
        public string? Owner { get; set; }

        /// <summary>The local folder of the journals (one per host, mode 0600) Resume-HotDbUpgradePlan continues from; default: the current folder.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? JournalDirectory { get; set; }

        /// <summary>Seconds the new (or, in a rollback, the old) version may take to start and be verified.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int StartTimeout { get; set; } = 120;

        /// <summary>Seconds the old version may take to stop.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int StopTimeout { get; set; } = 60;

        /// <summary>Install the same or an older version deliberately.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected virtual void Configure(DataSourceAgentUpgradeOptions options) { }

        protected override void BeginProcessing()
        {
            var full = GetUnresolvedProviderPathFromPSPath(Package);
            if (!File.Exists(full))
                ThrowHotDbError(new FileNotFoundException($"-Package: the local file '{full}' does not exist.", full), "PackageNotFound", ErrorCategory.ObjectNotFound, full,
                    Kind == DataSourceAgentKind.Backup ? "Give the path of the vendor's hotdb-backup-<version>-<yyyymmdd>.tar.gz." : "Give the path of the vendor's hotdb-listener-<version>-linux.tar.gz.");
            Package = full;
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
            var options = new DataSourceAgentUpgradeOptions
            {
                Kind = Kind,
                InstallPath = InstallPath,
                PackagePath = Package,
                StagingPath = StagingPath,
                Owner = Owner,
                Force = Force,
                StartTimeout = TimeSpan.FromSeconds(StartTimeout),
                StopTimeout = TimeSpan.FromSeconds(StopTimeout),
            };
            Configure(options);
            WriteProgress(new ProgressRecord(1, $"{Component} upgrade", $"Reading {session.ComputerName}"));
            var plan = DataSourceAgentPlan.Build(session, options, Cancellation.Token);
            WriteProgress(new ProgressRecord(1, $"{Component} upgrade", "Done") { RecordType = ProgressRecordType.Completed });
            PlanCmdletSupport.RunHostPlan(this, plan, Component, session.ComputerName, JournalDirectory, Cancellation.Token);
        }
    }

    /// <summary>
    /// Upgrades HotDB Backup (the manual's section 4) on every data-source host given: refuses while a backup task runs,
    /// stops the agent, keeps hotdb-backup_&lt;old&gt;, extracts the package, starts the agent with the platform it used
    /// and verifies it connects. A failure rolls that host back; the other hosts go on.
    /// </summary>
    [Cmdlet(VerbsData.Update, "HotDbBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(PlanRunResult))]
    public sealed class UpdateHotDbBackupCommand : UpdateDataSourceAgentCommand
    {
        /// <summary>The management platform's address for -h; default: the one the running agent was started with.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ComputerNameCompleter))]
        public string? ManagementHost { get; set; }

        /// <summary>The platform's server.backup.port for -p; default: the one the running agent was started with.</summary>
        [Parameter]
        [ValidateRange(1, 65535)]
        public int? ManagementPort { get; set; }

        protected override DataSourceAgentKind Kind => DataSourceAgentKind.Backup;

        protected override void Configure(DataSourceAgentUpgradeOptions options)
        {
            options.ManagementHost = ManagementHost;
            options.ManagementPort = ManagementPort;
        }
    }

    /// <summary>
    /// Upgrades HotDB Listener (the manual's section 5) on every data-source host given: stops it, keeps the old
    /// directory, extracts the package, carries config.properties host/port, starts it and verifies its port and log.
    /// A failure rolls that host back; the other hosts go on.
    /// </summary>
    [Cmdlet(VerbsData.Update, "HotDbListener", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(PlanRunResult))]
    public sealed class UpdateHotDbListenerCommand : UpdateDataSourceAgentCommand
    {
        protected override DataSourceAgentKind Kind => DataSourceAgentKind.Listener;
    }
}
