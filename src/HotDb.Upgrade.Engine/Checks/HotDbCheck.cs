using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Checks
{
    /// <summary>
    /// The one shape of every read-only check the module reports (Test-HotDbSession, Test-HotDbComputeNode,
    /// Test-HotDbConfigDb, Test-HotDbHaSwitch, Test-HotDbClusterUpgrade, Test-HotDbDisasterRecovery): an id, a name,
    /// the host, whether it passed, what was expected, what was found and, when it did not pass, what to do.
    /// </summary>
    public class HotDbCheck
    {
        internal HotDbCheck(string id, string name, string host, HaCheckStatus status, string expected, string actual, string? remedy)
        {
            Id = id;
            Name = name;
            Host = host;
            Status = status;
            Expected = expected;
            Actual = actual;
            Remedy = status == HaCheckStatus.Passed ? null : remedy;
        }

        /// <summary>A short stable id: SS1.. (session), CN1.. (compute node), CD1.. (ConfigDB), HA1.., CL1.., DR1...</summary>
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

        internal static HotDbCheck Result(string id, string name, string host, bool passed, string expected, string actual, string? remedy) =>
            new HotDbCheck(id, name, host, passed ? HaCheckStatus.Passed : HaCheckStatus.Failed, expected, actual, remedy);

        internal static HotDbCheck NotVerified(string id, string name, string host, string expected, string why, string remedy) =>
            new HotDbCheck(id, name, host, HaCheckStatus.NotVerified, expected, why, remedy);

        public override string ToString() => $"{Id} {Host}: {Status}";
    }
}
