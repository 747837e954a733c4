using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// Reads a multi-node cluster: each session's install (version, build date, server.xml's cluster settings) and
    /// show @@cluster on the members' manager ports. Never changes anything.
    /// </summary>
    public static class ClusterReader
    {
        private const int DefaultClusterPort = 3326;
        // show @@version: "5.7.19-HotDB-2.5.3 (build 20190821)"; the build date is there for the 20190821 rule.
        private static readonly Regex VersionText = new Regex(@"HotDB-(?<version>\d+(?:\.\d+){1,3})(?:.*?(?<date>(?:19|20)\d{6}))?", RegexOptions.CultureInvariant);

        /// <summary>Reads every session's install, then the cluster through the manager ports.</summary>
        public static HotDbCluster Read(IEnumerable<IRemoteHost> sessions, IManagerPortClient managerPorts, string installPath = ComputeNodeReader.DefaultInstallPath,
            CancellationToken cancellationToken = default)
        {
            if (sessions is null) throw new ArgumentNullException(nameof(sessions));
            var nodes = HostFanOut.RunAll(sessions.ToList(), (s, token) => ComputeNodeReader.Read(s, installPath, token), cancellationToken);
            return Build(nodes, managerPorts, cancellationToken);
        }

        /// <summary>Joins installs already read with what the manager ports answer.</summary>
        public static HotDbCluster Build(IReadOnlyList<ComputeNodeInfo> nodes, IManagerPortClient managerPorts, CancellationToken cancellationToken = default)
        {
            if (nodes is null) throw new ArgumentNullException(nameof(nodes));
            if (managerPorts is null) throw new ArgumentNullException(nameof(managerPorts));
            var members = new List<ClusterMember>();
            ClusterMember Member(string host, int port)
            {
                var key = ClusterMember.KeyOf(host, port);
                var found = members.FirstOrDefault(m => m.Key == key);
                if (found != null) return found;
                var added = new ClusterMember(host, port);
                members.Add(added);
                return added;
            }

            foreach (var node in nodes)
            {
                var member = Member(node.Installed && node.ClusterHost != null ? node.ClusterHost : node.ComputerName, node.ClusterPort ?? DefaultClusterPort);
                member.ComputerName = node.ComputerName;
                member.Node = node;
                member.ManagerPort = node.ManagerPort;
                member.ServerPort = node.ServerPort;
                if (node.HaMode == 1 && node.Installed) member.ServerId = node.ServerId;
                member.Version = node.Version;
                member.BuildDate = node.BuildDate;
                member.VersionSource = node.Version != null ? "jar manifest" : null;
            }
            // In cluster mode haNodeHost lists every member's IP:clusterPort, so a stopped member is still known.
            foreach (var node in nodes.Where(n => n.Installed && n.HaMode == 1 && n.HaNodeHost != null))
                foreach (var entry in node.HaNodeHost!.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()))
                {
                    var colon = entry.LastIndexOf(':');
                    if (colon > 0 && int.TryParse(entry.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                        Member(entry.Substring(0, colon), port);
                }

            // Each answering member's own row is authoritative for itself; the others come from the best view.
            var views = new List<(ClusterMember Asked, IReadOnlyList<IReadOnlyDictionary<string, string?>> Rows)>();
            foreach (var member in members.Where(m => m.Node != null && m.Node.Installed && m.Node.Running).ToList())
            {
                try
                {
                    views.Add((member, managerPorts.Query(member.ComputerName!, member.ManagerPort, "show @@cluster", cancellationToken)));
                }
                catch (ManagerPortException e)
                {
                    member.Problem = e.Message;
                    if (e.ErrorNumber == 1045) throw;
                }
            }
            foreach (var (asked, rows) in views)
                foreach (var row in rows.Select(ParseRow).Where(r => r != null))
                    if (ClusterMember.KeyOf(row!.Host, row.Port) == asked.Key) { asked.Status = row.Status; asked.StatusSelfReported = true; }

            var chosen = views.OrderByDescending(v => v.Asked.Status == ClusterMemberStatus.Primary).ThenByDescending(v => v.Rows.Count).FirstOrDefault();
            if (chosen.Rows != null)
                foreach (var row in chosen.Rows.Select(ParseRow).Where(r => r != null))
                {
                    var member = Member(row!.Host, row.Port);
                    if (!member.StatusSelfReported) member.Status = row.Status;
                    member.ServerPort = row.ServerPort ?? member.ServerPort;
                    member.ManagerPort = row.ManagerPort ?? member.ManagerPort;
                }

            foreach (var member in members.Where(m => m.Node == null && m.Status != ClusterMemberStatus.Absent))
                ReadVersionFromManagerPort(member, managerPorts, cancellationToken);
            var readFrom = chosen.Rows == null ? null : $"{chosen.Asked.ComputerName}:{chosen.Asked.ManagerPort}";
            var ordered = members.OrderBy(m => m.ServerId ?? int.MaxValue).ThenBy(m => m.Host, StringComparer.OrdinalIgnoreCase).ToList();
            return new HotDbCluster(ordered, nodes, readFrom);
        }

        private static void ReadVersionFromManagerPort(ClusterMember member, IManagerPortClient managerPorts, CancellationToken cancellationToken)
        {
            try
            {
                var text = managerPorts.Query(member.Host, member.ManagerPort, "show @@version", cancellationToken).Select(r => r.Values.FirstOrDefault()).FirstOrDefault();
                if (TryParseVersionText(text, out var version, out var built))
                {
                    member.Version = version;
                    member.BuildDate = built;
                    member.VersionSource = "show @@version";
                }
                else member.Problem = $"{member.Host}:{member.ManagerPort}: show @@version gave no HotDB version ('{text}')";
            }
            catch (ManagerPortException e)
            {
                member.Problem = e.Message;
            }
        }

        /// <summary>A show @@cluster row; null when it names no host and port.</summary>
        internal sealed class ClusterRow
        {
            public ClusterRow(ClusterMemberStatus status, string host, int port, int? serverPort, int? managerPort)
            {
                Status = status;
                Host = host;
                Port = port;
                ServerPort = serverPort;
                ManagerPort = managerPort;
            }

            public ClusterMemberStatus Status { get; }
            public string Host { get; }
            public int Port { get; }
            public int? ServerPort { get; }
            public int? ManagerPort { get; }
        }

        internal static ClusterRow? ParseRow(IReadOnlyDictionary<string, string?> row)
        {
            string? Get(string name) => row.TryGetValue(name, out var v) ? v?.Trim() : null;
            int? Int(string name) => int.TryParse(Get(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : (int?)null;
            var host = Get("host");
            var port = Int("port");
            if (string.IsNullOrEmpty(host) || port == null) return null;
            return new ClusterRow(ParseStatus(Get("status")), host!, port.Value, Int("server_port"), Int("manager_port"));
        }

        /// <summary>PRIMARY, SECONDARY or STARTED in any case (the manual writes Secondary and Started); anything else is Absent.</summary>
        public static ClusterMemberStatus ParseStatus(string? text)
        {
            switch (text?.Trim().ToUpperInvariant())
            {
                case "PRIMARY": return ClusterMemberStatus.Primary;
                case "SECONDARY": return ClusterMemberStatus.Secondary;
                case "STARTED": return ClusterMemberStatus.Started;
                default: return ClusterMemberStatus.Absent;
            }
        }

        /// <summary>Reads show @@version's text ("5.7.19-HotDB-2.5.3 (build 20190821)"); the build date is null when absent.</summary>
        public static bool TryParseVersionText(string? text, out HotDbVersion? version, out DateTime? buildDate)
        {
            version = null;
            buildDate = null;
            var match = text == null ? null : VersionText.Match(text);
            if (match == null || !match.Success || !HotDbVersion.TryParse(match.Groups["version"].Value, out version)) return false;
            if (match.Groups["date"].Success && DateTime.TryParseExact(match.Groups["date"].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                buildDate = date;
            return true;
        }
    }
}
