using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Ha
{
    /// <summary>What a reconstruction did, and the six checks on the pair afterwards.</summary>
    public sealed class HaReconstructionResult
    {
        internal HaReconstructionResult(HaReconstruction operation)
        {
            Master = operation.Master.ComputerName;
            Backup = operation.Backup.ComputerName;
            MasterAddress = operation.MasterAddress;
            Changes = operation.Changes;
        }

        /// <summary>The VIP holder, made master.</summary>
        public string Master { get; }
        public string Backup { get; }
        /// <summary>haNodeHost written on the backup: the master's server address and manager port.</summary>
        public string MasterAddress { get; }
        /// <summary>Every file value changed, with the backup of its file.</summary>
        public IReadOnlyList<HaFileChange> Changes { get; }
        /// <summary>What was done, in order (file writes, keepalived and compute node actions).</summary>
        public IReadOnlyList<string> Actions => ActionList;
        internal List<string> ActionList { get; } = new List<string>();
        /// <summary>False when the pair was already reconstructed and nothing was done.</summary>
        public bool Changed => ActionList.Count > 0;
        /// <summary>The six checks after the reconstruction (HA4 NotVerified unless a reload was asked for).</summary>
        public IReadOnlyList<HaSwitchCheck> Checks { get; internal set; } = Array.Empty<HaSwitchCheck>();
        /// <summary>True when no check failed.</summary>
        public bool Passed => Checks.Count > 0 && Checks.All(c => c.Status != HaCheckStatus.Failed);
        /// <summary>True when a failure part-way was undone (files restored from their backups).</summary>
        public bool RolledBack { get; internal set; }

        public override string ToString() => $"master {Master}, backup {Backup}: {(Changed ? ActionList.Count + " actions" : "unchanged")}";
    }

    /// <summary>
    /// The manual's HA environment reconstruction after a master/slave switch: the VIP holder becomes master in
    /// server.xml (haState master, empty haNodeHost) and keepalived.conf (nopreempt, the higher priority, master
    /// script modes); the other host becomes backup (haState backup, haNodeHost the master, no nopreempt, the
    /// lower priority, backup script modes). Order: stop the backup's keepalived, back up and write the files,
    /// reload the master's keepalived, start the backup's compute node (manager port only), then its keepalived.
    /// <see cref="Plan"/> only reads; <see cref="Execute"/> changes; <see cref="Rollback"/> undoes a partial run.
    /// </summary>
    public sealed class HaReconstruction
    {
        /// <summary>The template's priorities, used when the pair's two priorities are equal or missing.</summary>
        public const int TemplateMasterPriority = 100, TemplateBackupPriority = 95;

        private readonly List<(HaNode Node, HaFileText File)> _files = new List<(HaNode, HaFileText)>();
        private readonly List<(HaNode Node, string Path, string Backup)> _written = new List<(HaNode, string, string)>();
        private bool _stoppedBackupKeepalived, _startedBackupKeepalived, _reloadedMaster, _startedMasterKeepalived, _startedBackupNode, _stoppedBackupNode;
        private HaReconstructionResult? _result;

        private HaReconstruction(HaEnvironment environment, HaNode master, HaNode backup)
        {
            Environment = environment;
            Master = master;
            Backup = backup;
            MasterAddress = HaSwitchChecks.PreferredAddress(master) + ":" + master.ManagerPort;
        }

        public HaEnvironment Environment { get; }
        /// <summary>The VIP holder.</summary>
        public HaNode Master { get; }
        public HaNode Backup { get; }
        public string MasterAddress { get; }
        public int MasterPriority { get; private set; }
        public int BackupPriority { get; private set; }
        public IReadOnlyList<HaFileChange> Changes { get; private set; } = Array.Empty<HaFileChange>();

        /// <summary>The files written so far with their backups, in writing order: what <see cref="Rollback"/> restores.</summary>
        public IReadOnlyList<(string ComputerName, string Path, string BackupPath)> WrittenFiles =>
            _written.Select(w => (w.Node.ComputerName, w.Path, w.Backup)).ToList();

        /// <summary>Runs reload @@config on the master for HA4 at the end; null leaves HA4 NotVerified.</summary>
        public Action<HaNode>? ReloadConfig { get; set; }
        /// <summary>How long the checks may take to pass after the last start (keepalived settles in a few adverts).</summary>
        public TimeSpan SettleTimeout { get; set; } = TimeSpan.FromSeconds(60);
        public TimeSpan? StartTimeout { get; set; }

        /// <summary>Reads nothing more: decides the roles from the VIP and computes every edit. Refuses (nothing changed) when it cannot.</summary>
        public static HaReconstruction Plan(HaEnvironment environment)
        {
            if (environment is null) throw new ArgumentNullException(nameof(environment));
            foreach (var node in environment.Nodes)
            {
                if (!node.Installed || node.ServerXmlBytes == null)
                    throw Refuse("HaNodeNotInstalled", $"{node.ComputerName}: there is no compute node in {node.InstallPath}.", "Give the compute node's directory with -InstallPath.");
                if (node.KeepalivedConfig == null || node.KeepalivedConfigBytes == null)
                    throw Refuse("HaKeepalivedUnreadable", $"{node.ComputerName}: {node.KeepalivedConfigProblem ?? node.KeepalivedConfigPath + " could not be read"}.",
                        "Give the file with -KeepalivedConfigPath, or repair it from the vendor's template, then run the command again.");
                if (node.HotDbInstance == null)
                    throw Refuse("HaKeepalivedUnreadable", $"{node.ComputerName}: {node.KeepalivedConfigPath} has {(node.KeepalivedConfig.Instances.Count == 0 ? "no vrrp_instance" : "several vrrp_instance blocks and none carries server.xml's VIP")}.",
                        "Set server.xml's VIP to the pair's virtual address, or keep one vrrp_instance, then run the command again.");
                if (node.HaMode != 0 && node.HaMode != 2 && node.HaMode != 3)
                    throw Refuse("HaNotMasterSlave", $"{node.ComputerName}: server.xml has haMode {node.HaMode}, not a master/slave mode (0, or 2/3 for a DR pair).", "Reconstruct only a master/slave pair.");
            }
            var vip = environment.Vip ?? throw Refuse("HaVipUnknown", "Neither keepalived.conf nor server.xml names the pair's VIP.", "Check both hosts' keepalived.conf virtual_ipaddress.");
            var holders = environment.VipHolders;
            if (holders.Count != 1)
                throw Refuse("HaVipHolderUnknown", holders.Count == 0 ? $"No host holds the VIP {vip}: there is no current master to reconstruct around."
                        : $"Both hosts hold the VIP {vip} (split brain).",
                    holders.Count == 0 ? "Start keepalived on the host that serves (service keepalived start) and wait for the VIP, then run the command again."
                        : "Check the network between the hosts and keepalived's log on both; stop keepalived on the host that must not be master.");
            var master = holders[0];
            var operation = new HaReconstruction(environment, master, ReferenceEquals(master, environment.Master) ? environment.Backup : environment.Master);
            operation.Compute();
            return operation;
        }

        private void Compute()
        {
            int? a = Master.HotDbInstance!.Priority?.Value, b = Backup.HotDbInstance!.Priority?.Value;
            var differ = a.HasValue && b.HasValue && a.Value != b.Value;
            MasterPriority = differ ? Math.Max(a!.Value, b!.Value) : TemplateMasterPriority;
            BackupPriority = differ ? Math.Min(a!.Value, b!.Value) : TemplateBackupPriority;

            var changes = new List<HaFileChange>();
            foreach (var (node, role) in new[] { (Master, HaRole.Master), (Backup, HaRole.Backup) })
            {
                var serverXml = new HaFileText(node.ServerXmlPath, node.ServerXmlBytes!);
                var edited = new List<(string Key, string? Old, string New)>();
                serverXml.Edited = ServerXmlHaSettings.Set(serverXml.Text, node.ServerXmlPath, new Dictionary<string, string>
                {
                    ["haState"] = role == HaRole.Master ? "master" : "backup",
                    ["haNodeHost"] = role == HaRole.Master ? "" : MasterAddress,
                }, edited);
                changes.AddRange(edited.Select(e => new HaFileChange(node.ComputerName, role, node.ServerXmlPath, e.Key, e.Old, e.New)));
                if (serverXml.Changed) _files.Add((node, serverXml));

                var keepalived = new HaFileText(node.KeepalivedConfigPath, node.KeepalivedConfigBytes!);
                var rewrite = KeepalivedWriter.Rewrite(node.KeepalivedConfig!, node.HotDbInstance!.Name, new VrrpInstanceChange
                {
                    State = "BACKUP",
                    Priority = role == HaRole.Master ? MasterPriority : BackupPriority,
                    Nopreempt = role == HaRole.Master,
                    ScriptSide = role,
                });
                keepalived.Edited = rewrite.Text;
                changes.AddRange(rewrite.Edits.Select(e => new HaFileChange(node.ComputerName, role, node.KeepalivedConfigPath, e.Instance + " " + e.Key, e.OldValue, e.NewValue)));
                if (keepalived.Changed) _files.Add((node, keepalived));
            }
            Changes = changes;
        }

        private bool FileChanges(HaNode node, string path) => _files.Any(f => ReferenceEquals(f.Node, node) && f.File.Path == path);

        /// <summary>Every action <see cref="Execute"/> would take, in order (the file edits are in <see cref="Changes"/>).</summary>
        public IReadOnlyList<string> PlannedActions
        {
            get
            {
                var actions = new List<string>();
                if (_files.Count > 0 && Backup.KeepalivedRunning) actions.Add($"{Backup.ComputerName}: service keepalived stop (the host without the VIP)");
                actions.AddRange(_files.Select(f => $"{f.Node.ComputerName}: back up {f.File.Path} (0600) and write it"));
                if (!Master.KeepalivedRunning) actions.Add($"{Master.ComputerName}: service keepalived start");
                else if (FileChanges(Master, Master.KeepalivedConfigPath)) actions.Add($"{Master.ComputerName}: service keepalived reload");
                if (Backup.Running && FileChanges(Backup, Backup.ServerXmlPath)) actions.Add($"{Backup.ComputerName}: stop the compute node (it must restart as backup)");
                if (!Backup.Running || FileChanges(Backup, Backup.ServerXmlPath)) actions.Add($"{Backup.ComputerName}: start the compute node (manager port only)");
                if (!Backup.KeepalivedRunning || (_files.Count > 0)) actions.Add($"{Backup.ComputerName}: service keepalived start");
                return actions;
            }
        }

        /// <summary>True when the files already match the roles and both nodes and keepalived run: Execute would only check.</summary>
        public bool IsAlreadyDone() => PlannedActions.Count == 0;

        public string Describe() =>
            $"HA environment reconstruction: {Master.ComputerName} (VIP holder) master, {Backup.ComputerName} backup with haNodeHost {MasterAddress}; " +
            (IsAlreadyDone() ? "already done, only the checks run." : $"{Changes.Count} file values, {PlannedActions.Count} actions.");

        /// <summary>
        /// Runs the reconstruction, then waits for the six checks (<see cref="SettleTimeout"/>). A failure part-way is
        /// rolled back (files restored, services as they were) and thrown as <see cref="HaOperationException"/>.
        /// Failing checks at the end are reported in the result, not rolled back.
        /// </summary>
        public HaReconstructionResult Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (progress is null) throw new ArgumentNullException(nameof(progress));
            if (_result != null) throw new InvalidOperationException("This reconstruction has already run; plan a new one from a fresh read.");
            var result = _result = new HaReconstructionResult(this);
            try
            {
                var actions = PlannedActions.Count;
                var done = 0;
                void Step(string what)
                {
                    progress.Report(what, actions == 0 ? -1 : done++ * 100 / actions);
                    result.ActionList.Add(what);
                }

                if (_files.Count > 0 && Backup.KeepalivedRunning)
                {
                    Step($"{Backup.ComputerName}: service keepalived stop");
                    _stoppedBackupKeepalived = true;
                    KeepalivedService.Run(Backup.Session, "stop", cancellationToken);
                }
                foreach (var (node, file) in _files)
                {
                    Step($"{node.ComputerName}: write {file.Path}");
                    var backup = file.Write(node.Session, DateTime.UtcNow);
                    _written.Add((node, file.Path, backup));
                    foreach (var change in Changes.Where(c => c.ComputerName == node.ComputerName && c.File == file.Path)) change.BackupPath = backup;
                    progress.Note($"{node.ComputerName}: {file.Path} saved as {backup}");
                }
                if (!Master.KeepalivedRunning)
                {
                    Step($"{Master.ComputerName}: service keepalived start");
                    _startedMasterKeepalived = true;
                    KeepalivedService.Run(Master.Session, "start", cancellationToken);
                }
                else if (FileChanges(Master, Master.KeepalivedConfigPath))
                {
                    Step($"{Master.ComputerName}: service keepalived reload");
                    _reloadedMaster = true;
                    KeepalivedService.Run(Master.Session, "reload", cancellationToken);
                }
                var restart = Backup.Running && FileChanges(Backup, Backup.ServerXmlPath);
                if (restart)
                {
                    Step($"{Backup.ComputerName}: stop the compute node");
                    _stoppedBackupNode = true;
                    ComputeNodeService.Stop(Backup.Session, Backup.InstallPath, null, s => progress.Report(s), cancellationToken);
                }
                if (!Backup.Running || restart)
                {
                    Step($"{Backup.ComputerName}: start the compute node (manager port only)");
                    _startedBackupNode = true;
                    ComputeNodeService.Start(Backup.Session, Backup.InstallPath, StartTimeout, s => progress.Report(s), cancellationToken);
                }
                if (_stoppedBackupKeepalived || !Backup.KeepalivedRunning)
                {
                    Step($"{Backup.ComputerName}: service keepalived start");
                    _startedBackupKeepalived = true;
                    KeepalivedService.Run(Backup.Session, "start", cancellationToken);
                }
            }
            catch (Exception e) when (!(e is OperationCanceledException) && result.Changed)
            {
                var undo = TryRollback(progress, cancellationToken);
                result.RolledBack = undo == null;
                throw new HaOperationException("HaReconstructionFailed",
                    $"The HA environment reconstruction failed at '{result.ActionList.Last()}': {e.Message} " +
                    (undo == null ? "Every written file was restored from its backup and the services put back as they were." : $"Undoing it failed too: {undo}"),
                    undo == null ? "Fix the cause named above, then run the reconstruction again."
                        : "Restore the files from the backups listed in the result's Changes (BackupPath) by hand, then check both hosts with Test-HotDbHaSwitch.",
                    result, e);
            }
            result.Checks = WaitForChecks(progress, cancellationToken);
            return result;
        }

        private IReadOnlyList<HaSwitchCheck> WaitForChecks(IStageProgress progress, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                progress.Report("waiting for the six HA checks to pass");
                var environment = HaEnvironmentReader.Read(Master.Session, Backup.Session, Master.InstallPath, Master.KeepalivedConfigPath, cancellationToken);
                var checks = HaSwitchChecks.Run(environment);
                if (checks.All(c => c.Status != HaCheckStatus.Failed)) return ReloadConfig == null ? checks : HaSwitchChecks.Run(environment, ReloadConfig);
                if (watch.Elapsed > SettleTimeout) return checks;
                if (cancellationToken.WaitHandle.WaitOne(1000)) cancellationToken.ThrowIfCancellationRequested();
            }
        }

        private string? TryRollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            try
            {
                Rollback(progress, cancellationToken);
                return null;
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return e.Message;
            }
        }

        /// <summary>
        /// Undoes what <see cref="Execute"/> did: stops the backup node it started (it was down), restores every
        /// written file from its backup, reloads the master's keepalived again, and puts the backup's keepalived and
        /// compute node back as they were read. Copes with a partial run: only what was done is undone.
        /// </summary>
        public void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (progress is null) throw new ArgumentNullException(nameof(progress));
            var problems = new List<string>();
            void Try(string what, Action action)
            {
                progress.Report("undo: " + what);
                try { action(); }
                catch (Exception e) when (!(e is OperationCanceledException)) { problems.Add($"{what}: {e.Message}"); }
            }

            if (_startedBackupKeepalived && !Backup.KeepalivedRunning) Try($"{Backup.ComputerName}: service keepalived stop", () => KeepalivedService.Run(Backup.Session, "stop", cancellationToken));
            if (_startedBackupNode && !_stoppedBackupNode) Try($"{Backup.ComputerName}: stop the compute node", () => ComputeNodeService.Stop(Backup.Session, Backup.InstallPath, null, null, cancellationToken));
            for (var i = _written.Count - 1; i >= 0; i--)
            {
                var (node, path, backup) = _written[i];
                Try($"{node.ComputerName}: restore {path} from {backup}", () => HaFileText.Restore(node.Session, path, backup));
            }
            if (_reloadedMaster) Try($"{Master.ComputerName}: service keepalived reload", () => KeepalivedService.Run(Master.Session, "reload", cancellationToken));
            if (_startedMasterKeepalived) Try($"{Master.ComputerName}: service keepalived stop", () => KeepalivedService.Run(Master.Session, "stop", cancellationToken));
            if (_stoppedBackupNode) Try($"{Backup.ComputerName}: start the compute node", () =>
            {
                // Restarted with its restored server.xml; it ran before, so it comes back as it was.
                ComputeNodeService.Stop(Backup.Session, Backup.InstallPath, null, null, cancellationToken);
                ComputeNodeService.Start(Backup.Session, Backup.InstallPath, StartTimeout, null, cancellationToken);
            });
            if (_stoppedBackupKeepalived && Backup.KeepalivedRunning) Try($"{Backup.ComputerName}: service keepalived start",
                () => { if (!KeepalivedService.IsRunning(Backup.Session, cancellationToken)) KeepalivedService.Run(Backup.Session, "start", cancellationToken); });
            _written.Clear();
            _startedBackupKeepalived = _startedBackupNode = _stoppedBackupNode = _reloadedMaster = _startedMasterKeepalived = _stoppedBackupKeepalived = false;
            if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
        }

        private static HaOperationException Refuse(string errorId, string message, string remedy) =>
            new HaOperationException(errorId, message, remedy) { Refused = true };
    }
}
