using System;
using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.Configuration;

namespace HotDb.Upgrade.Plans.DataSourceAgents
{
    /// <summary>The settings a data-source agent upgrade carries: the Listener's host/port, and a start script's JAVA_BIN.</summary>
    public static class DataSourceAgentConfig
    {
        /// <summary>The keys a listener's config.properties sets its port with: the manual's port, and the post misprint of some releases.</summary>
        public static readonly IReadOnlyList<string> PortKeys = new[] { "port", "post" };

        /// <summary>
        /// The new config.properties with the old one's host and port (read from port=, else post=), written under the key
        /// the new file uses; a key the new file lacks is appended. <paramref name="changes"/> says what changed.
        /// </summary>
        public static string CarryListener(string oldText, string newText, string oldFile, string newFile, out IReadOnlyList<string> changes)
        {
            var old = PropertiesMerge.Parse(oldText, oldFile);
            var fresh = PropertiesMerge.Parse(newText, newFile);
            var list = new List<string>();
            var set = new List<KeyValuePair<string, string>>();
            var append = new List<string>();
            void Carry(string? value, string newKey, string oldKey)
            {
                if (value == null) return;
                if (fresh.TryGetValue(newKey, out var current))
                {
                    if (current == value) return;
                    set.Add(new KeyValuePair<string, string>(newKey, value));
                    list.Add($"{newKey}={value} carried from the old {oldKey}= (the new file had {current})");
                }
                else
                {
                    append.Add(newKey + "=" + value);
                    list.Add($"{newKey}={value} carried from the old {oldKey}= (the new file did not set it; appended)");
                }
            }
            old.TryGetValue("host", out var host);
            Carry(host, "host", "host");
            var oldPortKey = PortKeys.FirstOrDefault(old.ContainsKey);
            if (oldPortKey != null)
            {
                var newPortKey = PortKeys.FirstOrDefault(fresh.ContainsKey) ?? "port";
                Carry(old[oldPortKey], newPortKey, oldPortKey);
            }
            var merged = set.Count > 0 ? PropertiesMerge.Set(newFile, newText, set).MergedText : newText;
            if (append.Count > 0)
            {
                var newline = merged.Contains("\r\n") ? "\r\n" : "\n";
                if (merged.Length > 0 && !merged.EndsWith("\n", StringComparison.Ordinal)) merged += newline;
                merged += string.Join(newline, append) + newline;
            }
            changes = list;
            return merged;
        }

        /// <summary>The start script's JAVA_BIN when it is one literal absolute path (no $ expansion), else null.</summary>
        public static string? LiteralJavaBin(string scriptText, string file)
        {
            var assignment = ShellAssignment.ReadAll(scriptText, file).LastOrDefault(a => a.Name == "JAVA_BIN");
            if (assignment == null || assignment.Parts.Any(p => p.IsExpansion)) return null;
            var value = string.Concat(assignment.Parts.Select(p => p.Text));
            return value.StartsWith("/", StringComparison.Ordinal) ? value : null;
        }

        /// <summary>The script with JAVA_BIN set to <paramref name="javaBin"/>, in the file's own quoting.</summary>
        public static string SetJavaBin(string scriptText, string file, string javaBin) =>
            StartScriptMerge.Set(file, scriptText, new[] { new KeyValuePair<string, string>("JAVA_BIN", javaBin) }).MergedText;
    }
}
