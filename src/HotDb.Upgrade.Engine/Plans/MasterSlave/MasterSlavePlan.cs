using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Plans.MasterSlave
{
    /// <summary>What a master/slave upgrade is asked to do: the single-node options for each node, plus the pair's keepalived.</summary>
    public sealed class MasterSlavePlanOptions
    {
        public SingleNodePlanOptions Node { get; set; } = new SingleNodePlanOptions();
        public string KeepalivedConfigPath { get; set; } = HaEnvironmentReader.DefaultKeepalivedConfigPath;
        /// <summary>How long the slave may take to hold the VIP and open its service port after the master stops (online).</summary>
        public TimeSpan SwitchTimeout { get; set; } = TimeSpan.FromSeconds(60);
        /// <summary>How long the HA checks may take to pass at the end (keepalived settles in a few adverts).</summary>
        public TimeSpan SettleTimeout { get; set; } = TimeSpan.FromSeconds(60);
    }

    /// <summary>
    /// A compute node master/slave pair's upgrade as a plan, roles read from the hosts (never from argument order).
    /// Offline (the manual's 3.3): checks, upload on both while serving, stop keepalived and node on the slave then on
    /// the master, ConfigDB backup and upgrade, each node stage on both hosts at once, then start master node, master
    /// keepalived, wait for the VIP, slave node, slave keepalived, and the HA checks.
    /// Online (3.4): the same checks plus the six HA checks and the SQL classifier; ConfigDB upgrade while serving; the
    /// slave's stages; the switch (the master stops, the upgraded slave takes the VIP); the old master's stages, its
    /// server.xml turned to backup before it starts; the HA reconstruction; the HA checks.
    /// The runner's reverse rollback is the only way back. Online, before the switch it restores the slave's old
    /// install and starts it as backup, then restores the ConfigDB: the master serves throughout. After the switch it
    /// undoes a reconstruction that ran (from its file backups, journaled for a resumed run), restores the old master's
    /// old install, stops the upgraded slave and its keepalived and starts the old master until it holds the VIP (the
    /// switch's rollback: the service is down in between, never served by two nodes), restores and starts the slave's
    /// old install as backup, then restores the ConfigDB.
    /// </summary>
    public static class MasterSlavePlan
    {
        public const string OfflineMode = "MasterSlaveOffline";
        public const string OnlineMode = "MasterSlaveOnline";

        /// <summary>Reads both hosts (nothing changes), decides master and slave, and builds the plan.</summary>
        public static UpgradePlan Build(string mode, IRemoteHost first, IRemoteHost second, MasterSlavePlanOptions options, CancellationToken cancellationToken = default)
        {
            if (first is null) throw new ArgumentNullException(nameof(first));
            if (second is null) throw new ArgumentNullException(nameof(second));
            CheckMode(mode);
            if (string.IsNullOrWhiteSpace(options.Node.ScriptsPath)) throw new ArgumentException("The ConfigDB upgrade scripts folder is required.", nameof(options));
            var environment = HaEnvironmentReader.Read(first, second, options.Node.Node.InstallPath, options.KeepalivedConfigPath, cancellationToken);
            var pair = new PairState(environment.Master.ComputerName, environment.Backup.ComputerName, environment.Vip?.ToString(),
                environment.Master.KeepalivedRunning, environment.Backup.KeepalivedRunning);
            var master = ComputeNodeUpgrade.Prepare(environment.Master.Session, options.Node.Node, cancellationToken);
            var slave = ComputeNodeUpgrade.Prepare(environment.Backup.Session, options.Node.Node, cancellationToken);
            return Assemble(mode, pair, master, slave, options);
        }

        /// <summary>
        /// Rebuilds the plan a journal was written for: the roles as first read, each node as it was before, and the
        /// ConfigDB backup come from the journal; sessions are matched by host name; the ConfigDB login is given again.
        /// </summary>
        public static UpgradePlan Rebuild(PlanJournal journal, IReadOnlyList<IRemoteHost> sessions, NetworkCredential configDbCredential)
        {
            if (journal.Mode != OfflineMode && journal.Mode != OnlineMode)
                throw new PlanJournalException($"The journal is of a {journal.Mode} plan, not a master/slave one.", "Resume it with the command that rebuilds that plan.");
            var p = journal.Parameters;
            var options = new MasterSlavePlanOptions
            {
                Node = SingleNodePlan.OptionsOf(p, configDbCredential),
                KeepalivedConfigPath = p["keepalivedConfigPath"]!,
                SwitchTimeout = TimeSpan.FromSeconds(double.Parse(p["switchTimeout"]!, CultureInfo.InvariantCulture)),
                SettleTimeout = TimeSpan.FromSeconds(double.Parse(p["settleTimeout"]!, CultureInfo.InvariantCulture)),
            };
            if (!journal.State.TryGetValue(PairState.StateKey, out var saved))
                throw new PlanJournalException("The journal holds no master/slave roles.", "Resume it with the module version that wrote it.");
            var pair = PairState.From(saved);
            ComputeNodeUpgradeContext Context(string computerName)
            {
                var host = sessions.FirstOrDefault(s => string.Equals(s.ComputerName, computerName, StringComparison.OrdinalIgnoreCase))
                    ?? throw new PlanJournalException($"No session was given for {computerName}, which the interrupted run upgraded.", "Give a -Session to each host of the pair.");
                if (!journal.State.TryGetValue(NodeState.KeyOf(host.ComputerName), out var state))
                    throw new PlanJournalException($"The journal holds no state for {host.ComputerName}.", "Give the sessions of the hosts the interrupted run upgraded.");
                return new ComputeNodeUpgradeContext(host, options.Node.Node, NodeState.Before(host, options.Node.Node.InstallPath, state),
                    DateTime.Parse(state["startedUtc"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
            }
            return Assemble(journal.Mode, pair, Context(pair.Master), Context(pair.Backup), options, p["configDbDatabase"]);
        }

        private static void CheckMode(string mode)
        {
            if (mode != OfflineMode && mode != OnlineMode)
                throw new ArgumentException($"The mode is {OfflineMode} or {OnlineMode}, not '{mode}'.", nameof(mode));
        }

        internal static UpgradePlan Assemble(string mode, PairState pair, ComputeNodeUpgradeContext master, ComputeNodeUpgradeContext slave,
            MasterSlavePlanOptions options, string? database = null)
        {
            CheckMode(mode);
            var online = mode == OnlineMode;
            var target = SingleNodePlan.TargetOf(master, options.Node, database);
            // The dump is taken on, and kept by, the master's host (it serves on in online mode).
            var configDb = new ConfigDbPart(target, master.Host, options.Node.ScriptsPath, options.Node.BackupDirectory, master);
            var pairHosts = new PairHosts(pair, master, slave, options);
            var states = new List<IPlanState> { pair, new NodeState(master), new NodeState(slave), configDb };

            var masterStages = ComputeNodeUpgrade.Stages(master);
            var slaveStages = ComputeNodeUpgrade.Stages(slave);
            PlanStep Step(ComputeNodeUpgradeContext context, UpgradeStage<ComputeNodeUpgradeContext> stage) =>
                new StageStep<ComputeNodeUpgradeContext>(stage, context, context.Host.ComputerName, SingleNodePlan.SafeToRerun.Contains(stage.Name));
            IEnumerable<PlanStep> Stages(ComputeNodeUpgradeContext context, IEnumerable<UpgradeStage<ComputeNodeUpgradeContext>> stages, Func<UpgradeStage<ComputeNodeUpgradeContext>, bool> which) =>
                stages.Where(which).Select(s => Step(context, s));

            var checks = new List<PlanStep> { new CheckPairStep(pairHosts) };
            checks.AddRange(Stages(master, masterStages, s => !s.ChangesState));
            checks.AddRange(Stages(slave, slaveStages, s => !s.ChangesState));
            checks.Add(new CheckConfigDbStep(configDb));
            if (online)
            {
                checks.Add(new CheckHaSwitchStep(pairHosts));
                checks.Add(new CheckOnlineSqlStep(configDb));
            }
            var phases = new List<PlanPhase>
            {
                new PlanPhase("Checks", checks),
                new PlanPhase("Stage", Stages(master, masterStages, s => s.Name == "UploadPackage").Concat(Stages(slave, slaveStages, s => s.Name == "UploadPackage")), parallel: true),
            };
            var configDbPhase = new PlanPhase("ConfigDb", new PlanStep[] { new BackupConfigDbStep(configDb), new UpgradeConfigDbStep(configDb) });
            // Between the stop and the start: the stages that replace the install.
            bool Replaces(UpgradeStage<ComputeNodeUpgradeContext> s) => s.ChangesState && s.Name != "UploadPackage" && s.Name != "StopService" && s.Name != "StartNewVersion";

            if (!online)
            {
                phases.Add(new PlanPhase("Stop", new[]
                {
                    new KeepalivedStep(pairHosts, slave.Host, start: false),
                    Step(slave, slaveStages.Single(s => s.Name == "StopService")),
                    new KeepalivedStep(pairHosts, master.Host, start: false),
                    Step(master, masterStages.Single(s => s.Name == "StopService")),
                }));
                phases.Add(configDbPhase);
                // Both hosts hold the same version (CheckPair), so both have the same stages: one parallel phase per stage.
                foreach (var stage in masterStages.Where(Replaces))
                    phases.Add(new PlanPhase(stage.Name, new[] { Step(master, stage), Step(slave, slaveStages.Single(s => s.Name == stage.Name)) }, parallel: true));
                phases.Add(new PlanPhase("Start", new[]
                {
                    Step(master, masterStages.Single(s => s.Name == "StartNewVersion")),
                    new KeepalivedStep(pairHosts, master.Host, start: true),
                    new WaitForVipStep(pairHosts),
                    Step(slave, slaveStages.Single(s => s.Name == "StartNewVersion")),
                    new KeepalivedStep(pairHosts, slave.Host, start: true),
                }));
            }
            else
            {
                phases.Add(configDbPhase);
                phases.Add(new PlanPhase("Slave", Stages(slave, slaveStages, s => s.ChangesState && s.Name != "UploadPackage")));
                phases.Add(new PlanPhase("Switch", new PlanStep[] { new SwitchStep(pairHosts) }));
                // It starts as backup (BecomeBackup), with the manager port only.
                master.ServerPortAfterStart = PortExpectation.Closed;
                var oldMaster = new List<PlanStep>();
                // No StopService: the switch stopped the old master, and the switch's rollback (not a stop's) starts it
                // again, after the upgraded slave has stopped, so that two nodes never serve at once.
                foreach (var stage in masterStages.Where(s => s.ChangesState && s.Name != "UploadPackage" && s.Name != "StopService"))
                {
                    // Before its first start the old master learns it is the backup now, so it never opens the service port.
                    if (stage.Name == "StartNewVersion") oldMaster.Add(new BecomeBackupStep(pairHosts));
                    oldMaster.Add(Step(master, stage));
                }
                phases.Add(new PlanPhase("OldMaster", oldMaster));
                var reconstruction = new ReconstructionState();
                states.Add(reconstruction);
                phases.Add(new PlanPhase("Reconstruction", new PlanStep[] { new ReconstructionStep(pairHosts, reconstruction) }));
            }
            phases.Add(new PlanPhase("Verify", new PlanStep[] { new FinalHaCheckStep(pairHosts) }));

            var parameters = SingleNodePlan.ParametersOf(master, options.Node, target);
            parameters["keepalivedConfigPath"] = options.KeepalivedConfigPath;
            parameters["switchTimeout"] = options.SwitchTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
            parameters["settleTimeout"] = options.SettleTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
            return new UpgradePlan(mode, Path.GetFileName(master.Options.PackagePath), master.FromVersion?.ToString(), master.ToVersion?.ToString(), phases,
                states, parameters)
            {
                InstallPath = master.InstallPath,
            };
        }
    }

    /// <summary>The pair as first read (the roles, the VIP, whether keepalived ran): journaled, so a resumed run keeps them after a switch.</summary>
    internal sealed class PairState : IPlanState
    {
        public const string StateKey = "pair";

        public PairState(string master, string backup, string? vip, bool masterKeepalived, bool backupKeepalived)
        {
            Master = master;
            Backup = backup;
            Vip = vip;
            MasterKeepalived = masterKeepalived;
            BackupKeepalived = backupKeepalived;
        }

        public string Master { get; private set; }
        public string Backup { get; private set; }
        public string? Vip { get; private set; }
        public bool MasterKeepalived { get; private set; }
        public bool BackupKeepalived { get; private set; }

        public string Key => StateKey;

        public static PairState From(IReadOnlyDictionary<string, string?> values)
        {
            var state = new PairState("", "", null, false, false);
            state.Load(values);
            return state;
        }

        public IDictionary<string, string?> Save() => new Dictionary<string, string?>
        {
            ["master"] = Master,
            ["backup"] = Backup,
            ["vip"] = Vip,
            ["masterKeepalived"] = MasterKeepalived ? "true" : "false",
            ["backupKeepalived"] = BackupKeepalived ? "true" : "false",
        };

        public void Load(IReadOnlyDictionary<string, string?> values)
        {
            Master = values["master"]!;
            Backup = values["backup"]!;
            Vip = values["vip"];
            MasterKeepalived = values["masterKeepalived"] == "true";
            BackupKeepalived = values["backupKeepalived"] == "true";
        }
    }
}
