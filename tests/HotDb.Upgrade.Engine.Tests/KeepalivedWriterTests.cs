using System;
using System.Linq;
using HotDb.Upgrade.Topology;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class KeepalivedWriterTests
    {
        private const string Secret = "Zq7-blue";

        private static KeepalivedRewrite Rewrite(string text, VrrpInstanceChange change) =>
            KeepalivedWriter.Rewrite(KeepalivedConfig.Parse(text, "/etc/keepalived/keepalived.conf"), "HOTDB_BLUE", change);

        private static VrrpInstanceChange AsBackup(int priority) => new VrrpInstanceChange { State = "BACKUP", Priority = priority, Nopreempt = false, ScriptSide = HaRole.Backup };
        private static VrrpInstanceChange AsMaster(int priority) => new VrrpInstanceChange { State = "BACKUP", Priority = priority, Nopreempt = true, ScriptSide = HaRole.Master };

        // The fixtures differ in their first comment line too; the writer never touches comments.
        private static string WithFirstLineOf(string text, string source) => source.Split('\n')[0] + text.Substring(text.IndexOf('\n'));

        [Fact]
        public void Rewrites_the_master_template_as_the_backup_template_byte_for_byte()
        {
            var master = KeepalivedConfigTests.Fixture("master.conf");

            var rewrite = Rewrite(master, AsBackup(110));

            Assert.Equal(WithFirstLineOf(KeepalivedConfigTests.Fixture("backup.conf"), master), rewrite.Text);
            Assert.Equal(new[]
            {
                "HOTDB_BLUE vrrp_script hotdb_ports script: /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh connect_master -> /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh connect_backup",
                "HOTDB_BLUE nopreempt: nopreempt -> (absent)",
                "HOTDB_BLUE priority: 120 -> 110",
                "HOTDB_BLUE notify_master: /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_master -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_master",
                "HOTDB_BLUE notify_backup: /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_backup -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_backup",
                "HOTDB_BLUE notify_fault: /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_backup -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_backup",
            }, rewrite.Edits.Select(e => e.ToString()));
        }

        [Fact]
        public void Rewrites_the_backup_template_as_the_master_template_byte_for_byte()
        {
            var backup = KeepalivedConfigTests.Fixture("backup.conf");

            var rewrite = Rewrite(backup, AsMaster(120));

            Assert.Equal(WithFirstLineOf(KeepalivedConfigTests.Fixture("master.conf"), backup), rewrite.Text);
            var nopreempt = Assert.Single(rewrite.Edits, e => e.Key == "nopreempt");
            Assert.Null(nopreempt.OldValue);
            var reread = KeepalivedConfig.Parse(rewrite.Text).Instances.Single();
            Assert.True(reread.Nopreempt);
            Assert.Equal(120, reread.Priority!.Value);
            Assert.True(reread.AuthPass!.Matches(KeepalivedConfig.Parse(backup).Instances.Single().AuthPass));
        }

        [Theory]
        [InlineData("master.conf", true)]
        [InlineData("backup.conf", false)]
        public void Changes_nothing_when_the_file_already_has_the_role(string fixture, bool master)
        {
            var text = KeepalivedConfigTests.Fixture(fixture);

            var rewrite = Rewrite(text, master ? AsMaster(120) : AsBackup(110));

            Assert.False(rewrite.Changed);
            Assert.Empty(rewrite.Edits);
            Assert.Equal(text, rewrite.Text);
        }

        [Fact]
        public void A_second_rewrite_of_its_own_output_changes_nothing()
        {
            var once = Rewrite(KeepalivedConfigTests.Fixture("master.conf"), AsBackup(90));
            var twice = Rewrite(once.Text, AsBackup(90));

            Assert.True(once.Changed);
            Assert.False(twice.Changed);
            Assert.Equal(once.Text, twice.Text);
        }

        [Fact]
        public void Keeps_CRLF_tabs_and_a_trailing_comment_and_inserts_missing_lines_in_the_instance()
        {
            var text = "vrrp_instance HOTDB_BLUE {\r\n\tinterface eth0 # the LAN\r\n\tvirtual_router_id 7\r\n\tauthentication {\r\n\t\tauth_type PASS\r\n\t\tauth_pass " + Secret + "\r\n\t}\r\n\tvirtual_ipaddress {\r\n\t\t10.0.0.9/24\r\n\t}\r\n}\r\n";

            var rewrite = Rewrite(text, new VrrpInstanceChange { State = "BACKUP", Priority = 100, Nopreempt = true });

            Assert.Equal("vrrp_instance HOTDB_BLUE {\r\n\tstate BACKUP\r\n\tnopreempt\r\n\tpriority 100\r\n\tinterface eth0 # the LAN\r\n\tvirtual_router_id 7\r\n\tauthentication {\r\n\t\tauth_type PASS\r\n\t\tauth_pass " + Secret + "\r\n\t}\r\n\tvirtual_ipaddress {\r\n\t\t10.0.0.9/24\r\n\t}\r\n}\r\n", rewrite.Text);
            Assert.Equal(new[] { "state", "priority", "nopreempt" }.OrderBy(k => k), rewrite.Edits.Select(e => e.Key).OrderBy(k => k));
        }

        [Fact]
        public void Never_puts_auth_pass_in_an_edit_or_an_error()
        {
            var config = KeepalivedConfig.Parse(KeepalivedConfigTests.Fixture("master.conf"));
            var rewrite = KeepalivedWriter.Rewrite(config, "HOTDB_BLUE", AsBackup(1));
            Assert.DoesNotContain(rewrite.Edits, e => (e.ToString() + e.OldValue + e.NewValue).Contains(Secret));

            var errors = new Exception[]
            {
                Assert.Throws<ArgumentException>(() => KeepalivedWriter.Rewrite(config, "VI_9", AsBackup(1))),
                Assert.Throws<ArgumentException>(() => KeepalivedWriter.Rewrite(config, "HOTDB_BLUE", new VrrpInstanceChange { Priority = 300 })),
            };
            Assert.Contains("VI_9", errors[0].Message);
            Assert.All(errors, e => Assert.DoesNotContain(Secret, e.ToString()));
        }
    }
}
