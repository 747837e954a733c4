namespace HotDb.Upgrade.Topology
{
    /// <summary>One check before a multi-node cluster upgrade (CL1..CL8) or of a DR estate (DR1..DR4), for one host.</summary>
    public sealed class ClusterCheck
    {
        internal ClusterCheck(string id, string name, string host, HaCheckStatus status, string expected, string actual, string? remedy)
        {
            Id = id;
            Name = name;
            Host = host;
            Status = status;
            Expected = expected;
            Actual = actual;
            Remedy = status == HaCheckStatus.Passed ? null : remedy;
        }

        public string Id { get; }
        public string Name { get; }
        public string Host { get; }
        public HaCheckStatus Status { get; }
        /// <summary>True or false; null when the check was not verified (<see cref="HaCheckStatus.NotVerified"/>).</summary>
        public bool? Passed => Status == HaCheckStatus.NotVerified ? (bool?)null : Status == HaCheckStatus.Passed;
        public string Expected { get; }
        public string Actual { get; }
        /// <summary>What to do when the check did not pass; null when it passed.</summary>
        public string? Remedy { get; }

        internal static ClusterCheck Result(string id, string name, string host, bool passed, string expected, string actual, string? remedy) =>
            new ClusterCheck(id, name, host, passed ? HaCheckStatus.Passed : HaCheckStatus.Failed, expected, actual, remedy);

        public override string ToString() => $"{Id} {Host}: {Status}";
    }
}
