using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.MasterSlave;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class MasterSlavePlanTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "hotdb-msplan-tests-" + Guid.NewGuid().ToString("N"));

        public MasterSlavePlanTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        /// <summary>A host that only has a name: the plan's shape is decided without running anything.</summary>
        private sealed class NamedHost : IRemoteHost
        {
            public NamedHost(string name) => ComputerName = name;
            public string ComputerName { get; }
            public string UserName => "root";
            public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
                throw new InvalidOperationException("a plan's shape runs nothing: " + commandLine);
            public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default) => throw new InvalidOperationException();
            public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default) => throw new InvalidOperationException();
        }

        private static ComputeNodeUpgradeContext Context(IRemoteHost host, string haState) => new ComputeNodeUpgradeContext(host,
            new ComputeNodeUpgradeOptions { PackagePath = "/pkgs/hotdb-server-2.5.6-ga-20201101.tar.gz", LicenseFilePath = "/keys/license" },
            new ComputeNodeInfo(host, "/usr/local/hotdb/hotdb-server")
            {
                Installed = true,
                Version = HotDbVersion.Parse("2.5.3"),
                Running = true,
                HaState = haState,
                ConfigDbUrl = "jdbc:mysql://198.18.0.10:3307/hotdb_config",
            }, new DateTime(2026, 12, 6, 3, 4, 5, DateTimeKind.Utc));

        private MasterSlavePlanOptions Options() => new MasterSlavePlanOptions
        {
            Node = new SingleNodePlanOptions { ScriptsPath = _dir, ConfigDbCredential = new NetworkCredential("upgrader", "Cfg-S3cret"), BackupDirectory = "/dumps" },
        };

        private UpgradePlan Plan(string mode)
        {
            // ms2 was read as the master: the roles, not the order of the hosts, decide the plan.
            var pair = new PairState("ms2", "ms1", "198.18.0.100", true, true);
            var master = Context(new NamedHost("ms2"), "master");
            var slave = Context(new NamedHost("ms1"), "backup");
            return MasterSlavePlan.Assemble(mode, pair, master, slave, Options());
        }

        private static string[] Ids(PlanPhase phase) => phase.Steps.Select(s => s.Host + "/" + s.Name).ToArray();

        [Fact]
        public void OfflineStopsSlaveThenMasterUpgradesBothInParallelAndStartsInTheManualsOrder()
        {
            var plan = Plan(MasterSlavePlan.OfflineMode);
            Assert.Equal(new[] { "Checks", "Stage", "Stop", "ConfigDb", "KeepOldInstall", "ExtractPackage", "CopyNdbSql", "CarryOverConfig", "InstallJdk", "InstallLicense", "Start", "Verify" },
                plan.Phases.Select(p => p.Name));
            Assert.All(plan.Phases[0].Steps, s => Assert.False(s.ChangesState));
            Assert.Equal("ms2/CheckPair", Ids(plan.Phases[0])[0]);
            Assert.DoesNotContain("CheckHaSwitch", plan.Phases[0].Steps.Select(s => s.Name));
            Assert.True(plan.Phases[1].Parallel);
            Assert.Equal(new[] { "ms2/UploadPackage", "ms1/UploadPackage" }, Ids(plan.Phases[1]));
            Assert.Equal(new[] { "ms1/StopKeepalived", "ms1/StopService", "ms2/StopKeepalived", "ms2/StopService" }, Ids(plan.Phases[2]));
            Assert.Equal(new[] { "ms2/BackupConfigDb", "ms2/UpgradeConfigDb" }, Ids(plan.Phases[3]));
            Assert.All(plan.Phases.Skip(4).Take(6), p => Assert.True(p.Parallel && p.Steps.Count == 2));
            Assert.Equal(new[] { "ms2/StartNewVersion", "ms2/StartKeepalived", "ms2/WaitForVip", "ms1/StartNewVersion", "ms1/StartKeepalived" }, Ids(plan.Phases[10]));
            Assert.Equal(new[] { "ms1/CheckPairAfter" }, Ids(plan.Phases[11]));
            Assert.Equal("MasterSlaveOffline", plan.Mode);
        }

        [Fact]
        public void OfflineRollbackRunsInReverseSoOldVersionsStartMasterFirstAsTheManualStartsThem()
        {
            var plan = Plan(MasterSlavePlan.OfflineMode);
            var undo = plan.Phases.Single(p => p.Name == "Stop").Steps.Reverse().Select(s => s.Host + "/" + s.Name);
            // Undoing a stop starts: master node, master keepalived, slave node, slave keepalived.
            Assert.Equal(new[] { "ms2/StopService", "ms2/StopKeepalived", "ms1/StopService", "ms1/StopKeepalived" }, undo);
        }

        [Fact]
        public void OnlineUpgradesTheSlaveSwitchesThenTheOldMasterAsBackupAndReconstructs()
        {
            var plan = Plan(MasterSlavePlan.OnlineMode);
            Assert.Equal(new[] { "Checks", "Stage", "ConfigDb", "Slave", "Switch", "OldMaster", "Reconstruction", "Verify" }, plan.Phases.Select(p => p.Name));
            var checks = plan.Phases[0].Steps.Select(s => s.Name).ToList();
            Assert.Equal(new[] { "CheckConfigDb", "CheckHaSwitch", "CheckOnlineSql" }, checks.Skip(checks.Count - 3));
            Assert.All(plan.Phases[0].Steps, s => Assert.False(s.ChangesState));
            Assert.Equal(new[] { "ms2/BackupConfigDb", "ms2/UpgradeConfigDb" }, Ids(plan.Phases[2]));
            Assert.Equal(new[] { "ms1/StopService", "ms1/KeepOldInstall", "ms1/ExtractPackage", "ms1/CopyNdbSql", "ms1/CarryOverConfig", "ms1/InstallJdk", "ms1/InstallLicense", "ms1/StartNewVersion" },
                Ids(plan.Phases[3]));
            var switchStep = Assert.Single(plan.Phases[4].Steps);
            Assert.Equal("ms2/Switch", switchStep.Host + "/" + switchStep.Name);
            Assert.False(switchStep.SafeToRerun);
            Assert.Equal(new[] { "ms2/KeepOldInstall", "ms2/ExtractPackage", "ms2/CopyNdbSql", "ms2/CarryOverConfig", "ms2/InstallJdk", "ms2/InstallLicense", "ms2/BecomeBackup", "ms2/StartNewVersion" },
                Ids(plan.Phases[5]));
            // The switch stopped the old master; starting it again belongs to the switch's rollback alone.
            Assert.DoesNotContain(plan.Phases.Skip(5).SelectMany(p => p.Steps), s => s.Name == "StopService");
            var reconstruction = Assert.Single(plan.Phases[6].Steps);
            Assert.Equal("Reconstruct", reconstruction.Name);
            Assert.True(reconstruction.SafeToRerun);
            // No ConfigDB change and no stop of the master before the slave is upgraded.
            Assert.DoesNotContain(plan.Phases.Take(4).SelectMany(p => p.Steps), s => s.Host == "ms2" && (s.Name == "StopService" || s.Name == "StopKeepalived"));
        }

        [Fact]
        public void OnlineOldMasterStartsAsBackupAndItsStartSaysManagerPortOnly()
        {
            static string StartOf(UpgradePlan plan, string host) => plan.Phases.SelectMany(p => p.Steps).Single(s => s.Host == host && s.Name == "StartNewVersion").Describe();
            var online = Plan(MasterSlavePlan.OnlineMode);
            Assert.Contains("manager port open, service port closed", StartOf(online, "ms2"));
            Assert.Contains("manager port open, service port closed", StartOf(online, "ms1"));
            var offline = Plan(MasterSlavePlan.OfflineMode);
            Assert.Contains("service and manager ports open", StartOf(offline, "ms2"));
            Assert.Contains("manager port open, service port closed", StartOf(offline, "ms1"));
        }

        [Fact]
        public void JournalKeepsRolesAndRebuildsTheSamePlanWhateverTheSessionOrder()
        {
            var plan = Plan(MasterSlavePlan.OnlineMode);
            var path = Path.Combine(_dir, "journal.json");
            PlanJournal.Create(path, plan).Save(plan.States);
            var read = PlanJournal.Read(path);
            Assert.DoesNotContain("Cfg-S3cret", File.ReadAllText(path));
            var again = MasterSlavePlan.Rebuild(read, new IRemoteHost[] { new NamedHost("ms1"), new NamedHost("ms2") }, new NetworkCredential("upgrader", "Cfg-S3cret"));
            Assert.Equal(plan.Fingerprint, again.Fingerprint);
            Assert.Equal("ms2", again.Phases.Single(p => p.Name == "Switch").Steps[0].Host);
            Assert.Throws<PlanJournalException>(() => MasterSlavePlan.Rebuild(read, new IRemoteHost[] { new NamedHost("ms1") }, new NetworkCredential("upgrader", "x")));
        }

        /// <summary>A host holding <paramref name="file"/>'s backup, where a restore's final mv takes the staged copy's bytes.</summary>
        private static RecordingHost HostWithBackup(string name, string file, string backup, byte[] original)
        {
            var host = new RecordingHost { ComputerName = name };
            host.Files[file] = new byte[] { 1 };
            host.Files[backup] = original;
            host.When(l => l.StartsWith("test -L ", StringComparison.Ordinal), 1)
                .When(l => l.StartsWith("sh -c", StringComparison.Ordinal) && l.Contains("keepalived"), 0, "4242\n")
                .When((line, _) => line.StartsWith("chmod '--reference=", StringComparison.Ordinal), 0, "", "",
                    _ => host.Files[file] = host.Files[host.Files.Keys.Single(k => k.Contains(".hotdb-upgrade-tmp-"))]);
            return host;
        }

        [Fact]
        public void ReconstructionBackupsAreJournaledSoAResumedRunRestoresThemAndReloadsKeepalived()
        {
            const string conf = "/etc/keepalived/keepalived.conf", serverXml = "/usr/local/hotdb/hotdb-server/conf/server.xml";
            string confBackup = conf + ".hotdb-upgrade-20261206030405", xmlBackup = serverXml + ".hotdb-upgrade-20261206030406";
            var plan = Plan(MasterSlavePlan.OnlineMode);
            // What the reconstruction's Execute records as it writes: the runner journals it after the step.
            var written = plan.States.OfType<ReconstructionState>().Single();
            written.Written.Add(("ms1", conf, confBackup));
            written.Written.Add(("ms2", serverXml, xmlBackup));
            var path = Path.Combine(_dir, "journal.json");
            PlanJournal.Create(path, plan).Save(plan.States);
            Assert.Contains(confBackup, File.ReadAllText(path));

            // A new process: the plan rebuilt from the journal, its state loaded as Resume loads it.
            var journal = PlanJournal.Read(path);
            var ms1 = HostWithBackup("ms1", conf, confBackup, new byte[] { 7, 7 });
            var ms2 = HostWithBackup("ms2", serverXml, xmlBackup, new byte[] { 8 });
            var resumed = MasterSlavePlan.Rebuild(journal, new IRemoteHost[] { ms2, ms1 }, new NetworkCredential("upgrader", "Cfg-S3cret"));
            foreach (var state in resumed.States)
                if (journal.State.TryGetValue(state.Key, out var values)) state.Load(values);
            var progress = new NullProgress();
            resumed.Steps.Single(s => s.Name == "Reconstruct").Rollback(progress, CancellationToken.None);

            Assert.Equal(new byte[] { 7, 7 }, ms1.Files[conf]);
            Assert.Equal(new byte[] { 8 }, ms2.Files[serverXml]);
            // Only the host whose keepalived.conf came back reloads keepalived.
            Assert.Contains("service keepalived reload 2>&1", ms1.Lines);
            Assert.DoesNotContain("service keepalived reload 2>&1", ms2.Lines);
            Assert.Contains(progress.Notes, n => n.Contains(confBackup));
            Assert.Empty(resumed.States.OfType<ReconstructionState>().Single().Written);
        }

        [Fact]
        public void OnlineCheckRefusesSqlTheOldVersionCannotRunAlongsideAndNamesTheOfflineMode()
        {
            File.WriteAllText(Path.Combine(_dir, "hotdb_config_2.5.6.sql"), "ALTER TABLE hotdb_datanode DROP COLUMN datanode_type;\n");
            var step = Plan(MasterSlavePlan.OnlineMode).Phases[0].Steps.Single(s => s.Name == "CheckOnlineSql");
            var error = Assert.Throws<StageFailedException>(() => step.Execute(new NullProgress(), CancellationToken.None));
            Assert.Contains("hotdb_config_2.5.6.sql", error.Message);
            Assert.Contains("-Mode MasterSlaveOffline", error.RecommendedAction);
        }

        [Fact]
        public void OnlineCheckAcceptsAddedColumns()
        {
            File.WriteAllText(Path.Combine(_dir, "hotdb_config_2.5.6.sql"), "ALTER TABLE hotdb_datanode ADD COLUMN note varchar(64) DEFAULT NULL;\n");
            var step = Plan(MasterSlavePlan.OnlineMode).Phases[0].Steps.Single(s => s.Name == "CheckOnlineSql");
            var progress = new NullProgress();
            step.Execute(progress, CancellationToken.None);
            Assert.Contains(progress.Notes, n => n.Contains("allowed online"));
        }

        [Fact]
        public void UnknownModeIsRefused() =>
            Assert.Throws<ArgumentException>(() => MasterSlavePlan.Assemble("MasterSlave", new PairState("a", "b", null, true, true),
                Context(new NamedHost("a"), "master"), Context(new NamedHost("b"), "backup"), Options()));

        private sealed class NullProgress : IStageProgress
        {
            public List<string> Notes { get; } = new List<string>();
            public void Report(string status, int percent = -1) { }
            public void Note(string message) => Notes.Add(message);
        }
    }
}
