using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class ConfigDbBackupSidecarTests : IDisposable
    {
        private const string Password = "s3cret-\"never\"-in-a-sidecar";
        private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "sidecar-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_folder, true);

        private static ConfigDbBackup Backup(ConfigDbTarget target, string path) =>
            new ConfigDbBackup(target, target.Database, target.Kind, new LocalHost(),
                new ConfigDbServer(new ConfigDbEndpoint("10.0.0.5", 3307), "10.11.6-MariaDB", false, true, null, true) { Reason = "the only writable server" },
                HotDbVersion.Parse("2.5.3"), path, 1234, new string('a', 64), "binlog.000002", 345, "0-1-9",
                new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(8)), "/usr/bin/mariadb-dump (MariaDB 10.11.6)",
                new[] { "--single-transaction", "--master-data=1" }, new[] { new TableChecksum("a", 17), new TableChecksum("b", null) });

        private static ConfigDbTarget Target() =>
            new ConfigDbTarget(new[] { new ConfigDbEndpoint("10.0.0.5", 3307) }, ConfigDbKind.ManagementPlatform, null, new NetworkCredential("admin", Password));

        [Fact]
        public void RoundTripsEveryFactButNeverThePassword()
        {
            var dump = Path.Combine(_folder, "hotdb_cloud_config_2.5.3_20250102_030405.sql");
            var original = Backup(Target(), dump);
            var json = ConfigDbBackupSidecar.ToJson(original, "cdb-host", dump);
            Assert.DoesNotContain(Password, Encoding.UTF8.GetString(json));
            Assert.DoesNotContain("s3cret", Encoding.UTF8.GetString(json));

            var read = ConfigDbBackupSidecar.FromJson(json, new LocalHost(), ConfigDbBackupSidecar.PathFor(dump), null);
            Assert.Null(read.ConfigDb);
            Assert.Equal(("hotdb_cloud_config", ConfigDbKind.ManagementPlatform, "2.5.3", dump, 1234L, original.Sha256),
                (read.Database, read.Kind, read.Version.ToString(), read.Path, read.Size, read.Sha256));
            Assert.Equal(("binlog.000002", (long?)345, "0-1-9", original.Time, original.DumpClient),
                (read.BinaryLogFile, read.BinaryLogPosition, read.Gtid, read.Time, read.DumpClient));
            Assert.Equal(original.DumpOptions, read.DumpOptions);
            Assert.Equal(new[] { "a=17", "b=" }, read.Tables.Select(t => t.ToString()));
            Assert.Equal(("10.0.0.5:3307", "10.11.6-MariaDB", true, true, "the only writable server"),
                (read.Server.Endpoint.ToString(), read.Server.Version, read.Server.IsReplica, read.Server.BinaryLog, read.Server.Reason));
            Assert.Equal(ConfigDbBackupSidecar.PathFor(dump), read.SidecarPath);
        }

        [Fact]
        public void TheDumpIsTheFileNextToTheSidecarWhereverItWasWritten()
        {
            var json = ConfigDbBackupSidecar.ToJson(Backup(Target(), "/old/place/x.sql"), "cdb-host", "/old/place/x.sql");
            var read = ConfigDbBackupSidecar.FromJson(json, new LocalHost(), "/new/place/x.sql.json", Target());
            Assert.Equal("/new/place/x.sql", read.Path);
        }

        [Fact]
        public void RefusesASidecarOfAnotherDatabaseOrNotASidecar()
        {
            var json = ConfigDbBackupSidecar.ToJson(Backup(Target(), "/b/x.sql"), "h", "/b/x.sql");
            var computeNode = new ConfigDbTarget(new[] { new ConfigDbEndpoint("h", 3306) }, ConfigDbKind.ComputeNode, null, new NetworkCredential("u", "p"));
            var other = Assert.Throws<ConfigDbException>(() => ConfigDbBackupSidecar.FromJson(json, new LocalHost(), "/b/x.sql.json", computeNode));
            Assert.Contains("hotdb_cloud_config", other.Message);
            var garbage = Assert.Throws<ConfigDbException>(() => ConfigDbBackupSidecar.FromJson(Encoding.UTF8.GetBytes("{\"a\":1}"), new LocalHost(), "/b/y.sql.json", null));
            Assert.Equal(ConfigDbFailure.InvalidBackup, garbage.Failure);
        }

        [Fact]
        public void LocatesSidecarsByDumpSidecarWildcardOrFolderAndNamesDumpsWithoutOne()
        {
            foreach (var name in new[] { "hotdb_config_2.5.3_20250101_000000.sql", "hotdb_config_2.5.3_20250101_000000.sql.json",
                "hotdb_config_2.5.4_20250102_000000.sql", "hotdb_config_2.5.4_20250102_000000.sql.json", "hotdb_config_2.5.5_20250103_000000.sql", "notes.txt" })
                File.WriteAllText(Path.Combine(_folder, name), "x");
            var host = new LocalHost();
            var first = Path.Combine(_folder, "hotdb_config_2.5.3_20250101_000000.sql.json");
            Assert.Equal(new[] { first }, ConfigDbBackupSidecar.Locate(host, Path.Combine(_folder, "hotdb_config_2.5.3_20250101_000000.sql"), out _));
            Assert.Equal(new[] { first }, ConfigDbBackupSidecar.Locate(host, first, out _));
            Assert.Equal(2, ConfigDbBackupSidecar.Locate(host, Path.Combine(_folder, "hotdb_config_2.5.[34]_*.sql"), out var none).Count);
            Assert.Empty(none);
            var all = ConfigDbBackupSidecar.Locate(host, _folder + "/", out var problems);
            Assert.Equal(2, all.Count);
            Assert.Contains("hotdb_config_2.5.5_20250103_000000.sql has no sidecar", Assert.Single(problems));
        }
    }
}
