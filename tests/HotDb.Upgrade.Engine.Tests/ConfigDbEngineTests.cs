using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class UpgradeScriptCatalogTests : IDisposable
    {
        private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "catalog-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_folder, true);

        private void Write(string name, string sql = "SELECT 1;") => File.WriteAllText(Path.Combine(_folder, name), sql);

        [Theory]
        [InlineData("hotdb_config_2.5.4.sql", ConfigDbKind.ComputeNode, "2.5.4")]
        [InlineData("hotdb_cloud_config_2.5.3.sql", ConfigDbKind.ManagementPlatform, "2.5.3")]
        [InlineData("HOTDB_CONFIG-2.5.3.1_add_listener.sql", ConfigDbKind.ComputeNode, "2.5.3.1")]
        [InlineData("/x/y/hotdb_cloud_config_2.5_changes.sql", ConfigDbKind.ManagementPlatform, "2.5")]
        public void ReadsKindAndVersionFromTheName(string name, ConfigDbKind kind, string version)
        {
            Assert.True(UpgradeScriptCatalog.TryParseName(name, out var k, out var v, out var problem), problem);
            Assert.Equal(kind, k);
            Assert.Equal(version, v!.ToString());
        }

        [Theory]
        [InlineData("upgrade.sql", "not an upgrade script name")]
        [InlineData("hotdb_config.sql", "not an upgrade script name")]
        [InlineData("hotdb_config_2.5.3_to_2.5.4.sql", "more than one version")]
        [InlineData("hotdb_config_2.5.4_v2.5.5.sql", "more than one version")]
        [InlineData("hotdb_cloud_config_2.5.3_20190815.sql", "like a ConfigDB backup")]
        [InlineData("hotdb_server_2.5.4.sql", "not an upgrade script name")]
        public void RejectsAmbiguousOrForeignNames(string name, string reason)
        {
            Assert.False(UpgradeScriptCatalog.TryParseName(name, out _, out _, out var problem));
            Assert.Contains(reason, problem);
        }

        [Fact]
        public void RefusesAScriptNameWithAHugeVersionNamingTheFileAndTheProblem()
        {
            var huge = "hotdb_config_2.5.99999999999999999999.sql";
            Assert.False(UpgradeScriptCatalog.TryParseName(huge, out _, out var version, out var problem));
            Assert.Null(version);
            Assert.Contains(huge, problem);
            Assert.Contains("too large", problem);

            Write(huge);
            Write("hotdb_config_2.5.4.sql");
            var error = Assert.Throws<UpgradeScriptCatalogException>(() => UpgradeScriptCatalog.Load(_folder));
            Assert.Contains(error.Problems, p => p.Contains(huge) && p.Contains("too large"));
            Assert.Equal("UpgradeScriptsNotUsable", ((IHotDbError)error).ErrorId);
        }

        [Fact]
        public void LoadsOrdersAndSeparatesKinds()
        {
            Write("hotdb_config_2.5.10.sql");
            Write("hotdb_config_2.5.4.sql", "SELECT 1; SELECT 2;");
            Write("hotdb_cloud_config_2.5.5.sql");
            Write("readme.txt", "not a script");
            var scripts = UpgradeScriptCatalog.Load(_folder);
            Assert.Equal(new[] { "hotdb_config_2.5.4.sql", "hotdb_config_2.5.10.sql", "hotdb_cloud_config_2.5.5.sql" }, scripts.Select(s => s.Name));
            Assert.Equal(2, scripts[0].StatementCount);
            Assert.Matches("^[0-9a-f]{64}$", scripts[0].Sha256);
        }

        [Fact]
        public void SelectsEveryScriptInTheHalfOpenRange()
        {
            foreach (var v in new[] { "2.4.9", "2.5.0", "2.5.1", "2.5.3", "2.5.4", "2.5.6" }) Write($"hotdb_config_{v}.sql");
            Write("hotdb_cloud_config_2.5.3.sql");
            var scripts = UpgradeScriptCatalog.Load(_folder);
            var chosen = UpgradeScriptCatalog.Select(scripts, ConfigDbKind.ComputeNode, HotDbVersion.Parse("2.5.0"), HotDbVersion.Parse("2.5.4"));
            Assert.Equal(new[] { "2.5.1", "2.5.3", "2.5.4" }, chosen.Select(s => s.Version.ToString()));
            Assert.Empty(UpgradeScriptCatalog.Select(scripts, ConfigDbKind.ComputeNode, HotDbVersion.Parse("2.5.4"), HotDbVersion.Parse("2.5.4")));
            Assert.Throws<ArgumentException>(() => UpgradeScriptCatalog.Select(scripts, ConfigDbKind.ComputeNode, HotDbVersion.Parse("2.5.4"), HotDbVersion.Parse("2.5.3")));
        }

        [Fact]
        public void RefusesTwoScriptsForOneVersion()
        {
            Write("hotdb_config_2.5.4.sql");
            Write("hotdb_config_2.5.4_fix.sql");
            Write("hotdb_config_2.5.4.0.sql");
            var error = Assert.Throws<UpgradeScriptCatalogException>(() => UpgradeScriptCatalog.Load(_folder));
            var problem = Assert.Single(error.Problems);
            Assert.Contains("3 scripts upgrade the hotdb_config ConfigDB to 2.5.4", problem);
        }

        [Fact]
        public void RefusesAScriptThatCannotBeReadAndListsEveryProblem()
        {
            Write("hotdb_config_2.5.4.sql", "INSERT INTO t VALUES ('open;");
            Write("hotdb_config_2.5.5.sql", "SELECT 1; /* open");
            Write("notes.sql");
            var error = Assert.Throws<UpgradeScriptCatalogException>(() => UpgradeScriptCatalog.Load(_folder));
            Assert.Equal(3, error.Problems.Count);
            Assert.Contains(error.Problems, p => p.Contains("hotdb_config_2.5.4.sql:1:23") && p.Contains("never closed"));
            Assert.Contains(error.Problems, p => p.Contains("hotdb_config_2.5.5.sql:1:11"));
        }

        [Fact]
        public void PlanCombinesTheSqlInOrderWithProcedureDelimiters()
        {
            Write("hotdb_config_2.5.4.sql", "ALTER TABLE t ADD c INT;");
            Write("hotdb_config_2.5.5.sql", "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\nDELIMITER ;\nINSERT INTO t VALUES (1);");
            var target = new ConfigDbTarget(new[] { new ConfigDbEndpoint("127.0.0.1", 3306) }, ConfigDbKind.ComputeNode, null, new NetworkCredential("u", "p"));
            var plan = ConfigDbUpgrader.Plan(target, UpgradeScriptCatalog.Load(_folder), HotDbVersion.Parse("2.5.3"), HotDbVersion.Parse("2.5.5"));
            Assert.Equal(3, plan.StatementCount);
            var sql = plan.CombinedSql;
            Assert.True(sql.IndexOf("hotdb_config_2.5.4.sql", StringComparison.Ordinal) < sql.IndexOf("hotdb_config_2.5.5.sql", StringComparison.Ordinal));
            Assert.Contains("DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\nDELIMITER ;\nINSERT INTO t VALUES (1);\n", sql);
            // Read back, the combined SQL is the same statements.
            var again = HotDb.Upgrade.ConfigDb.Sql.MySqlScriptSplitter.Split(sql, "combined.sql");
            Assert.Equal(plan.Scripts.SelectMany(s => s.Statements).Select(s => s.Text), again.Select(s => s.Text));
        }

        [Fact]
        public void LedgerSkipsSameChecksumAndRefusesADifferentOne()
        {
            Write("hotdb_config_2.5.4.sql", "SELECT 4;");
            Write("hotdb_config_2.5.5.sql", "SELECT 5;");
            var target = new ConfigDbTarget(new[] { new ConfigDbEndpoint("127.0.0.1", 3306) }, ConfigDbKind.ComputeNode, null, new NetworkCredential("u", "p"));
            var plan = ConfigDbUpgrader.Plan(target, UpgradeScriptCatalog.Load(_folder), HotDbVersion.Parse("2.5.3"), HotDbVersion.Parse("2.5.5"));
            var now = DateTime.Now;
            LedgerEntry Entry(string version, string sha, bool success = true, bool rolledBack = false) =>
                new LedgerEntry("hotdb_config", version, $"hotdb_config_{version}.sql", sha, 1, success, rolledBack, now, now, "me", null);

            var same = ConfigDbUpgrader.CheckLedger(new[] { Entry("2.5.4", plan.Scripts[0].Sha256) }, plan);
            Assert.Equal(new[] { "hotdb_config_2.5.4.sql" }, same.Keys);
            // A failed or rolled-back run is not "applied".
            Assert.Empty(ConfigDbUpgrader.CheckLedger(new[] { Entry("2.5.4", "00", success: false), Entry("2.5.5", "11", rolledBack: true) }, plan));
            var error = Assert.Throws<ConfigDbException>(() => ConfigDbUpgrader.CheckLedger(new[] { Entry("2.5.5", new string('a', 64)) }, plan));
            Assert.Equal(ConfigDbFailure.LedgerMismatch, error.Failure);
            Assert.Contains("2.5.5", error.Message);
        }
    }

    public class DumpClientTests
    {
        private const string MariaDb1011 = "mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)";
        private const string MariaDb114 = "mariadb-dump from 11.4.2-MariaDB, client 10.19 for debian-linux-gnu (x86_64)";
        private const string MySql57 = "mysqldump  Ver 10.13 Distrib 5.7.44, for linux-glibc2.12 (x86_64)";
        private const string MySql80Old = "mysqldump  Ver 8.0.25 for Linux on x86_64 (MySQL Community Server - GPL)";
        private const string MySql80 = "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)";
        private const string MySql84 = "mysqldump  Ver 8.4.3 for Linux on x86_64 (MySQL Community Server - GPL)";

        [Theory]
        [InlineData(MariaDb1011, DumpClientFlavour.MariaDb, "10.11.19")]
        [InlineData(MariaDb114, DumpClientFlavour.MariaDb, "11.4.2")]
        [InlineData(MySql57, DumpClientFlavour.MySql, "5.7.44")]
        [InlineData(MySql80, DumpClientFlavour.MySql, "8.0.36")]
        [InlineData(MySql84, DumpClientFlavour.MySql, "8.4.3")]
        public void ReadsFlavourAndVersion(string output, DumpClientFlavour flavour, string version)
        {
            var client = DumpClient.Parse("/usr/bin/mysqldump", output);
            Assert.Equal(flavour, client.Flavour);
            Assert.Equal(Version.Parse(version), client.Version);
        }

        [Fact]
        public void RefusesUnknownOutput() => Assert.Throws<FormatException>(() => DumpClient.Parse("mysqldump", "command not found"));

        [Theory]
        [InlineData(MariaDb1011, true, "--single-transaction --default-character-set=utf8 --master-data=1 --gtid")]
        [InlineData(MariaDb1011, false, "--single-transaction --default-character-set=utf8")]
        [InlineData(MySql57, true, "--single-transaction --default-character-set=utf8 --set-gtid-purged=OFF --master-data=1")]
        [InlineData(MySql80Old, true, "--single-transaction --default-character-set=utf8 --set-gtid-purged=OFF --master-data=1")]
        [InlineData(MySql80, true, "--single-transaction --default-character-set=utf8 --set-gtid-purged=OFF --source-data=1")]
        [InlineData(MySql84, true, "--single-transaction --default-character-set=utf8 --set-gtid-purged=OFF --source-data=1")]
        [InlineData(MySql84, false, "--single-transaction --default-character-set=utf8 --set-gtid-purged=OFF")]
        public void ChoosesOptionsTheClientAccepts(string output, bool binaryLog, string expected)
        {
            var options = DumpClient.Parse("mysqldump", output).BackupOptions(binaryLog, serverIsMariaDb: false, new Version(8, 0, 36));
            Assert.Equal(expected, string.Join(" ", options));
        }

        [Fact]
        public void MySql8ClientSkipsColumnStatisticsOnOlderOrMariaDbServers()
        {
            var client = DumpClient.Parse("mysqldump", MySql80);
            Assert.Contains("--column-statistics=0", client.BackupOptions(true, serverIsMariaDb: true, new Version(10, 11, 6)));
            Assert.Contains("--column-statistics=0", client.BackupOptions(true, serverIsMariaDb: false, new Version(5, 7, 44)));
            Assert.DoesNotContain("--column-statistics=0", client.BackupOptions(true, serverIsMariaDb: false, new Version(8, 0, 36)));
            Assert.DoesNotContain("--column-statistics=0", DumpClient.Parse("mysqldump", MySql57).BackupOptions(true, true, new Version(10, 11, 6)));
        }
    }

    public class MasterDiscoveryTests
    {
        private static ConfigDbServer Server(string host, bool readOnly = false, bool replica = false, string? role = null, string? source = null) =>
            new ConfigDbServer(new ConfigDbEndpoint(host, 3306), "8.0.36", readOnly, replica, role, true, source == null ? null : ConfigDbEndpoint.Parse(source, 3306));

        [Fact]
        public void PicksTheWritableServerOfMasterSlave()
        {
            var chosen = MasterDiscovery.Choose(new[] { Server("slave", readOnly: true, replica: true), Server("master") }, out var reason);
            Assert.Equal("master", chosen!.Endpoint.Host);
            Assert.Contains("only writable", reason);
        }

        [Fact]
        public void PicksTheGroupReplicationPrimary()
        {
            var chosen = MasterDiscovery.Choose(new[] { Server("a", role: "SECONDARY"), Server("b", role: "PRIMARY"), Server("c", role: "SECONDARY") }, out var reason);
            Assert.Equal("b", chosen!.Endpoint.Host);
            Assert.Contains("PRIMARY", reason);
        }

        [Fact]
        public void PicksTheNonReplicaAmongWritableServers()
        {
            var chosen = MasterDiscovery.Choose(new[] { Server("misconfigured", replica: true, source: "elsewhere"), Server("master") }, out _);
            Assert.Equal("master", chosen!.Endpoint.Host);
        }

        [Fact]
        public void MasterMasterUsesTheConfiguredMaster()
        {
            var chosen = MasterDiscovery.Choose(new[] { Server("m1", replica: true, source: "m2:3306"), Server("m2", replica: true, source: "m1") }, out var reason);
            Assert.Equal("m1", chosen!.Endpoint.Host);
            Assert.Contains("master-master", reason);
        }

        [Fact]
        public void AWritableReplicaOfAnotherConfigDbIsNeverTheMaster()
        {
            // A DR centre's ConfigDB: writable, replicating from the master centre's, which was not given.
            var replica = Server("drconfigdb", replica: true, source: "198.18.0.10:3306");
            Assert.True(MasterDiscovery.ReplicatesFromOutside(replica, new[] { replica }));
            Assert.Null(MasterDiscovery.Choose(new[] { replica }, out _));
            // One master-master server given alone replicates from outside too: both must be given.
            Assert.Null(MasterDiscovery.Choose(new[] { Server("m1", replica: true, source: "m2") }, out _));
        }

        [Fact]
        public void AReplicaStatusWithoutSourceCountsAsOutside()
        {
            var replica = Server("r", replica: true);
            Assert.True(MasterDiscovery.ReplicatesFromOutside(replica, new[] { replica, Server("m") }));
            Assert.False(MasterDiscovery.ReplicatesFromOutside(Server("m"), new[] { replica, Server("m") }));
        }

        [Fact]
        public void NoWritableServerIsNoMaster()
        {
            Assert.Null(MasterDiscovery.Choose(new[] { Server("a", readOnly: true), Server("b", readOnly: true, role: "SECONDARY") }, out _));
        }

        [Theory]
        [InlineData("db1", 3306, "db1", 3306)]
        [InlineData("db1:3307", 3306, "db1", 3307)]
        [InlineData("[::1]:3310", 3306, "::1", 3310)]
        [InlineData("::1", 3306, "::1", 3306)]
        public void ParsesEndpoints(string text, int defaultPort, string host, int port)
        {
            var endpoint = ConfigDbEndpoint.Parse(text, defaultPort);
            Assert.Equal((host, port), (endpoint.Host, endpoint.Port));
        }

        [Fact]
        public void OptionFileValuesAreQuoted()
        {
            Assert.Equal("\"p\\\"a\\\\ss#;\"", ConfigDbBackupService.OptionValue("p\"a\\ss#;"));
        }

        [Fact]
        public void ChecksumComparisonNamesEveryDifference()
        {
            var before = new[] { new TableChecksum("a", 1), new TableChecksum("b", 2) };
            Assert.True(ConfigDbBackupService.SameChecksums(before, before.ToList(), out _));
            Assert.False(ConfigDbBackupService.SameChecksums(before, new[] { new TableChecksum("a", 9), new TableChecksum("c", 3) }, out var difference));
            Assert.Equal("table a has checksum 9, expected 1; table b is missing; table c is new", difference);
        }

        [Fact]
        public void BackupFileNameHasDatabaseVersionAndTime()
        {
            var name = ConfigDbBackupService.FileName("hotdb_cloud_config", HotDbVersion.Parse("2.5.3"), new DateTimeOffset(2019, 8, 15, 10, 20, 30, TimeSpan.Zero).ToLocalTime());
            Assert.Matches(@"^hotdb_cloud_config_2\.5\.3_\d{8}_\d{6}\.sql$", name);
            Assert.False(UpgradeScriptCatalog.TryParseName(name, out _, out _, out _));
        }
    }
}
