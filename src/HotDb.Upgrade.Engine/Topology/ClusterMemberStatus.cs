namespace HotDb.Upgrade.Topology
{
    /// <summary>A multi-node cluster member's state as show @@cluster reports it.</summary>
    public enum ClusterMemberStatus
    {
        /// <summary>Configured (a session, or haNodeHost of a member) but listed by no member that answered: stopped or cut off.</summary>
        Absent,
        /// <summary>Running with the service port closed, waiting for a majority of clusterSize.</summary>
        Started,
        Secondary,
        Primary,
    }
}
