using System;
using System.Linq;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class VersioningTests
    {
        [Theory]
        [InlineData("hotdb-server-2.5.4-ga-20190812.tar.gz", HotDbComponent.ComputeNode, "2.5.4", "2019-08-12", "hotdb-server")]
        [InlineData("/tmp/pkgs/hotdb-server-2.5.3.1-ga-20190821.tar.gz", HotDbComponent.ComputeNode, "2.5.3.1", "2019-08-21", "hotdb-server")]
        [InlineData("hotdb-management-2.4.9-ga-20190417.tar.gz", HotDbComponent.ManagementPlatform, "2.4.9", "2019-04-17", "hotdb-management")]
        [InlineData("hotdb-backup-2.0-20190109.tar.gz", HotDbComponent.Backup, "2.0", "2019-01-09", "hotdb-backup")]
        [InlineData("hotdb-listener-0.0.1-linux.tar.gz", HotDbComponent.Listener, "0.0.1", null, "hotdb-listener")]
        [InlineData("OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz", HotDbComponent.Jdk, "1.8.0.252", null, "jdk8u252-b09")]
        public void Parses_vendor_package_names(string name, HotDbComponent component, string version, string? date, string top)
        {
            var package = HotDbPackage.Parse(name);
            Assert.Equal(component, package.Component);
            Assert.Equal(HotDbVersion.Parse(version), package.Version);
            Assert.Equal(date is null ? (DateTime?)null : DateTime.Parse(date), package.BuildDate);
            Assert.Equal(top, package.TopDirectory);
        }

        [Fact]
        public void Jdk_package_reports_the_java_version_string()
        {
            Assert.Equal("1.8.0_252", HotDbPackage.Parse("OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz").JavaVersion);
            Assert.Null(HotDbPackage.Parse("hotdb-server-2.5.4-ga-20190812.tar.gz").JavaVersion);
        }

        [Theory]
        [InlineData("hotdb-server-2.5.4.tar.gz")]
        [InlineData("hotdb-server-2.5.4-ga-20191332.tar.gz")]
        [InlineData("hotdb-server-2.5.4-ga-20190812.zip")]
        [InlineData("hotdb-proxy-2.5.4-ga-20190812.tar.gz")]
        [InlineData("hotdb-listener-0.0.1.tar.gz")]
        [InlineData("")]
        public void Rejects_unrecognised_names_with_the_expected_patterns(string name)
        {
            Assert.False(HotDbPackage.TryParse(name, out _));
            var error = Assert.Throws<FormatException>(() => HotDbPackage.Parse(name));
            Assert.Contains("hotdb-server-<version>-ga-<yyyymmdd>.tar.gz", error.Message);
        }

        [Theory]
        [InlineData("2.5.3", "2.5.4", -1)]
        [InlineData("2.5.10", "2.5.9", 1)]
        [InlineData("2.5", "2.5.0", 0)]
        [InlineData("2.5.3.1", "2.5.3", 1)]
        [InlineData("2.4.9", "2.5.1", -1)]
        public void Compares_numerically_part_by_part(string a, string b, int sign)
        {
            Assert.Equal(sign, Math.Sign(HotDbVersion.Parse(a).CompareTo(HotDbVersion.Parse(b))));
        }

        [Theory]
        [InlineData("hotdb-server-2.5.1234567-ga-20190812.tar.gz", "1234567")]
        [InlineData("hotdb-server-99999999999999999999.5.4-ga-20190812.tar.gz", "99999999999999999999")]
        [InlineData("hotdb-listener-0.0.12345678901-linux.tar.gz", "12345678901")]
        [InlineData("OpenJDK8U-jdk_x64_linux_hotspot_8u99999999999b09.tar.gz", "99999999999")]
        [InlineData("OpenJDK8U-jdk_x64_linux_hotspot_8u252b99999999999.tar.gz", "99999999999")]
        public void Huge_numbers_in_a_name_are_refused_with_a_reason_not_an_exception(string name, string number)
        {
            Assert.False(HotDbPackage.TryParse(name, out var package, out var problem));
            Assert.Null(package);
            Assert.Contains(name, problem);
            Assert.Contains(number + " is too large", problem);
            Assert.False(HotDbPackage.TryParse(name, out _));
            var error = Assert.Throws<FormatException>(() => HotDbPackage.Parse(name));
            Assert.Equal(problem, error.Message);
        }

        [Fact]
        public void Sorts_through_the_non_generic_comparer_numerically()
        {
            // PowerShell's Sort-Object and -lt use IComparable; without it they compare the text (10.0.0 before 2.5.9).
            var versions = new System.Collections.ArrayList { HotDbVersion.Parse("10.0.0"), HotDbVersion.Parse("2.5.10"), HotDbVersion.Parse("2.5.9") };
            versions.Sort(System.Collections.Comparer.DefaultInvariant);
            Assert.Equal(new[] { "2.5.9", "2.5.10", "10.0.0" }, versions.Cast<HotDbVersion>().Select(v => v.ToString()));
            IComparable version = HotDbVersion.Parse("2.5.9");
            Assert.True(version.CompareTo("10.0.0") < 0);
            Assert.Equal(0, version.CompareTo("2.5.9.0"));
            Assert.Throws<FormatException>(() => version.CompareTo("2.5.x"));
            Assert.Throws<ArgumentException>(() => version.CompareTo(42));
        }

        [Theory]
        [InlineData("2.5.x", "'x' is not a number")]
        [InlineData("2.5.1234567", "1234567 is too large")]
        [InlineData("1.2.3.4.5", "5 parts")]
        public void Malformed_versions_say_what_is_wrong(string text, string reason)
        {
            Assert.False(HotDbVersion.TryParse(text, out _, out var problem));
            Assert.Contains(reason, problem);
        }

        [Theory]
        [InlineData("2.5.x")]
        [InlineData("2..5")]
        [InlineData("1.2.3.4.5")]
        [InlineData(" ")]
        public void Rejects_malformed_versions(string text) => Assert.Throws<FormatException>(() => HotDbVersion.Parse(text));

        [Theory]
        [InlineData("2.5.5", false)]
        [InlineData("2.5.6", true)]
        [InlineData("2.6.0", true)]
        public void Jdk8_is_needed_from_2_5_6(string target, bool needed)
        {
            Assert.Equal(needed, VersionRules.RequiresJdk8(HotDbVersion.Parse(target)));
            Assert.Equal(needed ? "1.8" : "1.7", VersionRules.RequiredJavaMajor(HotDbVersion.Parse(target)));
        }

        [Theory]
        [InlineData("2.5.3", "2.5.5", false)]
        [InlineData("2.5.3", "2.5.6", true)]
        [InlineData("2.4.9", "2.5.6", true)]
        [InlineData("2.5.6", "2.5.7", false)]
        public void New_license_is_needed_when_crossing_2_5_6(string source, string target, bool needed) =>
            Assert.Equal(needed, VersionRules.RequiresNewLicense(HotDbVersion.Parse(source), HotDbVersion.Parse(target)));

        [Theory]
        [InlineData("2.5.2", false)]
        [InlineData("2.5.3", true)]
        [InlineData("2.5.3.1", true)]
        [InlineData("2.4.9", false)]
        public void Ndb_sql_is_carried_from_2_5_3(string source, bool carried) =>
            Assert.Equal(carried, VersionRules.CarriesNdbSql(HotDbVersion.Parse(source)));

        [Theory]
        [InlineData("2.4.9", false)]
        [InlineData("2.5.2", false)]
        [InlineData("2.5.3", true)]
        [InlineData("2.5.6", true)]
        public void Management_platform_upgrades_its_own_configdb_from_2_5_3(string target, bool self) =>
            Assert.Equal(self, VersionRules.ManagementUpgradesOwnConfigDb(HotDbVersion.Parse(target)));

        [Theory]
        [InlineData("2.4.9", "2019-12-01", false)]
        [InlineData("2.5.0", "2019-12-01", false)]
        [InlineData("2.5.1", "2019-08-20", false)]
        [InlineData("2.5.1", "2019-08-21", true)]
        [InlineData("2.5.1", null, false)]
        [InlineData("2.5.2", "2019-01-01", true)]
        [InlineData("2.5.3", "2019-08-20", false)]
        [InlineData("2.5.3", "2019-08-21", true)]
        [InlineData("2.5.3.1", "2019-08-20", false)]
        [InlineData("2.5.4", "2019-08-12", true)]
        [InlineData("2.5.6", null, true)]
        public void Multi_node_online_upgrade_needs_2_5_1_and_a_dated_build(string source, string? date, bool allowed)
        {
            var verdict = VersionRules.MultiNodeOnlineUpgrade(HotDbVersion.Parse(source), date is null ? null : DateTime.Parse(date));
            Assert.Equal(allowed, verdict.Allowed);
            Assert.False(string.IsNullOrWhiteSpace(verdict.Reason));
        }
    }
}
