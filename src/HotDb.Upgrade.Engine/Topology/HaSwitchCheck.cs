namespace HotDb.Upgrade.Topology
{
    /// <summary>One of the manual's six checks before a master/slave switch, for one host.</summary>
    public sealed class HaSwitchCheck
    {
        internal HaSwitchCheck(string id, string name, string host, HaRole role, HaCheckStatus status, string expected, string actual, string? remedy)
        {
            Id = id;
            Name = name;
            Host = host;
            Role = role;
            Status = status;
            Expected = expected;
            Actual = actual;
            Remedy = status == HaCheckStatus.Passed ? null : remedy;
        }

        /// <summary>HA1..HA6, in the manual's order.</summary>
        public string Id { get; }
        public string Name { get; }
        public string Host { get; }
        public HaRole Role { get; }
        public HaCheckStatus Status { get; }
        /// <summary>True or false; null when the check was not verified (<see cref="HaCheckStatus.NotVerified"/>).</summary>
        public bool? Passed => Status == HaCheckStatus.NotVerified ? (bool?)null : Status == HaCheckStatus.Passed;
        public string Expected { get; }
        public string Actual { get; }
        /// <summary>What to do when the check did not pass; null when it passed.</summary>
        public string? Remedy { get; }

        public override string ToString() => $"{Id} {Host}: {Status}";
    }
}
