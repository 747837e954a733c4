using System;
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
