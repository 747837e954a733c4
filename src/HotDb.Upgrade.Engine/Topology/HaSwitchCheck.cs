using HotDb.Upgrade.Checks;

namespace HotDb.Upgrade.Topology
{
    /// <summary>One of the manual's six checks before a master/slave switch (HA1..HA6), for one host; also says the host's role.</summary>
    public sealed class HaSwitchCheck : HotDbCheck
    {
        internal HaSwitchCheck(string id, string name, string host, HaRole role, HaCheckStatus status, string expected, string actual, string? remedy)
            : base(id, name, host, status, expected, actual, remedy)
        {
            Role = role;
        }

        public HaRole Role { get; }
    }
}
