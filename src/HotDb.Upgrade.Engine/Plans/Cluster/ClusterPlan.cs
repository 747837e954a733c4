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

namespace HotDb.Upgrade.Plans.Cluster
{
    /// <summary>What a multi-node cluster upgrade is asked to do: the single-node options for each member, and the manager-port login.</summary>
    public sealed class ClusterPlanOptions
    {
        public SingleNodePlanOptions Node { get; set; } = new SingleNodePlanOptions();
        /// <summary>A manager-port login with the SUPER privilege, for show @@cluster (never journaled).</summary>
        public NetworkCredential ManagerCredential { get; set; } = new NetworkCredential();
        /// <summary>How long a manager port may take to answer.</summary>
        public TimeSpan ManagerPortTimeout { get; set; } = TimeSpan.FromSeconds(30);
        /// <summary>Online: how long the other members may take to elect a new PRIMARY once the primary stops.</summary>
        public TimeSpan ElectionTimeout { get; set; } = TimeSpan.FromSeconds(60);
        /// <summary>How long a started member may take to show as PRIMARY or SECONDARY in show @@cluster (and the cluster to settle at the end).</summary>
        public TimeSpan RejoinTimeout { get; set; } = TimeSpan.FromSeconds(120);
        /// <summary>The manager ports; default: over the MySQL protocol with <see cref="ManagerCredential"/>. Unit tests give a fake.</summary>
        public IManagerPortClient? ManagerPorts { get; set; }

        internal IManagerPortClient Client => ManagerPorts ??= new ManagerPortClient(ManagerCredential, ManagerPortTimeout);
    }

    /// <summary>
    /// A multi-node cluster's upgrade (haMode 1) as a plan, the primary read from show @@cluster (never from argument order).
    /// Offline (the manual's 3.5): checks (each member's, CL1..CL6, the ConfigDB) before anything stops; the uploads on
    /// every member at once while the cluster serves; stop the secondaries then the primary; ConfigDB backup and upgrade;
    /// each install-replacing stage on every member at once; start the primary then the secondaries (a member alone is
    /// "Started" with the service port closed until a majority is up, which the start accepts); verify show @@cluster
    /// lists every member, one PRIMARY, all at the new version. The runner's reverse rollback restores every old install,
    /// the ConfigDB, and starts the old versions primary first.
    /// Online (3.6): the same checks plus CL7 and CL8 (source version and upgrade SQL allow it); the ConfigDB upgraded
    /// while the cluster serves; each secondary in turn (the others in the cluster, stop, replace, start, until it is a
    /// SECONDARY at the new version again); then the primary (every other member healthy first), whose stop must lead to
    /// a new PRIMARY among the others within the election timeout (the install is replaced meanwhile, and the new
    /// version starts only after the election), upgraded and rejoined the same way. A member that
    /// rejoined at the new version is committed: a later failure rolls back only the member that failed (it rejoins on
    /// its old install) and stops there; committed members and the ConfigDB stay upgraded, and the result says so.
    /// </summary>
    public static class ClusterPlan
    {
        public const string OfflineMode = "ClusterOffline";
        public const string OnlineMode = "ClusterOnline";

        /// <summary>Reads every member and the cluster (nothing changes), finds the primary, and builds the plan.</summary>
        public static UpgradePlan Build(string mode, IReadOnlyList<IRemoteHost> hosts, ClusterPlanOptions options, CancellationToken cancellationToken = default)
        {
            CheckMode(mode);
            if (hosts is null || hosts.Count == 0) throw new ArgumentException("A cluster plan needs the sessions of the cluster's members.", nameof(hosts));
            if (string.IsNullOrWhiteSpace(options.Node.ScriptsPath)) throw new ArgumentException("The ConfigDB upgrade scripts folder is required.", nameof(options));
            var duplicate = hosts.GroupBy(h => h.ComputerName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null) throw new ArgumentException($"{duplicate.Key} is given twice.", nameof(hosts));
            var contexts = hosts.Select(h => ComputeNodeUpgrade.Prepare(h, options.Node.Node, cancellationToken)).ToList();
            var cluster = ClusterReader.Build(contexts.Select(c => c.Before).ToList(), options.Client, cancellationToken);
            // Members in show @@cluster's order (server id); the primary last. Without a primary the checks refuse the plan.
            var ordered = cluster.Members.Where(m => m.ComputerName != null)
                .Select(m => contexts.First(c => string.Equals(c.Host.ComputerName, m.ComputerName, StringComparison.OrdinalIgnoreCase))).ToList();
            ordered.AddRange(contexts.Where(c => !ordered.Contains(c)));
            var primary = cluster.Primary?.ComputerName is { } name ? ordered.FirstOrDefault(c => string.Equals(c.Host.ComputerName, name, StringComparison.OrdinalIgnoreCase)) : null;
            primary ??= ordered[0];
            ordered.Remove(primary);
            ordered.Add(primary);
            var state = new ClusterState(primary.Host.ComputerName, ordered.Select(c => c.Host.ComputerName));
            return Assemble(mode, state, ordered, options);
        }

        /// <summary>
        /// Rebuilds the plan a journal was written for: the members' order and primary as first read, each member as it was
        /// before, the members already committed and the ConfigDB backup come from the journal; sessions are matched by host
        /// name; the ConfigDB and manager-port logins are given again.
        /// </summary>
        public static UpgradePlan Rebuild(PlanJournal journal, IReadOnlyList<IRemoteHost> sessions, NetworkCredential configDbCredential, NetworkCredential managerCredential)
        {
            if (journal.Mode != OfflineMode && journal.Mode != OnlineMode)
                throw new PlanJournalException($"The journal is of a {journal.Mode} plan, not a cluster one.", "Resume it with the command that rebuilds that plan.");
            var p = journal.Parameters;
            var options = new ClusterPlanOptions
            {
                Node = SingleNodePlan.OptionsOf(p, configDbCredential),
                ManagerCredential = managerCredential,
                ManagerPortTimeout = Seconds(p["managerPortTimeout"]),
                ElectionTimeout = Seconds(p["electionTimeout"]),
                RejoinTimeout = Seconds(p["rejoinTimeout"]),
            };
            if (!journal.State.TryGetValue(ClusterState.StateKey, out var saved))
                throw new PlanJournalException("The journal holds no cluster members.", "Resume it with the module version that wrote it.");
            var state = ClusterState.From(saved);
            var contexts = state.Members.Select(name =>
            {
                var host = sessions.FirstOrDefault(s => string.Equals(s.ComputerName, name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new PlanJournalException($"No session was given for {name}, which the interrupted run upgraded.", "Give a -Session to each member of the cluster.");
                if (!journal.State.TryGetValue(NodeState.KeyOf(host.ComputerName), out var node))
                    throw new PlanJournalException($"The journal holds no state for {host.ComputerName}.", "Give the sessions of the hosts the interrupted run upgraded.");
                return new ComputeNodeUpgradeContext(host, options.Node.Node, NodeState.Before(host, options.Node.Node.InstallPath, node),
                    DateTime.Parse(node["startedUtc"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
            }).ToList();
            return Assemble(journal.Mode, state, contexts, options, p["configDbDatabase"]);
        }

        private static TimeSpan Seconds(string? value) => TimeSpan.FromSeconds(double.Parse(value!, CultureInfo.InvariantCulture));

        private static void CheckMode(string mode)
        {
            if (mode != OfflineMode && mode != OnlineMode)
                throw new ArgumentException($"The mode is {OfflineMode} or {OnlineMode}, not '{mode}'.", nameof(mode));
        }

        /// <summary>The plan for members given as the secondaries in order and the primary last.</summary>
        internal static UpgradePlan Assemble(string mode, ClusterState state, IReadOnlyList<ComputeNodeUpgradeContext> members, ClusterPlanOptions options,
            string? database = null, Func<CancellationToken, IReadOnlyList<ComputeNodeInfo>>? readNodes = null)
        {
            CheckMode(mode);
            var online = mode == OnlineMode;
            var primary = members.Last();
            var secondaries = members.Take(members.Count - 1).ToList();
            foreach (var member in members) member.AllowStartedClusterMember = true;
            var target = SingleNodePlan.TargetOf(primary, options.Node, database);
            var configDb = new ConfigDbPart(target, primary.Host, options.Node.ScriptsPath, options.Node.BackupDirectory, primary);
            var cluster = new ClusterHosts(state, members, options, readNodes);
            var states = new List<IPlanState> { state };
            states.AddRange(members.Select(m => (IPlanState)new NodeState(m)));
            states.Add(configDb);

            var stages = members.ToDictionary(m => m, m => ComputeNodeUpgrade.Stages(m));
            PlanStep Step(ComputeNodeUpgradeContext context, UpgradeStage<ComputeNodeUpgradeContext> stage) =>
                new StageStep<ComputeNodeUpgradeContext>(stage, context, context.Host.ComputerName, SingleNodePlan.SafeToRerun.Contains(stage.Name));
            PlanStep Named(ComputeNodeUpgradeContext context, string name) => Step(context, stages[context].Single(s => s.Name == name));

            var checks = new List<PlanStep> { new CheckClusterStep(cluster, online) };
            checks.AddRange(members.SelectMany(m => stages[m].Where(s => !s.ChangesState).Select(s => Step(m, s))));
            checks.Add(new CheckConfigDbStep(configDb));
            var phases = new List<PlanPhase>
            {
                new PlanPhase("Checks", checks),
                new PlanPhase("Stage", members.Select(m => Named(m, "UploadPackage")), parallel: true),
            };
            // Between the stop and the start: the stages that replace the install.
            bool Replaces(UpgradeStage<ComputeNodeUpgradeContext> s) => s.ChangesState && s.Name != "UploadPackage" && s.Name != "StopService" && s.Name != "StartNewVersion";

            if (!online)
            {
                phases.Add(new PlanPhase("Stop", members.Select(m => Named(m, "StopService"))));
                phases.Add(new PlanPhase("ConfigDb", new PlanStep[] { new BackupConfigDbStep(configDb), new UpgradeConfigDbStep(configDb) }));
                // Every member holds the same version (CL5), so each has the same stages: one parallel phase per stage.
                foreach (var stage in stages[primary].Where(Replaces))
                    phases.Add(new PlanPhase(stage.Name, members.Select(m => Named(m, stage.Name)), parallel: true));
                // The primary first, as the members were stopped in the reverse order; any order works (manual 3.5).
                phases.Add(new PlanPhase("Start", new[] { primary }.Concat(secondaries).Select(m => Named(m, "StartNewVersion"))));
            }
            else
            {
                // Once a member rejoined at the new version the ConfigDB serves both versions and stays upgraded.
                bool AnyCommitted() => state.Committed.Count > 0;
                const string keptConfigDb = "a member already runs the new version on the upgraded ConfigDB, so it is not restored";
                phases.Add(new PlanPhase("ConfigDb", new PlanStep[]
                {
                    new CommittedStep(new BackupConfigDbStep(configDb), AnyCommitted, keptConfigDb),
                    new CommittedStep(new UpgradeConfigDbStep(configDb), AnyCommitted, keptConfigDb),
                }));
                foreach (var member in members)
                {
                    var name = member.Host.ComputerName;
                    var isPrimary = member == primary;
                    bool Committed() => state.IsCommitted(name);
                    var kept = $"{name} rejoined the cluster at {member.ToVersion}; it stays upgraded";
                    var steps = new List<PlanStep> { new CommittedStep(new CheckPeersStep(cluster, member), Committed, kept) };
                    steps.Add(new CommittedStep(Named(member, "StopService"), Committed, kept));
                    steps.AddRange(stages[member].Where(Replaces).Select(s => (PlanStep)new CommittedStep(Step(member, s), Committed, kept)));
                    // The others elect a new PRIMARY while the old primary's install is replaced; its new version starts
                    // only once another member leads.
                    if (isPrimary) steps.Add(new WaitForElectionStep(cluster, member));
                    steps.Add(new CommittedStep(Named(member, "StartNewVersion"), Committed, kept));
                    steps.Add(new WaitForRejoinStep(cluster, member, isPrimary));
                    phases.Add(new PlanPhase((isPrimary ? "Primary " : "Secondary ") + name, steps));
                }
            }
            phases.Add(new PlanPhase("Verify", new PlanStep[] { new VerifyClusterStep(cluster) }));

            var parameters = SingleNodePlan.ParametersOf(primary, options.Node, target);
            parameters["managerPortTimeout"] = options.ManagerPortTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
            parameters["electionTimeout"] = options.ElectionTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
            parameters["rejoinTimeout"] = options.RejoinTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
            parameters["managerUser"] = options.ManagerCredential.UserName;
            return new UpgradePlan(mode, Path.GetFileName(primary.Options.PackagePath), primary.FromVersion?.ToString(), primary.ToVersion?.ToString(), phases,
                states, parameters)
            {
                InstallPath = primary.InstallPath,
                Outcome = online ? () => OnlineOutcome(state, members) : (Func<string?>?)null,
            };
        }

        /// <summary>An online run that stopped part-way: which members stay on the new version (the cluster serves on both).</summary>
        internal static string? OnlineOutcome(ClusterState state, IReadOnlyList<ComputeNodeUpgradeContext> members)
        {
            if (state.Committed.Count == 0 || state.Committed.Count == members.Count) return null;
            var upgraded = members.Where(m => state.IsCommitted(m.Host.ComputerName)).ToList();
            var old = members.Where(m => !state.IsCommitted(m.Host.ComputerName)).ToList();
            return $"{string.Join(", ", upgraded.Select(m => m.Host.ComputerName))} stay upgraded to {upgraded[0].ToVersion} and serve in the cluster beside " +
                   $"{string.Join(", ", old.Select(m => m.Host.ComputerName))} on {old[0].FromVersion}; the ConfigDB stays upgraded. " +
                   "Fix the cause before upgrading the members still on the old version; a new cluster plan refuses a cluster on two versions (CL5), so finishing is not automated yet.";
        }
    }

    /// <summary>The members as first read (order, primary) and the members committed at the new version: journaled.</summary>
    internal sealed class ClusterState : IPlanState
    {
        public const string StateKey = "cluster";
        private readonly object _gate = new object();

        public ClusterState(string primary, IEnumerable<string> members)
        {
            Primary = primary;
            Members = members.ToList();
        }

        public string Primary { get; private set; }
        /// <summary>The secondaries in order, the primary last.</summary>
        public List<string> Members { get; private set; }
        public List<string> Committed { get; } = new List<string>();

        public bool IsCommitted(string name)
        {
            lock (_gate) return Committed.Contains(name, StringComparer.OrdinalIgnoreCase);
        }

        public void Commit(string name)
        {
            lock (_gate) if (!Committed.Contains(name, StringComparer.OrdinalIgnoreCase)) Committed.Add(name);
        }

        public string Key => StateKey;

        public static ClusterState From(IReadOnlyDictionary<string, string?> values)
        {
            var state = new ClusterState("", Array.Empty<string>());
            state.Load(values);
            return state;
        }

        public IDictionary<string, string?> Save()
        {
            lock (_gate)
                return new Dictionary<string, string?>
                {
                    ["primary"] = Primary,
                    ["members"] = string.Join(",", Members),
                    ["committed"] = string.Join(",", Committed),
                };
        }

        public void Load(IReadOnlyDictionary<string, string?> values)
        {
            Primary = values["primary"]!;
            Members = values["members"]!.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).ToList();
            lock (_gate)
            {
                Committed.Clear();
                if (values.TryGetValue("committed", out var committed) && committed != null)
                    Committed.AddRange(committed.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries));
            }
        }
    }
}
