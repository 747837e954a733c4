using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>One setting as a file states it.</summary>
    internal sealed class ConfigEntry
    {
        public ConfigEntry(string key, string comparable, string display, object location)
        {
            Key = key;
            Comparable = comparable;
            Display = display;
            Location = location;
        }

        public string Key { get; }
        /// <summary>The value in a form where equal means the program sees the same setting.</summary>
        public string Comparable { get; set; }
        /// <summary>The value as an administrator reads it in the file.</summary>
        public string Display { get; }
        /// <summary>The format's handle for editing this entry.</summary>
        public object Location { get; }
        /// <summary>Which setting of the key this is in file order (1: the first or only one).</summary>
        public int Occurrence { get; set; } = 1;
    }

    /// <summary>
    /// A file's settings in file order, keyed by name and occurrence: a key set twice (server.xml's bakUrl for the
    /// slave ConfigDB, then again for the MGR ConfigDB) is two settings, matched by position with the other files.
    /// </summary>
    internal sealed class ConfigEntries
    {
        private readonly Dictionary<string, List<ConfigEntry>> _byKey = new Dictionary<string, List<ConfigEntry>>(StringComparer.Ordinal);
        private readonly List<ConfigEntry> _ordered = new List<ConfigEntry>();

        public void Add(ConfigEntry entry)
        {
            if (!_byKey.TryGetValue(entry.Key, out var same)) _byKey.Add(entry.Key, same = new List<ConfigEntry>());
            same.Add(entry);
            entry.Occurrence = same.Count;
            _ordered.Add(entry);
        }

        /// <summary>The first setting of <paramref name="key"/>.</summary>
        public ConfigEntry? this[string key] => this[key, 1];

        /// <summary>The <paramref name="occurrence"/>-th setting of <paramref name="key"/> (1-based).</summary>
        public ConfigEntry? this[string key, int occurrence] =>
            _byKey.TryGetValue(key, out var same) && occurrence >= 1 && occurrence <= same.Count ? same[occurrence - 1] : null;

        /// <summary>How many times the file sets <paramref name="key"/>.</summary>
        public int Count(string key) => _byKey.TryGetValue(key, out var same) ? same.Count : 0;

        public IEnumerable<ConfigEntry> InOrder => _ordered;
    }

    /// <summary>What a format decided for a value the merge wants to write.</summary>
    internal readonly struct Outcome
    {
        public Outcome(ConfigChangeAction action, string? mergedValue, string reason)
        {
            Action = action;
            MergedValue = mergedValue;
            Reason = reason;
        }

        public ConfigChangeAction Action { get; }
        public string? MergedValue { get; }
        public string Reason { get; }
    }

    /// <summary>A change of characters in the new file's text.</summary>
    internal readonly struct TextEdit
    {
        public TextEdit(int start, int length, string replacement)
        {
            Start = start;
            Length = length;
            Replacement = replacement;
        }

        public int Start { get; }
        public int Length { get; }
        public string Replacement { get; }

        /// <summary>Applies edits that do not overlap, from the end so earlier offsets stay valid.</summary>
        public static string Apply(string text, IEnumerable<TextEdit> edits)
        {
            var builder = new StringBuilder(text);
            var last = int.MaxValue;
            foreach (var edit in edits.OrderByDescending(e => e.Start))
            {
                if (edit.Start + edit.Length > last) throw new InvalidOperationException("Overlapping configuration edits.");
                builder.Remove(edit.Start, edit.Length).Insert(edit.Start, edit.Replacement);
                last = edit.Start;
            }
            return builder.ToString();
        }
    }

    /// <summary>
    /// The carry-over decision for every key, shared by all formats. With a pristine file (three-way) only
    /// what the user changed from the old defaults is carried; without one (two-way) every differing value of
    /// a key both files set is carried.
    /// </summary>
    internal abstract class KeyedMerge
    {
        protected KeyedMerge(ConfigFileKind kind, string file, ConfigMergeOptions options)
        {
            Kind = kind;
            File = file;
            Options = options;
        }

        protected ConfigFileKind Kind { get; }
        protected string File { get; }
        protected ConfigMergeOptions Options { get; }
        protected List<TextEdit> Edits { get; } = new List<TextEdit>();

        /// <summary>Writes the old entry's value into the new entry's place; returns the action and merged value.</summary>
        protected abstract Outcome Carry(ConfigEntry oldEntry, ConfigEntry newEntry);

        /// <summary>
        /// The user set a key the new file does not have. <paramref name="vendorHadIt"/>: the old version's
        /// pristine file set it too (the user changed its value).
        /// </summary>
        protected abstract Outcome OnlyInOld(ConfigEntry oldEntry, bool vendorHadIt);

        /// <summary>The old file had a key at its vendor default and the new file does not have it.</summary>
        protected virtual Outcome DefaultOnlyInOld(ConfigEntry oldEntry) =>
            new Outcome(ConfigChangeAction.DroppedByNewVersion, null, "the new version's file no longer has it; not re-added.");

        /// <summary>Keys whose values are passwords and are never shown.</summary>
        protected virtual bool IsSecret(string key) => false;

        /// <summary>A reason this key must not be carried (e.g. JDK settings), or null.</summary>
        protected virtual string? CarryVeto(string key) => null;

        protected ConfigMergeResult Run(string newText, ConfigEntries old, ConfigEntries fresh, ConfigEntries? pristine, Action? beforeEdits = null)
        {
            var mode = pristine is null ? ConfigMergeMode.TwoWay : ConfigMergeMode.ThreeWay;
            var changes = new List<ConfigChange>();
            var settings = fresh.InOrder.Concat(old.InOrder).Select(e => (e.Key, e.Occurrence)).Distinct();
            foreach (var (key, occurrence) in settings)
            {
                var o = old[key, occurrence];
                var n = fresh[key, occurrence];
                var b = pristine?[key, occurrence];
                var change = Decide(key, occurrence, old.Count(key), fresh.Count(key), o, n, b, pristine != null, mode);
                if (change != null) changes.Add(change);
            }
            beforeEdits?.Invoke();
            var merged = TextEdit.Apply(newText, Edits);
            return new ConfigMergeResult(Kind, mode, newText, merged, changes);
        }

        private ConfigChange? Decide(string key, int occurrence, int oldCount, int newCount, ConfigEntry? o, ConfigEntry? n, ConfigEntry? b,
            bool threeWay, ConfigMergeMode mode)
        {
            ConfigChange Make(Outcome outcome) =>
                ConfigChange.Create(Kind, File, key, occurrence, o?.Display, n?.Display, b?.Display, outcome.MergedValue, outcome.Action, outcome.Reason, mode, IsSecret(key));

            if (Same(o, n)) return null;
            // A repeated key is matched by position; an occurrence only one file has is reported, never carried or added.
            var repeated = oldCount > 1 || newCount > 1;
            var counts = $"setting {occurrence} of {key}: the old file sets it {Times(oldCount)}, the new file {Times(newCount)}";
            if (repeated && n is null && o != null && (!threeWay || !Same(o, b)))
                return Make(new Outcome(ConfigChangeAction.Skipped, null, counts + "; this one has no counterpart in the new file and is not carried. Add it by hand if still wanted."));
            if (repeated && o is null && n != null && oldCount > 0 && (!threeWay || b is null))
                return Make(new Outcome(ConfigChangeAction.KeptNewDefault, n.Display, counts + "; this one has no counterpart in the old file; the new file's value is kept."));

            var userChanged = !threeWay || !Same(o, b);
            if (!userChanged)
            {
                if (n != null)
                    return Make(new Outcome(ConfigChangeAction.KeptNewDefault, n.Display, o is null
                        ? "added by the new version; its default is kept."
                        : "the old install kept the old default; the new version's default is kept."));
                return Make(DefaultOnlyInOld(o!));
            }

            if (o is null)
            {
                if (threeWay)
                    return Make(new Outcome(ConfigChangeAction.Skipped, n!.Display,
                        "removed by hand from the old install's file; the new file's value is kept. Remove it by hand if still wanted."));
                return Make(new Outcome(ConfigChangeAction.KeptNewDefault, n!.Display, "added by the new version; its default is kept."));
            }

            if (n is null)
            {
                return Make(OnlyInOld(o, b != null));
            }

            var veto = CarryVeto(key);
            if (veto != null) return Make(new Outcome(ConfigChangeAction.Skipped, n.Display, veto));

            var outcome = Carry(o, n);
            if (outcome.Action == ConfigChangeAction.Carried && threeWay && b != null && !Same(b, n))
                outcome = new Outcome(outcome.Action, outcome.MergedValue,
                    outcome.Reason + $" The new version also changed the default from {b.Display} to {n.Display}; the user's value wins.");
            return Make(outcome);
        }

        private static string Times(int count) => count == 1 ? "once" : count + " times";

        private static bool Same(ConfigEntry? a, ConfigEntry? b) =>
            a is null ? b is null : b != null && string.Equals(a.Comparable, b.Comparable, StringComparison.Ordinal);
    }
}
