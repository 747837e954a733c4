using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.Cluster;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class ClusterPlanTests
    {
        private static readonly ComputeNodeUpgradeOptions NodeOptions = new ComputeNodeUpgradeOptions { PackagePath = "/pkgs/hotdb-server-2.5.4-ga-20190812.tar.gz" };

        private static ComputeNodeUpgradeContext Context(string name)
        {
            var host = new RecordingHost { ComputerName = name };
            var before = new ComputeNodeInfo(host, "/usr/local/hotdb/hotdb-server")
            {
                Installed = true,
                Version = HotDbVersion.Parse("2.5.3"),
                Owner = "hotdb:hotdb",
                Running = true,
                HaMode = 1,
                HaState = "master",
                ConfigDbUrl = "jdbc:mysql://10.0.0.10:3306/hotdb_config_mn",
                ListeningPorts = new[] { 3323, 3325, 3326 },
            };
            return new ComputeNodeUpgradeContext(host, NodeOptions, before, new DateTime(2026, 12, 6, 3, 4, 5, DateTimeKind.Utc)) { BackupPath = "/usr/local/hotdb/hotdb_server_253" };
        }

        // mn1 and mn2 are the secondaries, mn3 the primary (last).
        private static (ClusterState State, List<ComputeNodeUpgradeContext> Members) Cluster()
        {
            var members = new[] { "mn1", "mn2", "mn3" }.Select(Context).ToList();
            return (new ClusterState("mn3", members.Select(m => m.Host.ComputerName)), members);
        }

        private static ClusterPlanOptions Options(FakeManagerPorts? ports = null) => new ClusterPlanOptions
        {
            Node = new SingleNodePlanOptions { Node = NodeOptions, ScriptsPath = "/scripts", ConfigDbCredential = new NetworkCredential("upgrader", "Cfg-S3cret-cl01") },
            ManagerCredential = new NetworkCredential("root", "Mgr-S3cret-cl01"),
            ManagerPorts = ports ?? new FakeManagerPorts(),
            ElectionTimeout = TimeSpan.FromMilliseconds(300),
            RejoinTimeout = TimeSpan.FromMilliseconds(300),
        };

        [Fact]
        public void OfflineChecksEverythingFirstStopsSecondariesThenPrimaryAndStartsThePrimaryFirst()
        {
            var (state, members) = Cluster();
            var plan = ClusterPlan.Assemble(ClusterPlan.OfflineMode, state, members, Options());
            var phases = plan.Phases.Select(p => p.Name).ToList();
            Assert.Equal(new[] { "Checks", "Stage", "Stop", "ConfigDb" }, phases.Take(4));
            Assert.Equal(new[] { "Start", "Verify" }, phases.Skip(phases.Count - 2));
            Assert.Contains("KeepOldInstall", phases);
            Assert.All(plan.Phases[0].Steps, s => Assert.False(s.ChangesState));
            Assert.Equal("CheckCluster", plan.Phases[0].Steps[0].Name);
            Assert.Contains("CL1..CL6", plan.Phases[0].Steps[0].Describe());
            Assert.Equal("CheckConfigDb", plan.Phases[0].Steps.Last().Name);
            Assert.True(plan.Phases[1].Parallel);
            Assert.Equal(new[] { "mn1/UploadPackage", "mn2/UploadPackage", "mn3/UploadPackage" }, plan.Phases[1].Steps.Select(s => s.ToString()));
            Assert.Equal(new[] { "mn1/StopService", "mn2/StopService", "mn3/StopService" }, plan.Phases[2].Steps.Select(s => s.ToString()));
            Assert.Equal(new[] { "BackupConfigDb", "UpgradeConfigDb" }, plan.Phases[3].Steps.Select(s => s.Name));
            Assert.True(plan.Phases.Single(p => p.Name == "KeepOldInstall").Parallel);
            Assert.Equal(new[] { "mn3/StartNewVersion", "mn1/StartNewVersion", "mn2/StartNewVersion" }, plan.Phases[phases.Count - 2].Steps.Select(s => s.ToString()));
            Assert.Equal("CheckClusterAfter", plan.Phases.Last().Steps.Single().Name);
            // A member alone waits in Started for a majority: its start (and its old version's, in a rollback) accepts that.
            Assert.All(members, m => Assert.True(m.AllowStartedClusterMember));
            Assert.Equal("2.5.3", plan.FromVersion);
            Assert.Equal("mn1,mn2,mn3", plan.States.OfType<ClusterState>().Single().Save()["members"]);
            Assert.DoesNotContain("Mgr-S3cret", string.Join(" ", plan.Parameters.Values));
            Assert.Equal("root", plan.Parameters["managerUser"]);
        }

        [Fact]
        public void OnlineUpgradesTheConfigDbThenEachSecondaryThenThePrimaryWithAnElection()
        {
            var (state, members) = Cluster();
            var plan = ClusterPlan.Assemble(ClusterPlan.OnlineMode, state, members, Options());
            Assert.Equal(new[] { "Checks", "Stage", "ConfigDb", "Secondary mn1", "Secondary mn2", "Primary mn3", "Verify" }, plan.Phases.Select(p => p.Name));
            Assert.Contains("CL1..CL8", plan.Phases[0].Steps[0].Describe());
            Assert.Equal(new[] { "BackupConfigDb", "UpgradeConfigDb" }, plan.Phases[2].Steps.Select(s => s.Name));
            foreach (var phase in plan.Phases.Skip(3).Take(3))
            {
                Assert.Equal("CheckPeers", phase.Steps.First().Name);
                Assert.Equal(new[] { "StartNewVersion", "WaitForRejoin" }, phase.Steps.Skip(phase.Steps.Count - 2).Select(s => s.Name));
                Assert.Single(phase.Hosts);
            }
            Assert.DoesNotContain(plan.Phases[3].Steps, s => s.Name == "WaitForElection");
            var primary = plan.Phases[5].Steps.Select(s => s.Name).ToList();
            // The install is replaced while the others elect; the new version starts only after the election.
            Assert.Equal(new[] { "CheckPeers", "StopService", "KeepOldInstall" }, primary.Take(3));
            Assert.Equal(new[] { "WaitForElection", "StartNewVersion", "WaitForRejoin" }, primary.Skip(primary.Count - 3));
            Assert.Contains("SECONDARY at 2.5.4", plan.Phases[3].Steps.Last().Describe());
            Assert.Contains("PRIMARY or SECONDARY", plan.Phases[5].Steps.Last().Describe());
        }

        [Fact]
        public void JournalKeepsOrderPrimaryAndCommittedMembers()
        {
            var state = new ClusterState("mn3", new[] { "mn1", "mn2", "mn3" });
            state.Commit("mn1");
            var copy = ClusterState.From((IReadOnlyDictionary<string, string?>)state.Save());
            Assert.Equal("mn3", copy.Primary);
            Assert.Equal(new[] { "mn1", "mn2", "mn3" }, copy.Members);
            Assert.True(copy.IsCommitted("MN1"));
            Assert.False(copy.IsCommitted("mn2"));
        }

        private sealed class RecordedStep : PlanStep
        {
            private readonly List<string> _log;
            private readonly bool _fail;

            public RecordedStep(List<string> log, string name, string host, bool fail = false)
            {
                _log = log;
                Name = name;
                Host = host;
                _fail = fail;
            }

            public override string Name { get; }
            public override string Host { get; }
            public override string Describe() => Name;

            public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
            {
                lock (_log) _log.Add($"do {Host} {Name}");
                if (_fail) throw new StageFailedException($"{Host}: {Name} failed");
            }

            public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
            {
                lock (_log) _log.Add($"undo {Host} {Name}");
            }
        }

        // Every running member answers show @@cluster with itself first, then the others.
        private static FakeManagerPorts Answering(IEnumerable<ComputeNodeInfo> nodes, params (string Status, string Host)[] rows)
        {
            var ports = new FakeManagerPorts();
            foreach (var node in nodes.Where(n => n.Running))
                ports.Cluster(node.ComputerName, rows.Where(r => r.Host == node.ClusterHost).Concat(rows.Where(r => r.Host != node.ClusterHost)).ToArray());
            return ports;
        }

        [Fact]
        public void AFailedSecondaryIsRolledBackAloneAndAnUpgradedOneAndTheConfigDbStayUpgraded()
        {
            var (state, members) = Cluster();
            var nodes = new[] { ClusterChecksTests.Member(1, version: "2.5.4"), ClusterChecksTests.Member(2), ClusterChecksTests.Member(3) };
            var ports = Answering(nodes, ("SECONDARY", "10.0.0.41"), ("SECONDARY", "10.0.0.42"), ("PRIMARY", "10.0.0.43"));
            var cluster = new ClusterHosts(state, members, Options(ports), _ => nodes) { Poll = TimeSpan.FromMilliseconds(10) };
            var log = new List<string>();
            PlanStep Kept(PlanStep step, string member) => new CommittedStep(step, () => state.IsCommitted(member), member + " stays upgraded");
            var plan = new UpgradePlan(ClusterPlan.OnlineMode, "hotdb-server-2.5.4-ga-20190812.tar.gz", "2.5.3", "2.5.4", new[]
            {
                new PlanPhase("ConfigDb", new[] { new CommittedStep(new RecordedStep(log, "UpgradeConfigDb", "mn3"), () => state.Committed.Count > 0, "kept") }),
                new PlanPhase("Secondary mn1", new[] { Kept(new RecordedStep(log, "StopService", "mn1"), "mn1"), Kept(new RecordedStep(log, "StartNewVersion", "mn1"), "mn1"),
                    new WaitForRejoinStep(cluster, members[0], anyRole: false) }),
                new PlanPhase("Secondary mn2", new[] { Kept(new RecordedStep(log, "StopService", "mn2"), "mn2"), Kept(new RecordedStep(log, "StartNewVersion", "mn2", fail: true), "mn2"),
                    new WaitForRejoinStep(cluster, members[1], anyRole: false) }),
            }, new IPlanState[] { state });

            var result = new PlanRunner(plan).Run(null);

            Assert.Equal(PlanRunStatus.RolledBack, result.Status);
            Assert.Equal("mn2", result.FailedHost);
            Assert.Equal(new[] { "mn1" }, state.Committed);
            // Only mn2 is undone; mn1 (rejoined at 2.5.4) and the ConfigDB stay upgraded.
            Assert.Equal(new[] { "undo mn2 StartNewVersion", "undo mn2 StopService" }, log.Where(l => l.StartsWith("undo", StringComparison.Ordinal)));
            Assert.Equal(StageStatus.NotRun, result.Steps.Last().Status);
            var outcome = ClusterPlan.OnlineOutcome(state, members);
            Assert.Contains("mn1 stay upgraded to 2.5.4", outcome);
            Assert.Contains("mn2, mn3 on 2.5.3", outcome);
        }

        [Fact]
        public void ASecondaryThatDoesNotRejoinAtTheNewVersionFailsAndIsNotCommitted()
        {
            var (state, members) = Cluster();
            // mn1 runs 2.5.4 but is only Started (no majority seen yet): not rejoined.
            var nodes = new[] { ClusterChecksTests.Member(1, version: "2.5.4"), ClusterChecksTests.Member(2), ClusterChecksTests.Member(3) };
            var ports = Answering(nodes, ("STARTED", "10.0.0.41"), ("SECONDARY", "10.0.0.42"), ("PRIMARY", "10.0.0.43"));
            var cluster = new ClusterHosts(state, members, Options(ports), _ => nodes) { Poll = TimeSpan.FromMilliseconds(10) };
            var log = new List<string>();
            var plan = new UpgradePlan(ClusterPlan.OnlineMode, "p.tar.gz", "2.5.3", "2.5.4", new[]
            {
                new PlanPhase("Secondary mn1", new PlanStep[] { new CommittedStep(new RecordedStep(log, "StopService", "mn1"), () => state.IsCommitted("mn1"), "kept"),
                    new WaitForRejoinStep(cluster, members[0], anyRole: false) }),
            }, new IPlanState[] { state });

            var result = new PlanRunner(plan).Run(null);

            Assert.Equal(PlanRunStatus.RolledBack, result.Status);
            Assert.Equal("WaitForRejoin", result.FailedStep);
            Assert.Contains("has not rejoined", result.Error);
            Assert.Empty(state.Committed);
            Assert.Contains("undo mn1 StopService", log);
        }

        [Fact]
        public void NoElectionAfterThePrimaryStopsRestartsTheOldPrimary()
        {
            var (state, members) = Cluster();
            var nodes = new[] { ClusterChecksTests.Member(1), ClusterChecksTests.Member(2), ClusterChecksTests.Member(3, running: false) };
            var ports = Answering(nodes, ("SECONDARY", "10.0.0.41"), ("SECONDARY", "10.0.0.42"));
            var cluster = new ClusterHosts(state, members, Options(ports), _ => nodes) { Poll = TimeSpan.FromMilliseconds(10) };
            var log = new List<string>();
            var plan = new UpgradePlan(ClusterPlan.OnlineMode, "p.tar.gz", "2.5.3", "2.5.4", new[]
            {
                new PlanPhase("Primary mn3", new PlanStep[] { new RecordedStep(log, "StopService", "mn3"), new WaitForElectionStep(cluster, members[2]),
                    new RecordedStep(log, "KeepOldInstall", "mn3") }),
            }, new IPlanState[] { state });

            var result = new PlanRunner(plan).Run(null);

            Assert.Equal(PlanRunStatus.RolledBack, result.Status);
            Assert.Equal("WaitForElection", result.FailedStep);
            Assert.Contains("No other member became PRIMARY", result.Error);
            Assert.Contains("started again on its old install", result.RecommendedAction);
            Assert.Equal(new[] { "do mn3 StopService", "undo mn3 StopService" }, log);
        }

        [Fact]
        public void AnElectedSecondaryLetsThePrimaryUpgradeGoOn()
        {
            var (state, members) = Cluster();
            var nodes = new[] { ClusterChecksTests.Member(1), ClusterChecksTests.Member(2), ClusterChecksTests.Member(3, running: false) };
            var ports = Answering(nodes, ("PRIMARY", "10.0.0.42"), ("SECONDARY", "10.0.0.41"));
            var cluster = new ClusterHosts(state, members, Options(ports), _ => nodes) { Poll = TimeSpan.FromMilliseconds(10) };
            var log = new List<string>();
            var plan = new UpgradePlan(ClusterPlan.OnlineMode, "p.tar.gz", "2.5.3", "2.5.4", new[]
            {
                new PlanPhase("Primary mn3", new PlanStep[] { new RecordedStep(log, "StopService", "mn3"), new WaitForElectionStep(cluster, members[2]),
                    new RecordedStep(log, "KeepOldInstall", "mn3") }),
            }, new IPlanState[] { state });

            var result = new PlanRunner(plan).Run(null);

            Assert.Equal(PlanRunStatus.Succeeded, result.Status);
            Assert.Contains(result.Steps.Single(s => s.Step == "WaitForElection").Notes, n => n.Contains("mn2 is PRIMARY now"));
            Assert.Equal(new[] { "do mn3 StopService", "do mn3 KeepOldInstall" }, log);
        }

        [Fact]
        public void Cl8ReadsTheScriptsTheConfigDbAlreadyRanSoWideningAnAddedColumnIsAllowedButNotAnOriginalOne()
        {
            var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotdb-cl8-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(folder);
            try
            {
                System.IO.File.WriteAllText(System.IO.Path.Combine(folder, "hotdb_config_2.5.3.sql"), "ALTER TABLE hotdb_user ADD COLUMN description VARCHAR(64) NULL;\n");
                System.IO.File.WriteAllText(System.IO.Path.Combine(folder, "hotdb_config_2.5.4.sql"), "ALTER TABLE hotdb_user MODIFY COLUMN description VARCHAR(255) NULL;\n");
                var nodes = new[] { ClusterChecksTests.Member(1), ClusterChecksTests.Member(2), ClusterChecksTests.Member(3) };
                var ports = Answering(nodes, ("PRIMARY", "10.0.0.41"), ("SECONDARY", "10.0.0.42"), ("SECONDARY", "10.0.0.43"));
                var cluster = Topology.ClusterReader.Build(nodes, ports);
                var target = HotDbPackage.Parse("hotdb-server-2.5.4-ga-20190812.tar.gz");
                var widened = Topology.ClusterUpgradeChecks.SqlAllowsOnline(cluster, target, folder);
                Assert.Equal(Topology.HaCheckStatus.Passed, widened.Status);

                // A column the 2.5.3 cluster had from its first schema is not the manual's exception.
                System.IO.File.WriteAllText(System.IO.Path.Combine(folder, "hotdb_config_2.5.4.sql"), "ALTER TABLE hotdb_user MODIFY COLUMN username VARCHAR(255) NOT NULL;\n");
                var modified = Topology.ClusterUpgradeChecks.SqlAllowsOnline(cluster, target, folder);
                Assert.Equal(Topology.HaCheckStatus.Failed, modified.Status);
                Assert.Contains("hotdb_config_2.5.4.sql:1 OU002", modified.Actual);
            }
            finally { System.IO.Directory.Delete(folder, true); }
        }

        [Fact]
        public void UnknownModeIsRefused()
        {
            var (state, members) = Cluster();
            Assert.Throws<ArgumentException>(() => ClusterPlan.Assemble("Cluster", state, members, Options()));
        }
    }
}
