using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Plans.DataSourceAgents
{
    /// <summary>What an upgrade of a HotDB Backup agent or a HotDB Listener on one data-source host is asked to do.</summary>
    public sealed class DataSourceAgentUpgradeOptions
    {
        public DataSourceAgentKind Kind { get; set; } = DataSourceAgentKind.Backup;
        /// <summary>The install directory; default /usr/local/hotdb/hotdb-backup or /usr/local/hotdb/hotdb-listener.</summary>
        public string? InstallPath { get; set; }
        /// <summary>The local package: hotdb-backup-&lt;v&gt;-&lt;yyyymmdd&gt;.tar.gz or hotdb-listener-&lt;v&gt;-linux.tar.gz.</summary>
        public string PackagePath { get; set; } = "";
        /// <summary>The remote folder the package is uploaded to; default &lt;install root&gt;/Install_Package.</summary>
        public string? StagingPath { get; set; }
        /// <summary>owner:group of the new install; default the old install's.</summary>
        public string? Owner { get; set; }
        /// <summary>Backup: the platform's address; default the -h the running agent was started with.</summary>
        public string? ManagementHost { get; set; }
        /// <summary>Backup: the platform's server.backup.port; default the -p the running agent was started with.</summary>
        public int? ManagementPort { get; set; }
        /// <summary>Install the same or an older version deliberately.</summary>
        public bool Force { get; set; }
        public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(120);
        public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(60);
    }

    /// <summary>
    /// The manual's sections 4 and 5 as a plan on one data-source host. Checks (read-only: the install, the package, the
    /// version, for HotDB Backup the platform it connects to and no running backup task); Stage (the upload, while the
    /// old version runs); Upgrade: stop, keep the old directory as &lt;dir&gt;_&lt;old version&gt;, extract (chown,
    /// restorecon where SELinux is enabled), configure (the Listener's config.properties host/port; the JDK path when the
    /// new script's is not on the host), start and verify (the agent connects to the platform; the listener's port is
    /// open and its log says it listens). The reverse-order rollback puts the old directory back and starts it as it ran.
    /// </summary>
    public static class DataSourceAgentPlan
    {
        public const string BackupMode = "BackupAgent";
        public const string ListenerMode = "Listener";

        public static string ModeOf(DataSourceAgentKind kind) => kind == DataSourceAgentKind.Backup ? BackupMode : ListenerMode;

        /// <summary>Reads the host (nothing changes) and builds the plan.</summary>
        public static UpgradePlan Build(IRemoteHost host, DataSourceAgentUpgradeOptions options, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            var installPath = options.InstallPath ?? DataSourceAgentReader.DefaultPathOf(options.Kind);
            var before = DataSourceAgentReader.Read(host, options.Kind, installPath, cancellationToken);
            return Assemble(new AgentContext(host, options, before, DateTime.UtcNow));
        }

        /// <summary>Rebuilds the plan a journal was written for, with a new session to the same host: the install as it was comes from the journal.</summary>
        public static UpgradePlan Rebuild(PlanJournal journal, IRemoteHost host)
        {
            if (journal.Mode != BackupMode && journal.Mode != ListenerMode)
                throw new PlanJournalException($"The journal is of a {journal.Mode} plan, not a data-source agent plan.", "Resume it with the command that rebuilds that plan.");
            var p = journal.Parameters;
            var options = new DataSourceAgentUpgradeOptions
            {
                Kind = journal.Mode == BackupMode ? DataSourceAgentKind.Backup : DataSourceAgentKind.Listener,
                InstallPath = p["installPath"],
                PackagePath = p["package"]!,
                StagingPath = p["stagingPath"],
                Owner = p["owner"],
                ManagementHost = p["managementHost"],
                ManagementPort = p["managementPort"] is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : (int?)null,
                Force = p["force"] == "true",
                StartTimeout = TimeSpan.FromSeconds(double.Parse(p["startTimeout"]!, CultureInfo.InvariantCulture)),
                StopTimeout = TimeSpan.FromSeconds(double.Parse(p["stopTimeout"]!, CultureInfo.InvariantCulture)),
            };
            var key = AgentState.KeyOf(options.Kind, host.ComputerName);
            if (!journal.State.TryGetValue(key, out var state))
                throw new PlanJournalException($"The journal holds no state for {host.ComputerName}; it was written for {string.Join(", ", journal.Hosts)}.",
                    "Give a -Session to the host the interrupted run upgraded.");
            var before = AgentState.Before(host, options, state);
            var context = new AgentContext(host, options, before, DateTime.Parse(state["startedUtc"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
            return Assemble(context);
        }

        private static UpgradePlan Assemble(AgentContext c)
        {
            var name = c.Host.ComputerName;
            var o = c.Options;
            var parameters = new Dictionary<string, string?>
            {
                ["installPath"] = c.InstallPath,
                ["package"] = o.PackagePath,
                ["stagingPath"] = o.StagingPath,
                ["owner"] = o.Owner,
                ["managementHost"] = o.ManagementHost,
                ["managementPort"] = o.ManagementPort?.ToString(CultureInfo.InvariantCulture),
                ["force"] = o.Force ? "true" : "false",
                ["startTimeout"] = o.StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["stopTimeout"] = o.StopTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            };
            var upgrade = new List<PlanStep> { new StopAgentStep(c), new KeepOldAgentStep(c), new ExtractAgentStep(c), new ConfigureAgentStep(c), new StartAgentStep(c) };
            return new UpgradePlan(ModeOf(o.Kind), Path.GetFileName(o.PackagePath), c.Before.Version?.ToString(), c.Package?.Version.ToString(), new[]
            {
                new PlanPhase("Checks", new PlanStep[] { new CheckAgentStep(c) }),
                new PlanPhase("Stage", new PlanStep[] { new UploadAgentPackageStep(c) }),
                new PlanPhase("Upgrade", upgrade),
            }, new IPlanState[] { new AgentState(c) }, parameters)
            {
                InstallPath = c.InstallPath,
            };
        }
    }

    /// <summary>What the steps of one host's plan share.</summary>
    internal sealed class AgentContext
    {
        public AgentContext(IRemoteHost host, DataSourceAgentUpgradeOptions options, DataSourceAgentInfo before, DateTime startedUtc)
        {
            Host = host;
            Options = options;
            Before = before;
            StartedUtc = startedUtc;
            InstallPath = before.InstallPath;
            var slash = InstallPath.LastIndexOf('/');
            InstallRoot = slash > 0 ? InstallPath.Substring(0, slash) : "/";
            StagingPath = (options.StagingPath ?? InstallRoot.TrimEnd('/') + "/Install_Package").TrimEnd('/');
            Stamp = startedUtc.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            HotDbPackage.TryParse(options.PackagePath, out var package);
            Package = package;
            if (before is BackupAgentInfo b)
            {
                ManagementHost = options.ManagementHost ?? b.ManagementHost;
                ManagementPort = options.ManagementPort ?? b.ManagementPort ?? (ManagementHost != null ? 3322 : (int?)null);
            }
        }

        public IRemoteHost Host { get; }
        public DataSourceAgentUpgradeOptions Options { get; }
        public DataSourceAgentInfo Before { get; }
        public DateTime StartedUtc { get; }
        public string InstallPath { get; }
        public string InstallRoot { get; }
        public string StagingPath { get; }
        public string Stamp { get; }
        public HotDbPackage? Package { get; }
        public DataSourceAgentKind Kind => Options.Kind;
        public string Directory => DataSourceAgentReader.DirectoryOf(Kind);
        public string Script => DataSourceAgentReader.ScriptOf(Kind);
        public string Component => Kind == DataSourceAgentKind.Backup ? "HotDB Backup" : "HotDB Listener";
        public string StagedPackagePath => StagingPath + "/" + Path.GetFileName(Options.PackagePath);
        public string Owner => Options.Owner ?? Before.Owner ?? "hotdb:hotdb";
        public string? ManagementHost { get; }
        public int? ManagementPort { get; }

        // Learned while the steps run (journaled by AgentState).
        public string BackupPath { get; set; } = "";
        public bool OldStopped { get; set; }
        public bool NewInstallInPlace { get; set; }
        public string? FailedInstallPath { get; set; }
        public string? CarriedSettings { get; set; }

        public DataSourceAgentInfo Read(string? path = null, CancellationToken cancellationToken = default) =>
            DataSourceAgentReader.Read(Host, Kind, path ?? InstallPath, cancellationToken);

        public CommandResult Exec(string line, string what, string? remedy = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
            Host.RunOrFail(line, $"{Host.ComputerName}: {what}", remedy, elevate: true, timeout: timeout, cancellationToken: cancellationToken);

        public bool Exists(string path) => Host.Exists(path, elevate: true);

        public string StartLine(string installPath)
        {
            var words = new List<string> { "sh", installPath + "/bin/" + Script, "start" };
            if (Kind == DataSourceAgentKind.Backup)
            {
                words.Add("-h"); words.Add(ManagementHost!);
                words.Add("-p"); words.Add(ManagementPort!.Value.ToString(CultureInfo.InvariantCulture));
            }
            return ShellQuote.Join(words) + " 2>&1";
        }

        public string StartCommandText => Kind == DataSourceAgentKind.Backup ? $"sh bin/{Script} start -h {ManagementHost} -p {ManagementPort}" : $"sh bin/{Script} start";

        /// <summary>Starts the install at <paramref name="installPath"/> and waits until it runs as it should; throws when it does not.</summary>
        public DataSourceAgentInfo StartAndVerify(string installPath, bool requireConnection, IStageProgress progress, CancellationToken cancellationToken)
        {
            var log = installPath + "/" + DataSourceAgentReader.LogOf(Kind);
            var offset = Host.FileSize(log, cancellationToken);
            progress.Report(StartCommandText + " in " + installPath);
            var script = Host.Run(StartLine(installPath), elevate: true, timeout: Options.StartTimeout + TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            var deadline = DateTime.UtcNow + Options.StartTimeout;
            DataSourceAgentInfo now;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                now = Read(installPath, cancellationToken);
                var ready = now.Running && (now is BackupAgentInfo b ? (!requireConnection || b.Connected)
                    : ((ListenerInfo)now).PortOpen && LogSaysListening(log, offset, (ListenerInfo)now, cancellationToken));
                if (ready) return now;
                var gone = !now.Running && (!script.Succeeded || DateTime.UtcNow > deadline - Options.StartTimeout + TimeSpan.FromSeconds(10));
                if (gone || DateTime.UtcNow > deadline)
                {
                    var tail = Host.Run(ShellQuote.Join("tail", "-c", "+" + (Math.Max(0, offset) + 1).ToString(CultureInfo.InvariantCulture), "--", log) + " 2>/dev/null | tail -n 5", elevate: true).StandardOutput.Trim();
                    var why = !now.Running ? "the process is not running"
                        : now is BackupAgentInfo agent ? $"the agent holds no connection to the platform {ManagementHost}:{ManagementPort} after {Options.StartTimeout.TotalSeconds:0} s"
                        : $"port {((ListenerInfo)now).ListenerPort} is {(((ListenerInfo)now).PortOpen ? "open" : "closed")} and the log has {(LogSaysListening(log, offset, (ListenerInfo)now, cancellationToken) ? "" : "no ")}'{DataSourceAgentReader.ListenerReady}' line after {Options.StartTimeout.TotalSeconds:0} s";
                    throw new StageFailedException($"{Host.ComputerName}: {Component} in {installPath} did not start: {why}. Start script: {script.StandardOutput.Trim()}" +
                                                   (tail.Length > 0 ? $" Log: {tail}" : ""),
                        Kind == DataSourceAgentKind.Backup
                            ? $"Check that the platform {ManagementHost}:{ManagementPort} is up and reachable (server.backup.port of application.properties), and read {log}."
                            : $"Read {log} and logs/console.log; check that nothing else uses the port and that the start script's JAVA_BIN exists.");
                }
                Thread.Sleep(1000);
            }
        }

        private bool LogSaysListening(string log, long offset, ListenerInfo now, CancellationToken cancellationToken) =>
            Host.Run(ShellQuote.Join("tail", "-c", "+" + (Math.Max(0, offset) + 1).ToString(CultureInfo.InvariantCulture), "--", log) + " 2>/dev/null | " +
                     ShellQuote.Join("grep", "-qE", DataSourceAgentReader.ListenerReady + ".* port " + now.ListenerPort.ToString(CultureInfo.InvariantCulture) + "( |$)"),
                elevate: true, cancellationToken: cancellationToken).Succeeded;

        /// <summary>Stops the install at <paramref name="installPath"/> with its script and waits until its process is gone; with <paramref name="kill"/> a process still there is killed.</summary>
        public void StopAndWait(string installPath, bool kill, IStageProgress progress, CancellationToken cancellationToken)
        {
            var now = Read(installPath, cancellationToken);
            if (!now.Running) return;
            progress.Report($"sh bin/{Script} stop in {installPath}");
            var script = Host.Run(ShellQuote.Join("sh", installPath + "/bin/" + Script, "stop") + " 2>&1", elevate: true, timeout: Options.StopTimeout + TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            var deadline = DateTime.UtcNow + Options.StopTimeout;
            while (true)
            {
                now = Read(installPath, cancellationToken);
                if (!now.Running) return;
                if (DateTime.UtcNow > deadline)
                {
                    if (kill)
                    {
                        Host.Run(ShellQuote.Join("kill", "-9", now.ProcessId!.Value.ToString(CultureInfo.InvariantCulture)), elevate: true);
                        progress.Note($"process {now.ProcessId} did not stop within {Options.StopTimeout.TotalSeconds:0} s; killed");
                        Thread.Sleep(1000);
                        if (!Read(installPath, cancellationToken).Running) return;
                    }
                    throw new StageFailedException($"{Host.ComputerName}: {Component} in {installPath} did not stop within {Options.StopTimeout.TotalSeconds:0} s (pid {now.ProcessId}). Stop script: {script.StandardOutput.Trim()}",
                        $"Find out why pid {now.ProcessId} does not end (read the log), stop it by hand, then run the command again.");
                }
                Thread.Sleep(1000);
            }
        }
    }

    /// <summary>Read-only: the install, the package, the version and, for HotDB Backup, the platform and the backup tasks.</summary>
    internal sealed class CheckAgentStep : PlanStep
    {
        private readonly AgentContext _c;
        public CheckAgentStep(AgentContext c) => _c = c;
        public override string Name => "CheckAgent";
        public override string Host => _c.Host.ComputerName;
        public override bool ChangesState => false;

        public override string Describe() => _c.Kind == DataSourceAgentKind.Backup
            ? $"Check {_c.InstallPath}, the package {Path.GetFileName(_c.Options.PackagePath)}, the platform the agent uses and that no backup task is running"
            : $"Check {_c.InstallPath}, the package {Path.GetFileName(_c.Options.PackagePath)} and conf/config.properties";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            // Read again: -WhatIf and the run check the host as it is now.
            var now = c.Read(cancellationToken: cancellationToken);
            if (!now.Installed)
                throw new StageFailedException($"{Host}: no {c.Component} install at {c.InstallPath} (no bin/{c.Script} or lib/{c.Directory}-<version>.jar).",
                    $"Give the install directory with -InstallPath (default {DataSourceAgentReader.DefaultPathOf(c.Kind)}).");
            if (c.Package == null || c.Package.Component != (c.Kind == DataSourceAgentKind.Backup ? HotDbComponent.Backup : HotDbComponent.Listener))
                throw new StageFailedException($"{Host}: {Path.GetFileName(c.Options.PackagePath)} is not a {c.Component} package.",
                    c.Kind == DataSourceAgentKind.Backup ? "Give the vendor's hotdb-backup-<version>-<yyyymmdd>.tar.gz." : "Give the vendor's hotdb-listener-<version>-linux.tar.gz.");
            PackageContents contents;
            try { contents = PackageContents.Read(c.Options.PackagePath); }
            catch (InvalidDataException e)
            {
                throw new StageFailedException($"{Host}: the package {c.Options.PackagePath} is unreadable: {e.Message}", "Download the package again and check its checksum.", e);
            }
            if (!contents.Contains(c.Directory + "/bin/" + c.Script))
                throw new StageFailedException($"{Host}: the package {Path.GetFileName(c.Options.PackagePath)} holds no {c.Directory}/bin/{c.Script}.", "Give the vendor's package of this component.");
            if (now.Version != null && !c.Options.Force && c.Package.Version.CompareTo(now.Version) <= 0)
                throw new StageFailedException($"{Host}: {c.InstallPath} already holds {now.Version}; the package is {c.Package.Version}.",
                    "Give a newer package, or -Force to install the same or an older version deliberately.");
            progress.Note($"{c.Component} {now.Version?.ToString() ?? "(unknown version)"} ({(now.Running ? "running, pid " + now.ProcessId : "stopped")}) -> {c.Package.Version}");
            if (now is BackupAgentInfo agent)
            {
                if (c.ManagementHost == null || c.ManagementPort == null)
                    throw new StageFailedException($"{Host}: the agent is not running, so the platform it connects to is unknown.",
                        "Give -ManagementHost (the platform's address) and -ManagementPort (server.backup.port of its application.properties, 3322 by default).");
                if (agent.TaskRunning)
                    throw new BackupTaskRunningException(Host, agent.RunningTasks);
                progress.Note($"the agent {(agent.Running ? "runs with" : "will be started with")} -h {c.ManagementHost} -p {c.ManagementPort}" +
                              (agent.Running ? (agent.Connected ? ", connected" : ", not connected now") : ""));
            }
            else
            {
                var listener = (ListenerInfo)now;
                progress.Note($"config.properties: host={listener.ListenHost} {listener.PortKey ?? "port"}={listener.ListenerPort}");
            }
            var free = c.Host.FreeSpace(c.InstallRoot, cancellationToken);
            if (free < contents.UnpackedBlocks * 2)
                throw new StageFailedException($"{Host}: {c.InstallRoot} has {free / 1048576} MiB free; the package and its extraction need {contents.UnpackedBlocks * 2 / 1048576 + 1} MiB.",
                    "Free space in " + c.InstallRoot + " (df -h), then run the command again.");
        }
    }

    /// <summary>A backup task runs on the agent: the manual's section 4.1 forbids stopping it.</summary>
    public sealed class BackupTaskRunningException : StageFailedException, IHotDbError
    {
        public BackupTaskRunningException(string computerName, IReadOnlyList<string> tasks)
            : base($"{computerName}: a backup task is running on the HotDB Backup agent (task {string.Join(", ", tasks)}); stopping the agent would interrupt it. Nothing was changed.",
                "Wait until the task ends (the management platform's backup task list, or the agent's logs/hotdb_backup.log), then run the command again.")
        {
            ComputerName = computerName;
            Tasks = tasks;
        }

        public string ComputerName { get; }
        public IReadOnlyList<string> Tasks { get; }
        string IHotDbError.ErrorId => "BackupTaskRunning";
        string IHotDbError.Category => "ResourceBusy";
        object? IHotDbError.Target => ComputerName;
    }

    /// <summary>Uploads the package to the staging folder (skipped when the same SHA-256 is there), while the old version runs.</summary>
    internal sealed class UploadAgentPackageStep : PlanStep
    {
        private readonly AgentContext _c;
        public UploadAgentPackageStep(AgentContext c) => _c = c;
        public override string Name => "UploadPackage";
        public override string Host => _c.Host.ComputerName;
        public override bool SafeToRerun => true;
        public override string Describe() => $"Upload {Path.GetFileName(_c.Options.PackagePath)} to {_c.StagingPath} (skipped when already there)";

        public override bool IsAlreadyDone() => _c.Host.Sha256(_c.StagedPackagePath, elevate: true) == FileTransfer.LocalSha256(_c.Options.PackagePath);

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            _c.Host.MakeDirectory(_c.StagingPath, elevate: true, cancellationToken: cancellationToken);
            var length = new FileInfo(_c.Options.PackagePath).Length;
            FileTransfer.Upload(_c.Host, _c.Options.PackagePath, _c.StagingPath + "/", UnixMode.Readable,
                sent => progress.Report($"{sent / 1024} KiB of {length / 1024} KiB", (int)(sent * 100 / Math.Max(1, length))), cancellationToken, elevate: true);
        }
    }

    /// <summary>The manual's "sh bin/hotdb_backup stop" / "sh bin/hotdb_listener stop"; undone by starting the old version as it ran.</summary>
    internal sealed class StopAgentStep : PlanStep
    {
        private readonly AgentContext _c;
        public StopAgentStep(AgentContext c) => _c = c;
        public override string Name => "StopService";
        public override string Host => _c.Host.ComputerName;
        public override bool SafeToRerun => true;
        public override string Describe() => $"Stop {_c.Component} with bin/{_c.Script} stop and wait until its process is gone";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (_c.Kind == DataSourceAgentKind.Backup && _c.Read(cancellationToken: cancellationToken) is BackupAgentInfo agent && agent.TaskRunning)
                throw new BackupTaskRunningException(Host, agent.RunningTasks);
            _c.StopAndWait(_c.InstallPath, kill: false, progress, cancellationToken);
            _c.OldStopped = true;
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!_c.Before.Running) { progress.Note("it was not running before the upgrade; not started"); return; }
            if (_c.Read(cancellationToken: cancellationToken).Running) { progress.Note("already running"); return; }
            var now = _c.StartAndVerify(_c.InstallPath, requireConnection: _c.Before is BackupAgentInfo b && b.Connected, progress, cancellationToken);
            progress.Note($"{_c.Component} {now.Version} started again (pid {now.ProcessId})");
        }
    }

    /// <summary>The manual's "mv hotdb-backup hotdb-backup_&lt;old&gt;"; undone by renaming it back.</summary>
    internal sealed class KeepOldAgentStep : PlanStep
    {
        private readonly AgentContext _c;
        public KeepOldAgentStep(AgentContext c) => _c = c;
        public override string Name => "KeepOldInstall";
        public override string Host => _c.Host.ComputerName;
        private string Stem => _c.InstallPath + "_" + (_c.Before.Version?.ToString() ?? "old");
        public override string Describe() => $"Rename {_c.InstallPath} to {Stem} (a free name like it when taken)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var backup = _c.Host.FreeName(new NamePattern(Stem, "_", 1), elevate: true, cancellationToken: cancellationToken);
            _c.BackupPath = backup;
            _c.Host.Move(_c.InstallPath, backup, $"rename {_c.InstallPath} to {backup}", elevate: true, cancellationToken: cancellationToken);
            progress.Note($"old install kept as {backup}");
        }

        public override void PrepareRollbackAfterInterruption()
        {
            if (_c.BackupPath.Length == 0 && !_c.Exists(_c.InstallPath) && _c.Exists(Stem)) _c.BackupPath = Stem;
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (_c.BackupPath.Length == 0 || !_c.Exists(_c.BackupPath)) { progress.Note("the old install was not moved"); return; }
            if (_c.Exists(_c.InstallPath))
                throw new StageFailedException($"{Host}: {_c.InstallPath} exists, so {_c.BackupPath} cannot be renamed back.",
                    $"Move {_c.InstallPath} aside by hand, rename {_c.BackupPath} to {_c.InstallPath} and start it.");
            _c.Host.Move(_c.BackupPath, _c.InstallPath, $"rename {_c.BackupPath} back to {_c.InstallPath}", elevate: true);
            progress.Note($"{_c.BackupPath} renamed back to {_c.InstallPath}");
        }
    }

    /// <summary>Extracts into a private folder beside the install, moves the component's directory into place, chowns, restorecon where SELinux is enabled.</summary>
    internal sealed class ExtractAgentStep : PlanStep
    {
        private readonly AgentContext _c;
        public ExtractAgentStep(AgentContext c) => _c = c;
        public override string Name => "ExtractPackage";
        public override string Host => _c.Host.ComputerName;
        private string Scratch => _c.InstallRoot.TrimEnd('/') + "/.hotdb-upgrade-extract-" + _c.Directory + "-" + _c.Stamp;
        public override string Describe() => $"Extract {Path.GetFileName(_c.Options.PackagePath)} to {_c.InstallPath}, chown -R {_c.Owner}, restorecon -R where SELinux is enabled";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            if (c.Exists(c.InstallPath))
                throw new StageFailedException($"{Host}: {c.InstallPath} exists although the old install was moved.", "Find out what created it; nothing was extracted.");
            c.Host.MakeDirectory(Scratch, UnixMode.PrivateFolder, parents: false, elevate: true, cancellationToken: cancellationToken);
            progress.Report("tar -xzf " + c.StagedPackagePath);
            c.Exec(ShellQuote.Join("tar", "-xzf", c.StagedPackagePath, "-C", Scratch, "--no-same-owner"), "extract " + c.StagedPackagePath,
                "Free space in " + c.InstallRoot + " (df -h) or replace a damaged package, then run the command again.", cancellationToken: cancellationToken);
            c.Exec(ShellQuote.Join("test", "-f", Scratch + "/" + c.Directory + "/bin/" + c.Script), $"find {c.Directory}/bin/{c.Script} in the extracted package", cancellationToken: cancellationToken);
            c.Host.Move(Scratch + "/" + c.Directory, c.InstallPath, $"move the extracted package to {c.InstallPath}", elevate: true, cancellationToken: cancellationToken);
            c.NewInstallInPlace = true;
            c.Exec(ShellQuote.Join("rm", "-rf", "--", Scratch), "remove " + Scratch, cancellationToken: cancellationToken);
            c.Exec(ShellQuote.Join("chown", "-R", "--", c.Owner, c.InstallPath), $"chown -R {c.Owner} {c.InstallPath}", "Give -Owner with an existing user:group.", cancellationToken: cancellationToken);
            if (c.Host.Run("command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled", cancellationToken: cancellationToken).Succeeded)
            {
                c.Exec(ShellQuote.Join("restorecon", "-R", "--", c.InstallPath), "restorecon -R " + c.InstallPath, cancellationToken: cancellationToken);
                progress.Note("SELinux is enabled: contexts restored");
            }
            else progress.Note("SELinux is not enabled: restorecon not needed");
        }

        // The old install was moved before this step, so whatever stands at the install path now came from this run.
        public override void PrepareRollbackAfterInterruption() => _c.NewInstallInPlace = _c.Exists(_c.InstallPath);

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            _c.Host.TryRemove(Scratch, recursive: true, elevate: true);
            if (!_c.NewInstallInPlace || !_c.Exists(_c.InstallPath)) return;
            var failed = _c.Host.FreeName(new NamePattern(_c.InstallPath + "_failed_" + (_c.Package?.Version.ToString() ?? "new"), "_", 1), elevate: true);
            _c.Host.Move(_c.InstallPath, failed, $"move the new install aside to {failed}", elevate: true);
            _c.FailedInstallPath = failed;
            _c.NewInstallInPlace = false;
            progress.Note($"the new install was moved aside to {failed} (evidence)");
        }
    }

    /// <summary>
    /// The Listener's conf/config.properties host and port (the manual's 5.4: "the same as before the service was
    /// stopped"; the misprinted post= key of some releases is read and written as the file has it); for both components
    /// the start script's JAVA_BIN when the new script's JDK path is not on the host and the old one's is.
    /// </summary>
    internal sealed class ConfigureAgentStep : PlanStep
    {
        private readonly AgentContext _c;
        public ConfigureAgentStep(AgentContext c) => _c = c;
        public override string Name => "CarryConfiguration";
        public override string Host => _c.Host.ComputerName;
        public override string Describe() => _c.Kind == DataSourceAgentKind.Listener
            ? $"Carry host and port of conf/config.properties from {_c.InstallPath}_{_c.Before.Version?.ToString() ?? "old"}, and JAVA_BIN when the new script's JDK is missing"
            : "Carry the start script's JAVA_BIN when the new script's JDK is missing on the host";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            var carried = new List<string>();
            if (c.Kind == DataSourceAgentKind.Listener)
            {
                var oldFile = c.BackupPath + "/conf/config.properties";
                var newFile = c.InstallPath + "/conf/config.properties";
                if (!c.Exists(oldFile)) progress.Note($"{oldFile} does not exist: the new install keeps its own config.properties");
                else
                {
                    var oldText = ReadText(oldFile, cancellationToken);
                    var newText = c.Exists(newFile) ? ReadText(newFile, cancellationToken) : "";
                    var merged = DataSourceAgentConfig.CarryListener(oldText, newText, oldFile, newFile, out var changes);
                    if (merged != newText)
                    {
                        WriteText(newFile, merged, cancellationToken);
                        carried.AddRange(changes);
                    }
                    foreach (var change in changes) progress.Note("config.properties: " + change);
                    if (changes.Count == 0) progress.Note("config.properties: host and port are the same in both versions");
                }
            }
            var oldScript = c.BackupPath + "/bin/" + c.Script;
            var newScript = c.InstallPath + "/bin/" + c.Script;
            if (c.Exists(oldScript))
            {
                var newText = ReadText(newScript, cancellationToken);
                var oldJava = DataSourceAgentConfig.LiteralJavaBin(ReadText(oldScript, cancellationToken), oldScript);
                var newJava = DataSourceAgentConfig.LiteralJavaBin(newText, newScript);
                if (newJava != null && oldJava != null && newJava != oldJava && !Executable(newJava) && Executable(oldJava))
                {
                    WriteText(newScript, DataSourceAgentConfig.SetJavaBin(newText, newScript, oldJava), cancellationToken);
                    var note = $"bin/{c.Script}: JAVA_BIN {oldJava} carried ({newJava} is not on the host)";
                    carried.Add(note);
                    progress.Note(note);
                }
            }
            c.CarriedSettings = string.Join("; ", carried);
        }

        private bool Executable(string path) => _c.Host.Run(ShellQuote.Join("test", "-x", path), elevate: true).Succeeded;

        private string ReadText(string path, CancellationToken cancellationToken) =>
            _c.Exec(ShellQuote.Join("cat", "--", path), "read " + path, cancellationToken: cancellationToken).StandardOutput;

        /// <summary>Replaces a file's content in place (its owner and mode stay): the text goes to a private temporary file first.</summary>
        private void WriteText(string path, string text, CancellationToken cancellationToken)
        {
            var temp = _c.Host.RunOrFail("umask 077; mktemp", "create a temporary file", cancellationToken: cancellationToken).StandardOutput.Trim();
            try
            {
                _c.Host.WriteFile(temp, text, UnixMode.Private, cancellationToken);
                _c.Exec("cat -- " + ShellQuote.Quote(temp) + " > " + ShellQuote.Quote(path), "write " + path, cancellationToken: cancellationToken);
            }
            finally
            {
                _c.Host.TryRemove(temp);
            }
        }

        // The new install is moved aside by the extraction's rollback: nothing of this step stays in place.
        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken) { }
    }

    /// <summary>Starts the new version (Backup with the platform the old agent used) and verifies it; undone by stopping it.</summary>
    internal sealed class StartAgentStep : PlanStep
    {
        private readonly AgentContext _c;
        public StartAgentStep(AgentContext c) => _c = c;
        public override string Name => "StartService";
        public override string Host => _c.Host.ComputerName;
        public override string Describe() => _c.Kind == DataSourceAgentKind.Backup
            ? $"Start with {_c.StartCommandText} and verify the agent connects to the platform"
            : $"Start with {_c.StartCommandText} and verify the port is open and the log says '{DataSourceAgentReader.ListenerReady}'";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var now = _c.StartAndVerify(_c.InstallPath, requireConnection: true, progress, cancellationToken);
            progress.Note(now is BackupAgentInfo b ? $"{_c.Component} {now.Version} runs (pid {now.ProcessId}), connected to {b.Platform}"
                : $"{_c.Component} {now.Version} runs (pid {now.ProcessId}), listening on {((ListenerInfo)now).ListenHost}:{((ListenerInfo)now).ListenerPort}");
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!_c.Exists(_c.InstallPath + "/bin/" + _c.Script)) return;
            _c.StopAndWait(_c.InstallPath, kill: true, progress, cancellationToken);
        }
    }

    /// <summary>The host's agent before the upgrade and what the steps learned, as the journal keeps them.</summary>
    internal sealed class AgentState : IPlanState
    {
        private readonly AgentContext _c;
        public AgentState(AgentContext c) => _c = c;

        public static string KeyOf(DataSourceAgentKind kind, string computerName) => (kind == DataSourceAgentKind.Backup ? "backup:" : "listener:") + computerName;
        public string Key => KeyOf(_c.Kind, _c.Host.ComputerName);

        public IDictionary<string, string?> Save()
        {
            var b = _c.Before;
            return new Dictionary<string, string?>
            {
                ["installed"] = b.Installed ? "true" : "false",
                ["version"] = b.Version?.ToString(),
                ["owner"] = b.Owner,
                ["running"] = b.Running ? "true" : "false",
                ["managementHost"] = (b as BackupAgentInfo)?.ManagementHost,
                ["managementPort"] = (b as BackupAgentInfo)?.ManagementPort?.ToString(CultureInfo.InvariantCulture),
                ["connected"] = (b as BackupAgentInfo)?.Connected == true ? "true" : "false",
                ["startedUtc"] = _c.StartedUtc.ToString("o", CultureInfo.InvariantCulture),
                ["backupPath"] = _c.BackupPath,
                ["oldStopped"] = _c.OldStopped ? "true" : "false",
                ["newInstallInPlace"] = _c.NewInstallInPlace ? "true" : "false",
                ["failedInstallPath"] = _c.FailedInstallPath,
            };
        }

        public void Load(IReadOnlyDictionary<string, string?> values)
        {
            _c.BackupPath = values["backupPath"] ?? "";
            _c.OldStopped = values["oldStopped"] == "true";
            _c.NewInstallInPlace = values["newInstallInPlace"] == "true";
            _c.FailedInstallPath = values["failedInstallPath"];
        }

        public static DataSourceAgentInfo Before(IRemoteHost host, DataSourceAgentUpgradeOptions options, IReadOnlyDictionary<string, string?> v)
        {
            var path = options.InstallPath ?? DataSourceAgentReader.DefaultPathOf(options.Kind);
            DataSourceAgentInfo info = options.Kind == DataSourceAgentKind.Backup
                ? new BackupAgentInfo(host.ComputerName, path)
                {
                    ManagementHost = v["managementHost"],
                    ManagementPort = v["managementPort"] is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : (int?)null,
                    Connected = v["connected"] == "true",
                }
                : new ListenerInfo(host.ComputerName, path);
            info.Installed = v["installed"] == "true";
            info.Version = v["version"] is { } version ? HotDbVersion.Parse(version) : null;
            info.Owner = v["owner"];
            // The journal records only whether it ran; a stand-in pid keeps Running for the rollback's decision.
            if (v["running"] == "true") info.ProcessId = 0;
            return info;
        }
    }
}
