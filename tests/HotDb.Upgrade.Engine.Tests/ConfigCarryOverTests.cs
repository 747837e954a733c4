using System;
using System.IO;
using System.Linq;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>The host layer on this machine's real shell and file system.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class ConfigCarryOverTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "hotdb-carryover-" + Guid.NewGuid().ToString("N"));
        private readonly LocalHost _host = new LocalHost();

        public ConfigCarryOverTests()
        {
            foreach (var (name, version) in new[] { ("old", "2.5.3"), ("new", "2.5.4"), ("pristine", "2.5.3") })
            {
                Directory.CreateDirectory(Path.Combine(_root, name, "conf"));
                Directory.CreateDirectory(Path.Combine(_root, name, "bin"));
                foreach (var file in new[] { "conf/server.xml", "conf/log4j2.xml", "bin/hotdb_server" })
                    File.WriteAllText(Path.Combine(_root, name, file), ServerXmlMergeTests.Fixture(version, Path.GetFileName(file)));
            }
            var oldXml = Path.Combine(_root, "old/conf/server.xml");
            File.WriteAllText(oldXml, ServerXmlMergeTests.SetProperty(File.ReadAllText(oldXml), "processors", "32"));
        }

        public void Dispose() => Directory.Delete(_root, recursive: true);

        private ConfigCarryOverRequest Request(bool pristine = true) => new ConfigCarryOverRequest
        {
            OldPath = Path.Combine(_root, "old"),
            NewPath = Path.Combine(_root, "new") + "/",
            PristinePath = pristine ? Path.Combine(_root, "pristine") : null,
        };

        [Fact]
        public void Plans_the_three_manual_files_of_two_install_directories()
        {
            var plans = ConfigCarryOver.Plan(_host, Request());
            Assert.Equal(new[] { ConfigFileKind.ServerXml, ConfigFileKind.StartScript, ConfigFileKind.Log4j2 }, plans.Select(p => p.Kind));
            Assert.All(plans, p => Assert.Null(p.Error));
            Assert.All(plans, p => Assert.Equal(ConfigMergeMode.ThreeWay, p.Result!.Mode));
            Assert.True(plans[0].NeedsWrite);
            Assert.False(plans[2].NeedsWrite);
            Assert.Equal(Path.Combine(_root, "new/conf/server.xml"), plans[0].NewFile);
            Assert.All(plans.SelectMany(p => p.Result!.Changes), c => Assert.Equal("localhost", c.ComputerName));
        }

        [Fact]
        public void Missing_pristine_file_makes_that_file_two_way()
        {
            File.Delete(Path.Combine(_root, "pristine/conf/server.xml"));
            var plans = ConfigCarryOver.Plan(_host, Request());
            Assert.Equal(ConfigMergeMode.TwoWay, plans[0].Result!.Mode);
            Assert.Null(plans[0].PristineFile);
            Assert.Equal(ConfigMergeMode.ThreeWay, plans[1].Result!.Mode);
        }

        [Fact]
        public void Apply_backs_up_writes_and_never_overwrites_a_backup()
        {
            var target = Path.Combine(_root, "new/conf/server.xml");
            var original = File.ReadAllBytes(target);
            var now = new DateTime(2026, 11, 25, 13, 0, 0, 250, DateTimeKind.Utc);
            var taken = target + ".hotdb-upgrade-20261125130000250.bak";
            File.WriteAllText(taken, "someone else's backup");

            var plan = ConfigCarryOver.Plan(_host, Request())[0];
            var backup = ConfigCarryOver.Apply(_host, plan, now);

            Assert.Equal(target + ".hotdb-upgrade-20261125130000250-1.bak", backup);
            Assert.Equal("someone else's backup", File.ReadAllText(taken));
            Assert.Equal(original, File.ReadAllBytes(backup));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
            Assert.Contains("<property name=\"processors\">32</property>", File.ReadAllText(target));
            Assert.All(plan.Result!.Changes, c => Assert.Equal(backup, c.BackupPath));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(target)!, "*hotdb-upgrade-tmp-*"));
        }

        [Fact]
        public void Two_backups_of_one_file_in_the_same_second_both_succeed_with_distinct_names()
        {
            // The upgrade's carry-over and its JDK edit both rewrite bin/hotdb_server, often within one second.
            var script = Path.Combine(_root, "new/bin/hotdb_server");
            var now = DateTime.UtcNow;
            var first = ConfigCarryOver.PlanJdk(_host, script, "/usr/local/jdk8/a/bin/java", "1.8.0_252");
            var beforeFirst = File.ReadAllBytes(script);
            var firstBackup = ConfigCarryOver.Apply(_host, first, now);
            var second = ConfigCarryOver.PlanJdk(_host, script, "/usr/local/jdk8/b/bin/java", "1.8.0_262");
            var beforeSecond = File.ReadAllBytes(script);
            var secondBackup = ConfigCarryOver.Apply(_host, second, now);

            Assert.NotEqual(firstBackup, secondBackup);
            Assert.Equal(beforeFirst, File.ReadAllBytes(firstBackup));
            Assert.Equal(beforeSecond, File.ReadAllBytes(secondBackup));
            Assert.Contains("\nJAVA_BIN=/usr/local/jdk8/b/bin/java\n", File.ReadAllText(script));
            Assert.All(new[] { firstBackup, secondBackup }, b => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(b)));

            ConfigCarryOver.Restore(_host, script, firstBackup);
            Assert.Equal(beforeFirst, File.ReadAllBytes(script));
        }

        [Fact]
        public void Apply_writes_through_a_symbolic_link_and_keeps_it()
        {
            // Some sites keep conf/server.xml elsewhere and link it into the install.
            var link = Path.Combine(_root, "new/conf/server.xml");
            var shared = Path.Combine(_root, "shared-server.xml");
            File.Move(link, shared);
            File.CreateSymbolicLink(link, "../../shared-server.xml");
            var original = File.ReadAllBytes(shared);

            var plan = ConfigCarryOver.Plan(_host, Request())[0];
            var backup = ConfigCarryOver.Apply(_host, plan, DateTime.UtcNow);

            Assert.Equal("../../shared-server.xml", new FileInfo(link).LinkTarget);
            Assert.Contains("<property name=\"processors\">32</property>", File.ReadAllText(shared));
            Assert.Equal(original, File.ReadAllBytes(backup));
            Assert.Null(new FileInfo(backup).LinkTarget);
            Assert.Empty(Directory.GetFiles(_root, "*hotdb-upgrade-tmp-*", SearchOption.AllDirectories));

            ConfigCarryOver.Restore(_host, link, backup);
            Assert.Equal("../../shared-server.xml", new FileInfo(link).LinkTarget);
            Assert.Equal(original, File.ReadAllBytes(shared));
        }

        [Fact]
        public void A_malformed_old_file_is_reported_under_the_old_path()
        {
            var oldXml = Path.Combine(_root, "old/conf/server.xml");
            File.WriteAllText(oldXml, "<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\"><system>");
            var plan = ConfigCarryOver.Plan(_host, Request())[0];
            var error = Assert.IsType<ConfigFormatException>(plan.Error);
            Assert.Equal(oldXml, error.File);
            Assert.StartsWith(oldXml + ": is not well-formed XML", error.Message);
        }

        [Fact]
        public void Files_named_as_different_kinds_are_refused_before_reading()
        {
            var request = Request(pristine: false);
            request.OldPath = Path.Combine(_root, "old/conf/server.xml");
            request.NewPath = Path.Combine(_root, "new/conf/log4j2.xml");
            var error = Assert.Throws<ConfigPathException>(() => ConfigCarryOver.Plan(_host, request));
            Assert.Contains("compare files of the same kind", error.Message);

            // Names that do not tell: the content does.
            var renamed = Path.Combine(_root, "old-log4j2.copy");
            File.Copy(Path.Combine(_root, "old/conf/log4j2.xml"), renamed);
            request.OldPath = renamed;
            request.NewPath = Path.Combine(_root, "new/conf/server.xml");
            var plan = Assert.Single(ConfigCarryOver.Plan(_host, request));
            var malformed = Assert.IsType<ConfigFormatException>(plan.Error);
            Assert.Equal(renamed, malformed.File);
            Assert.Contains("not a server.xml", malformed.Message);
        }

        [Fact]
        public void Apply_refuses_a_file_changed_since_it_was_compared()
        {
            var plan = ConfigCarryOver.Plan(_host, Request())[0];
            File.AppendAllText(plan.NewFile, "<!-- edited meanwhile -->\n");
            var changed = File.ReadAllBytes(plan.NewFile);
            var error = Assert.Throws<ConfigWriteException>(() => ConfigCarryOver.Apply(_host, plan, DateTime.UtcNow));
            Assert.Contains("changed after it was compared", error.Message);
            Assert.Equal("ConfigWriteFailed", error.ErrorId);
            Assert.Equal(plan.NewFile, error.Target);
            Assert.Equal(changed, File.ReadAllBytes(plan.NewFile));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(plan.NewFile)!, "*.bak"));
        }

        [Fact]
        public void Jdk_plan_sets_the_script_and_keeps_its_mode()
        {
            var script = Path.Combine(_root, "new/bin/hotdb_server");
            File.SetUnixFileMode(script, (UnixFileMode)0x1ED); // 0755
            var plan = ConfigCarryOver.PlanJdk(_host, script, "/usr/local/jdk8/jdk8u252-b09/bin/java", "1.8.0_252");
            Assert.Equal(2, plan.Result!.Changes.Count);
            var backup = ConfigCarryOver.Apply(_host, plan, DateTime.UtcNow);
            var text = File.ReadAllText(script);
            Assert.Contains("\nJAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java\n", text);
            Assert.Contains("\nJAVA_VERSION=\"1.8.0_252\"\n", text);
            Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(script));
            Assert.True(File.Exists(backup));
        }

        [Fact]
        public void Missing_paths_and_mixed_kinds_are_refused_before_reading()
        {
            var missing = Request();
            missing.OldPath = Path.Combine(_root, "nowhere");
            Assert.Throws<ConfigPathNotFoundException>(() => ConfigCarryOver.Plan(_host, missing));
            var mixed = Request();
            mixed.NewPath = Path.Combine(_root, "new/conf/server.xml");
            Assert.Throws<ConfigPathException>(() => ConfigCarryOver.Plan(_host, mixed));
        }

        [Fact]
        public void Restore_accepts_only_a_backup_of_the_same_file()
        {
            var target = Path.Combine(_root, "new/conf/server.xml");
            Assert.Throws<ArgumentException>(() => ConfigCarryOver.Restore(_host, target, Path.Combine(_root, "old/conf/server.xml")));
        }
    }
}
