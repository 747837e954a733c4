using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.ComputeNode;

namespace HotDb.Upgrade.Topology
{
    /// <summary>A multi-node cluster (haMode 1) as read from its members' manager ports and the sessions given.</summary>
    public sealed class HotDbCluster
    {
        internal HotDbCluster(IReadOnlyList<ClusterMember> members, IReadOnlyList<ComputeNodeInfo> nodes, string? readFrom)
        {
            Members = members;
            Nodes = nodes;
            ReadFrom = readFrom;
        }

        /// <summary>Every member: listed by show @@cluster, configured in a member's haNodeHost, or given as a session.</summary>
        public IReadOnlyList<ClusterMember> Members { get; }
        /// <summary>The installs read through the sessions given.</summary>
        public IReadOnlyList<ComputeNodeInfo> Nodes { get; }
        /// <summary>host:managerPort whose show @@cluster gave the member list; null when no member answered.</summary>
        public string? ReadFrom { get; }

        public IReadOnlyList<ClusterMember> Primaries => Members.Where(m => m.Status == ClusterMemberStatus.Primary).ToList();
        public ClusterMember? Primary => Primaries.Count == 1 ? Primaries[0] : null;
        /// <summary>clusterName from the members' server.xml (the first read).</summary>
        public string? Name => Nodes.Select(n => n.ClusterName).FirstOrDefault(n => n != null);
        /// <summary>clusterSize from the members' server.xml, when every member read agrees.</summary>
        public int? ConfiguredSize => ConfiguredSizes.Count == 1 ? ConfiguredSizes[0] : (int?)null;
        /// <summary>Every distinct clusterSize the members read give.</summary>
        public IReadOnlyList<int> ConfiguredSizes => Nodes.Where(n => n.Installed && n.ClusterSize.HasValue).Select(n => n.ClusterSize!.Value).Distinct().OrderBy(s => s).ToList();

        public override string ToString() => $"{Name ?? "cluster"}: " + string.Join(", ", Members.Select(m => $"{m.DisplayName} {m.Status}"));
    }
}
