using System;
using System.Collections.Generic;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// Carries the user's configuration from an old install's file into the new install's file. Pure: text in,
    /// merged text and the list of changes out; file access is the caller's.
    /// </summary>
    public static class ConfigMerger
    {
        /// <summary>The path of each file inside an install directory, as the upgrade manual names them.</summary>
        public static string RelativePath(ConfigFileKind kind) => kind switch
        {
            ConfigFileKind.ServerXml => "conf/server.xml",
            ConfigFileKind.StartScript => "bin/hotdb_server",
            ConfigFileKind.Log4j2 => "conf/log4j2.xml",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        /// <summary>Which kind a file is, from its name (server.xml, hotdb_server, log4j2.xml); null when unknown.</summary>
        public static ConfigFileKind? KindOf(string path)
        {
            var name = path.Substring(path.LastIndexOfAny(new[] { '/', '\\' }) + 1);
            if (name.Equals("server.xml", StringComparison.OrdinalIgnoreCase)) return ConfigFileKind.ServerXml;
            if (name.Equals("hotdb_server", StringComparison.Ordinal)) return ConfigFileKind.StartScript;
            if (name.Equals("log4j2.xml", StringComparison.OrdinalIgnoreCase)) return ConfigFileKind.Log4j2;
            return null;
        }

        /// <summary>
        /// Merges one file. <paramref name="pristineText"/> is the old version's file as the vendor shipped it;
        /// with it the merge is three-way, without it two-way (every differing value is carried).
        /// </summary>
        public static ConfigMergeResult Merge(ConfigFileKind kind, string file, string oldText, string newText, string? pristineText,
            ConfigMergeOptions? options = null)
        {
            if (oldText is null) throw new ArgumentNullException(nameof(oldText));
            if (newText is null) throw new ArgumentNullException(nameof(newText));
            options ??= new ConfigMergeOptions();
            return kind switch
            {
                ConfigFileKind.ServerXml => ServerXmlMerge.Merge(file, oldText, newText, pristineText, options),
                ConfigFileKind.StartScript => StartScriptMerge.Merge(file, oldText, newText, pristineText, options),
                ConfigFileKind.Log4j2 => Log4j2Merge.Merge(file, oldText, newText, pristineText, options),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
        }

        /// <summary>Byte-level merge: the new file's BOM and every byte outside the changed values are kept.</summary>
        public static ConfigMergeResult Merge(ConfigFileKind kind, string file, byte[] oldBytes, byte[] newBytes, byte[]? pristineBytes,
            ConfigMergeOptions? options, out byte[] mergedBytes)
        {
            var fresh = ConfigText.Decode(newBytes, file);
            var result = Merge(kind, file, ConfigText.Decode(oldBytes, file + " (old install)").Text, fresh.Text,
                pristineBytes is null ? null : ConfigText.Decode(pristineBytes, file + " (pristine)").Text, options);
            mergedBytes = result.IsModified ? fresh.WithText(result.MergedText).Encode() : newBytes;
            return result;
        }

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
}
