using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Topology;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>A host that answers the HA probe from its fields, as a real host's files, /proc and "ip -o addr" would.</summary>
    internal sealed class FakeHaHost : IRemoteHost
    {
        public FakeHaHost(string name, string address) { ComputerName = name; Address = address; }

        public string ComputerName { get; }
        public string UserName => "root";
        public string Address { get; }
        public string? ServerXml { get; set; }
        public string? KeepalivedConf { get; set; }
        public bool KeepalivedUnreadable { get; set; }
        public bool KeepalivedRunning { get; set; } = true;
        public bool NodeRunning { get; set; } = true;
        public List<int> Listening { get; } = new List<int>();
        public List<string> ExtraAddresses { get; } = new List<string>();
        public HashSet<string> ExecutableFiles { get; } = new HashSet<string>();
        public List<string> Commands { get; } = new List<string>();
        /// <summary>The probe dies half-way (e.g. base64 missing): no end marker, an error on stderr.</summary>
        public bool ProbeBreaks { get; set; }

        public static FakeHaHost Master(string name = "ha-a", string address = "10.20.30.11") => new FakeHaHost(name, address)
        {
            ServerXml = ServerXmlOf("master", ""),
            KeepalivedConf = KeepalivedConfigTests.Fixture("master.conf"),
            ExtraAddresses = { "10.20.30.40/24 ens192:9" },
            Listening = { 3323, 3325 },
            ExecutableFiles = { "/opt/hotdb/hotdb-server/bin/check_hotdb_process.sh" },
        };

        public static FakeHaHost Backup(string name = "ha-b", string address = "10.20.30.12", string masterAt = "10.20.30.11:3325") => new FakeHaHost(name, address)
        {
            ServerXml = ServerXmlOf("backup", masterAt),
            KeepalivedConf = KeepalivedConfigTests.Fixture("backup.conf"),
            Listening = { 3325 },
            ExecutableFiles = { "/opt/hotdb/hotdb-server/bin/check_hotdb_process.sh" },
        };

        public static string ServerXmlOf(string haState, string haNodeHost, int haMode = 0) =>
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE hotdb:server SYSTEM \"server.dtd\">\n<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\">\n<system>\n" +
            "<property name=\"url\">jdbc:mysql://10.20.30.5:3306/hotdb_config</property>\n<property name=\"password\">db-secret</property>\n" +
            $"<property name=\"haMode\">{haMode}</property>\n<property name=\"haState\">{haState}</property>\n<property name=\"haNodeHost\">{haNodeHost}</property>\n" +
            "<property name=\"VIP\">10.20.30.40</property>\n</system>\n</hotdb:server>\n";

        public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            Commands.Add(commandLine);
            var output = new StringBuilder();
            if (commandLine.Contains("hotdb-ha-probe") && ProbeBreaks)
                return new CommandResult(ComputerName, commandLine, 127, "@@serverxml\n", "sh: 1: base64: not found", TimeSpan.Zero);
            if (commandLine.Contains("hotdb-ha-probe"))
            {
                if (ServerXml != null)
                {
                    output.Append("@@serverxml\n").Append(Base64(ServerXml)).Append('\n');
                    output.Append("@@jar\nhotdb-server-2.5.3.jar\n@@procs\n");
                    if (NodeRunning) output.Append("4242\n");
                }
                output.Append("@@keepalived\n");
                if (KeepalivedUnreadable) output.Append("unreadable\n");
                else if (KeepalivedConf == null) output.Append("missing\n");
                else output.Append("ok\n").Append(Base64(KeepalivedConf)).Append('\n');
                output.Append("@@keepalivedprocs\n");
                if (KeepalivedRunning) output.Append("311\n312\n");
                output.Append("@@addr\n1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n");
                output.Append($"2: ens192    inet {Address}/24 brd 10.20.30.255 scope global ens192\\       valid_lft forever preferred_lft forever\n");
                foreach (var extra in ExtraAddresses)
                {
                    var parts = extra.Split(' ');
                    output.Append($"2: ens192    inet {parts[0]} scope global secondary {parts[1]}\\       valid_lft forever preferred_lft forever\n");
                }
                output.Append("@@listen\n");
                foreach (var port in Listening) output.Append(port.ToString("X4")).Append('\n');
                output.Append("@@end\n");
            }
            else if (commandLine.Contains("hotdb-ha-scripts"))
            {
                foreach (var file in new[] { "/opt/hotdb/hotdb-server/bin/check_hotdb_process.sh" }.Where(commandLine.Contains))
                    output.Append(ExecutableFiles.Contains(file) ? "x " : "- ").Append(file).Append('\n');
            }
            return new CommandResult(ComputerName, commandLine, 0, output.ToString(), "", TimeSpan.Zero);
        }

        private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

        public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The HA reader must not write.");

        public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The HA reader reads through its probe only.");
    }

    public class HaSwitchChecksTests
    {
        private static IReadOnlyList<HaSwitchCheck> Check(FakeHaHost first, FakeHaHost second, Action<HaNode>? reload = null) =>
            HaSwitchChecks.Run(HaEnvironmentReader.Read(first, second), reload);

        private static string[] Failed(IEnumerable<HaSwitchCheck> checks) =>
            checks.Where(c => c.Status == HaCheckStatus.Failed).Select(c => c.Id + " " + c.Host).ToArray();

        [Fact]
        public void Passes_every_check_on_a_healthy_pair_and_leaves_the_reload_not_verified()
        {
            var checks = Check(FakeHaHost.Master(), FakeHaHost.Backup());

            Assert.Equal(new[] { "HA1", "HA1", "HA2", "HA2", "HA3", "HA3", "HA4", "HA5", "HA5", "HA6" }, checks.Select(c => c.Id));
            Assert.Empty(Failed(checks));
            var reload = Assert.Single(checks, c => c.Id == "HA4");
            Assert.Equal(HaCheckStatus.NotVerified, reload.Status);
            Assert.Null(reload.Passed);
            Assert.NotNull(reload.Remedy);
            Assert.All(checks.Where(c => c.Id != "HA4"), c => { Assert.True(c.Passed); Assert.Null(c.Remedy); });
        }

        [Fact]
        public void Runs_the_reload_on_the_master_only_when_given_and_reports_its_failure()
        {
            var reloadedOn = new List<string>();
            var passed = Check(FakeHaHost.Backup(), FakeHaHost.Master(), n => reloadedOn.Add(n.ComputerName));
            Assert.Equal(new[] { "ha-a" }, reloadedOn);
            Assert.True(passed.Single(c => c.Id == "HA4").Passed);

            var failed = Check(FakeHaHost.Master(), FakeHaHost.Backup(), _ => throw new ManagerPortException("ha-a:3325: reload @@config failed: ERROR 10187: no ConfigDB", 10187));
            var reload = failed.Single(c => c.Id == "HA4");
            Assert.False(reload.Passed);
            Assert.Contains("10187", reload.Actual);
            Assert.Equal(new[] { "HA4 ha-a" }, Failed(failed));
        }

        [Fact]
        public void Decides_the_roles_from_what_is_read_not_from_the_order_given()
        {
            var environment = HaEnvironmentReader.Read(FakeHaHost.Backup(), FakeHaHost.Master());

            Assert.Equal("ha-a", environment.Master.ComputerName);
            Assert.Equal(HaRole.Master, environment.Master.Role);
            Assert.Equal(HaRole.Backup, environment.Backup.Role);
            Assert.Equal("service port open", environment.RoleBasis);
            Assert.Equal("10.20.30.40", environment.Vip!.ToString());
            Assert.Equal("ha-a", Assert.Single(environment.VipHolders).ComputerName);
        }

        [Fact]
        public void Falls_back_to_the_vip_then_to_haState_when_no_node_serves()
        {
            var master = FakeHaHost.Master();
            master.Listening.Remove(3323);
            Assert.Equal("holds the VIP", HaEnvironmentReader.Read(FakeHaHost.Backup(), master).RoleBasis);

            master.ExtraAddresses.Clear();
            var environment = HaEnvironmentReader.Read(FakeHaHost.Backup(), master);
            Assert.Equal("haState master", environment.RoleBasis);
            Assert.Equal("ha-a", environment.Master.ComputerName);
        }

        [Fact]
        public void HA1_fails_when_the_master_does_not_serve_or_the_slave_does()
        {
            var master = FakeHaHost.Master();
            master.Listening.Remove(3323);
            Assert.Equal(new[] { "HA1 ha-a" }, Failed(Check(master, FakeHaHost.Backup())));

            var backup = FakeHaHost.Backup();
            backup.Listening.Add(3323);
            var checks = Check(FakeHaHost.Master(), backup);
            Assert.Equal(new[] { "HA1 ha-b" }, Failed(checks));
            Assert.Contains("service port 3323 open", checks.First(c => c.Id == "HA1" && c.Host == "ha-b").Actual);

            var stopped = FakeHaHost.Backup();
            stopped.NodeRunning = false;
            stopped.Listening.Clear();
            Assert.Equal(new[] { "HA1 ha-b" }, Failed(Check(FakeHaHost.Master(), stopped)));
        }

        [Fact]
        public void HA2_fails_on_a_wrong_haNodeHost_or_haState()
        {
            var checks = Check(FakeHaHost.Master(), FakeHaHost.Backup(masterAt: "10.20.30.40:3325"));
            Assert.Equal(new[] { "HA2 ha-b" }, Failed(checks));
            Assert.Contains("haNodeHost 10.20.30.11:3325", checks.First(c => c.Id == "HA2" && c.Host == "ha-b").Expected);

            Assert.Equal(new[] { "HA2 ha-b" }, Failed(Check(FakeHaHost.Master(), FakeHaHost.Backup(masterAt: "10.20.30.11:3323"))));
            Assert.Empty(Failed(Check(FakeHaHost.Master(), FakeHaHost.Backup(masterAt: "ha-a:3325"))));

            var master = FakeHaHost.Master();
            master.ServerXml = FakeHaHost.ServerXmlOf("master", "10.20.30.12:3325");
            Assert.Equal(new[] { "HA2 ha-a" }, Failed(Check(master, FakeHaHost.Backup())));

            var cluster = FakeHaHost.Backup();
            cluster.ServerXml = FakeHaHost.ServerXmlOf("backup", "10.20.30.11:3325", haMode: 1);
            Assert.Contains("HA2 ha-b", Failed(Check(FakeHaHost.Master(), cluster)));
        }

        [Fact]
        public void HA3_fails_on_nopreempt_on_the_backup_only()
        {
            var backup = FakeHaHost.Backup();
            backup.KeepalivedConf = backup.KeepalivedConf!.Replace("   priority 110", "   nopreempt\n   priority 110");
            var checks = Check(FakeHaHost.Master(), backup);

            Assert.Equal(new[] { "HA3 ha-b" }, Failed(checks));
            Assert.Contains("nopreempt set (line 26)", checks.First(c => c.Id == "HA3" && c.Host == "ha-b").Actual);
        }

        [Theory]
        [InlineData("master", "   nopreempt\n", "", "nopreempt missing")]
        [InlineData("backup", "priority 110", "priority 130", "is not above the backup's")]
        [InlineData("backup", "virtual_router_id 51", "virtual_router_id 52", "virtual_router_id 51")]
        [InlineData("backup", "auth_pass Zq7-blue", "auth_pass Zq7-green", "auth_pass differs")]
        [InlineData("backup", "10.20.30.40/24", "10.20.30.41/24", "VIP 10.20.30.40/24")]
        [InlineData("master", "priority 120", "priority 200", "never hands over")]
        [InlineData("master", "      hotdb_ports\n", "      hotdb_ports\n      hotdb_missing\n", "'hotdb_missing' has no vrrp_script")]
        [InlineData("master", "   notify_master", "   # notify_master", "notify_master missing")]
        [InlineData("master", "priority 120", "priority 1x0", "line 27")]
        public void HA3_fails_when_keepalived_conf_strays_from_the_templates(string side, string from, string to, string named)
        {
            var master = FakeHaHost.Master();
            var backup = FakeHaHost.Backup();
            var host = side == "master" ? master : backup;
            Assert.Contains(from, host.KeepalivedConf!);
            host.KeepalivedConf = host.KeepalivedConf!.Replace(from, to);
            var checks = Check(master, backup);

            var failed = checks.Where(c => c.Status == HaCheckStatus.Failed).ToList();
            Assert.NotEmpty(failed);
            Assert.All(failed, c => Assert.Equal("HA3", c.Id));
            Assert.Contains(failed, c => c.Actual.Contains(named));
            Assert.All(checks, c => Assert.DoesNotContain("Zq7", c.Actual + c.Expected + c.Remedy));
        }

        [Fact]
        public void HA3_fails_when_the_track_script_is_not_executable_or_the_file_is_missing()
        {
            var master = FakeHaHost.Master();
            master.ExecutableFiles.Clear();
            var checks = Check(master, FakeHaHost.Backup());
            Assert.Equal(new[] { "HA3 ha-a" }, Failed(checks));
            Assert.Contains("is not executable", checks.First(c => c.Id == "HA3" && c.Host == "ha-a").Actual);

            var backup = FakeHaHost.Backup();
            backup.KeepalivedConf = null;
            var missing = Check(FakeHaHost.Master(), backup);
            Assert.Contains("does not exist", missing.First(c => c.Id == "HA3" && c.Host == "ha-b").Actual);
            Assert.Contains("HA3 ha-b", Failed(missing));
        }

        [Fact]
        public void HA5_fails_when_keepalived_is_stopped()
        {
            var backup = FakeHaHost.Backup();
            backup.KeepalivedRunning = false;
            var checks = Check(FakeHaHost.Master(), backup);

            Assert.Equal(new[] { "HA5 ha-b" }, Failed(checks));
            Assert.Equal("not running", checks.First(c => c.Id == "HA5" && c.Host == "ha-b").Actual);
        }

        [Fact]
        public void HA6_fails_when_the_vip_is_elsewhere_or_on_both()
        {
            var master = FakeHaHost.Master();
            master.ExtraAddresses.Clear();
            var backup = FakeHaHost.Backup();
            backup.ExtraAddresses.Add("10.20.30.40/24 ens192:9");
            var checks = Check(master, backup);
            Assert.Equal(new[] { "HA6 ha-a" }, Failed(checks));
            Assert.Equal("VIP 10.20.30.40 on ha-b", checks.Single(c => c.Id == "HA6").Actual);

            var both = FakeHaHost.Backup();
            both.ExtraAddresses.Add("10.20.30.40/24 ens192:9");
            var split = Check(FakeHaHost.Master(), both).Single(c => c.Id == "HA6");
            Assert.False(split.Passed);
            Assert.Contains("split brain", split.Remedy);
        }

        [Fact]
        public void Never_passes_a_check_on_a_host_without_HotDB()
        {
            var empty = FakeHaHost.Backup();
            empty.ServerXml = null;
            var checks = Check(FakeHaHost.Master(), empty, _ => { });

            Assert.DoesNotContain(checks, c => c.Host == "ha-b" && c.Status != HaCheckStatus.Failed);
            Assert.Equal(HaCheckStatus.Failed, checks.Single(c => c.Id == "HA4").Status);
            Assert.Equal(HaCheckStatus.Failed, checks.Single(c => c.Id == "HA6").Status);

            var neither = Check(new FakeHaHost("x", "10.0.0.1"), new FakeHaHost("y", "10.0.0.2"), _ => { });
            Assert.All(neither, c => Assert.Equal(HaCheckStatus.Failed, c.Status));
        }

        [Fact]
        public void Reads_each_host_with_one_probe_plus_one_script_test_quoting_every_path()
        {
            var master = FakeHaHost.Master();
            HaEnvironmentReader.Read(master, FakeHaHost.Backup(), "/opt/hot db/it's", "/etc/keepalived/keepalived.conf");

            Assert.Equal(2, master.Commands.Count);
            Assert.Contains(ShellQuote.Quote("/opt/hot db/it's"), master.Commands[0]);
            Assert.Contains(ShellQuote.Quote("/opt/hotdb/hotdb-server/bin/check_hotdb_process.sh"), master.Commands[1]);
            Assert.Throws<ArgumentException>(() => HaEnvironmentReader.Read(master, FakeHaHost.Master()));
        }

        [Fact]
        public void Reports_a_probe_that_did_not_finish_naming_the_host_and_its_error()
        {
            var broken = FakeHaHost.Backup();
            broken.ProbeBreaks = true;

            var error = Assert.Throws<IOException>(() => HaEnvironmentReader.Read(FakeHaHost.Master(), broken));
            Assert.Contains("ha-b", error.Message);
            Assert.Contains("base64: not found", error.Message);
        }

        [Fact]
        public void Reads_a_missing_or_unreadable_keepalived_conf_as_a_problem_not_an_error()
        {
            var host = FakeHaHost.Backup();
            host.KeepalivedUnreadable = true;
            var node = HaEnvironmentReader.ReadNode(host);

            Assert.Null(node.KeepalivedConfig);
            Assert.Contains("not readable", node.KeepalivedConfigProblem);
            Assert.True(node.Installed);
            Assert.Equal("2.5.3", node.Version!.ToString());
            Assert.Equal(HaRole.Backup, node.ConfiguredRole);
        }
    }
}
