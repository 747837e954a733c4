using System;
using System.Collections.Generic;
using System.IO;
using System.Xml;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// Carries the user's configuration from an old install's file into the new install's file. Pure: text in,
    /// merged text and the list of changes out; file access is the caller's.
    /// </summary>
    public static class ConfigMerger
    {
        /// <summary>
        /// The path of each file inside a compute node install directory, as the upgrade manual names them.
        /// Properties files have no one path (each component names its own); the carry-over finds them under conf/.
        /// </summary>
        public static string RelativePath(ConfigFileKind kind) => kind switch
        {
            ConfigFileKind.ServerXml => "conf/server.xml",
            ConfigFileKind.StartScript => "bin/hotdb_server",
            ConfigFileKind.Log4j2 => "conf/log4j2.xml",
            ConfigFileKind.Properties => throw new ArgumentException("Properties files have no fixed path; name the file (e.g. conf/application.properties).", nameof(kind)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        /// <summary>Which kind a file is, from its name (server.xml, hotdb_server, log4j2.xml, *.properties); null when unknown.</summary>
        public static ConfigFileKind? KindOf(string path)
        {
            var name = path.Substring(path.LastIndexOfAny(new[] { '/', '\\' }) + 1);
            if (name.Equals("server.xml", StringComparison.OrdinalIgnoreCase)) return ConfigFileKind.ServerXml;
            if (name.Equals("hotdb_server", StringComparison.Ordinal)) return ConfigFileKind.StartScript;
            if (name.Equals("log4j2.xml", StringComparison.OrdinalIgnoreCase)) return ConfigFileKind.Log4j2;
            if (name.EndsWith(".properties", StringComparison.OrdinalIgnoreCase)) return ConfigFileKind.Properties;
            return null;
        }

        /// <summary>
        /// Merges one file. <paramref name="pristineText"/> is the old version's file as the vendor shipped it;
        /// with it the merge is three-way, without it two-way (every differing value is carried).
        /// <paramref name="oldFile"/> and <paramref name="pristineFile"/> name those texts in errors.
        /// Texts of another kind of file than <paramref name="kind"/> are refused.
        /// </summary>
        public static ConfigMergeResult Merge(ConfigFileKind kind, string file, string oldText, string newText, string? pristineText,
            ConfigMergeOptions? options = null, string? oldFile = null, string? pristineFile = null)
        {
            if (oldText is null) throw new ArgumentNullException(nameof(oldText));
            if (newText is null) throw new ArgumentNullException(nameof(newText));
            options ??= new ConfigMergeOptions();
            var files = new ConfigFileNames(file, oldFile ?? file + " (old install)", pristineFile ?? file + " (pristine)");
            EnsureKind(kind, files.Old, oldText);
            EnsureKind(kind, files.New, newText);
            if (pristineText != null) EnsureKind(kind, files.Pristine, pristineText);
            return kind switch
            {
                ConfigFileKind.ServerXml => ServerXmlMerge.Merge(files, oldText, newText, pristineText, options),
                ConfigFileKind.StartScript => StartScriptMerge.Merge(files, oldText, newText, pristineText, options),
                ConfigFileKind.Log4j2 => Log4j2Merge.Merge(files, oldText, newText, pristineText, options),
                ConfigFileKind.Properties => PropertiesMerge.Merge(files, oldText, newText, pristineText, options),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
        }

        /// <summary>Byte-level merge: the new file's BOM and every byte outside the changed values are kept.</summary>
        public static ConfigMergeResult Merge(ConfigFileKind kind, string file, byte[] oldBytes, byte[] newBytes, byte[]? pristineBytes,
            ConfigMergeOptions? options, out byte[] mergedBytes, string? oldFile = null, string? pristineFile = null)
        {
            oldFile ??= file + " (old install)";
            pristineFile ??= file + " (pristine)";
            var fresh = ConfigText.Decode(newBytes, file);
            var result = Merge(kind, file, ConfigText.Decode(oldBytes, oldFile).Text, fresh.Text,
                pristineBytes is null ? null : ConfigText.Decode(pristineBytes, pristineFile).Text, options, oldFile, pristineFile);
            mergedBytes = result.IsModified ? fresh.WithText(result.MergedText).Encode() : newBytes;
            return result;
        }

        // Parsing a file as another kind can "succeed" (any XML reads as log4j2 keys), so the kind is checked first.
        private static void EnsureKind(ConfigFileKind kind, string file, string text)
        {
            var found = DetectKind(text, out var root);
            // Start scripts and properties files are both plain text: a #! line tells a script.
            if (kind == ConfigFileKind.Properties && found == ConfigFileKind.StartScript)
            {
                if (!text.TrimStart().StartsWith("#!", StringComparison.Ordinal)) return;
                throw new ConfigFormatException(file, $"starts with #! (it reads as a shell script), not {Describe(kind)}; compare files of the same kind.");
            }
            var mismatch = kind == ConfigFileKind.StartScript || kind == ConfigFileKind.Properties ? found != ConfigFileKind.StartScript : found != null && found != kind;
            if (!mismatch) return;
            var what = found == ConfigFileKind.StartScript ? "is not XML (it reads as a start script)"
                : found is null ? (root is null ? "is an XML file" : $"is an XML file with root <{root}>")
                : $"is {Describe(found.Value)} (root <{root}>)";
            throw new ConfigFormatException(file, $"{what}, not {Describe(kind)}; compare files of the same kind.");
        }

        /// <summary>
        /// What a file's content says it is: a start script when it is not XML, server.xml or log4j2.xml by the root
        /// element; null for XML that cannot tell (another root, or malformed: the format's parser reports that).
        /// </summary>
        private static ConfigFileKind? DetectKind(string text, out string? root)
        {
            root = null;
            var start = 0;
            while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
            if (start == text.Length || text[start] != '<') return ConfigFileKind.StartScript;
            try
            {
                var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
                using var reader = XmlReader.Create(new StringReader(text), settings);
                while (reader.Read())
                {
                    if (reader.NodeType != XmlNodeType.Element) continue;
                    root = reader.Name;
                    if (reader.LocalName == "server") return ConfigFileKind.ServerXml;
                    if (reader.LocalName.Equals("Configuration", StringComparison.OrdinalIgnoreCase)) return ConfigFileKind.Log4j2;
                    return null;
                }
            }
            catch (XmlException)
            {
                // Malformed: the format's parser names the line and column.
            }
            return null;
        }

        internal static string Describe(ConfigFileKind kind) => kind switch
        {
            ConfigFileKind.ServerXml => "a server.xml",
            ConfigFileKind.StartScript => "a start script (bin/hotdb_server)",
            ConfigFileKind.Properties => "a Java .properties file",
            _ => "a log4j2.xml",
        };

        /// <summary>Points a start script at a JDK: sets JAVA_BIN and JAVA_VERSION, keeping the file's quoting.</summary>
        public static ConfigMergeResult SetJdk(string file, string scriptText, string javaBin, string javaVersion)
        {
            if (string.IsNullOrWhiteSpace(javaBin)) throw new ArgumentException("The java binary path is empty.", nameof(javaBin));
            if (string.IsNullOrWhiteSpace(javaVersion)) throw new ArgumentException("The Java version is empty.", nameof(javaVersion));
            return StartScriptMerge.Set(file, scriptText, new[]
            {
                new KeyValuePair<string, string>("JAVA_BIN", javaBin),
                new KeyValuePair<string, string>("JAVA_VERSION", javaVersion),
            });
        }
    }

    /// <summary>Reading and editing Java .properties texts outside a merge.</summary>
    public static class PropertiesText
    {
        /// <summary>The effective key/value pairs (escapes resolved, continuations joined, the last setting of a key wins).</summary>
        public static IReadOnlyDictionary<string, string> Parse(string text, string file = "properties") => PropertiesMerge.Parse(text, file);

        /// <summary>Sets keys the file already has to literal values (escaped as Java needs), keeping everything else.</summary>
        public static ConfigMergeResult Set(string file, string text, IEnumerable<KeyValuePair<string, string>> values) =>
            PropertiesMerge.Set(file, text, values);
    }

    /// <summary>How errors name the three texts of one merge.</summary>
    internal sealed class ConfigFileNames
    {
        public ConfigFileNames(string newFile, string oldFile, string pristineFile)
        {
            New = newFile;
            Old = oldFile;
            Pristine = pristineFile;
        }

        public string New { get; }
        public string Old { get; }
        public string Pristine { get; }
    }
}
