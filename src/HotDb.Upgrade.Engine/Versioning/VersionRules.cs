using System;

namespace HotDb.Upgrade.Versioning
{
    /// <summary>The upgrade manual's version rules, in one place. Every cmdlet and runbook asks here.</summary>
    public static class VersionRules
    {
        public static readonly HotDbVersion Jdk8Required = HotDbVersion.Parse("2.5.6");
        public static readonly HotDbVersion NewLicenseRequired = HotDbVersion.Parse("2.5.6");
        /// <summary>The trial license a 2.5.6+ compute node package ships in keys/ allows this many data nodes (90 days).</summary>
        public const int TrialLicenseDataNodes = 64;
        public static readonly HotDbVersion NdbSqlCarryOverFrom = HotDbVersion.Parse("2.5.3");
        public static readonly HotDbVersion ManagementSelfUpgradesConfigDbFrom = HotDbVersion.Parse("2.5.3");
        public static readonly HotDbVersion MultiNodeOnlineMinimumSource = HotDbVersion.Parse("2.5.1");
        /// <summary>2.5.1 and 2.5.3 builds older than this cannot take part in a multi-node online upgrade.</summary>
        public static readonly DateTime MultiNodeOnlineMinimumBuildDate = new DateTime(2019, 8, 21);
        /// <summary>From this version server.xml's autoIncrement is a mode number (0, 1, 2) instead of true/false.</summary>
        public static readonly HotDbVersion AutoIncrementModeFrom = HotDbVersion.Parse("2.5.4");
        private static readonly HotDbVersion[] DateCheckedSources = { HotDbVersion.Parse("2.5.1"), HotDbVersion.Parse("2.5.3") };

        /// <summary>The JDK version a start script must name for this compute-node or platform version.</summary>
        public static string RequiredJavaMajor(HotDbVersion target) => target >= Jdk8Required ? "1.8" : "1.7";

        public static bool RequiresJdk8(HotDbVersion target) => target >= Jdk8Required;

        /// <summary>From 2.5.6 the node reads a soft license from keys/; an old license is discarded on upgrade.</summary>
        public static bool RequiresNewLicense(HotDbVersion source, HotDbVersion target) =>
            target >= NewLicenseRequired && source < NewLicenseRequired;

        /// <summary>The ndbsql_* directories are carried to the new install when the old one is 2.5.3 or later.</summary>
        public static bool CarriesNdbSql(HotDbVersion source) => source >= NdbSqlCarryOverFrom;

        /// <summary>A 2.5.3+ management platform upgrades its own ConfigDB at start; older targets need the SQL run by hand.</summary>
        public static bool ManagementUpgradesOwnConfigDb(HotDbVersion target) => target >= ManagementSelfUpgradesConfigDbFrom;

        /// <summary>
        /// autoIncrement's true/false written as the mode number 2.5.4 and later read (true: 1, false: 0);
        /// null when <paramref name="value"/> needs no conversion for <paramref name="target"/>.
        /// </summary>
        public static string? AutoIncrementForTarget(string value, HotDbVersion target)
        {
            if (target < AutoIncrementModeFrom) return null;
            var trimmed = value.Trim();
            if (trimmed.Equals("true", StringComparison.OrdinalIgnoreCase)) return "1";
            if (trimmed.Equals("false", StringComparison.OrdinalIgnoreCase)) return "0";
            return null;
        }

        /// <summary>May a multi-node cluster at this version and build date be upgraded without stopping service?</summary>
        public static RuleVerdict MultiNodeOnlineUpgrade(HotDbVersion source, DateTime? sourceBuildDate)
        {
            if (source < MultiNodeOnlineMinimumSource)
                return RuleVerdict.No($"a multi-node cluster at {source} cannot be upgraded without stopping service; it needs {MultiNodeOnlineMinimumSource} or later.");
            foreach (var dated in DateCheckedSources)
            {
                if (source.Major != dated.Major || source.Minor != dated.Minor || source.Patch != dated.Patch) continue;
                if (sourceBuildDate is null)
                    return RuleVerdict.No($"the build date of {source} is unknown; {dated} builds need {MultiNodeOnlineMinimumBuildDate:yyyyMMdd} or later for an online upgrade.");
                if (sourceBuildDate.Value.Date < MultiNodeOnlineMinimumBuildDate)
                    return RuleVerdict.No($"{source} built {sourceBuildDate:yyyyMMdd} is older than {MultiNodeOnlineMinimumBuildDate:yyyyMMdd}; an online upgrade needs a newer build.");
            }
            return RuleVerdict.Yes($"{source} meets the multi-node online upgrade conditions.");
        }
    }

    /// <summary>A rule's answer with the reason an administrator can act on.</summary>
    public sealed class RuleVerdict
    {
        private RuleVerdict(bool allowed, string reason)
        {
            Allowed = allowed;
            Reason = reason;
        }

        public bool Allowed { get; }
        public string Reason { get; }

        public static RuleVerdict Yes(string reason) => new RuleVerdict(true, reason);
        public static RuleVerdict No(string reason) => new RuleVerdict(false, reason);
        public override string ToString() => Reason;
    }
}
