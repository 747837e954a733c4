using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class SingleNodePlanTests : IDisposable
    {
        private const string ConfigDbSecret = "Cfg-S3cret-7f1e";
        private const string ServerXmlSecret = "Xml-S3cret-90ab";
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "hotdb-snplan-tests-" + Guid.NewGuid().ToString("N"));

        public SingleNodePlanTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static ComputeNodeUpgradeContext Context(IRemoteHost host, string package = "/pkgs/hotdb-server-2.5.6-ga-20201101.tar.gz")
        {
            var before = new ComputeNodeInfo(host, "/usr/local/hotdb/hotdb-server")
            {
                Installed = true,
                Version = HotDbVersion.Parse("2.5.3"),
                Owner = "hotdb:hotdb",
                Running = true,
                ConfigDbUrl = "jdbc:mysql://10.0.0.5:3307/hotdb_config?password=" + ServerXmlSecret,
                RawProperties = new Dictionary<string, string> { ["password"] = ServerXmlSecret, ["username"] = "hotdb_config" },
                NdbSqlDirectories = new[] { "ndbsql_bin", "ndbsql_data" },
                JavaReportedVersion = "1.7.0_80",
            };
            var options = new ComputeNodeUpgradeOptions { PackagePath = package, LicenseFilePath = "/keys/license", StartTimeout = TimeSpan.FromSeconds(77) };
            return new ComputeNodeUpgradeContext(host, options, before, new DateTime(2026, 12, 6, 3, 4, 5, DateTimeKind.Utc)) { BackupPath = "/usr/local/hotdb/hotdb_server_253" };
        }

        private static SingleNodePlanOptions Options(ComputeNodeUpgradeContext context) => new SingleNodePlanOptions
        {
            Node = context.Options,
            ScriptsPath = "/sql",
            ConfigDbCredential = new NetworkCredential("upgrader", ConfigDbSecret),
            BackupDirectory = "/dumps",
        };

        [Fact]
        public void PlanHasChecksThenUploadThenUpgradeWithTheConfigDbBetweenStopAndKeepOldInstall()
        {
            var host = new LocalHost();
            var context = Context(host);
            var plan = SingleNodePlan.Assemble(context, Options(context));
            Assert.Equal(new[] { "Checks", "Stage", "Upgrade" }, plan.Phases.Select(p => p.Name));
            Assert.All(plan.Phases[0].Steps, s => Assert.False(s.ChangesState));
            Assert.Equal("CheckConfigDb", plan.Phases[0].Steps.Last().Name);
            Assert.Equal(new[] { "UploadPackage" }, plan.Phases[1].Steps.Select(s => s.Name));
            Assert.Equal(new[] { "StopService", "BackupConfigDb", "UpgradeConfigDb", "KeepOldInstall", "ExtractPackage", "CopyNdbSql", "CarryOverConfig", "InstallJdk", "InstallLicense", "StartNewVersion" },
                plan.Phases[2].Steps.Select(s => s.Name));
            Assert.Equal("10.0.0.5:3307", plan.Parameters["configDb"]);
            Assert.Equal("hotdb_config", plan.Parameters["configDbDatabase"]);
            // Only idempotent steps are re-run after an interruption; the rest are rolled back.
            Assert.Equal(new[] { "UploadPackage", "StopService", "BackupConfigDb", "InstallLicense" },
                plan.Steps.Where(s => s.ChangesState && s.SafeToRerun).Select(s => s.Name));
        }

        [Fact]
        public void JournalHoldsNoSecretAndRebuildsTheSamePlanWithTheBackupAndDecisions()
        {
            var host = new LocalHost();
            var context = Context(host);
            context.TargetJavaBin = "/usr/local/jdk8/jdk8u252-b09/bin/java";
            context.TargetJavaVersion = "1.8.0_252";
            context.NewInstallInPlace = true;
            var plan = SingleNodePlan.Assemble(context, Options(context));
            var part = plan.States.OfType<ConfigDbPart>().Single();
            var server = new ConfigDbServer(new ConfigDbEndpoint("10.0.0.5", 3307), "10.11.6-MariaDB", false, false, null, true);
            part.Backup = new ConfigDbBackup(part.Target, part.Target.Database, part.Target.Kind, host, server, HotDbVersion.Parse("2.5.3"), "/dumps/hotdb_config_2.5.3_20261206_030405.sql", 1234, new string('a', 64),
                "mysql-bin.000003", 4567, null, DateTimeOffset.Parse("2026-12-06T03:04:05+00:00"), "mariadb-dump 10.11", new[] { "--single-transaction", "--master-data=2" },
                new[] { new TableChecksum("hotdb_datanode", 42), new TableChecksum("hotdb_user", null) });
            var path = Path.Combine(_dir, "journal.json");
            var journal = PlanJournal.Create(path, plan);
            journal.Save(plan.States);

            var text = File.ReadAllText(path);
            Assert.DoesNotContain(ConfigDbSecret, text);
            Assert.DoesNotContain(ServerXmlSecret, text);
            Assert.Contains("\"backupSha256\"", text);

            var read = PlanJournal.Read(path);
            var again = SingleNodePlan.Rebuild(read, host, new NetworkCredential("upgrader", ConfigDbSecret));
            Assert.Equal(plan.Fingerprint, again.Fingerprint);
            foreach (var state in again.States) state.Load(read.State[state.Key]);
            var backup = again.States.OfType<ConfigDbPart>().Single().Backup!;
            Assert.Equal(part.Backup.Path, backup.Path);
            Assert.Equal(part.Backup.Sha256, backup.Sha256);
            Assert.Equal(4567, backup.BinaryLogPosition);
            Assert.Equal(new[] { "hotdb_datanode=42", "hotdb_user=" }, backup.Tables.Select(t => t.ToString()));
            Assert.Equal("upgrader", backup.ConfigDb!.UserName);
            Assert.Equal("77", read.Parameters["startTimeout"]);
            var described = string.Join("\n", again.Steps.Select(s => s.Describe()));
            Assert.Contains("/usr/local/hotdb/hotdb_server_253", described);
            Assert.Contains("running", described);
        }

        [Fact]
        public void ForcedDowngradePlansNoConfigDbScriptInsteadOfFailingToDescribe()
        {
            var host = new LocalHost();
            var context = Context(host, "/pkgs/hotdb-server-2.5.1-ga-20190701.tar.gz");
            var plan = SingleNodePlan.Assemble(context, Options(context));
            var upgrade = plan.Steps.Single(s => s.Name == "UpgradeConfigDb").Describe();
            Assert.Contains("2.5.3 -> 2.5.1 with no script", upgrade);
        }

        [Fact]
        public void RebuildRefusesAnotherConfigDbLoginOrHost()
        {
            var host = new LocalHost();
            var context = Context(host);
            var plan = SingleNodePlan.Assemble(context, Options(context));
            var path = Path.Combine(_dir, "journal.json");
            PlanJournal.Create(path, plan).Save(plan.States);
            var read = PlanJournal.Read(path);
            Assert.Throws<PlanJournalException>(() => SingleNodePlan.Rebuild(read, host, new NetworkCredential("root", "x")));
        }
    }
}
