namespace HotDb.Upgrade.Topology
{
    /// <summary>The outcome of one HA-switch check.</summary>
    public enum HaCheckStatus
    {
        Passed,
        Failed,
        /// <summary>The check needs a state-changing step the caller did not allow (reload @@config without -Reload).</summary>
        NotVerified,
    }
}
