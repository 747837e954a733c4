using System;
using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.ConfigDb.Sql;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// The checks before a multi-node cluster upgrade (manual 3.5 and 3.6). CL7 and CL8 are the conditions of an
    /// upgrade without stopping service and run only for it. No check passes on a host without a compute node.
    /// </summary>
    public static class ClusterUpgradeChecks
    {
        private const string NoNodeRemedy = "Give the compute node's directory with -InstallPath, or a session to a host that runs a cluster member.";

        /// <param name="cluster">The cluster as read.</param>
        /// <param name="target">The compute node package to upgrade to; null leaves CL6 and CL8 not verified (a health check).</param>
        /// <param name="online">Also check the conditions of an upgrade without stopping service.</param>
        /// <param name="scriptsFolder">The vendor's ConfigDB upgrade scripts (for CL8); null leaves CL8 not verified.</param>
        public static IReadOnlyList<ClusterCheck> Run(HotDbCluster cluster, HotDbPackage? target, bool online, string? scriptsFolder)
        {
            if (cluster is null) throw new ArgumentNullException(nameof(cluster));
            var checks = new List<ClusterCheck>();
            foreach (var member in cluster.Members) checks.Add(MemberJoined(member));
            checks.Add(OnePrimary(cluster));
            checks.Add(ClusterSize(cluster));
            checks.Add(Majority(cluster));
            checks.Add(SameVersion(cluster));
            checks.Add(target is null ? NoTarget("CL6", "Target package is an upgrade", cluster) : TargetNewer(cluster, target));
            if (online)
            {
                checks.Add(SourceAllowsOnline(cluster));
                checks.Add(target is null ? NoTarget("CL8", "Upgrade SQL allows an online upgrade", cluster) : SqlAllowsOnline(cluster, target, scriptsFolder));
            }
            return checks;
        }

        // Cluster-wide checks are reported under the Primary, else the first member.
        private static string ClusterHost(HotDbCluster cluster) => (cluster.Primary ?? cluster.Members.FirstOrDefault())?.DisplayName ?? "(no member)";

        private static bool AnyInstalled(HotDbCluster cluster) => cluster.Nodes.Any(n => n.Installed);

        internal static ClusterCheck MemberJoined(ClusterMember member)
        {
            const string id = "CL1", name = "Member running and in the cluster";
            var expected = $"PRIMARY or SECONDARY in show @@cluster{(member.Node != null ? $"; running, service port {member.ServerPort} and manager port {member.ManagerPort} open" : "")}";
            var node = member.Node;
            if (node != null && !node.Installed)
                return ClusterCheck.Result(id, name, member.DisplayName, false, expected, $"no HotDB compute node in {node.InstallPath} on {node.ComputerName}", NoNodeRemedy);
            if (node != null && node.HaMode != 1)
                return ClusterCheck.Result(id, name, member.DisplayName, false, expected, $"haMode {node.HaMode} in server.xml: not a multi-node cluster member",
                    "Give sessions to the cluster's members (haMode 1); master/slave pairs are checked with Test-HotDbHaSwitch.");
            var actual = member.Status == ClusterMemberStatus.Absent ? "not listed by show @@cluster" : member.Status.ToString().ToUpperInvariant();
            if (node != null) actual += $"; {(node.Running ? "running" : "not running")}, service port {Open(node.ServerPortOpen)}, manager port {Open(node.ManagerPortOpen)}";
            if (member.Problem != null) actual += "; " + member.Problem;
            var ok = member.Joined && (node == null || node.Running && node.ServerPortOpen && node.ManagerPortOpen);
            var remedy = node != null && !node.Running
                ? $"Start the compute node on {member.DisplayName} (Start-HotDbComputeNode) and wait until show @@cluster lists it."
                : member.Status == ClusterMemberStatus.Started
                    ? $"{member.DisplayName} waits for a majority: start the other members, then check clusterNetwork, clusterPort and the clocks (skew under 1 s)."
                    : $"Find out why {member.DisplayName} is not in the cluster (logs/hotdb.log, the cluster port {member.ClusterPort} reachable from the others).";
            return ClusterCheck.Result(id, name, member.DisplayName, ok, expected, actual, remedy);
        }

        internal static ClusterCheck OnePrimary(HotDbCluster cluster)
        {
            const string id = "CL2", name = "Exactly one PRIMARY";
            const string expected = "one PRIMARY in show @@cluster, the other members SECONDARY";
            var primaries = cluster.Primaries;
            var actual = cluster.ReadFrom == null ? "no member's manager port answered show @@cluster"
                : primaries.Count == 0 ? "no PRIMARY" : $"PRIMARY: {string.Join(", ", primaries.Select(p => p.DisplayName))}";
            var ok = AnyInstalled(cluster) && primaries.Count == 1;
            return ClusterCheck.Result(id, name, ClusterHost(cluster), ok, expected, actual, primaries.Count > 1
                ? "Two members claim PRIMARY (split brain): check the network between the members and their clocks, then restart the member that should not lead."
                : "Start enough members for a majority of clusterSize; a PRIMARY is elected once a majority is up.");
        }

        internal static ClusterCheck ClusterSize(HotDbCluster cluster)
        {
            const string id = "CL3", name = "clusterSize matches the members";
            var count = cluster.Members.Count;
            var expected = $"clusterSize {count} in every member's server.xml (the members configured and listed)";
            var sizes = cluster.ConfiguredSizes;
            var actual = !AnyInstalled(cluster) ? "no member's server.xml was read"
                : sizes.Count == 0 ? "clusterSize not set" : $"clusterSize {string.Join(" and ", sizes)} for {count} members";
            var ok = AnyInstalled(cluster) && sizes.Count == 1 && sizes[0] == count;
            return ClusterCheck.Result(id, name, ClusterHost(cluster), ok, expected, actual,
                "Make clusterSize equal the number of members on every member (server.xml), and haNodeHost list every member's IP:clusterPort; reload fails otherwise.");
        }

        internal static ClusterCheck Majority(HotDbCluster cluster)
        {
            const string id = "CL4", name = "Stopping one member keeps a majority";
            var size = cluster.ConfiguredSize;
            var expected = "clusterSize of 3 or more: with one member stopped for its upgrade, the others still hold a majority";
            var ok = size.HasValue && size.Value - 1 >= size.Value / 2 + 1;
            var actual = size.HasValue ? $"clusterSize {size}: {size - 1} members left, a majority needs {size / 2 + 1}" : "clusterSize unknown";
            return ClusterCheck.Result(id, name, ClusterHost(cluster), ok, expected, actual,
                "Add members until clusterSize is 3 or more, or upgrade with service stopped (manual 3.5).");
        }

        internal static ClusterCheck SameVersion(HotDbCluster cluster)
        {
            const string id = "CL5", name = "All members on the same version";
            const string expected = "one version and build date on every member";
            var unknown = cluster.Members.Where(m => m.Version == null).ToList();
            var versions = cluster.Members.Where(m => m.Version != null).GroupBy(VersionLabel).ToList();
            var actual = string.Join("; ", versions.Select(g => $"{g.Key} on {string.Join(", ", g.Select(m => m.DisplayName))}"));
            if (unknown.Count > 0) actual += (actual.Length > 0 ? "; " : "") + $"version unknown on {string.Join(", ", unknown.Select(m => m.DisplayName))}";
            var ok = AnyInstalled(cluster) && unknown.Count == 0 && versions.Count == 1;
            return ClusterCheck.Result(id, name, ClusterHost(cluster), ok, expected, actual,
                unknown.Count > 0 ? "Give a session to every member (or make its manager port answer show @@version), then check again."
                : "Finish the upgrade that left members on different versions (or roll it back) before starting another.");
        }

        private static ClusterCheck NoTarget(string id, string name, HotDbCluster cluster) =>
            new ClusterCheck(id, name, ClusterHost(cluster), HaCheckStatus.NotVerified, "a target package", "not checked (no -Package)",
                "Give -Package the hotdb-server-<version>-ga-<date>.tar.gz the cluster would be upgraded to.");

        internal static ClusterCheck TargetNewer(HotDbCluster cluster, HotDbPackage target)
        {
            const string id = "CL6", name = "Target package is an upgrade";
            var expected = $"a compute node package newer than every member ({target.FileName})";
            var versions = cluster.Members.Select(m => m.Version).ToList();
            var actual = target.Component != HotDbComponent.ComputeNode ? $"{target.FileName} is a {target.Component} package"
                : versions.Any(v => v == null) ? $"target {target.Version}; a member's version is unknown"
                : $"target {target.Version}; members {string.Join(", ", versions.Distinct().OrderBy(v => v!))}";
            var ok = AnyInstalled(cluster) && target.Component == HotDbComponent.ComputeNode && versions.Count > 0 && versions.All(v => v != null && v < target.Version);
            return ClusterCheck.Result(id, name, ClusterHost(cluster), ok, expected, actual,
                "Give -Package the hotdb-server-<version>-ga-<date>.tar.gz of a version above the cluster's.");
        }

        internal static ClusterCheck SourceAllowsOnline(HotDbCluster cluster)
        {
            const string id = "CL7", name = "Source version allows an online upgrade";
            var expected = $"every member {VersionRules.MultiNodeOnlineMinimumSource} or later; 2.5.1 and 2.5.3 built {VersionRules.MultiNodeOnlineMinimumBuildDate:yyyyMMdd} or later";
            var refused = new List<string>();
            foreach (var member in cluster.Members)
            {
                if (member.Version == null) { refused.Add($"{member.DisplayName}: version unknown"); continue; }
                var verdict = VersionRules.MultiNodeOnlineUpgrade(member.Version, member.BuildDate);
                if (!verdict.Allowed) refused.Add($"{member.DisplayName}: {verdict.Reason}");
            }
            var ok = AnyInstalled(cluster) && cluster.Members.Count > 0 && refused.Count == 0;
            var actual = refused.Count > 0 ? string.Join("; ", refused) : string.Join("; ", cluster.Members.GroupBy(VersionLabel).Select(g => g.Key));
            return ClusterCheck.Result(id, name, ClusterHost(cluster), ok, expected, actual,
                "Upgrade with service stopped (manual 3.5), or first bring the cluster to a build that meets the conditions.");
        }

        internal static ClusterCheck SqlAllowsOnline(HotDbCluster cluster, HotDbPackage target, string? scriptsFolder)
        {
            const string id = "CL8", name = "Upgrade SQL allows an online upgrade";
            var source = cluster.Members.Where(m => m.Version != null).Select(m => m.Version!).OrderBy(v => v).FirstOrDefault();
            var expected = $"the compute node ConfigDB scripts from {source?.ToString() ?? "the cluster's version"} to {target.Version}: no DROP TABLE, no change of existing columns, no UPDATE/DELETE of existing rows";
            var host = ClusterHost(cluster);
            if (scriptsFolder == null)
                return new ClusterCheck(id, name, host, HaCheckStatus.NotVerified, expected, "not checked (no -ScriptsPath)",
                    "Give -ScriptsPath the folder of the vendor's ConfigDB upgrade scripts (or check them with Test-HotDbUpgradeSql).");
            if (!AnyInstalled(cluster) || source == null)
                return ClusterCheck.Result(id, name, host, false, expected, "the cluster's version is unknown", NoNodeRemedy);
            IReadOnlyList<UpgradeScript> scripts;
            UpgradeSqlReport report;
            try
            {
                var all = UpgradeScriptCatalog.Load(scriptsFolder);
                scripts = UpgradeScriptCatalog.Select(all, ConfigDbKind.ComputeNode, source, target.Version);
                // The scripts the ConfigDB already ran (up to the cluster's version) are read first, as Test-HotDbUpgradeSql
                // reads a folder's chain: a column one of them added may be widened (the manual's exception).
                var earlier = all.Where(s => s.Kind == ConfigDbKind.ComputeNode && s.Version <= source).OrderBy(s => s.Version).ToList();
                // The statements the catalog split from the files (with their real line numbers), not a second reading.
                SqlScriptSource Source(UpgradeScript s) => SqlScriptSource.FromStatements(s.Name, s.Statements);
                report = UpgradeSqlAnalyzer.Analyze(scripts.Select(Source).ToList(), earlier.Select(Source).ToList());
            }
            catch (Exception e) when (e is UpgradeScriptCatalogException || e is ScriptFileException || e is System.IO.IOException || e is ArgumentException || e is UnauthorizedAccessException)
            {
                return ClusterCheck.Result(id, name, host, false, expected, e.Message, $"Name every script {UpgradeScriptCatalog.NamingRule} and keep only upgrade scripts in the folder.");
            }
            if (scripts.Count == 0)
                return ClusterCheck.Result(id, name, host, true, expected, $"no compute node script between {source} and {target.Version} in {scriptsFolder}", null);
            var errors = report.Findings.Where(f => f.Severity == SqlFindingSeverity.Error).ToList();
            var actual = errors.Count == 0 ? $"{string.Join(", ", scripts.Select(s => s.Name))}: {report.StatementCount} statements, none refused"
                : string.Join("; ", errors.Take(5).Select(f => $"{f.File}:{f.Line} {f.RuleId} {f.Message}")) + (errors.Count > 5 ? $"; {errors.Count - 5} more" : "");
            return ClusterCheck.Result(id, name, host, report.OnlineUpgradeAllowed, expected, actual,
                "Upgrade with service stopped (manual 3.5): the old version cannot keep running on this ConfigDB. Test-HotDbUpgradeSql lists every finding.");
        }

        private static string VersionLabel(ClusterMember member) =>
            member.Version == null ? "unknown" : member.Version + (member.BuildDate.HasValue ? $" ({member.BuildDate:yyyyMMdd})" : " (build date unknown)");

        private static string Open(bool open) => open ? "open" : "closed";
    }
}
