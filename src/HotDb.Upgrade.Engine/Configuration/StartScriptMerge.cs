using System;
using System.Collections.Generic;
using System.Linq;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// The start script (bin/hotdb_server): each top-level variable assignment is one key. Only the value's
    /// characters change, written in the new file's quoting style.
    /// </summary>
    internal sealed class StartScriptMerge : KeyedMerge
    {
        /// <summary>The two assignments that name the JDK; an upgrade that installs a JDK sets them, never carries them.</summary>
        public static readonly IReadOnlyList<string> JdkVariables = new[] { "JAVA_BIN", "JAVA_VERSION" };

        private StartScriptMerge(string file, ConfigMergeOptions options) : base(ConfigFileKind.StartScript, file, options) { }

        public static ConfigMergeResult Merge(ConfigFileNames files, string oldText, string newText, string? pristineText, ConfigMergeOptions options)
        {
            var file = files.New;
            var old = Read(oldText, files.Old);
            var fresh = Read(newText, file);
            var pristine = pristineText is null ? null : Read(pristineText, files.Pristine);
            return new StartScriptMerge(file, options).Run(newText, old, fresh, pristine);
        }

        internal static ConfigEntries Read(string text, string file)
        {
            var entries = new ConfigEntries();
            foreach (var assignment in ShellAssignment.ReadAll(text, file))
                entries.Add(new ConfigEntry(assignment.Name, assignment.Canonical, assignment.Raw, assignment));
            return entries;
        }

        protected override string? CarryVeto(string key) =>
            Options.ExcludeJdk && JdkVariables.Contains(key, StringComparer.Ordinal)
                ? "this upgrade installs a new JDK, so the old JDK path and version are not carried; the JDK step sets them."
                : null;

        protected override Outcome Carry(ConfigEntry oldEntry, ConfigEntry newEntry)
        {
            var source = (ShellAssignment)oldEntry.Location;
            var target = (ShellAssignment)newEntry.Location;
            var encoded = ShellAssignment.Encode(source.Parts, target.Quoting);
            var reason = "changed in the old install; carried over.";
            if (encoded is null)
            {
                encoded = source.Raw;
                reason = "changed in the old install; carried over as the old file wrote it (the new file's quoting cannot express it).";
            }
            Edits.Add(new TextEdit(target.ValueStart, target.ValueEnd - target.ValueStart, encoded));
            return new Outcome(ConfigChangeAction.Carried, encoded, reason);
        }

        protected override Outcome OnlyInOld(ConfigEntry oldEntry, bool vendorHadIt) => vendorHadIt
            ? new Outcome(ConfigChangeAction.DroppedByNewVersion, null,
                "the old install changed it, but the new version's script no longer assigns it; not re-added.")
            : new Outcome(ConfigChangeAction.Skipped, null,
                "the new script does not assign it and lines are never added to a script; add it by hand if it is still needed.");

        /// <summary>
        /// Sets variables to literal values (e.g. JAVA_BIN and JAVA_VERSION after a JDK is installed), keeping the
        /// file's quoting. Every name must be assigned exactly once at top level.
        /// </summary>
        public static ConfigMergeResult Set(string file, string text, IEnumerable<KeyValuePair<string, string>> values)
        {
            var assignments = ShellAssignment.ReadAll(text, file);
            var edits = new List<TextEdit>();
            var changes = new List<ConfigChange>();
            foreach (var pair in values)
            {
                if (pair.Value.IndexOf('\n') >= 0 || pair.Value.IndexOf('\r') >= 0 || pair.Value.IndexOf('\0') >= 0)
                    throw new ArgumentException($"The value for {pair.Key} contains a line break or NUL.", nameof(values));
                var matches = assignments.Where(a => a.Name == pair.Key).ToList();
                if (matches.Count != 1)
                    throw new ConfigFormatException(file, matches.Count == 0
                        ? $"has no top-level {pair.Key}= assignment to set; add one by hand first."
                        : $"assigns {pair.Key} {matches.Count} times at top level, so which one counts is ambiguous; fix it by hand.");
                var target = matches[0];
                var parts = new[] { ShellPart.Literal(pair.Value) };
                var encoded = ShellAssignment.Encode(parts, target.Quoting)
                              ?? ShellAssignment.Encode(parts, ShellQuoting.Bare)
                              ?? ShellAssignment.Encode(parts, ShellQuoting.Double)!;
                if (encoded == target.Raw) continue;
                edits.Add(new TextEdit(target.ValueStart, target.ValueEnd - target.ValueStart, encoded));
                changes.Add(ConfigChange.Create(ConfigFileKind.StartScript, file, pair.Key, 1, target.Raw, target.Raw, null, encoded,
                    ConfigChangeAction.Set, "set explicitly.", ConfigMergeMode.TwoWay, secret: false));
            }
            return new ConfigMergeResult(ConfigFileKind.StartScript, ConfigMergeMode.TwoWay, text, TextEdit.Apply(text, edits), changes);
        }
    }
}
