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

        /// <summary>The package's full local path when it was read from a path (binds to -Path / -Package on the pipeline); null for a bare name.</summary>
        public string? FullName { get; private set; }

        /// <summary>This package read from the local file <paramref name="fullName"/>.</summary>
        public HotDbPackage AtPath(string fullName) =>
            new HotDbPackage(FileName, Component, Version, BuildDate, TopDirectory) { FullName = fullName };

        /// <summary>For a JDK: what java -version reports, e.g. 1.8.0_252.</summary>
        public string? JavaVersion => Component == HotDbComponent.Jdk ? $"1.8.0_{Version.Revision:D}" : null;

        public static HotDbPackage Parse(string pathOrFileName)
        {
            if (TryParse(pathOrFileName, out var package, out var problem)) return package!;
            throw new FormatException(problem);
        }

        public static bool TryParse(string? pathOrFileName, out HotDbPackage? package) => TryParse(pathOrFileName, out package, out _);

        /// <summary>Like <see cref="TryParse(string, out HotDbPackage)"/>; <paramref name="problem"/> says what is wrong with the name.</summary>
        public static bool TryParse(string? pathOrFileName, out HotDbPackage? package, out string? problem)
        {
            package = null;
            problem = null;
            var name = string.IsNullOrWhiteSpace(pathOrFileName) ? "" : Path.GetFileName(pathOrFileName!.Trim());
            string? version = null;
            Func<HotDbVersion, HotDbPackage>? build = null;

            var m = ServerOrManagement.Match(name);
            if (m.Success)
            {
                var server = m.Groups["kind"].Value.Equals("server", StringComparison.OrdinalIgnoreCase);
                version = m.Groups["version"].Value;
                var date = Date(m);
                if (date != null)
                    build = v => new HotDbPackage(name, server ? HotDbComponent.ComputeNode : HotDbComponent.ManagementPlatform, v, date, server ? "hotdb-server" : "hotdb-management");
            }
            else if ((m = Backup.Match(name)).Success)
            {
                version = m.Groups["version"].Value;
                var date = Date(m);
                if (date != null) build = v => new HotDbPackage(name, HotDbComponent.Backup, v, date, "hotdb-backup");
            }
            else if ((m = Listener.Match(name)).Success)
            {
                version = m.Groups["version"].Value;
                build = v => new HotDbPackage(name, HotDbComponent.Listener, v, null, "hotdb-listener");
            }
            else if ((m = Jdk.Match(name)).Success)
            {
                var update = m.Groups["update"].Value;
                var buildNumber = m.Groups["build"].Value;
                if (buildNumber.Length > HotDbVersion.MaxPartDigits)
                {
                    problem = $"'{name}': the JDK build number {buildNumber} is too large (at most {HotDbVersion.MaxPartDigits} digits).";
                    return false;
                }
                version = "1.8.0." + update;
                build = v => new HotDbPackage(name, HotDbComponent.Jdk, v, null, $"jdk8u{v.Revision}-b{int.Parse(buildNumber, CultureInfo.InvariantCulture):D2}");
            }
            else
            {
                problem = $"'{name}' is not a HotDB package name; expected {ExpectedPatterns}.";
                return false;
            }

            if (build is null)
            {
                problem = $"'{name}': '{m.Groups["date"].Value}' is not a build date (yyyymmdd); expected {ExpectedPatterns}.";
                return false;
            }
            if (!HotDbVersion.TryParse(version, out var parsed, out var versionProblem))
            {
                problem = $"'{name}': {versionProblem}";
                return false;
            }
            package = build(parsed!);
            return true;
        }

        private static DateTime? Date(Match m) =>
            DateTime.TryParseExact(m.Groups["date"].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                ? parsed : (DateTime?)null;

        public override string ToString() => FileName;
    }
}
