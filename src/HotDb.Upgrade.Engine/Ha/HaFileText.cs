using System;
using System.Linq;
using System.Text;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Ha
{
    /// <summary>
    /// A file as read and its edited text. Writing goes through the configuration carry-over's writer: it refuses a
    /// file that changed since it was read, saves the original under a unique 0600 backup name, replaces the file
    /// atomically with its owner and mode, and reads it back.
    /// </summary>
    internal sealed class HaFileText
    {
        private static readonly byte[] Bom = { 0xEF, 0xBB, 0xBF };
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        public HaFileText(string path, byte[] original)
        {
            Path = path;
            Original = original;
            HasBom = original.Length >= 3 && original.Take(3).SequenceEqual(Bom);
            Text = Utf8.GetString(original, HasBom ? 3 : 0, original.Length - (HasBom ? 3 : 0));
            Edited = Text;
        }

        public string Path { get; }
        public byte[] Original { get; }
        public bool HasBom { get; }
        /// <summary>The text without its byte order mark.</summary>
        public string Text { get; }
        public string Edited { get; set; }
        public bool Changed => !string.Equals(Text, Edited, StringComparison.Ordinal);

        /// <summary>Writes the edited text; returns the backup's path.</summary>
        public string Write(IRemoteHost host, DateTime utcNow)
        {
            var edited = Utf8.GetBytes(Edited);
            // The carry-over's plan type carries the bytes; its kind only labels a merge report, which this is not.
            var plan = new ConfigFilePlan(ConfigFileKind.ServerXml, Path, Path, null)
            {
                NewBytes = Original,
                MergedBytes = HasBom ? Bom.Concat(edited).ToArray() : edited,
                Result = new ConfigMergeResult(ConfigFileKind.ServerXml, ConfigMergeMode.TwoWay, Text, Edited, Array.Empty<ConfigChange>()),
            };
            return ConfigCarryOver.Apply(host, plan, utcNow);
        }

        public static void Restore(IRemoteHost host, string path, string backupPath) => ConfigCarryOver.Restore(host, path, backupPath);
    }
}
