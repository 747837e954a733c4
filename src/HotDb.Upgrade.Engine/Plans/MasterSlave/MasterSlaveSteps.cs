using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb.Sql;
using HotDb.Upgrade.Ha;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Plans.MasterSlave
{
    /// <summary>The pair's hosts by the roles first read, and fresh reads of them (steps never trust an earlier read).</summary>
    internal sealed class PairHosts
    {
        public PairHosts(PairState pair, ComputeNodeUpgradeContext master, ComputeNodeUpgradeContext slave, MasterSlavePlanOptions options)
        {
            Pair = pair;
            Master = master;
            Slave = slave;
            Options = options;
        }

        public PairState Pair { get; }
        /// <summary>The master as first read (after the switch, the old master).</summary>
        public ComputeNodeUpgradeContext Master { get; }
        public ComputeNodeUpgradeContext Slave { get; }
        public MasterSlavePlanOptions Options { get; }
        public IPAddress? Vip => Pair.Vip is { } vip ? IPAddress.Parse(vip) : null;

        public HaEnvironment Read(CancellationToken cancellationToken) =>
            HaEnvironmentReader.Read(Master.Host, Slave.Host, Master.InstallPath, Options.KeepalivedConfigPath, cancellationToken);

        public HaNode ReadNode(IRemoteHost host, CancellationToken cancellationToken) =>
            HaEnvironmentReader.ReadNode(host, Master.InstallPath, Options.KeepalivedConfigPath, cancellationToken);

        public static string Failures(IEnumerable<HaSwitchCheck> checks) =>
            string.Join("; ", checks.Where(c => c.Status == HaCheckStatus.Failed).Select(c => $"{c.Id} {c.Name} on {c.Host}: expected {c.Expected}, found {c.Actual}"));
    }

    /// <summary>Both hosts are HotDB installs at the same version, and the master is still the one the plan was made for.</summary>
    internal sealed class CheckPairStep : PlanStep
    {
        private readonly PairHosts _pair;

        public CheckPairStep(PairHosts pair) => _pair = pair;

        public override string Name => "CheckPair";
        public override string Host => _pair.Pair.Master;
        public override bool ChangesState => false;
        public override string Describe() => $"Check {_pair.Pair.Master} (master) and {_pair.Pair.Backup} (slave) are compute nodes at the same version, roles unchanged";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var environment = _pair.Read(cancellationToken);
            foreach (var node in environment.Nodes.Where(n => !n.Installed || n.Version == null))
                throw new StageFailedException($"{node.ComputerName}: there is no HotDB compute node of a known version in {node.InstallPath}; nothing was changed.",
                    "Give the compute node's directory with -InstallPath.");
            if (environment.Master.Version != environment.Backup.Version)
                throw new StageFailedException($"The pair runs two versions ({environment.Master.ComputerName} {environment.Master.Version}, {environment.Backup.ComputerName} {environment.Backup.Version}); nothing was changed.",
                    "Bring both nodes to one version first (single-node upgrade of the older one), then plan again.");
            if (!string.Equals(environment.Master.ComputerName, _pair.Pair.Master, StringComparison.OrdinalIgnoreCase))
                throw new StageFailedException($"{environment.Master.ComputerName} is the master now ({environment.RoleBasis}), not {_pair.Pair.Master} as when the plan was made; nothing was changed.",
                    "Make a new plan (New-HotDbUpgradePlan) so the roles are read again.");
            progress.Note($"master {environment.Master.ComputerName} ({environment.RoleBasis}), slave {environment.Backup.ComputerName}, both at {environment.Master.Version}");
        }
    }

    /// <summary>The manual's six HA switch checks (3.4.2): an online upgrade relies on the switch, so all must pass.</summary>
    internal sealed class CheckHaSwitchStep : PlanStep
    {
        private readonly PairHosts _pair;

        public CheckHaSwitchStep(PairHosts pair) => _pair = pair;

        public override string Name => "CheckHaSwitch";
        public override string Host => _pair.Pair.Backup;
        public override bool ChangesState => false;
        public override string Describe() => "Run the HA switch checks HA1..HA6 on the pair (HA4 not verified: no reload); none may fail";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var checks = HaSwitchChecks.Run(_pair.Read(cancellationToken));
            foreach (var check in checks) progress.Note($"{check.Id} {check.Name} on {check.Host}: {check.Status}");
            if (checks.Any(c => c.Status == HaCheckStatus.Failed))
                throw new StageFailedException($"An upgrade without stopping the service needs every HA switch check to pass: {PairHosts.Failures(checks)}. Nothing was changed.",
                    "Fix what Test-HotDbHaSwitch reports, or upgrade with the service stopped (-Mode MasterSlaveOffline).");
        }
    }

    /// <summary>The upgrade SQL may run while the old version keeps using the ConfigDB (the classifier Test-HotDbUpgradeSql uses).</summary>
    internal sealed class CheckOnlineSqlStep : PlanStep
    {
        private readonly ConfigDbPart _part;

        public CheckOnlineSqlStep(ConfigDbPart part) => _part = part;

        public override string Name => "CheckOnlineSql";
        public override string Host => _part.HostName;
        public override bool ChangesState => false;
        public override string Describe() => $"Check the ConfigDB scripts in {_part.ScriptsPath} may run while the old version serves (Test-HotDbUpgradeSql)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var scripts = _part.UpgradePlan.Scripts;
            // The statements the catalog already split, not the files read whole again.
            var report = UpgradeSqlAnalyzer.Analyze(scripts.Select(s => SqlScriptSource.FromStatements(s.Path, s.Statements)));
            var errors = report.Findings.Where(f => f.Severity == SqlFindingSeverity.Error).ToList();
            if (errors.Count > 0)
                throw new StageFailedException($"The ConfigDB upgrade SQL cannot run while the old version serves: {string.Join("; ", errors.Select(f => $"{f.RuleId} {Path.GetFileName(f.File)}:{f.Line} {f.Message}"))}. Nothing was changed.",
                    "Upgrade with the service stopped (-Mode MasterSlaveOffline).");
            progress.Note($"{scripts.Count} script(s), {report.StatementCount} statements: allowed online");
        }
    }

    /// <summary>service keepalived stop or start on one host of the pair; the rollback does the opposite when this step changed it.</summary>
    internal sealed class KeepalivedStep : PlanStep
    {
        private readonly PairHosts _pair;
        private readonly IRemoteHost _host;
        private readonly bool _start;

        public KeepalivedStep(PairHosts pair, IRemoteHost host, bool start)
        {
            _pair = pair;
            _host = host;
            _start = start;
        }

        public override string Name => _start ? "StartKeepalived" : "StopKeepalived";
        public override string Host => _host.ComputerName;
        // Both actions wait for the wanted state, so running one again changes nothing.
        public override bool SafeToRerun => true;

        private bool RanBefore => string.Equals(_host.ComputerName, _pair.Pair.Master, StringComparison.OrdinalIgnoreCase) ? _pair.Pair.MasterKeepalived : _pair.Pair.BackupKeepalived;

        public override string Describe() => $"service keepalived {(_start ? "start" : "stop")} on {Host}";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken) => Set(_start, progress, cancellationToken);

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            // A stop is undone only when keepalived ran before the upgrade.
            if (_start || RanBefore) Set(!_start, progress, cancellationToken);
        }

        private void Set(bool running, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (KeepalivedService.IsRunning(_host, cancellationToken) == running)
            {
                progress.Note($"keepalived is already {(running ? "running" : "stopped")}");
                return;
            }
            try { KeepalivedService.Run(_host, running ? "start" : "stop", cancellationToken); }
            catch (IOException e) { throw new StageFailedException(e.Message, $"Check keepalived on {Host} (service keepalived status, its log).", e); }
            progress.Note($"keepalived {(running ? "started" : "stopped")}");
        }
    }

    /// <summary>The manual waits for the VIP to answer on the master before it starts the slave.</summary>
    internal sealed class WaitForVipStep : PlanStep
    {
        private readonly PairHosts _pair;

        public WaitForVipStep(PairHosts pair) => _pair = pair;

        public override string Name => "WaitForVip";
        public override string Host => _pair.Pair.Master;
        public override bool ChangesState => false;
        public override string Describe() => $"Wait until {Host} holds the VIP {_pair.Pair.Vip} (at most {_pair.Options.SettleTimeout.TotalSeconds:0} s)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var vip = _pair.Vip ?? throw new StageFailedException("The pair's VIP is unknown.", "Check both hosts' keepalived.conf virtual_ipaddress.");
            var watch = Stopwatch.StartNew();
            while (!_pair.ReadNode(_pair.Master.Host, cancellationToken).Holds(vip))
            {
                if (watch.Elapsed > _pair.Options.SettleTimeout)
                    throw new StageFailedException($"{Host} does not hold the VIP {vip} {watch.Elapsed.TotalSeconds:0} s after keepalived started.",
                        $"Check keepalived on {Host} (its log, its track scripts).");
                progress.Report($"waiting for VIP {vip} on {Host} ({watch.Elapsed.TotalSeconds:0} s)");
                if (cancellationToken.WaitHandle.WaitOne(500)) cancellationToken.ThrowIfCancellationRequested();
            }
            progress.Note($"{Host} holds the VIP {vip}");
        }
    }

    /// <summary>
    /// The switch (HaSwitchover) from a fresh read: the master hands the VIP over (its keepalived stops first, then its
    /// compute node), the upgraded slave takes the VIP and the service port. A failed switch brings the old master back
    /// itself. The rollback switches back once the old master's old
    /// install is in place again: it stops the upgraded slave and its keepalived, starts the old master, waits for the
    /// VIP on it and starts the slave's keepalived again.
    /// </summary>
    internal sealed class SwitchStep : PlanStep
    {
        private readonly PairHosts _pair;

        public SwitchStep(PairHosts pair) => _pair = pair;

        public override string Name => "Switch";
        public override string Host => _pair.Pair.Master;
        public override string Describe() => $"Switch over: stop keepalived on {_pair.Pair.Master} so that the VIP {_pair.Pair.Vip} moves at once (where keepalived runs on both), then its compute node; {_pair.Pair.Backup} (upgraded) must take the VIP and its service port within {_pair.Options.SwitchTimeout.TotalSeconds:0} s";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var environment = _pair.Read(cancellationToken);
            if (!string.Equals(environment.Master.ComputerName, _pair.Pair.Master, StringComparison.OrdinalIgnoreCase))
                throw new StageFailedException($"{environment.Master.ComputerName} serves, not {_pair.Pair.Master}: the pair changed during the upgrade.", "Check the pair with Get-HotDbHaEnvironment.");
            try
            {
                var result = HaSwitchover.Plan(environment, _pair.Options.SwitchTimeout).Execute(progress, cancellationToken);
                progress.Note($"{result.NewMaster} took over in {result.Outage?.TotalSeconds:0.0} s");
            }
            catch (HaOperationException e) { throw new StageFailedException(e.Message, e.RecommendedAction, e); }
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            var master = _pair.Master;
            var slave = _pair.Slave;
            if (ComputeNodeReader.Read(master.Host, master.InstallPath).Running)
            {
                progress.Note($"{master.Host.ComputerName}'s compute node runs (the switch did not happen or was undone)");
                return;
            }
            if (ComputeNodeReader.Read(slave.Host, slave.InstallPath).Running)
            {
                progress.Report($"{slave.Host.ComputerName}: stopping the upgraded compute node");
                StopServiceStage.Service(() => ComputeNodeService.Stop(slave.Host, slave.InstallPath, slave.Options.StopTimeout, s => progress.Report(s), cancellationToken));
            }
            // The old master's keepalived has nopreempt: it never takes the VIP from a running keepalived, even one whose
            // node stopped. The slave's keepalived stops until the old master holds the VIP again.
            var slaveKeepalived = Keepalived(slave.Host, false, progress, cancellationToken);
            if (_pair.Pair.MasterKeepalived) Keepalived(master.Host, true, progress, cancellationToken);
            progress.Report($"{master.Host.ComputerName}: starting the compute node");
            StopServiceStage.Service(() => ComputeNodeService.Start(master.Host, master.InstallPath, master.Options.StartTimeout, s => progress.Report(s), cancellationToken));
            if (_pair.Vip is { } vip && _pair.Pair.MasterKeepalived)
            {
                var watch = Stopwatch.StartNew();
                while (!_pair.ReadNode(master.Host, cancellationToken).Holds(vip))
                {
                    if (watch.Elapsed > _pair.Options.SettleTimeout)
                        throw new StageFailedException($"{master.Host.ComputerName} serves again on its old install but does not hold the VIP {vip} {watch.Elapsed.TotalSeconds:0} s later{(slaveKeepalived ? $"; keepalived on {slave.Host.ComputerName} stays stopped" : "")}.",
                            $"Check keepalived on {master.Host.ComputerName} (its log, its track scripts) until it holds the VIP, then start keepalived on {slave.Host.ComputerName} and run Test-HotDbHaSwitch.");
                    progress.Report($"waiting for VIP {vip} on {master.Host.ComputerName} ({watch.Elapsed.TotalSeconds:0} s)");
                    if (cancellationToken.WaitHandle.WaitOne(500)) cancellationToken.ThrowIfCancellationRequested();
                }
            }
            if (slaveKeepalived) Keepalived(slave.Host, true, progress, cancellationToken);
            progress.Note($"{master.Host.ComputerName} serves again on its old install{(_pair.Vip is { } held ? $" and holds the VIP {held}" : "")}");
        }

        /// <summary>Starts or stops keepalived on a host when it is not so already; true when it changed it.</summary>
        private static bool Keepalived(IRemoteHost host, bool start, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (KeepalivedService.IsRunning(host, cancellationToken) == start) return false;
            try { KeepalivedService.Run(host, start ? "start" : "stop", cancellationToken); }
            catch (IOException e) { throw new StageFailedException(e.Message, $"Check keepalived on {host.ComputerName} (service keepalived status, its log).", e); }
            progress.Note($"{host.ComputerName}: keepalived {(start ? "started" : "stopped")}");
            return true;
        }
    }

    /// <summary>
    /// The old master's new server.xml says haState backup and haNodeHost the new master before its first start, so
    /// it opens the manager port only: never two nodes with the service port open.
    /// </summary>
    internal sealed class BecomeBackupStep : PlanStep
    {
        private readonly PairHosts _pair;

        public BecomeBackupStep(PairHosts pair) => _pair = pair;

        public override string Name => "BecomeBackup";
        public override string Host => _pair.Pair.Master;
        // Writes two values, or nothing when they are already set.
        public override bool SafeToRerun => true;
        public override string Describe() => $"Set haState=backup and haNodeHost={_pair.Pair.Backup}'s address:manager port in {Host}'s new server.xml";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var newMaster = _pair.ReadNode(_pair.Slave.Host, cancellationToken);
            var self = _pair.ReadNode(_pair.Master.Host, cancellationToken);
            var bytes = self.ServerXmlBytes ?? throw new StageFailedException($"{Host}: {self.ServerXmlPath} cannot be read.", "Check the new install is complete.");
            var file = new HaFileText(self.ServerXmlPath, bytes);
            var changes = new List<(string Key, string? Old, string New)>();
            var address = HaSwitchChecks.PreferredAddress(newMaster) + ":" + newMaster.ManagerPort;
            file.Edited = ServerXmlHaSettings.Set(file.Text, file.Path, new Dictionary<string, string> { ["haState"] = "backup", ["haNodeHost"] = address }, changes);
            if (!file.Changed)
            {
                progress.Note($"{file.Path} already names {address} as master");
                return;
            }
            var saved = file.Write(self.Session, DateTime.UtcNow);
            foreach (var (key, old, value) in changes) progress.Note($"{key}: {old ?? "(absent)"} -> {value}");
            progress.Note($"{file.Path} saved as {saved}");
        }

        // Nothing to undo here: the edited server.xml belongs to the new install, which KeepOldInstall's rollback sets aside.
    }

    /// <summary>
    /// The manual's HA environment reconstruction around the new master (HaReconstruction), planned from a fresh read.
    /// The files it wrote and their backups go to the journal, so a resumed run can still restore them.
    /// </summary>
    internal sealed class ReconstructionStep : PlanStep
    {
        private readonly PairHosts _pair;
        private readonly ReconstructionState _state;
        private HaReconstruction? _operation;

        public ReconstructionStep(PairHosts pair, ReconstructionState state)
        {
            _pair = pair;
            _state = state;
        }

        public override string Name => "Reconstruct";
        public override string Host => _pair.Pair.Backup;
        // The reconstruction is idempotent: from a fresh read it only does what is still missing.
        public override bool SafeToRerun => true;
        public override string Describe() => $"HA reconstruction: {_pair.Pair.Backup} master (nopreempt, higher priority), {_pair.Pair.Master} backup; keepalived and node restarted in the manual's order";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            try
            {
                _operation = HaReconstruction.Plan(_pair.Read(cancellationToken));
                _operation.StartTimeout = _pair.Master.Options.StartTimeout;
                _operation.SettleTimeout = _pair.Options.SettleTimeout;
                var result = _operation.Execute(progress, cancellationToken);
                foreach (var action in result.Actions) progress.Note(action);
                if (!result.Passed)
                    throw new StageFailedException($"After the reconstruction the HA checks fail: {PairHosts.Failures(result.Checks)}.", "Run Test-HotDbHaSwitch and fix what it reports.");
            }
            catch (HaOperationException e) { throw new StageFailedException(e.Message, e.RecommendedAction, e); }
            finally
            {
                // A failure part-way restored its files already (WrittenFiles is empty then).
                _state.Written.Clear();
                if (_operation != null) _state.Written.AddRange(_operation.WrittenFiles);
            }
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (_operation != null)
            {
                _operation.Rollback(progress, cancellationToken);
                _state.Written.Clear();
                return;
            }
            if (_state.Written.Count == 0)
            {
                progress.Note("no file of the reconstruction to restore");
                return;
            }
            // A resumed run: the process that wrote the files is gone; the journal kept their backups.
            var problems = new List<string>();
            var reload = new List<IRemoteHost>();
            for (var i = _state.Written.Count - 1; i >= 0; i--)
            {
                var (computerName, path, backup) = _state.Written[i];
                var host = string.Equals(computerName, _pair.Master.Host.ComputerName, StringComparison.OrdinalIgnoreCase) ? _pair.Master.Host : _pair.Slave.Host;
                try
                {
                    HaFileText.Restore(host, path, backup);
                    progress.Note($"{computerName}: {path} restored from {backup}");
                    if (path == _pair.Options.KeepalivedConfigPath && !reload.Contains(host)) reload.Add(host);
                }
                catch (Exception e) when (!(e is OperationCanceledException)) { problems.Add($"{computerName}: restoring {path} from {backup}: {e.Message}"); }
            }
            foreach (var host in reload)
            {
                try
                {
                    if (!KeepalivedService.IsRunning(host, cancellationToken)) continue;
                    KeepalivedService.Run(host, "reload", cancellationToken);
                    progress.Note($"{host.ComputerName}: service keepalived reload");
                }
                catch (IOException e) { problems.Add(e.Message); }
            }
            _state.Written.Clear();
            if (problems.Count > 0)
                throw new StageFailedException($"Undoing the HA reconstruction failed: {string.Join("; ", problems)}.",
                    "Restore the named files from their backups by hand, run service keepalived reload there, then check the pair with Test-HotDbHaSwitch.");
        }
    }

    /// <summary>The reconstruction's written files and their backups (one per line: host, path, backup, tab-separated).</summary>
    internal sealed class ReconstructionState : IPlanState
    {
        public const string StateKey = "reconstruction";

        public List<(string ComputerName, string Path, string BackupPath)> Written { get; } = new List<(string, string, string)>();

        public string Key => StateKey;

        public IDictionary<string, string?> Save() => new Dictionary<string, string?>
        {
            ["written"] = string.Join("\n", Written.Select(w => w.ComputerName + "\t" + w.Path + "\t" + w.BackupPath)),
        };

        public void Load(IReadOnlyDictionary<string, string?> values)
        {
            Written.Clear();
            if (!values.TryGetValue("written", out var text) || string.IsNullOrEmpty(text)) return;
            foreach (var parts in text!.Split('\n').Select(l => l.Split('\t')).Where(p => p.Length == 3)) Written.Add((parts[0], parts[1], parts[2]));
        }
    }

    /// <summary>The pair at the end: the HA checks pass within the settle time (HA4 not verified: no reload).</summary>
    internal sealed class FinalHaCheckStep : PlanStep
    {
        private readonly PairHosts _pair;

        public FinalHaCheckStep(PairHosts pair) => _pair = pair;

        public override string Name => "CheckPairAfter";
        public override string Host => _pair.Pair.Backup;
        public override bool ChangesState => false;
        public override string Describe() => "Check both nodes run the new version and the HA checks pass (HA4 not verified: no reload)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var environment = _pair.Read(cancellationToken);
                var checks = HaSwitchChecks.Run(environment);
                var stale = environment.Nodes.Where(n => n.Version != _pair.Master.ToVersion).ToList();
                if (stale.Count == 0 && checks.All(c => c.Status != HaCheckStatus.Failed))
                {
                    progress.Note($"master {environment.Master.ComputerName}, slave {environment.Backup.ComputerName}, both at {_pair.Master.ToVersion}; HA checks pass");
                    return;
                }
                if (watch.Elapsed > _pair.Options.SettleTimeout)
                    throw new StageFailedException(
                        stale.Count > 0 ? $"{string.Join(", ", stale.Select(n => $"{n.ComputerName} runs {n.Version}"))}, not {_pair.Master.ToVersion}." : $"The HA checks fail: {PairHosts.Failures(checks)}.",
                        "Run Get-HotDbHaEnvironment and Test-HotDbHaSwitch and fix what they report.");
                progress.Report($"waiting for the pair to settle ({watch.Elapsed.TotalSeconds:0} s)");
                if (cancellationToken.WaitHandle.WaitOne(1000)) cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }
}
