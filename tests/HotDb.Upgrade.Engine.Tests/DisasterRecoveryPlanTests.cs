using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.DisasterRecovery;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class DisasterRecoveryPlanTests : IDisposable
    {
        private const string ConfigDbSecret = "Cfg-S3cret-dr01";
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "hotdb-drplan-tests-" + Guid.NewGuid().ToString("N"));

        public DisasterRecoveryPlanTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static readonly ComputeNodeUpgradeOptions NodeOptions = new ComputeNodeUpgradeOptions
        {
            PackagePath = "/pkgs/hotdb-server-2.5.6-ga-20201101.tar.gz", LicenseFilePath = "/keys/license",
        };

        private static ComputeNodeUpgradeContext Context(string name, bool running)
        {
            var host = new RecordingHost { ComputerName = name };
            var before = new ComputeNodeInfo(host, "/usr/local/hotdb/hotdb-server")
            {
                Installed = true,
                Version = HotDbVersion.Parse("2.5.3"),
                Owner = "hotdb:hotdb",
                Running = running,
                HaMode = 3,
                HaState = "master",
                IdcId = 2,
                ConfigDbUrl = "jdbc:mysql://10.0.1.60:3306/hotdb_config_ms",
                ListeningPorts = running ? new[] { 3325 } : Array.Empty<int>(),
                JavaReportedVersion = "1.7.0_80",
            };
            return new ComputeNodeUpgradeContext(host, NodeOptions, before, new DateTime(2026, 12, 6, 3, 4, 5, DateTimeKind.Utc)) { BackupPath = "/usr/local/hotdb/hotdb_server_253" };
        }

        private static DisasterRecoveryPlanOptions Options() => new DisasterRecoveryPlanOptions
        {
            Node = new SingleNodePlanOptions { Node = NodeOptions, ConfigDbCredential = new NetworkCredential("upgrader", ConfigDbSecret) },
            MasterConfigDbServers = new[] { "10.0.0.10:3306" },
            ReplicationTimeout = TimeSpan.FromSeconds(42),
        };

        [Fact]
        public void PlanHasNoConfigDbSqlAndKeepsEachNodesPreviousState()
        {
            var plan = DisasterRecoveryPlan.Assemble(new[] { Context("dr1", running: true), Context("dr2", running: false) }, Options());
            Assert.Equal(new[] { "Checks", "Stage", "Replication", "Node dr1", "Node dr2", "Verify" }, plan.Phases.Select(p => p.Name));
            Assert.Equal(DisasterRecoveryPlan.Mode, plan.Mode);
            // Never a ConfigDB backup, upgrade or restore: the DR ConfigDB receives the upgrade by replication.
            Assert.DoesNotContain(plan.Steps, s => s.Name.Contains("ConfigDb"));
            Assert.All(plan.Phases[0].Steps, s => Assert.False(s.ChangesState));
            Assert.Equal("CheckDisasterRecovery", plan.Phases[0].Steps.Last().Name);
            Assert.Equal(new[] { "dr1/UploadPackage", "dr2/UploadPackage" }, plan.Phases[1].Steps.Select(s => s.ToString()));
            Assert.True(plan.Phases[1].Parallel);
            Assert.Equal(new[] { "WaitForReplicatedUpgrade" }, plan.Phases[2].Steps.Select(s => s.Name));
            Assert.Contains("42 s", plan.Phases[2].Steps[0].Describe());
            Assert.Contains("10.0.0.10:3306", plan.Phases[2].Steps[0].Describe());
            // The running node (manager port only) is started again; the stopped one stays stopped.
            Assert.Equal("StartNewVersion", plan.Phases[3].Steps.Last().Name);
            Assert.Contains("manager port open, service port closed", plan.Phases[3].Steps.Last().Describe());
            Assert.Equal("KeepStopped", plan.Phases[4].Steps.Last().Name);
            Assert.DoesNotContain(plan.Phases[4].Steps, s => s.Name == "StartNewVersion");
            Assert.Equal(new[] { "StopService", "KeepOldInstall", "ExtractPackage", "CopyNdbSql", "CarryOverConfig", "InstallJdk", "InstallLicense" },
                plan.Phases[4].Steps.Take(7).Select(s => s.Name));
            Assert.Equal("10.0.1.60:3306", plan.Parameters["configDb"]);
            Assert.Equal("hotdb_config_ms", plan.Parameters["configDbDatabase"]);
            Assert.Equal("10.0.0.10:3306", plan.Parameters["masterConfigDb"]);
        }

        [Fact]
        public void JournalHoldsNoSecretAndRebuildsTheSamePlan()
        {
            var dr1 = Context("dr1", running: true);
            var dr2 = Context("dr2", running: false);
            var plan = DisasterRecoveryPlan.Assemble(new[] { dr1, dr2 }, Options());
            var path = Path.Combine(_dir, "journal.json");
            PlanJournal.Create(path, plan).Save(plan.States);
            Assert.DoesNotContain(ConfigDbSecret, File.ReadAllText(path));

            var read = PlanJournal.Read(path);
            // Sessions in another order: the journal's host order is kept.
            var again = DisasterRecoveryPlan.Rebuild(read, new IRemoteHost[] { dr2.Host, dr1.Host }, new NetworkCredential("upgrader", ConfigDbSecret));
            Assert.Equal(plan.Fingerprint, again.Fingerprint);
            Assert.Equal("KeepStopped", again.Phases.Single(p => p.Name == "Node dr2").Steps.Last().Name);
            Assert.Throws<PlanJournalException>(() => DisasterRecoveryPlan.Rebuild(read, new IRemoteHost[] { dr1.Host }, new NetworkCredential("upgrader", ConfigDbSecret)));
            Assert.Throws<PlanJournalException>(() => DisasterRecoveryPlan.Rebuild(read, new IRemoteHost[] { dr1.Host, dr2.Host }, new NetworkCredential("other", ConfigDbSecret)));
        }

        [Fact]
        public void BuildRefusesWithoutTheMasterConfigDbOrWithAHostTwice()
        {
            var options = Options();
            options.MasterConfigDbServers = Array.Empty<string>();
            Assert.Throws<ArgumentException>(() => DisasterRecoveryPlan.Build(new IRemoteHost[] { new RecordingHost { ComputerName = "dr1" } }, options));
            var host = new RecordingHost { ComputerName = "dr1" };
            Assert.Throws<ArgumentException>(() => DisasterRecoveryPlan.Build(new IRemoteHost[] { host, host }, Options()));
        }
    }
}
