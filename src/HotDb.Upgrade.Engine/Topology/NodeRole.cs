namespace HotDb.Upgrade.Topology
{
    /// <summary>What server.xml makes of a compute node: it decides which ports the node must open.</summary>
    public enum NodeRole
    {
        /// <summary>A single node or a master/slave master (haState master): service and manager ports open.</summary>
        Master,
        /// <summary>A master/slave backup (haState backup): only the manager port open.</summary>
        Backup,
        /// <summary>A multi-node cluster member (haMode 1): service and manager ports open once joined.</summary>
        ClusterMember,
        /// <summary>A DR-centre node (haMode 3 or 5, or idcId 2): only the manager port open until switched.</summary>
        DrCentre,
    }
}
