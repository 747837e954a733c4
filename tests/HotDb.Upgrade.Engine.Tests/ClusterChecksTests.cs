using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Topology;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>Manager ports that answer from a table: (host, statement) to rows, or to an error.</summary>
    internal sealed class FakeManagerPorts : IManagerPortClient
    {
        public Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string?>>> Answers { get; } = new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string?>>>();
        public Dictionary<string, ManagerPortException> Errors { get; } = new Dictionary<string, ManagerPortException>();
        public List<string> Asked { get; } = new List<string>();

        public IReadOnlyList<IReadOnlyDictionary<string, string?>> Query(string host, int port, string statement, CancellationToken cancellationToken)
        {
            var key = $"{host}:{port} {statement}";
            Asked.Add(key);
            if (Errors.TryGetValue(key, out var error)) throw error;
            if (Answers.TryGetValue(key, out var rows)) return rows;
            throw new ManagerPortException($"{host}:{port}: {statement} failed: connection refused", null);
        }

        public void Cluster(string askedHost, params (string Status, string Host)[] rows) =>
            Answers[$"{askedHost}:3325 show @@cluster"] = rows.Select(r => Row(("status", r.Status), ("host", r.Host), ("port", "3326"), ("server_port", "3323"), ("manager_port", "3325"))).ToList();

        public void Version(string host, string text) => Answers[$"{host}:3325 show @@version"] = new[] { Row(("version", text)) };

        public static IReadOnlyDictionary<string, string?> Row(params (string Name, string? Value)[] columns) =>
            columns.ToDictionary(c => c.Name, c => c.Value, StringComparer.OrdinalIgnoreCase);
    }

    public class ClusterChecksTests : IDisposable
    {
        private const string Members = "10.0.0.41:3326,10.0.0.42:3326,10.0.0.43:3326";
        private static readonly HotDbPackage Target = HotDbPackage.Parse("hotdb-server-2.5.4-ga-20190812.tar.gz");
        private readonly string _scripts = Path.Combine(Path.GetTempPath(), "hotdb-cluster-tests-" + Guid.NewGuid().ToString("N"));

        public ClusterChecksTests() => Directory.CreateDirectory(_scripts);

        public void Dispose() => Directory.Delete(_scripts, true);

        internal static ComputeNodeInfo Member(int serverId, bool running = true, string version = "2.5.3", string built = "20190821", int size = 3, string haNodeHost = Members)
        {
            var address = "10.0.0.4" + serverId;
            return new ComputeNodeInfo(new FakeHaHost("mn" + serverId, address), "/usr/local/hotdb/hotdb-server")
            {
                Installed = true,
                Version = HotDbVersion.Parse(version),
                BuildDate = DateTime.ParseExact(built, "yyyyMMdd", null),
                HaMode = 1,
                ServerId = serverId,
                ClusterName = "HotDB-Cluster-mn",
                ClusterSize = size,
                ClusterHost = address,
                ClusterPort = 3326,
                HaNodeHost = haNodeHost,
                Running = running,
                ProcessId = running ? 4000 + serverId : (int?)null,
                ListeningPorts = running ? new[] { 3323, 3325, 3326 } : Array.Empty<int>(),
            };
        }

        // Every running member answers with itself first, then the others it sees (never a stopped one), as the simulator does.
        private static FakeManagerPorts Healthy(params ComputeNodeInfo[] nodes)
        {
            var ports = new FakeManagerPorts();
            var stopped = nodes.Where(n => !n.Running).Select(n => n.ClusterHost).ToList();
            var rows = new[] { ("PRIMARY", "10.0.0.41"), ("SECONDARY", "10.0.0.42"), ("SECONDARY", "10.0.0.43") }.Where(r => !stopped.Contains(r.Item2)).ToArray();
            foreach (var node in nodes.Where(n => n.Running))
                ports.Cluster(node.ComputerName, rows.Where(r => r.Item2 == node.ClusterHost).Concat(rows.Where(r => r.Item2 != node.ClusterHost)).ToArray());
            return ports;
        }

        private static string[] Failed(IEnumerable<ClusterCheck> checks) =>
            checks.Where(c => c.Status == HaCheckStatus.Failed).Select(c => c.Id + " " + c.Host).ToArray();

        private static IReadOnlyList<ClusterCheck> Check(ComputeNodeInfo[] nodes, FakeManagerPorts? ports = null, HotDbPackage? target = null, bool online = false, string? scripts = null) =>
            ClusterUpgradeChecks.Run(ClusterReader.Build(nodes, ports ?? Healthy(nodes)), target ?? Target, online, scripts);

        [Theory]
        [InlineData("PRIMARY", ClusterMemberStatus.Primary)]
        [InlineData("Secondary", ClusterMemberStatus.Secondary)]
        [InlineData("started", ClusterMemberStatus.Started)]
        [InlineData(" STARTED ", ClusterMemberStatus.Started)]
        [InlineData("LEAVING", ClusterMemberStatus.Absent)]
        [InlineData(null, ClusterMemberStatus.Absent)]
        public void Reads_the_states_of_show_cluster_in_any_case(string? text, ClusterMemberStatus expected) =>
            Assert.Equal(expected, ClusterReader.ParseStatus(text));

        [Fact]
        public void Reads_a_show_cluster_row_and_skips_one_without_host_or_port()
        {
            var row = ClusterReader.ParseRow(FakeManagerPorts.Row(("status", "Secondary"), ("host", "10.0.0.42"), ("port", "3326"), ("server_port", "3323"), ("manager_port", "3325")));
            Assert.NotNull(row);
            Assert.Equal(ClusterMemberStatus.Secondary, row!.Status);
            Assert.Equal("10.0.0.42", row.Host);
            Assert.Equal(3326, row.Port);
            Assert.Equal(3323, row.ServerPort);
            Assert.Equal(3325, row.ManagerPort);
            Assert.Null(ClusterReader.ParseRow(FakeManagerPorts.Row(("status", "PRIMARY"), ("host", "10.0.0.41"))));
            Assert.Null(ClusterReader.ParseRow(FakeManagerPorts.Row(("status", "PRIMARY"), ("host", ""), ("port", "3326"))));
        }

        [Theory]
        [InlineData("5.7.19-HotDB-2.5.3 (build 20190821)", "2.5.3", "20190821")]
        [InlineData("5.7.19-HotDB-2.5.3.1", "2.5.3.1", null)]
        [InlineData("5.1.27-HotDB-2.5.6 build 20201101", "2.5.6", "20201101")]
        public void Reads_the_version_and_build_date_of_show_version(string text, string version, string? built)
        {
            Assert.True(ClusterReader.TryParseVersionText(text, out var parsed, out var date));
            Assert.Equal(HotDbVersion.Parse(version), parsed);
            Assert.Equal(built == null ? (DateTime?)null : DateTime.ParseExact(built, "yyyyMMdd", null), date);
            Assert.False(ClusterReader.TryParseVersionText("5.7.19-log", out _, out _));
        }

        [Fact]
        public void Joins_each_members_own_status_with_its_install_and_orders_by_server_id()
        {
            var nodes = new[] { Member(3), Member(1), Member(2) };
            var cluster = ClusterReader.Build(nodes, Healthy(nodes));

            Assert.Equal(new[] { "mn1", "mn2", "mn3" }, cluster.Members.Select(m => m.DisplayName));
            Assert.Equal(new[] { ClusterMemberStatus.Primary, ClusterMemberStatus.Secondary, ClusterMemberStatus.Secondary }, cluster.Members.Select(m => m.Status));
            Assert.All(cluster.Members, m => { Assert.True(m.StatusSelfReported); Assert.Equal("jar manifest", m.VersionSource); Assert.Equal(HotDbVersion.Parse("2.5.3"), m.Version); });
            Assert.Equal("mn1", cluster.Primary!.DisplayName);
            Assert.Equal("mn1:3325", cluster.ReadFrom);
            Assert.Equal(3, cluster.ConfiguredSize);
        }

        [Fact]
        public void Reads_the_versions_of_members_without_a_session_from_their_manager_ports()
        {
            var only = Member(2);
            var ports = Healthy(only);
            ports.Version("10.0.0.41", "5.7.19-HotDB-2.5.3 (build 20190821)");
            ports.Version("10.0.0.43", "5.7.19-HotDB-2.5.3 (build 20190821)");

            var cluster = ClusterReader.Build(new[] { only }, ports);

            Assert.Equal(3, cluster.Members.Count);
            var primary = cluster.Primary!;
            Assert.Equal("10.0.0.41", primary.DisplayName);
            Assert.False(primary.StatusSelfReported);
            Assert.Equal("show @@version", primary.VersionSource);
            Assert.Equal(new DateTime(2019, 8, 21), primary.BuildDate);
            Assert.Empty(Failed(ClusterUpgradeChecks.Run(cluster, Target, online: true, scriptsFolder: _scripts)));
        }

        [Fact]
        public void Passes_every_check_on_a_healthy_cluster_offline_and_online()
        {
            var nodes = new[] { Member(1), Member(2), Member(3) };
            File.WriteAllText(Path.Combine(_scripts, "hotdb_config_2.5.4.sql"), "CREATE TABLE hotdb_new (id INT PRIMARY KEY);\nALTER TABLE hotdb_user ADD COLUMN note VARCHAR(64) DEFAULT NULL;\n");

            var offline = Check(nodes);
            Assert.Equal(new[] { "CL1", "CL1", "CL1", "CL2", "CL3", "CL4", "CL5", "CL6" }, offline.Select(c => c.Id));
            Assert.All(offline, c => { Assert.True(c.Passed); Assert.Null(c.Remedy); });

            var online = Check(nodes, online: true, scripts: _scripts);
            Assert.Equal(new[] { "CL7", "CL8" }, online.Skip(8).Select(c => c.Id));
            Assert.All(online, c => Assert.True(c.Passed, c.Id + ": " + c.Actual));
        }

        [Fact]
        public void Leaves_the_target_checks_not_verified_without_a_package()
        {
            var nodes = new[] { Member(1), Member(2), Member(3) };
            var checks = ClusterUpgradeChecks.Run(ClusterReader.Build(nodes, Healthy(nodes)), null, online: true, scriptsFolder: null);

            Assert.Equal(new[] { "CL6", "CL8" }, checks.Where(c => c.Status == HaCheckStatus.NotVerified).Select(c => c.Id).ToArray());
            Assert.Empty(Failed(checks));
            Assert.All(checks.Where(c => c.Id is "CL6" or "CL8"), c => Assert.Contains("no -Package", c.Actual));
        }

        [Fact]
        public void Names_a_stopped_member_alone_as_absent()
        {
            var nodes = new[] { Member(1), Member(2), Member(3, running: false) };
            var cluster = ClusterReader.Build(nodes, Healthy(nodes));

            Assert.Equal(ClusterMemberStatus.Absent, cluster.Members.Single(m => m.DisplayName == "mn3").Status);
            var checks = ClusterUpgradeChecks.Run(cluster, Target, false, null);
            Assert.Equal(new[] { "CL1 mn3" }, Failed(checks));
            Assert.Contains("not running", checks.Single(c => c.Status == HaCheckStatus.Failed).Actual);
        }

        [Fact]
        public void Knows_a_stopped_member_without_a_session_from_haNodeHost()
        {
            var nodes = new[] { Member(1), Member(2) };
            var ports = new FakeManagerPorts();
            ports.Cluster("mn1", ("PRIMARY", "10.0.0.41"), ("SECONDARY", "10.0.0.42"));
            ports.Cluster("mn2", ("SECONDARY", "10.0.0.42"), ("PRIMARY", "10.0.0.41"));

            var checks = Check(nodes, ports);

            Assert.Equal(new[] { "CL1 10.0.0.43", "CL5 mn1", "CL6 mn1" }, Failed(checks));
        }

        [Fact]
        public void Names_a_member_waiting_in_Started()
        {
            var nodes = new[] { Member(1), Member(2), Member(3) };
            nodes[2].ListeningPorts = new[] { 3325, 3326 };
            var ports = Healthy(nodes);
            ports.Cluster("mn3", ("STARTED", "10.0.0.43"));

            var checks = Check(nodes, ports);

            Assert.Equal(new[] { "CL1 mn3" }, Failed(checks));
            Assert.Contains("majority", checks.Single(c => c.Status == HaCheckStatus.Failed).Remedy);
        }

        [Fact]
        public void Fails_CL2_alone_when_two_members_claim_primary()
        {
            var nodes = new[] { Member(1), Member(2), Member(3) };
            var ports = Healthy(nodes);
            ports.Cluster("mn2", ("PRIMARY", "10.0.0.42"), ("SECONDARY", "10.0.0.43"));

            var checks = Check(nodes, ports);

            var failed = Assert.Single(checks, c => c.Status == HaCheckStatus.Failed);
            Assert.Equal("CL2", failed.Id);
            Assert.Contains("mn1, mn2", failed.Actual);
        }

        [Fact]
        public void Fails_CL3_alone_when_clusterSize_does_not_match_the_members()
        {
            var nodes = new[] { Member(1, size: 4), Member(2, size: 4), Member(3, size: 4) };
            Assert.Equal(new[] { "CL3 mn1" }, Failed(Check(nodes)));

            var mixed = new[] { Member(1), Member(2, size: 4), Member(3) };
            Assert.Contains("CL3 mn1", Failed(Check(mixed)));
        }

        [Fact]
        public void Fails_CL4_alone_on_a_cluster_of_two()
        {
            const string two = "10.0.0.41:3326,10.0.0.42:3326";
            var nodes = new[] { Member(1, size: 2, haNodeHost: two), Member(2, size: 2, haNodeHost: two) };
            var ports = new FakeManagerPorts();
            ports.Cluster("mn1", ("PRIMARY", "10.0.0.41"), ("SECONDARY", "10.0.0.42"));
            ports.Cluster("mn2", ("SECONDARY", "10.0.0.42"), ("PRIMARY", "10.0.0.41"));

            Assert.Equal(new[] { "CL4 mn1" }, Failed(Check(nodes, ports)));
        }

        [Fact]
        public void Fails_CL5_alone_when_members_run_different_builds()
        {
            var nodes = new[] { Member(1), Member(2, built: "20190901"), Member(3) };
            var failed = Assert.Single(Check(nodes), c => c.Status == HaCheckStatus.Failed);
            Assert.Equal("CL5", failed.Id);
            Assert.Contains("2.5.3 (20190901) on mn2", failed.Actual);
        }

        [Theory]
        [InlineData("hotdb-server-2.5.3-ga-20190821.tar.gz")]
        [InlineData("hotdb-server-2.5.1-ga-20190701.tar.gz")]
        [InlineData("hotdb-management-2.5.6-ga-20201101.tar.gz")]
        public void Fails_CL6_alone_for_a_package_that_is_no_compute_node_upgrade(string package) =>
            Assert.Equal(new[] { "CL6 mn1" }, Failed(Check(new[] { Member(1), Member(2), Member(3) }, target: HotDbPackage.Parse(package))));

        [Theory]
        [InlineData("2.5.3", "20190701")]
        [InlineData("2.5.1", "20190701")]
        [InlineData("2.5.0", "20191201")]
        public void Fails_CL7_alone_online_for_a_source_the_manual_excludes(string version, string built)
        {
            var nodes = new[] { Member(1, version: version, built: built), Member(2, version: version, built: built), Member(3, version: version, built: built) };
            var checks = Check(nodes, online: true, scripts: _scripts);
            Assert.Equal(new[] { "CL7 mn1" }, Failed(checks));
            Assert.DoesNotContain(Check(nodes), c => c.Id == "CL7");
        }

        [Fact]
        public void Passes_CL7_for_a_2_5_1_build_of_20190821()
        {
            var nodes = new[] { Member(1, version: "2.5.1"), Member(2, version: "2.5.1"), Member(3, version: "2.5.1") };
            Assert.Empty(Failed(Check(nodes, online: true, scripts: _scripts)));
        }

        [Fact]
        public void Fails_CL8_alone_when_the_upgrade_sql_changes_existing_columns_and_leaves_it_not_verified_without_scripts()
        {
            var nodes = new[] { Member(1), Member(2), Member(3) };
            File.WriteAllText(Path.Combine(_scripts, "hotdb_config_2.5.4.sql"), "ALTER TABLE hotdb_datanode MODIFY datanode_type VARCHAR(32);\nUPDATE hotdb_datanode SET datanode_type = 'x';\n");
            // A script outside (2.5.3, 2.5.4] is not part of this upgrade.
            File.WriteAllText(Path.Combine(_scripts, "hotdb_config_2.5.3.sql"), "DROP TABLE hotdb_old;\n");

            var checks = Check(nodes, online: true, scripts: _scripts);
            var failed = Assert.Single(checks, c => c.Status == HaCheckStatus.Failed);
            Assert.Equal("CL8", failed.Id);
            Assert.Contains("hotdb_config_2.5.4.sql:1", failed.Actual);
            Assert.DoesNotContain("2.5.3.sql", failed.Actual);

            var unverified = Check(nodes, online: true).Single(c => c.Id == "CL8");
            Assert.Equal(HaCheckStatus.NotVerified, unverified.Status);
            Assert.Null(unverified.Passed);
        }

        [Fact]
        public void Never_passes_a_check_on_a_host_without_HotDB()
        {
            var empty = new ComputeNodeInfo(new FakeHaHost("web1", "10.0.0.99"), "/usr/local/hotdb/hotdb-server");
            var checks = Check(new[] { empty }, new FakeManagerPorts(), online: true, scripts: _scripts);

            Assert.Equal(8, checks.Count);
            Assert.All(checks, c => Assert.False(c.Passed, c.Id));
            Assert.Contains("no HotDB compute node", checks[0].Actual);

            var withStranger = Check(new[] { Member(1), Member(2), Member(3), empty });
            Assert.Contains("CL1 web1", Failed(withStranger));
        }

        [Fact]
        public void Fails_CL1_for_a_session_to_a_node_outside_cluster_mode()
        {
            var pairNode = Member(1);
            pairNode.HaMode = 0;
            var checks = Check(new[] { pairNode, Member(2), Member(3) });
            Assert.Contains("CL1 mn1", Failed(checks));
            Assert.Contains("haMode 0", checks.First(c => c.Host == "mn1").Actual);
        }

        [Fact]
        public void Stops_on_a_refused_manager_port_login()
        {
            var nodes = new[] { Member(1) };
            var ports = new FakeManagerPorts();
            ports.Errors["mn1:3325 show @@cluster"] = new ManagerPortException("mn1:3325: show @@cluster failed: ERROR 1045: Access denied", 1045);
            var error = Assert.Throws<ManagerPortException>(() => ClusterReader.Build(nodes, ports));
            Assert.Equal(1045, error.ErrorNumber);
        }

        [Fact]
        public void Reports_every_member_absent_when_no_manager_port_answers()
        {
            var nodes = new[] { Member(1), Member(2), Member(3) };
            var cluster = ClusterReader.Build(nodes, new FakeManagerPorts());
            Assert.Null(cluster.ReadFrom);
            Assert.All(cluster.Members, m => { Assert.Equal(ClusterMemberStatus.Absent, m.Status); Assert.Contains("connection refused", m.Problem); });
            Assert.Contains("CL2 mn1", Failed(ClusterUpgradeChecks.Run(cluster, Target, false, null)));
        }
    }
}
