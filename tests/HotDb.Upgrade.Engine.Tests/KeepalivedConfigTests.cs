using System.IO;
using System.Linq;
using System.Net;
using HotDb.Upgrade.Topology;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class KeepalivedConfigTests
    {
        internal static string Fixture(string name) => File.ReadAllText(Path.Combine("Fixtures", "keepalived", name));

        [Fact]
        public void Reads_the_master_template_with_every_value()
        {
            var config = KeepalivedConfig.Parse(Fixture("master.conf"), "/etc/keepalived/keepalived.conf");

            Assert.Equal("blue-hotdb", config.RouterId!.Value);
            Assert.Equal(new[] { "hotdb_alive", "hotdb_ports" }, config.Scripts.Select(s => s.Name));
            var alive = config.Script("hotdb_alive")!;
            Assert.Equal("/bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh process", alive.Script!.Value);
            Assert.True(alive.RunsThroughShell);
            Assert.Equal("/opt/hotdb/hotdb-server/bin/check_hotdb_process.sh", alive.ScriptFile);
            Assert.Equal(3m, alive.Interval!.Value);
            Assert.Equal(-20, alive.Weight!.Value);
            Assert.Equal(2, alive.Fall!.Value);
            Assert.Equal(6, config.Script("hotdb_ports")!.Timeout!.Value);
            Assert.False(config.Script("hotdb_ports")!.RunsThroughShell);

            var instance = Assert.Single(config.Instances);
            Assert.Equal("HOTDB_BLUE", instance.Name);
            Assert.Equal("BACKUP", instance.State!.Value);
            Assert.Equal("ens192", instance.Interface!.Value);
            Assert.Equal(51, instance.VirtualRouterId!.Value);
            Assert.Equal(120, instance.Priority!.Value);
            Assert.Equal(2m, instance.AdvertInt!.Value);
            Assert.True(instance.Nopreempt);
            Assert.Equal(26, instance.NopreemptSpan!.Value.Line);
            Assert.Equal("PASS", instance.AuthType!.Value);
            Assert.Equal(new[] { "hotdb_alive", "hotdb_ports" }, instance.TrackScripts.Select(t => t.Value));
            var vip = Assert.Single(instance.VirtualIpAddresses);
            Assert.Equal(IPAddress.Parse("10.20.30.40"), vip.Address);
            Assert.Equal(24, vip.PrefixLength);
            Assert.Equal("ens192", vip.Device);
            Assert.Equal("ens192:9", vip.Label);
            Assert.EndsWith("master_notify_master", instance.NotifyMaster!.Value);
            Assert.EndsWith("master_notify_backup", instance.NotifyBackup!.Value);
            Assert.EndsWith("master_notify_backup", instance.NotifyFault!.Value);
        }

        [Fact]
        public void Reads_the_backup_template_without_nopreempt_and_with_the_same_secret()
        {
            var master = KeepalivedConfig.Parse(Fixture("master.conf")).Instances[0];
            var backup = KeepalivedConfig.Parse(Fixture("backup.conf")).Instances[0];

            Assert.False(backup.Nopreempt);
            Assert.Null(backup.NopreemptSpan);
            Assert.Equal(110, backup.Priority!.Value);
            Assert.True(backup.AuthPass!.Matches(master.AuthPass));
            var other = KeepalivedConfig.Parse(Fixture("backup.conf").Replace("Zq7-blue", "Zq7-bluf")).Instances[0];
            Assert.False(other.AuthPass!.Matches(master.AuthPass));
            Assert.False(other.AuthPass.Matches(null));
        }

        [Fact]
        public void Never_shows_auth_pass()
        {
            var config = KeepalivedConfig.Parse(Fixture("master.conf"), "/etc/keepalived/keepalived.conf");
            var instance = config.Instances[0];

            Assert.Equal("********", instance.AuthPass!.ToString());
            Assert.DoesNotContain("Zq7-blue", instance.ToString());
            Assert.DoesNotContain("Zq7-blue", config.ToString());
            Assert.Null(typeof(KeepalivedSecret).GetProperties().FirstOrDefault(p => p.PropertyType == typeof(string)));
        }

        [Fact]
        public void Keeps_the_position_of_each_value_so_a_writer_can_edit_in_place()
        {
            var text = Fixture("master.conf");
            var instance = KeepalivedConfig.Parse(text).Instances[0];

            Assert.Equal("120", text.Substring(instance.Priority!.Span.Offset, instance.Priority.Span.Length));
            Assert.Equal("Zq7-blue", text.Substring(instance.AuthPass!.Span.Offset, instance.AuthPass.Span.Length));
            Assert.Equal("nopreempt", text.Substring(instance.NopreemptSpan!.Value.Offset, instance.NopreemptSpan.Value.Length));
            Assert.StartsWith("\"/bin/bash", text.Substring(instance.NotifyMaster!.Span.Offset, instance.NotifyMaster.Span.Length));
            Assert.Equal("10.20.30.40/24 dev ens192 label ens192:9", text.Substring(instance.VirtualIpAddresses[0].Span.Offset, instance.VirtualIpAddresses[0].Span.Length));
            Assert.StartsWith("vrrp_instance", text.Substring(instance.Span.Offset));
            Assert.EndsWith("}", text.Substring(instance.Span.Offset, instance.Span.Length));

            var span = instance.Priority.Span;
            var edited = text.Substring(0, span.Offset) + "130" + text.Substring(span.Offset + span.Length);
            Assert.Equal(130, KeepalivedConfig.Parse(edited).Instances[0].Priority!.Value);
            Assert.Equal(text.Replace("priority 120", "priority 130"), edited);
        }

        [Fact]
        public void Reads_several_instances_comments_quotes_and_a_brace_on_the_next_line()
        {
            const string text = "# two routers on one host\n" +
                "vrrp_script \"check with spaces\" {\n  script \"/usr/bin/test -x /tmp/a b\"  ! trailing comment\n  weight -5\n}\n" +
                "vrrp_instance VI_1\n{\n  state MASTER\n  priority 150 # the primary\n  virtual_router_id 7\n  virtual_ipaddress {\n    192.0.2.10\n    192.0.2.11/32 dev eth3\n  }\n  track_script {\n    \"check with spaces\" weight -30\n  }\n}\n" +
                "vrrp_instance VI_2 { state BACKUP\n priority 90 }\n" +
                "virtual_server 192.0.2.10 80 { delay_loop 6 }\n";
            var config = KeepalivedConfig.Parse(text);

            Assert.Equal(new[] { "VI_1", "VI_2" }, config.Instances.Select(i => i.Name));
            Assert.Equal("/usr/bin/test -x /tmp/a b", config.Script("check with spaces")!.Script!.Value);
            Assert.Equal(-5, config.Script("check with spaces")!.Weight!.Value);
            var first = config.Instances[0];
            Assert.Equal(150, first.Priority!.Value);
            Assert.Equal("check with spaces", Assert.Single(first.TrackScripts).Value);
            Assert.Null(first.VirtualIpAddresses[0].PrefixLength);
            Assert.Equal("eth3", first.VirtualIpAddresses[1].Device);
            Assert.Equal(90, config.Instances[1].Priority!.Value);
            Assert.Equal("BACKUP", config.Instances[1].State!.Value);
        }

        [Theory]
        [InlineData("vrrp_instance VI_1 {\n  state BACKUP\n", 1, "never closed")]
        [InlineData("global_defs {\n}\n}\n", 3, "closes no block")]
        [InlineData("vrrp_script a {\n  script \"/bin/true\n}\n", 2, "not closed")]
        [InlineData("vrrp_instance VI_1 {\n  state BACKUP\n  priority high\n}\n", 3, "whole number")]
        [InlineData("vrrp_instance VI_1 {\n  virtual_ipaddress {\n    10.0.0.300/24\n  }\n}\n", 3, "not an IP address")]
        [InlineData("vrrp_instance VI_1 {\n  virtual_ipaddress {\n    10.0.0.3/abc\n  }\n}\n", 3, "prefix")]
        [InlineData("vrrp_instance {\n}\n", 1, "needs a name")]
        [InlineData("vrrp_instance VI_1\n", 1, "needs a block")]
        [InlineData("\n\n{\n", 3, "does not follow a keyword")]
        public void Refuses_malformed_input_naming_the_line(string text, int line, string problem)
        {
            var error = Assert.Throws<KeepalivedConfigException>(() => KeepalivedConfig.Parse(text, "/etc/keepalived/keepalived.conf"));

            Assert.Equal(line, error.Line);
            Assert.Contains($"/etc/keepalived/keepalived.conf, line {line}: ", error.Message);
            Assert.Contains(problem, error.Message);
        }
    }
}
