using System;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;

namespace HotDb.Upgrade.Versioning
{
    public enum HotDbComponent
    {
        ComputeNode,
        ManagementPlatform,
        Backup,
        Listener,
        Jdk,
    }

    /// <summary>What a vendor package file name says: component, version, build date.</summary>
    public sealed class HotDbPackage
    {
        public const string ExpectedPatterns =
            "hotdb-server-<version>-ga-<yyyymmdd>.tar.gz, hotdb-management-<version>-ga-<yyyymmdd>.tar.gz, " +
            "hotdb-backup-<version>-<yyyymmdd>.tar.gz, hotdb-listener-<version>-linux.tar.gz or " +
            "OpenJDK8U-jdk_x64_linux_hotspot_8u<update>b<build>.tar.gz";

        private static readonly Regex ServerOrManagement = new Regex(
            @"^hotdb-(?<kind>server|management)-(?<version>\d+(?:\.\d+){1,3})-ga-(?<date>\d{8})\.tar\.gz$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        private static readonly Regex Backup = new Regex(
            @"^hotdb-backup-(?<version>\d+(?:\.\d+){0,3})-(?<date>\d{8})\.tar\.gz$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        private static readonly Regex Listener = new Regex(
            @"^hotdb-listener-(?<version>\d+(?:\.\d+){0,3})-linux\.tar\.gz$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        private static readonly Regex Jdk = new Regex(
            @"^OpenJDK8U-jdk_x64_linux_hotspot_8u(?<update>\d+)b(?<build>\d+)\.tar\.gz$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        private HotDbPackage(string fileName, HotDbComponent component, HotDbVersion version, DateTime? buildDate, string? topDirectory)
        {
            FileName = fileName;
            Component = component;
            Version = version;
            BuildDate = buildDate;
            TopDirectory = topDirectory;
        }

        public string FileName { get; }
        public HotDbComponent Component { get; }
        /// <summary>For a JDK: 1.8.0.&lt;update&gt;, the form java -version reports.</summary>
        public HotDbVersion Version { get; }
        public DateTime? BuildDate { get; }
        /// <summary>The directory the tarball extracts to, where the vendor documents it.</summary>
        public string? TopDirectory { get; }

        /// <summary>For a JDK: what java -version reports, e.g. 1.8.0_252.</summary>
        public string? JavaVersion => Component == HotDbComponent.Jdk ? $"1.8.0_{Version.Revision:D}" : null;

        public static HotDbPackage Parse(string pathOrFileName)
        {
            if (TryParse(pathOrFileName, out var package)) return package!;
            throw new FormatException(
                $"'{Path.GetFileName(pathOrFileName)}' is not a HotDB package name; expected {ExpectedPatterns}.");
        }

        public static bool TryParse(string? pathOrFileName, out HotDbPackage? package)
        {
            package = null;
            if (string.IsNullOrWhiteSpace(pathOrFileName)) return false;
            var name = Path.GetFileName(pathOrFileName!.Trim());

            var m = ServerOrManagement.Match(name);
            if (m.Success)
            {
                if (!TryDate(m, out var date)) return false;
                var server = m.Groups["kind"].Value.Equals("server", StringComparison.OrdinalIgnoreCase);
                package = new HotDbPackage(name, server ? HotDbComponent.ComputeNode : HotDbComponent.ManagementPlatform,
                    HotDbVersion.Parse(m.Groups["version"].Value), date, server ? "hotdb-server" : "hotdb-management");
                return true;
            }
            m = Backup.Match(name);
            if (m.Success)
            {
                if (!TryDate(m, out var date)) return false;
                package = new HotDbPackage(name, HotDbComponent.Backup, HotDbVersion.Parse(m.Groups["version"].Value), date, "hotdb-backup");
                return true;
            }
            m = Listener.Match(name);
            if (m.Success)
            {
                package = new HotDbPackage(name, HotDbComponent.Listener, HotDbVersion.Parse(m.Groups["version"].Value), null, "hotdb-listener");
                return true;
            }
            m = Jdk.Match(name);
            if (m.Success)
            {
                var update = int.Parse(m.Groups["update"].Value, CultureInfo.InvariantCulture);
                var build = int.Parse(m.Groups["build"].Value, CultureInfo.InvariantCulture);
                package = new HotDbPackage(name, HotDbComponent.Jdk, HotDbVersion.Parse($"1.8.0.{update}"), null,
                    $"jdk8u{update}-b{build:D2}");
                return true;
            }
            return false;
        }

        private static bool TryDate(Match m, out DateTime? date)
        {
            date = null;
            if (!DateTime.TryParseExact(m.Groups["date"].Value, "yyyyMMdd", CultureInfo.InvariantCulture,
                    DateTimeStyles.None, out var parsed)) return false;
            date = parsed;
            return true;
        }

        public override string ToString() => FileName;
    }
}
