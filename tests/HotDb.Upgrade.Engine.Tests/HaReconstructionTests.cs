using System.Linq;
using HotDb.Upgrade.Ha;
using HotDb.Upgrade.Topology;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class HaReconstructionTests
    {
        private const string KeepalivedPath = "/etc/keepalived/keepalived.conf";
        private const string ServerXml = "/usr/local/hotdb/hotdb-server/conf/server.xml";

        // After a failover: ha-b (the old backup) holds the VIP and serves; ha-a's node is down; the files still name the old roles.
        private static (FakeHaHost A, FakeHaHost B) Switched()
        {
            var a = FakeHaHost.Master();
            a.ExtraAddresses.Clear();
            a.Listening.Clear();
            a.NodeRunning = false;
            var b = FakeHaHost.Backup();
            b.ExtraAddresses.Add("10.20.30.40/24 ens192:9");
            b.Listening.Add(3323);
            return (a, b);
        }

        private static HaReconstruction Plan(FakeHaHost first, FakeHaHost second) => HaReconstruction.Plan(HaEnvironmentReader.Read(first, second));

        [Fact]
        public void Makes_the_VIP_holder_master_and_the_other_host_backup_in_both_files()
        {
            var (a, b) = Switched();

            var plan = Plan(a, b);

            Assert.Equal("ha-b", plan.Master.ComputerName);
            Assert.Equal("ha-a", plan.Backup.ComputerName);
            Assert.Equal("10.20.30.12:3325", plan.MasterAddress);
            Assert.Equal((120, 110), (plan.MasterPriority, plan.BackupPriority));
            Assert.Equal(new[]
            {
                $"ha-b {ServerXml}: haState backup -> master",
                $"ha-b {ServerXml}: haNodeHost 10.20.30.11:3325 -> (empty)",
                $"ha-b {KeepalivedPath}: HOTDB_BLUE vrrp_script hotdb_ports script /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh connect_backup -> /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh connect_master",
                $"ha-b {KeepalivedPath}: HOTDB_BLUE nopreempt (absent) -> nopreempt",
                $"ha-b {KeepalivedPath}: HOTDB_BLUE priority 110 -> 120",
                $"ha-b {KeepalivedPath}: HOTDB_BLUE notify_master /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_master -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_master",
                $"ha-b {KeepalivedPath}: HOTDB_BLUE notify_backup /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_backup -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_backup",
                $"ha-b {KeepalivedPath}: HOTDB_BLUE notify_fault /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_backup -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_backup",
                $"ha-a {ServerXml}: haState master -> backup",
                $"ha-a {ServerXml}: haNodeHost (empty) -> 10.20.30.12:3325",
                $"ha-a {KeepalivedPath}: HOTDB_BLUE vrrp_script hotdb_ports script /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh connect_master -> /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh connect_backup",
                $"ha-a {KeepalivedPath}: HOTDB_BLUE nopreempt nopreempt -> (absent)",
                $"ha-a {KeepalivedPath}: HOTDB_BLUE priority 120 -> 110",
                $"ha-a {KeepalivedPath}: HOTDB_BLUE notify_master /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_master -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_master",
                $"ha-a {KeepalivedPath}: HOTDB_BLUE notify_backup /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_backup -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_backup",
                $"ha-a {KeepalivedPath}: HOTDB_BLUE notify_fault /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh master_notify_backup -> /bin/bash /opt/hotdb/hotdb-server/bin/check_hotdb_process.sh backup_notify_backup",
            }, plan.Changes.Select(c => c.ToString()));
            Assert.All(plan.Changes, c => Assert.Null(c.BackupPath));
            Assert.Equal(new[]
            {
                "ha-a: service keepalived stop (the host without the VIP)",
                $"ha-b: back up {ServerXml} (0600) and write it",
                $"ha-b: back up {KeepalivedPath} (0600) and write it",
                $"ha-a: back up {ServerXml} (0600) and write it",
                $"ha-a: back up {KeepalivedPath} (0600) and write it",
                "ha-b: service keepalived reload",
                "ha-a: start the compute node (manager port only)",
                "ha-a: service keepalived start",
            }, plan.PlannedActions);
            Assert.False(plan.IsAlreadyDone());
            Assert.DoesNotContain(a.Commands, c => !c.Contains("hotdb-ha-probe") && !c.Contains("hotdb-ha-scripts"));
        }

        [Fact]
        public void The_rewritten_files_pass_the_template_and_server_xml_checks_for_the_new_roles()
        {
            var (a, b) = Switched();
            var plan = Plan(a, b);
            a.ServerXml = FakeHaHost.ServerXmlOf("backup", "10.20.30.12:3325");
            b.ServerXml = FakeHaHost.ServerXmlOf("master", "");
            a.KeepalivedConf = KeepalivedConfigTests.Fixture("backup.conf");
            b.KeepalivedConf = KeepalivedConfigTests.Fixture("master.conf");

            var again = Plan(a, b);

            Assert.NotEmpty(plan.Changes);
            Assert.Empty(again.Changes);
            var checks = HaSwitchChecks.Run(again.Environment);
            Assert.DoesNotContain(checks, c => (c.Id == "HA2" || c.Id == "HA3") && c.Status != HaCheckStatus.Passed);
        }

        [Fact]
        public void A_healthy_pair_needs_nothing()
        {
            var plan = Plan(FakeHaHost.Backup(), FakeHaHost.Master());

            Assert.Equal("ha-a", plan.Master.ComputerName);
            Assert.Empty(plan.Changes);
            Assert.Empty(plan.PlannedActions);
            Assert.True(plan.IsAlreadyDone());
            Assert.Contains("already done", plan.Describe());
        }

        [Fact]
        public void Only_starts_what_is_down_when_the_files_are_already_right()
        {
            var backup = FakeHaHost.Backup();
            backup.NodeRunning = false;
            backup.Listening.Clear();
            backup.KeepalivedRunning = false;

            var plan = Plan(FakeHaHost.Master(), backup);

            Assert.Empty(plan.Changes);
            Assert.Equal(new[] { "ha-b: start the compute node (manager port only)", "ha-b: service keepalived start" }, plan.PlannedActions);
        }

        [Fact]
        public void Uses_the_template_priorities_when_the_pair_has_equal_ones()
        {
            var (a, b) = Switched();
            b.KeepalivedConf = b.KeepalivedConf!.Replace("priority 110", "priority 120");

            var plan = Plan(a, b);

            Assert.Equal((100, 95), (plan.MasterPriority, plan.BackupPriority));
        }

        [Theory]
        [InlineData(true, "HaVipHolderUnknown", "Both hosts hold")]
        [InlineData(false, "HaVipHolderUnknown", "No host holds")]
        public void Refuses_without_exactly_one_VIP_holder(bool both, string errorId, string message)
        {
            var (a, b) = Switched();
            if (both) a.ExtraAddresses.Add("10.20.30.40/24 ens192:9"); else b.ExtraAddresses.Clear();

            var e = Assert.Throws<HaOperationException>(() => Plan(a, b));

            Assert.Equal(errorId, e.ErrorId);
            Assert.True(e.Refused);
            Assert.Contains(message, e.Message);
            Assert.DoesNotContain("Zq7-blue", e.ToString());
        }

        [Fact]
        public void Refuses_a_host_whose_keepalived_conf_cannot_be_read()
        {
            var (a, b) = Switched();
            a.KeepalivedUnreadable = true;

            var e = Assert.Throws<HaOperationException>(() => Plan(a, b));

            Assert.Equal("HaKeepalivedUnreadable", e.ErrorId);
            Assert.Contains("ha-a", e.Message);
        }
    }
}

namespace HotDb.Upgrade.Tests
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Threading;
    using HotDb.Upgrade.Remote;
    using HotDb.Upgrade.Stages;

    /// <summary>
    /// A pair host whose files are real files under its own folder of this machine (written through the real shell
    /// and the carry-over's writer), while the HA probe and the keepalived service answer as <see cref="FakeHaHost"/>.
    /// </summary>
    internal sealed class FileBackedHaHost : IRemoteHost
    {
        public const string ServerXml = "/usr/local/hotdb/hotdb-server/conf/server.xml";
        public const string Keepalived = "/etc/keepalived/keepalived.conf";
        private readonly LocalHost _local = new LocalHost();

        public FileBackedHaHost(FakeHaHost fake, string root)
        {
            Fake = fake;
            Root = root;
            foreach (var (path, text) in new[] { (ServerXml, fake.ServerXml!), (Keepalived, fake.KeepalivedConf!) })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Local(path))!);
                File.WriteAllText(Local(path), text);
            }
        }

        public FakeHaHost Fake { get; }
        public string Root { get; }
        public string ComputerName => Fake.ComputerName;
        public string UserName => _local.UserName;
        /// <summary>"service keepalived ACTION" lines run, in order.</summary>
        public List<string> Services { get; } = new List<string>();
        /// <summary>The service action that fails once (e.g. "reload").</summary>
        public string? FailingService { get; set; }

        public string Local(string path) => Root + path;

        private string Translate(string text) => text.Replace(ServerXml, Local(ServerXml)).Replace(Keepalived, Local(Keepalived));

        public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (commandLine.Contains("hotdb-ha-probe") || commandLine.Contains("hotdb-ha-scripts"))
            {
                Fake.ServerXml = File.ReadAllText(Local(ServerXml));
                Fake.KeepalivedConf = File.ReadAllText(Local(Keepalived));
                return Fake.Run(commandLine, elevate, timeout, cancellationToken);
            }
            if (commandLine.StartsWith("service keepalived ", StringComparison.Ordinal))
            {
                var action = commandLine.Split(' ')[2];
                Services.Add(action);
                if (action == FailingService && (FailingService = null) == null) return new CommandResult(ComputerName, commandLine, 1, "", "keepalived: configuration error", TimeSpan.Zero);
                if (action != "reload") Fake.KeepalivedRunning = action == "start";
                return new CommandResult(ComputerName, commandLine, 0, "", "", TimeSpan.Zero);
            }
            if (commandLine.Contains("/proc/[0-9]*") && commandLine.Contains("keepalived"))
                return new CommandResult(ComputerName, commandLine, 0, Fake.KeepalivedRunning ? "311\n" : "", "", TimeSpan.Zero);
            // Paths the command prints (a backup's chosen name) are the host's, not the test folder's.
            var result = _local.Run(Translate(commandLine), elevate, timeout, cancellationToken);
            return new CommandResult(ComputerName, commandLine, result.ExitCode, Untranslate(result.StandardOutput), Untranslate(result.StandardError), result.Duration);
        }

        private string Untranslate(string text) => text.Replace(Local(ServerXml), ServerXml).Replace(Local(Keepalived), Keepalived);

        /// <summary>The link drops once when a file whose path starts with this is written (SFTP gets no answer).</summary>
        public string? CutOnWrite { get; set; }

        public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default)
        {
            if (CutOnWrite != null && remotePath.StartsWith(CutOnWrite, StringComparison.Ordinal))
            {
                CutOnWrite = null;
                throw RemoteTimeoutException.HostNotAnswering($"{ComputerName}: writing {remotePath} got no answer in time; the connection may be broken.", new IOException("link down"));
            }
            _local.WriteFile(Translate(remotePath), content, mode, bytesWritten, cancellationToken);
        }

        public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default) =>
            _local.ReadFile(Translate(remotePath), destination, bytesRead, cancellationToken);
    }

    internal sealed class RecordingProgress : IStageProgress
    {
        public List<string> Lines { get; } = new List<string>();
        public void Report(string status, int percent = -1) => Lines.Add(status);
        public void Note(string message) => Lines.Add(message);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class HaReconstructionRollbackTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "hotdb-haops-" + Guid.NewGuid().ToString("N"));

        public void Dispose() => Directory.Delete(_root, recursive: true);

        [Fact]
        public void A_network_cut_while_writing_the_backup_hosts_file_fails_clearly_and_restores_what_was_written()
        {
            var a = FakeHaHost.Master();
            a.ExtraAddresses.Clear();
            a.Listening.Clear();
            a.NodeRunning = false;
            var b = FakeHaHost.Backup();
            b.ExtraAddresses.Add("10.20.30.40/24 ens192:9");
            b.Listening.Add(3323);
            // The new master's two files are written first; the cut hits the backup's server.xml, the third write.
            var hostA = new FileBackedHaHost(a, Path.Combine(_root, "a")) { CutOnWrite = FileBackedHaHost.ServerXml };
            var hostB = new FileBackedHaHost(b, Path.Combine(_root, "b"));
            var files = new[] { hostA, hostB }.SelectMany(h => new[] { h.Local(FileBackedHaHost.ServerXml), h.Local(FileBackedHaHost.Keepalived) }).ToList();
            var before = files.Select(File.ReadAllBytes).ToList();
            var operation = HaReconstruction.Plan(HaEnvironmentReader.Read(hostA, hostB, "/usr/local/hotdb/hotdb-server", FileBackedHaHost.Keepalived));

            var e = Assert.Throws<HaOperationException>(() => operation.Execute(new RecordingProgress(), CancellationToken.None));

            Assert.Equal("HaReconstructionFailed", e.ErrorId);
            Assert.Contains($"ha-a: write {FileBackedHaHost.ServerXml}", e.Message);
            Assert.Contains("got no answer in time", e.Message);
            Assert.Contains("Every written file was restored", e.Message);
            Assert.True(Assert.IsType<HaReconstructionResult>(e.Result).RolledBack);
            Assert.Equal(before, files.Select(File.ReadAllBytes));
            // ha-b's two files came back from their backups; nothing is left for a journal to restore.
            Assert.Empty(operation.WrittenFiles);
            Assert.Equal(new[] { "stop", "start" }, hostA.Services);
            Assert.Empty(hostB.Services);
            Assert.True(a.KeepalivedRunning);
        }

        [Fact]
        public void A_failure_part_way_restores_every_written_file_and_restarts_the_stopped_keepalived()
        {
            var a = FakeHaHost.Master();
            a.ExtraAddresses.Clear();
            a.Listening.Clear();
            a.NodeRunning = false;
            var b = FakeHaHost.Backup();
            b.ExtraAddresses.Add("10.20.30.40/24 ens192:9");
            b.Listening.Add(3323);
            var hostA = new FileBackedHaHost(a, Path.Combine(_root, "a"));
            var hostB = new FileBackedHaHost(b, Path.Combine(_root, "b")) { FailingService = "reload" };
            var files = new[] { hostA, hostB }.SelectMany(h => new[] { h.Local(FileBackedHaHost.ServerXml), h.Local(FileBackedHaHost.Keepalived) }).ToList();
            var before = files.Select(File.ReadAllBytes).ToList();
            var operation = HaReconstruction.Plan(HaEnvironmentReader.Read(hostA, hostB, "/usr/local/hotdb/hotdb-server", FileBackedHaHost.Keepalived));

            var e = Assert.Throws<HaOperationException>(() => operation.Execute(new RecordingProgress(), CancellationToken.None));

            Assert.Equal("HaReconstructionFailed", e.ErrorId);
            Assert.Contains("service keepalived reload", e.Message);
            Assert.DoesNotContain("Zq7-blue", e.ToString());
            var result = Assert.IsType<HaReconstructionResult>(e.Result);
            Assert.True(result.RolledBack);
            Assert.Equal(before, files.Select(File.ReadAllBytes));
            Assert.Equal(new[] { "stop", "start" }, hostA.Services);
            Assert.Equal(new[] { "reload", "reload" }, hostB.Services);
            Assert.True(a.KeepalivedRunning);
            var backups = result.Changes.Select(c => c.ComputerName + ":" + c.BackupPath).Distinct().ToList();
            Assert.Equal(4, backups.Count);
            foreach (var change in result.Changes)
            {
                var host = change.ComputerName == "ha-a" ? hostA : hostB;
                var backup = host.Local(change.BackupPath!);
                Assert.Equal(File.ReadAllBytes(host.Local(change.File)), File.ReadAllBytes(backup));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
            }
        }
    }
}
