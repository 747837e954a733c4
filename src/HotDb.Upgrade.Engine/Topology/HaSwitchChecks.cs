using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// The manual's six checks before a master/slave switch (HA1..HA6), on a pair as read. Every check fails on a
    /// host without a compute node; only HA4 may change anything, and only through the reload the caller passes.
    /// </summary>
    public static class HaSwitchChecks
    {
        private const string NotInstalledRemedy = "Give the compute node's directory with -InstallPath, or point the session at the host that runs it.";

        /// <summary>
        /// Runs the checks. <paramref name="reloadConfig"/> runs reload @@config on the master's manager port (it throws
        /// <see cref="ManagerPortException"/> on failure); without it HA4 is <see cref="HaCheckStatus.NotVerified"/>.
        /// </summary>
        public static IReadOnlyList<HaSwitchCheck> Run(HaEnvironment environment, Action<HaNode>? reloadConfig = null)
        {
            if (environment is null) throw new ArgumentNullException(nameof(environment));
            var checks = new List<HaSwitchCheck>();
            foreach (var node in environment.Nodes) checks.Add(Ports(environment, node));
            foreach (var node in environment.Nodes) checks.Add(ServerXml(environment, node));
            foreach (var node in environment.Nodes) checks.Add(Keepalived(environment, node));
            checks.Add(Reload(environment, reloadConfig));
            foreach (var node in environment.Nodes) checks.Add(KeepalivedRunning(node));
            checks.Add(VipOnMaster(environment));
            return checks;
        }

        internal static HaSwitchCheck Ports(HaEnvironment environment, HaNode node)
        {
            const string id = "HA1", name = "Service and manager ports";
            var master = node.Role == HaRole.Master;
            var expected = $"compute node running; service port {node.ServerPort} {(master ? "open" : "closed")}; manager port {node.ManagerPort} open";
            if (!node.Installed) return NotInstalled(id, name, node, expected);
            var actual = $"compute node {(node.Running ? "running" : "not running")}; service port {node.ServerPort} {Open(node.ServerPortOpen)}; manager port {node.ManagerPort} {Open(node.ManagerPortOpen)}";
            var ok = node.Running && node.ManagerPortOpen && node.ServerPortOpen == master;
            var remedy = !node.Running || !node.ManagerPortOpen
                ? $"Start the compute node on {node.ComputerName} (sh {node.InstallPath}/bin/hotdb_server start) and wait for its manager port."
                : master ? $"Bring the master's service port up: run 'online' on {node.ComputerName}'s manager port."
                : $"The slave serves on its service port: check its haState, then run 'offline' on {node.ComputerName}'s manager port.";
            return Result(id, name, node, ok, expected, actual, remedy);
        }

        internal static HaSwitchCheck ServerXml(HaEnvironment environment, HaNode node)
        {
            const string id = "HA2", name = "server.xml haState and haNodeHost";
            var master = environment.Master;
            var expectedPeer = $"{PreferredAddress(master)}:{master.ManagerPort}";
            var expected = node.Role == HaRole.Master ? "haState master, haNodeHost empty, haMode 0 (as on the backup)"
                : $"haState backup, haNodeHost {expectedPeer}, haMode 0 (as on the master)";
            if (!node.Installed) return NotInstalled(id, name, node, expected);
            var actual = $"haState {node.HaState ?? "(unset: master)"}, haNodeHost {(string.IsNullOrEmpty(node.HaNodeHost) ? "empty" : node.HaNodeHost)}, haMode {node.HaMode}";
            var other = ReferenceEquals(node, environment.Master) ? environment.Backup : environment.Master;
            var modeOk = IsMasterSlaveMode(node.HaMode) && (!other.Installed || other.HaMode == node.HaMode);
            var ok = modeOk && (node.Role == HaRole.Master
                ? node.ConfiguredRole == HaRole.Master && string.IsNullOrEmpty(node.HaNodeHost)
                : node.ConfiguredRole == HaRole.Backup && PointsAt(node.HaNodeHost, master));
            var remedy = $"Edit {node.ServerXmlPath} on {node.ComputerName}: " + (node.Role == HaRole.Master
                ? "haState master and an empty haNodeHost (the manual's HA environment reconstruction)."
                : $"haState backup and haNodeHost {expectedPeer} (the master's server address and manager port).");
            return Result(id, name, node, ok, expected, actual, remedy);
        }

        internal static HaSwitchCheck Keepalived(HaEnvironment environment, HaNode node)
        {
            const string id = "HA3", name = "keepalived.conf matches the vendor template";
            var isMaster = node.Role == HaRole.Master;
            var expected = isMaster
                ? "master template: nopreempt, priority above the backup's and below it once a check fails, same virtual_router_id, authentication and VIP as the backup, track scripts defined and usable, notify_master set"
                : "backup template: no nopreempt, priority below the master's, same virtual_router_id, authentication and VIP as the master, track scripts defined and usable, notify_master set";
            if (!node.Installed) return NotInstalled(id, name, node, expected);
            var problems = TemplateProblems(environment, node);
            var actual = problems.Count == 0 ? "as the template" : string.Join("; ", problems);
            var remedy = $"Correct {node.KeepalivedConfigPath} on {node.ComputerName} from the vendor's conf/keepalived.conf.{(isMaster ? "master" : "backup")}, then 'service keepalived reload' there.";
            return Result(id, name, node, problems.Count == 0, expected, actual, remedy);
        }

        private static List<string> TemplateProblems(HaEnvironment environment, HaNode node)
        {
            var problems = new List<string>();
            if (node.KeepalivedConfig == null) { problems.Add(node.KeepalivedConfigProblem ?? "no keepalived.conf"); return problems; }
            var instance = node.HotDbInstance;
            if (instance == null)
            {
                problems.Add(node.KeepalivedConfig.Instances.Count == 0 ? "no vrrp_instance" : "several vrrp_instance blocks and none carries server.xml's VIP");
                return problems;
            }
            var isMaster = node.Role == HaRole.Master;
            if (isMaster && !instance.Nopreempt) problems.Add("nopreempt missing");
            if (!isMaster && instance.Nopreempt) problems.Add($"nopreempt set (line {instance.NopreemptSpan!.Value.Line}); only the master has it");
            if (instance.Nopreempt && !string.Equals(instance.State?.Value, "BACKUP", StringComparison.OrdinalIgnoreCase))
                problems.Add($"state {instance.State?.Value ?? "(unset)"}: nopreempt works only with state BACKUP");
            if (instance.Priority == null) problems.Add("priority missing");
            if (instance.VirtualRouterId == null) problems.Add("virtual_router_id missing");
            if (instance.VirtualIpAddresses.Count == 0) problems.Add("virtual_ipaddress empty");
            if (instance.NotifyMaster == null) problems.Add("notify_master missing (it brings the new master online)");
            problems.AddRange(TrackProblems(node, instance));

            var peerNode = isMaster ? environment.Backup : environment.Master;
            var peer = peerNode.HotDbInstance;
            if (peer == null) return problems;
            var masterInstance = isMaster ? instance : peer;
            var backupInstance = isMaster ? peer : instance;
            if (masterInstance.Priority != null && backupInstance.Priority != null)
            {
                if (masterInstance.Priority.Value <= backupInstance.Priority.Value)
                    problems.Add($"master priority {masterInstance.Priority.Value} is not above the backup's {backupInstance.Priority.Value}");
                else if (isMaster)
                {
                    var failed = masterInstance.Priority.Value + FailingWeight(node, instance);
                    if (failed >= backupInstance.Priority.Value)
                        problems.Add($"a failing check leaves the master at priority {failed}, not below the backup's {backupInstance.Priority.Value}, so it never hands over");
                }
            }
            if (instance.VirtualRouterId != null && peer.VirtualRouterId != null && instance.VirtualRouterId.Value != peer.VirtualRouterId.Value)
                problems.Add($"virtual_router_id {instance.VirtualRouterId.Value}, {peerNode.ComputerName} has {peer.VirtualRouterId.Value}");
            if (!string.Equals(instance.AuthType?.Value, peer.AuthType?.Value, StringComparison.OrdinalIgnoreCase))
                problems.Add($"auth_type {instance.AuthType?.Value ?? "(unset)"}, {peerNode.ComputerName} has {peer.AuthType?.Value ?? "(unset)"}");
            if ((instance.AuthPass != null || peer.AuthPass != null) && (instance.AuthPass == null || !instance.AuthPass.Matches(peer.AuthPass)))
                problems.Add($"auth_pass differs from {peerNode.ComputerName}'s");
            var vips = Vips(instance);
            if (vips != Vips(peer)) problems.Add($"VIP {vips}, {peerNode.ComputerName} has {Vips(peer)}");
            return problems;
        }

        private static IEnumerable<string> TrackProblems(HaNode node, VrrpInstance instance)
        {
            if (instance.TrackScripts.Count == 0) { yield return "no track_script"; yield break; }
            foreach (var tracked in instance.TrackScripts)
            {
                var script = node.KeepalivedConfig!.Script(tracked.Value);
                if (script?.Script == null) yield return $"track_script '{tracked.Value}' has no vrrp_script with a script";
                else if (script.ScriptFile == null || !node.ScriptFilesUsable.TryGetValue(script.ScriptFile, out var usable) || !usable)
                    yield return $"the script of '{tracked.Value}' ({script.ScriptFile}) is not {(script.RunsThroughShell ? "readable" : "executable")}";
            }
        }

        // keepalived lowers the priority by every failing tracked script's negative weight.
        private static int FailingWeight(HaNode node, VrrpInstance instance) =>
            instance.TrackScripts.Select(t => node.KeepalivedConfig!.Script(t.Value)?.Weight?.Value ?? 0).Where(w => w < 0).Sum();

        private static string Vips(VrrpInstance instance) =>
            string.Join(", ", instance.VirtualIpAddresses.Select(v => v.Address + (v.PrefixLength.HasValue ? "/" + v.PrefixLength.Value : "")).OrderBy(v => v, StringComparer.Ordinal));

        internal static HaSwitchCheck Reload(HaEnvironment environment, Action<HaNode>? reloadConfig)
        {
            const string id = "HA4", name = "Configuration consistent (reload @@config)";
            var master = environment.Master;
            var expected = $"reload @@config succeeds on {master.ComputerName}:{master.ManagerPort}";
            if (!master.Installed || !environment.Backup.Installed) return NotInstalled(id, name, master.Installed ? environment.Backup : master, expected, master.Role);
            if (reloadConfig == null)
                return new HaSwitchCheck(id, name, master.ComputerName, master.Role, HaCheckStatus.NotVerified, expected, "not run (it reloads the master's configuration)",
                    "Run the check again with -Reload, or run reload @@config on the master's manager port (or the management platform's dynamic loading), after its Configuration Check passes.");
            try
            {
                reloadConfig(master);
                return Result(id, name, master, true, expected, "Reload config success", null);
            }
            catch (ManagerPortException e)
            {
                return Result(id, name, master, false, expected, e.Message,
                    "Fix what the error names (ConfigDB reachable, license, configuration check in the management platform), then reload again.");
            }
        }

        internal static HaSwitchCheck KeepalivedRunning(HaNode node)
        {
            const string id = "HA5", name = "keepalived running";
            const string expected = "keepalived running";
            if (!node.Installed) return NotInstalled(id, name, node, expected);
            var actual = node.KeepalivedRunning ? $"running (pid {string.Join(", ", node.KeepalivedProcessIds)})" : "not running";
            return Result(id, name, node, node.KeepalivedRunning, expected, actual, $"Start it on {node.ComputerName}: service keepalived start.");
        }

        internal static HaSwitchCheck VipOnMaster(HaEnvironment environment)
        {
            const string id = "HA6", name = "VIP on the master";
            var master = environment.Master;
            var vip = environment.Vip;
            var expected = $"VIP {(vip?.ToString() ?? "(from keepalived.conf)")} on {master.ComputerName} only";
            if (!master.Installed || !environment.Backup.Installed) return NotInstalled(id, name, master.Installed ? environment.Backup : master, expected, master.Role);
            var holders = environment.VipHolders;
            var actual = vip == null ? "no VIP configured in keepalived.conf or server.xml"
                : holders.Count == 0 ? $"VIP {vip} on no host" : $"VIP {vip} on {string.Join(" and ", holders.Select(h => h.ComputerName))}";
            var ok = vip != null && holders.Count == 1 && ReferenceEquals(holders[0], master);
            return Result(id, name, master, ok, expected, actual,
                holders.Count > 1 ? "Both hosts hold the VIP (split brain): check the network between them and keepalived's log on both."
                : $"Make keepalived on {master.ComputerName} take the VIP (check its log and track scripts), or switch the roles with an HA environment reconstruction.");
        }

        private static HaSwitchCheck NotInstalled(string id, string name, HaNode node, string expected, HaRole? role = null) =>
            new HaSwitchCheck(id, name, node.ComputerName, role ?? node.Role, HaCheckStatus.Failed, expected,
                $"no HotDB compute node in {node.InstallPath} on {node.ComputerName}", NotInstalledRemedy);

        private static HaSwitchCheck Result(string id, string name, HaNode node, bool passed, string expected, string actual, string? remedy) =>
            new HaSwitchCheck(id, name, node.ComputerName, node.Role, passed ? HaCheckStatus.Passed : HaCheckStatus.Failed, expected, actual, remedy);

        private static string Open(bool open) => open ? "open" : "closed";

        // haMode 0 is master/slave (or single); 2 and 3 are master/slave pairs of a DR master or DR centre.
        private static bool IsMasterSlaveMode(int? haMode) => haMode == 0 || haMode == 2 || haMode == 3;

        /// <summary>Whether haNodeHost names the master: one of its server addresses (not the VIP) or its session name, and its manager port.</summary>
        private static bool PointsAt(string? haNodeHost, HaNode master)
        {
            if (string.IsNullOrWhiteSpace(haNodeHost)) return false;
            var text = haNodeHost!.Trim();
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text.Substring(colon + 1), out var port) || port != master.ManagerPort) return false;
            var host = text.Substring(0, colon);
            if (string.Equals(host, master.ComputerName, StringComparison.OrdinalIgnoreCase)) return true;
            return IPAddress.TryParse(host, out var address) && ServerAddresses(master).Any(a => a.Equals(address));
        }

        // The master's own addresses: not loopback, not a keepalived VIP.
        private static IEnumerable<IPAddress> ServerAddresses(HaNode node) =>
            node.Addresses.Select(a => a.Address).Where(a => !IPAddress.IsLoopback(a) && !(node.HotDbInstance?.HasVirtualAddress(a) ?? false));

        internal static string PreferredAddress(HaNode node) =>
            IPAddress.TryParse(node.ComputerName, out _) ? node.ComputerName
            : ServerAddresses(node).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)?.ToString() ?? node.ComputerName;
    }
}
