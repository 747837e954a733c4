using HotDb.Upgrade.Checks;

namespace HotDb.Upgrade.Topology
{
    /// <summary>One check before a multi-node cluster upgrade (CL1..CL8) or of a DR estate (DR1..DR4), for one host.</summary>
    public sealed class ClusterCheck : HotDbCheck
    {
        internal ClusterCheck(string id, string name, string host, HaCheckStatus status, string expected, string actual, string? remedy)
            : base(id, name, host, status, expected, actual, remedy)
        {
        }

        internal static new ClusterCheck Result(string id, string name, string host, bool passed, string expected, string actual, string? remedy) =>
            new ClusterCheck(id, name, host, passed ? HaCheckStatus.Passed : HaCheckStatus.Failed, expected, actual, remedy);
    }
}
