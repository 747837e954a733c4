using System;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Topology
{
    /// <summary>One member of a multi-node cluster: its place in show @@cluster joined with its version.</summary>
    public sealed class ClusterMember
    {
        internal ClusterMember(string host, int clusterPort)
        {
            Host = host;
            ClusterPort = clusterPort;
        }

        /// <summary>The member's cluster address (clusterHost, show @@cluster's host).</summary>
        public string Host { get; }
        /// <summary>The communication port (clusterPort, show @@cluster's port).</summary>
        public int ClusterPort { get; }
        public ClusterMemberStatus Status { get; internal set; }
        /// <summary>True when the status is the member's own answer (its manager port), not another member's view.</summary>
        public bool StatusSelfReported { get; internal set; }
        public int? ServerPort { get; internal set; }
        public int ManagerPort { get; internal set; } = 3325;
        public int? ServerId { get; internal set; }

        /// <summary>The session's host name when a session to this member was given; null otherwise.</summary>
        public string? ComputerName { get; internal set; }
        /// <summary>The install as read through the session; null when no session was given for this member.</summary>
        public ComputeNodeInfo? Node { get; internal set; }

        public HotDbVersion? Version { get; internal set; }
        public DateTime? BuildDate { get; internal set; }
        /// <summary>Where the version was read: "jar manifest" (through the session) or "show @@version" (manager port).</summary>
        public string? VersionSource { get; internal set; }
        /// <summary>Why something about the member could not be read (its manager port refused or did not answer).</summary>
        public string? Problem { get; internal set; }

        public bool Joined => Status == ClusterMemberStatus.Primary || Status == ClusterMemberStatus.Secondary;
        /// <summary>The name checks report the member under: the session's host, else the cluster address.</summary>
        public string DisplayName => ComputerName ?? Host;

        internal string Key => KeyOf(Host, ClusterPort);
        internal static string KeyOf(string host, int port) => host.ToLowerInvariant() + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public override string ToString() => $"{DisplayName} {Status} {Version?.ToString() ?? "(version unknown)"}";
    }
}
