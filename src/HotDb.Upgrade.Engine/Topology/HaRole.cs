namespace HotDb.Upgrade.Topology
{
    /// <summary>A compute node's place in a keepalived master/slave pair.</summary>
    public enum HaRole
    {
        /// <summary>Not part of a master/slave pair, or the role could not be decided.</summary>
        None,
        Master,
        Backup,
    }
}
