using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Plans.DisasterRecovery
{
    /// <summary>What the DR centre's upgrade is asked to do: the node options, the two IDCs' ConfigDBs and how long replication may take.</summary>
    public sealed class DisasterRecoveryPlanOptions
    {
        /// <summary>The node options; ConfigDbServers is the DR ConfigDB (default: the DR nodes' server.xml url). ScriptsPath is not used.</summary>
        public SingleNodePlanOptions Node { get; set; } = new SingleNodePlanOptions();
        /// <summary>host[:port] of the master centre's ConfigDB, the replication source compared against.</summary>
        public IReadOnlyList<string> MasterConfigDbServers { get; set; } = Array.Empty<string>();
        /// <summary>How long the DR ConfigDB may take to show the master centre's upgrade.</summary>
        public TimeSpan ReplicationTimeout { get; set; } = TimeSpan.FromSeconds(300);
    }

    /// <summary>
    /// The DR centre's upgrade (the manual's 3.7.2) as a plan, after the master centre's: no ConfigDB SQL at all (the DR
    /// ConfigDB receives the upgrade by replication). Checks: each node's read-only stages, the DR-centre checks
    /// (DR2..DR4). Stage: the uploads. Replication: wait until the DR ConfigDB's upgrade ledger and table checksums
    /// equal the master centre's. Then one node after the other, the single-node stages (stop, keep the old install,
    /// extract, NDB SQL, configuration, JDK, license) and a start only for a node that ran before (it opens its manager
    /// port only); a stopped node stays stopped. Verify: every node at the new version in its previous state,
    /// replication still running. The runner's reverse rollback restores each old install and starts only what ran.
    /// </summary>
    public static class DisasterRecoveryPlan
    {
        public const string Mode = "DisasterRecovery";

        public static UpgradePlan Build(IReadOnlyList<IRemoteHost> hosts, DisasterRecoveryPlanOptions options, CancellationToken cancellationToken = default)
        {
            if (hosts is null || hosts.Count == 0) throw new ArgumentException("A DR-centre plan needs the session of at least one DR-centre compute node.", nameof(hosts));
            if (options.MasterConfigDbServers.Count == 0)
                throw new ArgumentException("The master centre's ConfigDB (host:port) is required: the DR ConfigDB is compared with it.", nameof(options));
            var duplicate = hosts.GroupBy(h => h.ComputerName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null) throw new ArgumentException($"{duplicate.Key} is given twice.", nameof(hosts));
            var contexts = hosts.Select(h => ComputeNodeUpgrade.Prepare(h, options.Node.Node, cancellationToken)).ToList();
            return Assemble(contexts, options);
        }

        /// <summary>Rebuilds the plan a journal was written for: nodes as they were before from the journal, sessions matched by name.</summary>
        public static UpgradePlan Rebuild(PlanJournal journal, IReadOnlyList<IRemoteHost> sessions, NetworkCredential configDbCredential)
        {
            if (journal.Mode != Mode) throw new PlanJournalException($"The journal is of a {journal.Mode} plan, not {Mode}.", "Resume it with the command that rebuilds that plan.");
            var p = journal.Parameters;
            var options = new DisasterRecoveryPlanOptions
            {
                Node = SingleNodePlan.OptionsOf(p, configDbCredential),
                MasterConfigDbServers = p["masterConfigDb"]!.Split(','),
                ReplicationTimeout = TimeSpan.FromSeconds(double.Parse(p["replicationTimeout"]!, CultureInfo.InvariantCulture)),
            };
            var contexts = p["drHosts"]!.Split(',').Select(name =>
            {
                var host = sessions.FirstOrDefault(s => string.Equals(s.ComputerName, name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new PlanJournalException($"No session was given for {name}, which the interrupted run upgraded.", "Give a -Session to each DR-centre host of the run.");
                if (!journal.State.TryGetValue(NodeState.KeyOf(host.ComputerName), out var state))
                    throw new PlanJournalException($"The journal holds no state for {host.ComputerName}.", "Give the sessions of the hosts the interrupted run upgraded.");
                return new ComputeNodeUpgradeContext(host, options.Node.Node, NodeState.Before(host, options.Node.Node.InstallPath, state),
                    DateTime.Parse(state["startedUtc"]!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
            }).ToList();
            return Assemble(contexts, options, p["configDbDatabase"]);
        }

        internal static UpgradePlan Assemble(IReadOnlyList<ComputeNodeUpgradeContext> nodes, DisasterRecoveryPlanOptions options, string? database = null)
        {
            var first = nodes[0];
            var replica = SingleNodePlan.TargetOf(first, options.Node, database);
            var source = new ConfigDbTarget(options.MasterConfigDbServers.Select(s => ConfigDbEndpoint.Parse(s, 3306)), ConfigDbKind.ComputeNode, replica.Database,
                options.Node.ConfigDbCredential);
            var centre = new DrCentre(nodes, replica, source, options.ReplicationTimeout);

            PlanStep Step(ComputeNodeUpgradeContext context, UpgradeStage<ComputeNodeUpgradeContext> stage) =>
                new StageStep<ComputeNodeUpgradeContext>(stage, context, context.Host.ComputerName, SingleNodePlan.SafeToRerun.Contains(stage.Name));
            var stages = nodes.ToDictionary(n => n, n => ComputeNodeUpgrade.Stages(n));

            var checks = nodes.SelectMany(n => stages[n].Where(s => !s.ChangesState).Select(s => Step(n, s))).ToList<PlanStep>();
            checks.Add(new CheckDrCentreStep(centre));
            var phases = new List<PlanPhase>
            {
                new PlanPhase("Checks", checks),
                new PlanPhase("Stage", nodes.Select(n => Step(n, stages[n].Single(s => s.Name == "UploadPackage"))), parallel: true),
                new PlanPhase("Replication", new PlanStep[] { new WaitForReplicatedUpgradeStep(centre) }),
            };
            foreach (var node in nodes)
            {
                var steps = new List<PlanStep>();
                foreach (var stage in stages[node].Where(s => s.ChangesState && s.Name != "UploadPackage"))
                {
                    // A stopped DR node stays stopped: the new install is checked on disk instead of started.
                    if (stage.Name == "StartNewVersion" && !node.WasRunning) steps.Add(new CheckStoppedInstallStep(node));
                    else steps.Add(Step(node, stage));
                }
                phases.Add(new PlanPhase("Node " + node.Host.ComputerName, steps));
            }
            phases.Add(new PlanPhase("Verify", new PlanStep[] { new CheckDrCentreAfterStep(centre) }));

            var parameters = SingleNodePlan.ParametersOf(first, options.Node, replica);
            parameters["masterConfigDb"] = string.Join(",", source.Endpoints);
            parameters["replicationTimeout"] = options.ReplicationTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
            parameters["drHosts"] = string.Join(",", nodes.Select(n => n.Host.ComputerName));
            return new UpgradePlan(Mode, Path.GetFileName(first.Options.PackagePath), first.FromVersion?.ToString(), first.ToVersion?.ToString(), phases,
                nodes.Select(n => (IPlanState)new NodeState(n)), parameters)
            {
                InstallPath = first.InstallPath,
            };
        }
    }
}
