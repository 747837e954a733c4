using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using HotDb.Upgrade.ComputeNode;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// The state the manual asks of a DR estate before its upgrade (3.7): both IDCs' compute nodes in their
    /// documented states, ConfigDB replication master centre to DR centre running and caught up, no IDC switch.
    /// </summary>
    public static class DisasterRecoveryChecks
    {
        private const string NoNodeRemedy = "Give the compute node's directory with -InstallPath, or a session to a host that runs a compute node of that IDC.";

        public static IReadOnlyList<ClusterCheck> Run(IReadOnlyList<ComputeNodeInfo> masterCentre, IReadOnlyList<ComputeNodeInfo> drCentre, ConfigDbReplicationState replication)
        {
            if (masterCentre is null) throw new ArgumentNullException(nameof(masterCentre));
            if (drCentre is null) throw new ArgumentNullException(nameof(drCentre));
            if (replication is null) throw new ArgumentNullException(nameof(replication));
            var checks = new List<ClusterCheck>();
            foreach (var node in masterCentre) checks.Add(MasterCentreNode(node));
            foreach (var node in drCentre) checks.Add(DrCentreNode(node));
            checks.Add(Replication(replication));
            checks.Add(NoIdcSwitch(masterCentre, drCentre, replication));
            return checks;
        }

        /// <summary>
        /// DR2..DR4 seen from the DR centre alone, for the DR centre's own upgrade (the master centre was upgraded and
        /// checked before, while it served): its nodes on standby, replication running and caught up, fed by
        /// <paramref name="masterConfigDbHost"/> and no DR node serving.
        /// </summary>
        public static IReadOnlyList<ClusterCheck> RunForDrCentre(IReadOnlyList<ComputeNodeInfo> drCentre, ConfigDbReplicationState replication, string masterConfigDbHost)
        {
            if (drCentre is null) throw new ArgumentNullException(nameof(drCentre));
            if (replication is null) throw new ArgumentNullException(nameof(replication));
            var checks = drCentre.Select(DrCentreNode).ToList();
            checks.Add(Replication(replication));
            var problems = new List<string>();
            var drServing = drCentre.Where(n => n.Installed && n.ServerPortOpen).Select(n => n.ComputerName).ToList();
            if (drServing.Count > 0) problems.Add($"DR-centre {string.Join(", ", drServing)} serve{(drServing.Count == 1 ? "s" : "")}");
            if (replication.Problem != null || !replication.IsReplica) problems.Add("the DR ConfigDB's replication source is unknown");
            else if (!SameHost(replication.SourceHost, masterConfigDbHost))
                problems.Add($"the DR ConfigDB replicates from {replication.SourceHost}, not from the master centre's ConfigDB {masterConfigDbHost}");
            checks.Add(ClusterCheck.Result("DR4", "No IDC switch in effect", drCentre.FirstOrDefault()?.ComputerName ?? replication.ReplicaServer, problems.Count == 0,
                $"no DR-centre node serves, the DR ConfigDB replicates from the master centre's ConfigDB ({masterConfigDbHost})",
                problems.Count == 0 ? $"no DR-centre node serves; the DR ConfigDB replicates from {replication.SourceHost}" : string.Join("; ", problems),
                "Repair the failed IDC and switch back before the upgrade (manual 3.7): the master centre must serve and feed the DR centre."));
            return checks;
        }

        internal static ClusterCheck MasterCentreNode(ComputeNodeInfo node)
        {
            const string id = "DR1", name = "Master-centre compute node serving";
            var expected = $"a master-centre node (idcId not 2, haMode not 3/5), running, ports as its {node.Role} role";
            if (!node.Installed) return ClusterCheck.Result(id, name, node.ComputerName, false, expected, $"no HotDB compute node in {node.InstallPath}", NoNodeRemedy);
            var actual = $"haMode {node.HaMode}, idcId {node.IdcId}; {Ports(node)}";
            var ok = !node.IsDrCentre && node.Healthy;
            return ClusterCheck.Result(id, name, node.ComputerName, ok, expected, actual, node.IsDrCentre
                ? $"{node.ComputerName} is configured as a DR-centre node: give it with -DrSession, and the master centre's nodes with -Session."
                : $"Start the compute node on {node.ComputerName} (Start-HotDbComputeNode) and repair the IDC before the upgrade (manual 3.7).");
        }

        internal static ClusterCheck DrCentreNode(ComputeNodeInfo node)
        {
            const string id = "DR2", name = "DR-centre compute node on standby";
            const string expected = "a DR-centre node (haMode 3 or 5, or idcId 2), stopped or with only its manager port open";
            if (!node.Installed) return ClusterCheck.Result(id, name, node.ComputerName, false, expected, $"no HotDB compute node in {node.InstallPath}", NoNodeRemedy);
            var actual = $"haMode {node.HaMode}, idcId {node.IdcId}; {Ports(node)}";
            var stopped = !node.Running && !node.ServerPortOpen && !node.ManagerPortOpen;
            var standing = node.Running && node.ManagerPortOpen && !node.ServerPortOpen;
            var ok = node.IsDrCentre && (stopped || standing);
            return ClusterCheck.Result(id, name, node.ComputerName, ok, expected, actual, !node.IsDrCentre
                ? $"{node.ComputerName} is not configured as a DR-centre node (haMode 3/5 or idcId 2): check its server.xml and which IDC it belongs to."
                : node.ServerPortOpen
                    ? $"{node.ComputerName} serves on {node.ServerPort}: an IDC switch (online_dr) or a manual online happened; repair the IDCs first (manual 3.7)."
                    : $"{node.ComputerName} runs without its manager port: restart it (Start-HotDbComputeNode) or stop it.");
        }

        internal static ClusterCheck Replication(ConfigDbReplicationState state)
        {
            const string id = "DR3", name = "ConfigDB replication master centre to DR centre";
            const string expected = "the DR ConfigDB replicates: IO and SQL threads running, 0 s behind, GTID in use, everything read applied and read up to the source's binlog position";
            string actual;
            var ok = false;
            if (state.Problem != null) actual = state.Problem;
            else if (!state.IsReplica) actual = $"{state.ReplicaServer} is not a replica (no replication status)";
            else
            {
                var problems = new List<string>();
                if (!state.ThreadsRunning) problems.Add($"IO thread {state.IoRunning ?? "?"}, SQL thread {state.SqlRunning ?? "?"}");
                if (state.SecondsBehindSource != 0) problems.Add(state.SecondsBehindSource == null ? "lag unknown (NULL)" : $"{state.SecondsBehindSource} s behind");
                if (!state.UsesGtid) problems.Add($"GTID not in use ({state.GtidMode ?? "unknown"})");
                if (state.ExecutedSourceLogFile != state.SourceLogFile || state.ExecutedSourceLogPosition != state.ReadSourceLogPosition)
                    problems.Add($"applied {state.ExecutedSourceLogFile}:{state.ExecutedSourceLogPosition} of {state.SourceLogFile}:{state.ReadSourceLogPosition} read");
                if (state.SourceBinlogFile != null && (state.SourceBinlogFile != state.SourceLogFile || state.SourceBinlogPosition != state.ReadSourceLogPosition))
                    problems.Add($"read {state.SourceLogFile}:{state.ReadSourceLogPosition}, the source is at {state.SourceBinlogFile}:{state.SourceBinlogPosition}");
                if (state.SourceProblem != null) problems.Add("source position unknown: " + state.SourceProblem);
                if (state.LastError != null) problems.Add("last error: " + state.LastError);
                ok = problems.Count == 0;
                actual = ok ? $"from {state.SourceHost}:{state.SourcePort}: threads running, 0 s behind, GTID {state.GtidMode}, at {state.SourceLogFile}:{state.ReadSourceLogPosition}"
                    : $"from {state.SourceHost}:{state.SourcePort}: " + string.Join("; ", problems);
            }
            return ClusterCheck.Result(id, name, state.ReplicaServer, ok, expected, actual,
                "Repair the replication on the DR ConfigDB (SHOW SLAVE STATUS names the error; START SLAVE once fixed) and let it catch up before the upgrade: the DR centre receives the upgrade SQL only through it.");
        }

        internal static ClusterCheck NoIdcSwitch(IReadOnlyList<ComputeNodeInfo> masterCentre, IReadOnlyList<ComputeNodeInfo> drCentre, ConfigDbReplicationState state)
        {
            const string id = "DR4", name = "No IDC switch in effect";
            var sourceHost = masterCentre.Where(n => n.Installed).Select(n => n.ConfigDbHost).FirstOrDefault(h => h != null);
            var expected = $"a master-centre node serves, no DR-centre node serves, the DR ConfigDB replicates from the master centre's ConfigDB ({sourceHost ?? "unknown"})";
            var host = masterCentre.FirstOrDefault()?.ComputerName ?? "(no master-centre node)";
            var serving = masterCentre.Where(n => n.Installed && n.ServerPortOpen).Select(n => n.ComputerName).ToList();
            var drServing = drCentre.Where(n => n.Installed && n.ServerPortOpen).Select(n => n.ComputerName).ToList();
            var problems = new List<string>();
            if (!masterCentre.Any(n => n.Installed)) problems.Add("no master-centre compute node read");
            else if (serving.Count == 0) problems.Add("no master-centre node serves");
            if (drServing.Count > 0) problems.Add($"DR-centre {string.Join(", ", drServing)} serve{(drServing.Count == 1 ? "s" : "")}");
            if (state.Problem != null || !state.IsReplica) problems.Add("the DR ConfigDB's replication source is unknown");
            else if (sourceHost == null || !SameHost(state.SourceHost, sourceHost))
                problems.Add($"the DR ConfigDB replicates from {state.SourceHost}, not from {sourceHost ?? "the master centre's ConfigDB (unknown)"}");
            var actual = problems.Count == 0 ? $"serving: {string.Join(", ", serving)}; DR ConfigDB replicates from {state.SourceHost}" : string.Join("; ", problems);
            return ClusterCheck.Result(id, name, host, problems.Count == 0, expected, actual,
                "Repair the failed IDC and switch back before the upgrade (manual 3.7): the master centre must serve and feed the DR centre.");
        }

        internal static bool SameHost(string? a, string b)
        {
            if (a == null) return false;
            if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase)) return true;
            try
            {
                var left = Dns.GetHostAddresses(a);
                var right = Dns.GetHostAddresses(b);
                return left.Any(l => right.Any(r => r.Equals(l)));
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }

        private static string Ports(ComputeNodeInfo node) =>
            $"{(node.Running ? "running" : "not running")}, service port {node.ServerPort} {(node.ServerPortOpen ? "open" : "closed")}, manager port {node.ManagerPort} {(node.ManagerPortOpen ? "open" : "closed")}";
    }
}
