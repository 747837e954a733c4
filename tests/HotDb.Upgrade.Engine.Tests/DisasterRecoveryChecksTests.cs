using System;
using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Topology;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class DisasterRecoveryChecksTests
    {
        private static ComputeNodeInfo Node(string name, string address, bool dr, bool serving, bool running = true, bool installed = true)
        {
            var node = new ComputeNodeInfo(new FakeHaHost(name, address), "/usr/local/hotdb/hotdb-server")
            {
                Installed = installed,
                HaMode = dr ? 3 : 0,
                IdcId = dr ? 2 : 0,
                HaState = "master",
                ConfigDbUrl = dr ? "jdbc:mysql://10.0.1.60:3306/hotdb_config" : "jdbc:mysql://10.0.0.10:3306/hotdb_config",
                Running = running,
                ProcessId = running ? 5000 : (int?)null,
                ListeningPorts = !running ? Array.Empty<int>() : serving ? new[] { 3323, 3325 } : new[] { 3325 },
            };
            return node;
        }

        private static ComputeNodeInfo[] MasterCentre() => new[] { Node("ms1", "10.0.0.31", dr: false, serving: true), Backup("ms2", "10.0.0.32") };

        private static ComputeNodeInfo Backup(string name, string address)
        {
            var node = Node(name, address, dr: false, serving: false);
            node.HaState = "backup";
            return node;
        }

        private static ComputeNodeInfo[] DrCentre() => new[] { Node("dr1", "10.0.1.61", dr: true, serving: false), Node("dr2", "10.0.1.62", dr: true, serving: false) };

        private static ConfigDbReplicationState Replicating()
        {
            var state = new ConfigDbReplicationState { ReplicaServer = "10.0.1.60:3306", IsReplica = true, SourceServer = "10.0.0.10:3306" };
            ConfigDbReplication.Fill(state, FakeManagerPorts.Row(("Master_Host", "10.0.0.10"), ("Master_Port", "3306"), ("Slave_IO_Running", "Yes"),
                ("Slave_SQL_Running", "Yes"), ("Seconds_Behind_Master", "0"), ("Using_Gtid", "Slave_Pos"), ("Master_Log_File", "mysql-bin.000002"),
                ("Read_Master_Log_Pos", "4711"), ("Relay_Master_Log_File", "mysql-bin.000002"), ("Exec_Master_Log_Pos", "4711"), ("Last_IO_Error", ""), ("Last_SQL_Error", "")));
            state.SourceBinlogFile = "mysql-bin.000002";
            state.SourceBinlogPosition = 4711;
            return state;
        }

        private static string[] Failed(IEnumerable<ClusterCheck> checks) =>
            checks.Where(c => c.Status == HaCheckStatus.Failed).Select(c => c.Id + " " + c.Host).ToArray();

        [Fact]
        public void Passes_every_check_on_a_healthy_estate()
        {
            var checks = DisasterRecoveryChecks.Run(MasterCentre(), DrCentre(), Replicating());
            Assert.Equal(new[] { "DR1", "DR1", "DR2", "DR2", "DR3", "DR4" }, checks.Select(c => c.Id));
            Assert.All(checks, c => { Assert.True(c.Passed, c.Id + ": " + c.Actual); Assert.Null(c.Remedy); });
        }

        [Fact]
        public void Accepts_a_stopped_DR_centre_node()
        {
            var dr = new[] { Node("dr1", "10.0.1.61", dr: true, serving: false, running: false), DrCentre()[1] };
            Assert.Empty(Failed(DisasterRecoveryChecks.Run(MasterCentre(), dr, Replicating())));
        }

        [Fact]
        public void Names_stopped_replication_alone()
        {
            var state = Replicating();
            state.IoRunning = "No";
            state.SqlRunning = "No";
            state.SecondsBehindSource = null;
            var checks = DisasterRecoveryChecks.Run(MasterCentre(), DrCentre(), state);
            Assert.Equal(new[] { "DR3 10.0.1.60:3306" }, Failed(checks));
            Assert.Contains("IO thread No, SQL thread No", checks.Single(c => c.Id == "DR3").Actual);
        }

        [Theory]
        [InlineData("lag")]
        [InlineData("gtid")]
        [InlineData("unapplied")]
        [InlineData("behind-source")]
        public void Names_a_replica_that_has_not_caught_up(string problem)
        {
            var state = Replicating();
            switch (problem)
            {
                case "lag": state.SecondsBehindSource = 12; break;
                case "gtid": state.GtidMode = "No"; break;
                case "unapplied": state.ExecutedSourceLogPosition = 4000; break;
                default: state.SourceBinlogPosition = 9000; break;
            }
            Assert.Equal(new[] { "DR3 10.0.1.60:3306" }, Failed(DisasterRecoveryChecks.Run(MasterCentre(), DrCentre(), state)));
        }

        [Fact]
        public void Fails_DR3_and_DR4_when_the_DR_ConfigDB_is_no_replica_or_unreadable()
        {
            var none = new ConfigDbReplicationState { ReplicaServer = "10.0.1.60:3306" };
            Assert.Equal(new[] { "DR3 10.0.1.60:3306", "DR4 ms1" }, Failed(DisasterRecoveryChecks.Run(MasterCentre(), DrCentre(), none)));
            var unknown = ConfigDbReplication.Unknown("no DR-centre server.xml names a ConfigDB");
            Assert.Contains("DR3 (DR ConfigDB unknown)", Failed(DisasterRecoveryChecks.Run(MasterCentre(), DrCentre(), unknown)));
        }

        [Fact]
        public void Names_a_DR_centre_node_that_serves_as_an_IDC_switch()
        {
            var dr = new[] { Node("dr1", "10.0.1.61", dr: true, serving: true), DrCentre()[1] };
            var checks = DisasterRecoveryChecks.Run(MasterCentre(), dr, Replicating());
            Assert.Equal(new[] { "DR2 dr1", "DR4 ms1" }, Failed(checks));
            Assert.Contains("online_dr", checks.Single(c => c.Id == "DR2" && c.Host == "dr1").Remedy);
        }

        [Fact]
        public void Fails_DR4_alone_when_the_DR_ConfigDB_replicates_from_elsewhere()
        {
            var state = Replicating();
            state.SourceHost = "10.0.9.9";
            Assert.Equal(new[] { "DR4 ms1" }, Failed(DisasterRecoveryChecks.Run(MasterCentre(), DrCentre(), state)));
        }

        [Fact]
        public void Names_a_stopped_master_centre_node_and_a_node_given_to_the_wrong_IDC()
        {
            var stopped = new[] { Node("ms1", "10.0.0.31", dr: false, serving: false, running: false), Backup("ms2", "10.0.0.32") };
            Assert.Equal(new[] { "DR1 ms1", "DR4 ms1" }, Failed(DisasterRecoveryChecks.Run(stopped, DrCentre(), Replicating())));

            var swapped = DisasterRecoveryChecks.Run(DrCentre(), MasterCentre(), Replicating());
            Assert.Equal(new[] { "DR1 dr1", "DR1 dr2", "DR2 ms1", "DR2 ms2", "DR4 dr1" }, Failed(swapped));
        }

        [Fact]
        public void Never_passes_a_check_on_a_host_without_HotDB()
        {
            var empty = new[] { Node("web1", "10.0.0.99", dr: false, serving: false, installed: false) };
            var emptyDr = new[] { Node("web2", "10.0.1.99", dr: true, serving: false, installed: false) };
            var checks = DisasterRecoveryChecks.Run(empty, emptyDr, Replicating());
            Assert.Equal(new[] { "DR1 web1", "DR2 web2", "DR4 web1" }, Failed(checks));
            Assert.Contains("no HotDB compute node", checks[0].Actual);
        }

        [Fact]
        public void Reads_MySQL_8_column_names_as_well()
        {
            var state = new ConfigDbReplicationState();
            ConfigDbReplication.Fill(state, FakeManagerPorts.Row(("Source_Host", "10.0.0.10"), ("Source_Port", "3306"), ("Replica_IO_Running", "Yes"),
                ("Replica_SQL_Running", "Yes"), ("Seconds_Behind_Source", "0"), ("Auto_Position", "1"), ("Source_Log_File", "binlog.000003"),
                ("Read_Source_Log_Pos", "157"), ("Relay_Source_Log_File", "binlog.000003"), ("Exec_Source_Log_Pos", "157")));
            Assert.Equal("10.0.0.10", state.SourceHost);
            Assert.True(state.ThreadsRunning);
            Assert.True(state.UsesGtid);
            Assert.Equal(157, state.ExecutedSourceLogPosition);
        }

        [Fact]
        public void The_DR_centre_alone_passes_when_standing_by_and_fed_by_the_master_ConfigDB()
        {
            var checks = DisasterRecoveryChecks.RunForDrCentre(DrCentre(), Replicating(), "10.0.0.10");
            Assert.Equal(new[] { "DR2", "DR2", "DR3", "DR4" }, checks.Select(c => c.Id));
            Assert.Empty(Failed(checks));
        }

        [Fact]
        public void The_DR_centre_alone_fails_on_stopped_replication_another_source_or_a_serving_DR_node()
        {
            var stopped = Replicating();
            stopped.SqlRunning = "No";
            Assert.Equal(new[] { "DR3 10.0.1.60:3306" }, Failed(DisasterRecoveryChecks.RunForDrCentre(DrCentre(), stopped, "10.0.0.10")));
            Assert.Equal(new[] { "DR4 dr1" }, Failed(DisasterRecoveryChecks.RunForDrCentre(DrCentre(), Replicating(), "10.0.0.99")));
            var switched = new[] { Node("dr1", "10.0.1.61", dr: true, serving: true), Node("dr2", "10.0.1.62", dr: true, serving: false) };
            Assert.Equal(new[] { "DR2 dr1", "DR4 dr1" }, Failed(DisasterRecoveryChecks.RunForDrCentre(switched, Replicating(), "10.0.0.10")));
        }
    }
}
