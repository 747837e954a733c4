using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using HotDb.Upgrade.ConfigDb.Sql;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.ConfigDb
{
    /// <summary>Which ConfigDB a script or a target belongs to.</summary>
    public enum ConfigDbKind
    {
        /// <summary>The compute nodes' ConfigDB, database hotdb_config.</summary>
        ComputeNode,
        /// <summary>The management platform's ConfigDB, database hotdb_cloud_config.</summary>
        ManagementPlatform,
    }

    /// <summary>One vendor upgrade script: what its name says, its checksum and its statements.</summary>
    public sealed class UpgradeScript
    {
        internal UpgradeScript(string path, ConfigDbKind kind, HotDbVersion version, string sha256, IReadOnlyList<SqlStatement> statements)
        {
            Path = path;
            Kind = kind;
            Version = version;
            Sha256 = sha256;
            Statements = statements;
        }

        public string Path { get; }
        public string Name => System.IO.Path.GetFileName(Path);
        public ConfigDbKind Kind { get; }
        /// <summary>The version this script upgrades the ConfigDB to.</summary>
        public HotDbVersion Version { get; }
        /// <summary>SHA-256 of the file's bytes, lower-case hex.</summary>
        public string Sha256 { get; }
        public IReadOnlyList<SqlStatement> Statements { get; }
        public int StatementCount => Statements.Count;

        public override string ToString() => Name;
    }

    /// <summary>A scripts folder that cannot be used as it is; every problem is listed, nothing has run.</summary>
    public sealed class UpgradeScriptCatalogException : Exception, IHotDbError
    {
        public UpgradeScriptCatalogException(string message, IReadOnlyList<string> problems)
            : base(message + " " + string.Join(" ", problems))
        {
            Problems = problems;
        }

        public IReadOnlyList<string> Problems { get; }

        public string ErrorId => "UpgradeScriptsNotUsable";
        public string Category => "InvalidData";
        public object? Target => null;
        public string RecommendedAction => $"Name every script {UpgradeScriptCatalog.NamingRule}, keep one script per version and fix unterminated strings or comments.";
    }

    /// <summary>
    /// Reads the vendor's ConfigDB upgrade scripts from a folder. A script is named
    /// <c>hotdb_config_&lt;version&gt;[_&lt;words&gt;].sql</c> (compute nodes) or
    /// <c>hotdb_cloud_config_&lt;version&gt;[_&lt;words&gt;].sql</c> (management platform), where the version is the
    /// one the script upgrades to (2 to 4 dotted numbers); '-' may replace '_'. Every other .sql file (the extension
    /// in any case), a name with a second version or a date (a backup's name), two scripts for one version, a link
    /// out of the folder and a script that is not UTF-8 or UTF-16 with a BOM are refused (<see cref="ScriptFiles"/>).
    /// </summary>
    public static class UpgradeScriptCatalog
    {
        public const string NamingRule =
            "hotdb_config_<version>[_<words>].sql for compute-node scripts, hotdb_cloud_config_<version>[_<words>].sql " +
            "for management-platform scripts; <version> is the version the script upgrades to, such as 2.5.4";

        private static readonly Regex ScriptName = new Regex(
            @"^(?<db>hotdb_cloud_config|hotdb_config)[_-](?<version>\d+(?:\.\d+){1,3})(?:[_-](?<words>[^.].*))?\.sql$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        private static readonly Regex VersionLike = new Regex(@"(?<![\d.])\d+\.\d+", RegexOptions.CultureInvariant);
        private static readonly Regex DateLike = new Regex(@"^\d{8}", RegexOptions.CultureInvariant);

        public static string DatabaseOf(ConfigDbKind kind) => kind == ConfigDbKind.ComputeNode ? "hotdb_config" : "hotdb_cloud_config";

        /// <summary>Reads kind and version from a script's file name; <paramref name="problem"/> says why not.</summary>
        public static bool TryParseName(string fileName, out ConfigDbKind kind, out HotDbVersion? version, out string? problem)
        {
            kind = default;
            version = null;
            problem = null;
            var name = System.IO.Path.GetFileName(fileName);
            var m = ScriptName.Match(name);
            if (!m.Success)
            {
                problem = $"'{name}' is not an upgrade script name; expected {NamingRule}.";
                return false;
            }
            var words = m.Groups["words"].Value;
            if (VersionLike.IsMatch(words))
            {
                problem = $"'{name}' names more than one version, so which one it upgrades to is ambiguous; rename it to {NamingRule}.";
                return false;
            }
            if (DateLike.IsMatch(words))
            {
                problem = $"'{name}' has a date after the version, like a ConfigDB backup; keep backups out of the scripts folder.";
                return false;
            }
            if (!HotDbVersion.TryParse(m.Groups["version"].Value, out version, out var versionProblem))
            {
                problem = $"'{name}': {versionProblem}";
                return false;
            }
            kind = m.Groups["db"].Value.Equals("hotdb_config", StringComparison.OrdinalIgnoreCase) ? ConfigDbKind.ComputeNode : ConfigDbKind.ManagementPlatform;
            return true;
        }

        /// <summary>Every .sql script in <paramref name="folder"/>, split into statements, ordered by kind and version.</summary>
        public static IReadOnlyList<UpgradeScript> Load(string folder)
        {
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The scripts folder '{folder}' does not exist.");
            var scripts = new List<UpgradeScript>();
            var paths = ScriptFiles.InFolder(folder, out var refused);
            var problems = refused.Select(r => r.Message).ToList();
            foreach (var path in paths)
            {
                if (!TryParseName(path, out var kind, out var version, out var problem)) { problems.Add(problem!); continue; }
                try
                {
                    // Checked whole first (an encoding problem is named before any syntax error), then split as it is
                    // read, hashing the very bytes split: neither the bytes nor the text are held, only the statements.
                    var name = System.IO.Path.GetFileName(path);
                    ScriptFiles.Check(path, name, ScriptFiles.MaxBytes);
                    using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                    {
                        List<SqlStatement> statements;
                        using (var reader = ScriptFiles.OpenText(path, name, ScriptFiles.MaxBytes, hash))
                            statements = MySqlScriptSplitter.Read(reader, name).ToList();
                        scripts.Add(new UpgradeScript(path, kind, version!, Hex(hash.GetHashAndReset()), statements));
                    }
                }
                catch (Exception e) when (e is SqlSyntaxException || e is ScriptFileException)
                {
                    problems.Add(e.Message);
                }
            }
            foreach (var twins in scripts.GroupBy(s => (s.Kind, s.Version)).Where(g => g.Count() > 1))
                problems.Add($"{twins.Count()} scripts upgrade the {DatabaseOf(twins.Key.Kind)} ConfigDB to {twins.Key.Version}: " +
                    $"{string.Join(", ", twins.Select(s => s.Name))}; keep exactly one.");
            if (problems.Count > 0)
                throw new UpgradeScriptCatalogException($"The scripts folder '{folder}' cannot be used:", problems);
            return scripts.OrderBy(s => s.Kind).ThenBy(s => s.Version).ToList();
        }

        /// <summary>The scripts of one kind in (<paramref name="from"/>, <paramref name="to"/>], in version order, none left out.</summary>
        public static IReadOnlyList<UpgradeScript> Select(IEnumerable<UpgradeScript> scripts, ConfigDbKind kind, HotDbVersion from, HotDbVersion to)
        {
            if (to < from) throw new ArgumentException($"The target version {to} is older than the current version {from}; a ConfigDB is never downgraded by script.");
            return scripts.Where(s => s.Kind == kind && s.Version > from && s.Version <= to).OrderBy(s => s.Version).ToList();
        }

        internal static string Sha256(byte[] bytes)
        {
            using (var sha = SHA256.Create())
                return Hex(sha.ComputeHash(bytes));
        }

        private static string Hex(byte[] hash) => string.Concat(hash.Select(b => b.ToString("x2")));
    }
}
