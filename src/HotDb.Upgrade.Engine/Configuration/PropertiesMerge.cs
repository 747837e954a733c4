using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// A Java .properties file (java.util.Properties syntax: <c>key=value</c>, <c>key: value</c>, <c>key value</c>,
    /// <c>#</c>/<c>!</c> comments, backslash escapes and continuation lines). Each key is one setting; when a file sets
    /// a key more than once the last one counts (as Java reads it), so that line is the one compared and edited.
    /// A carried value replaces only the value's characters of the new file's line, written as the old file wrote it;
    /// keys the user added are appended at the end under a marker comment. The new file's layout and comments stay.
    /// Nothing here knows which program reads the file.
    /// </summary>
    internal sealed class PropertiesMerge : KeyedMerge
    {
        internal const string AddedMarker = "# Carried over from the old install by HotDb.Upgrade";

        private readonly string _newText;
        private readonly HashSet<string> _secretKeys;
        private readonly List<string> _added = new List<string>();

        private readonly bool _threeWay;

        private PropertiesMerge(string file, ConfigMergeOptions options, string newText, HashSet<string> secretKeys, bool threeWay)
            : base(ConfigFileKind.Properties, file, options)
        {
            _newText = newText;
            _secretKeys = secretKeys;
            _threeWay = threeWay;
        }

        public static ConfigMergeResult Merge(ConfigFileNames files, string oldText, string newText, string? pristineText, ConfigMergeOptions options)
        {
            var file = files.New;
            var old = Read(oldText, files.Old);
            var fresh = Read(newText, file);
            var pristine = pristineText is null ? null : Read(pristineText, files.Pristine);
            // A value that embeds a password (a JDBC url with password=...) is masked like a password key.
            var secrets = new HashSet<string>(new[] { old, fresh, pristine }.Where(e => e != null)
                .SelectMany(e => e!.InOrder).Where(e => EmbedsSecret(e.Comparable)).Select(e => e.Key), StringComparer.Ordinal);
            var merge = new PropertiesMerge(file, options, newText, secrets, pristine != null);
            var result = merge.Run(newText, old, fresh, pristine, merge.QueueAppend);
            Verify(file, result);
            return result;
        }

        /// <summary>The effective settings of a properties text: the last line of each key, in file order of those lines.</summary>
        internal static ConfigEntries Read(string text, string file)
        {
            var lines = PropertiesLine.ReadAll(text, file);
            var last = new Dictionary<string, PropertiesLine>(StringComparer.Ordinal);
            foreach (var line in lines) last[line.Key] = line;
            var entries = new ConfigEntries();
            foreach (var line in lines.Where(l => ReferenceEquals(last[l.Key], l)))
                entries.Add(new ConfigEntry(line.Key, line.Value, line.Value, line));
            return entries;
        }

        /// <summary>The effective key/value pairs of a properties text (the last setting of each key wins).</summary>
        public static IReadOnlyDictionary<string, string> Parse(string text, string file)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in PropertiesLine.ReadAll(text, file)) values[line.Key] = line.Value;
            return values;
        }

        private static readonly Regex EmbeddedSecret = new Regex(@"(^|[?&;,\s])[A-Za-z_.-]*pass[A-Za-z_.-]*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private static bool EmbedsSecret(string value) => EmbeddedSecret.IsMatch(value);

        protected override bool IsSecret(string key) => SecretSettings.IsSecret(key) || _secretKeys.Contains(key);

        protected override Outcome Carry(ConfigEntry oldEntry, ConfigEntry newEntry)
        {
            var source = (PropertiesLine)oldEntry.Location;
            var target = (PropertiesLine)newEntry.Location;
            var raw = Reflow(source.RawValue);
            // After "key" with no separator, or a separator of blanks only, a leading = or : would be read as the separator.
            if (!target.HasSeparatorChar && raw.Length > 0 && (raw[0] == '=' || raw[0] == ':')) raw = "\\" + raw;
            if (target.ValueStart == target.KeyEnd && raw.Length > 0) raw = "=" + raw;
            Edits.Add(new TextEdit(target.ValueStart, target.End - target.ValueStart, raw));
            return new Outcome(ConfigChangeAction.Carried, oldEntry.Comparable, "changed in the old install; carried over.");
        }

        protected override Outcome OnlyInOld(ConfigEntry oldEntry, bool vendorHadIt)
        {
            if (vendorHadIt)
                return new Outcome(ConfigChangeAction.DroppedByNewVersion, null,
                    "the old install changed it, but the new version's file no longer has it; not re-added. Add it by hand if the new version still reads it.");
            var source = (PropertiesLine)oldEntry.Location;
            _added.Add(Reflow(source.RawLine));
            return new Outcome(ConfigChangeAction.Added, oldEntry.Comparable, _threeWay
                ? "added by the user in the old install; appended to the new file."
                : "set in the old install, absent from the new file; appended (two-way: if the new version dropped it on purpose, remove it by hand).");
        }

        // Decisions first (they queue lines), then one edit at the end of the file keeps their order.
        private void QueueAppend()
        {
            if (_added.Count == 0) return;
            var newline = ConfigText.NewlineOf(_newText);
            var block = new StringBuilder();
            if (_newText.Length > 0 && !_newText.EndsWith("\n", StringComparison.Ordinal) && !_newText.EndsWith("\r", StringComparison.Ordinal))
            {
                // A last line ending in a continuation backslash would swallow the marker: refuse rather than guess.
                if (PropertiesLine.EndsWithContinuation(_newText))
                    throw new ConfigFormatException(File, "ends with a continuation backslash and no line break; lines cannot be appended. Fix the last line by hand.");
                block.Append(newline);
            }
            block.Append(AddedMarker).Append(newline);
            foreach (var line in _added) block.Append(line).Append(newline);
            Edits.Add(new TextEdit(_newText.Length, 0, block.ToString()));
        }

        // Continuation lines copied from the old file take the new file's line breaks.
        private string Reflow(string raw)
        {
            if (raw.IndexOf('\n') < 0 && raw.IndexOf('\r') < 0) return raw;
            var newline = ConfigText.NewlineOf(_newText);
            return Regex.Replace(raw, "\r\n|\r|\n", _ => newline);
        }

        /// <summary>The merged text must read back with exactly the values the changes report.</summary>
        private static void Verify(string file, ConfigMergeResult result)
        {
            if (!result.IsModified) return;
            var merged = Parse(result.MergedText, file + " (merged)");
            foreach (var change in result.Changes.Where(c => c.Action == ConfigChangeAction.Carried || c.Action == ConfigChangeAction.Added))
            {
                if (!merged.TryGetValue(change.Key, out var value) || value != change.ExpectedValue)
                    throw new InvalidOperationException($"{file}: the merged file does not hold the carried value of '{change.Key}'; nothing was written.");
            }
        }

        /// <summary>Sets keys to literal values (escaped as needed), keeping the file's layout; every key must be set once.</summary>
        public static ConfigMergeResult Set(string file, string text, IEnumerable<KeyValuePair<string, string>> values)
        {
            var lines = PropertiesLine.ReadAll(text, file);
            var edits = new List<TextEdit>();
            var changes = new List<ConfigChange>();
            foreach (var pair in values)
            {
                var target = lines.LastOrDefault(l => l.Key == pair.Key)
                             ?? throw new ConfigFormatException(file, $"does not set {pair.Key}; add it by hand first.");
                if (target.Value == pair.Value) continue;
                var raw = PropertiesLine.EscapeValue(pair.Value);
                if (target.ValueStart == target.KeyEnd && raw.Length > 0) raw = "=" + raw;
                edits.Add(new TextEdit(target.ValueStart, target.End - target.ValueStart, raw));
                changes.Add(ConfigChange.Create(ConfigFileKind.Properties, file, pair.Key, 1, target.Value, target.Value, null, pair.Value,
                    ConfigChangeAction.Set, "set explicitly.", ConfigMergeMode.TwoWay, SecretSettings.IsSecret(pair.Key) || EmbedsSecret(pair.Value) || EmbedsSecret(target.Value)));
            }
            return new ConfigMergeResult(ConfigFileKind.Properties, ConfigMergeMode.TwoWay, text, TextEdit.Apply(text, edits), changes);
        }
    }

    /// <summary>One logical line of a properties file (a key and its value), with the offsets of its parts.</summary>
    internal sealed class PropertiesLine
    {
        private PropertiesLine(string key, string value, int keyStart, int keyEnd, int valueStart, int end, bool hasSeparatorChar, string rawValue, string rawLine)
        {
            Key = key;
            Value = value;
            KeyStart = keyStart;
            KeyEnd = keyEnd;
            ValueStart = valueStart;
            End = end;
            HasSeparatorChar = hasSeparatorChar;
            RawValue = rawValue;
            RawLine = rawLine;
        }

        /// <summary>The key with escapes resolved.</summary>
        public string Key { get; }
        /// <summary>The value as Java reads it: escapes resolved, continuation lines joined.</summary>
        public string Value { get; }
        public int KeyStart { get; }
        public int KeyEnd { get; }
        /// <summary>Where the value's characters start (after the separator and blanks); equals End when empty.</summary>
        public int ValueStart { get; }
        /// <summary>The end of the logical line, before its line break.</summary>
        public int End { get; }
        /// <summary>The separator includes '=' or ':' (not only blanks).</summary>
        public bool HasSeparatorChar { get; }
        /// <summary>The value's characters as the file writes them (escapes and continuations kept).</summary>
        public string RawValue { get; }
        /// <summary>The whole logical line from the key on, as written.</summary>
        public string RawLine { get; }

        private static bool IsBlank(char c) => c == ' ' || c == '\t' || c == '\f';

        public static List<PropertiesLine> ReadAll(string text, string file)
        {
            var lines = new List<PropertiesLine>();
            var pos = 0;
            var lineNumber = 1;
            while (pos < text.Length)
            {
                var i = pos;
                while (i < text.Length && IsBlank(text[i])) i++;
                if (i == text.Length) break;
                if (text[i] == '\r' || text[i] == '\n' || text[i] == '#' || text[i] == '!')
                {
                    // Blank line or comment: a comment never continues, whatever it ends with.
                    pos = SkipBreak(text, NaturalEnd(text, i));
                    lineNumber++;
                    continue;
                }

                // The logical line: natural lines joined while one ends with an odd number of backslashes.
                var chars = new StringBuilder();
                var offsets = new List<int>();
                var j = i;
                var startLine = lineNumber;
                int end;
                while (true)
                {
                    var eol = NaturalEnd(text, j);
                    var backslashes = 0;
                    for (var k = eol - 1; k >= j && text[k] == '\\'; k--) backslashes++;
                    var continues = backslashes % 2 == 1;
                    var contentEnd = continues ? eol - 1 : eol;
                    for (var k = j; k < contentEnd; k++)
                    {
                        chars.Append(text[k]);
                        offsets.Add(k);
                    }
                    if (!continues || eol == text.Length)
                    {
                        end = eol;
                        break;
                    }
                    j = SkipBreak(text, eol);
                    lineNumber++;
                    while (j < text.Length && IsBlank(text[j])) j++;
                }
                pos = SkipBreak(text, end);
                lineNumber++;
                lines.Add(Split(chars.ToString(), offsets, i, end, text, file, startLine));
            }
            return lines;
        }

        private static PropertiesLine Split(string logical, List<int> offsets, int start, int end, string text, string file, int lineNumber)
        {
            var keyLength = logical.Length;
            var valueIndex = logical.Length;
            var hasSeparator = false;
            var escaped = false;
            for (var k = 0; k < logical.Length; k++)
            {
                var c = logical[k];
                if (!escaped && (c == '=' || c == ':'))
                {
                    keyLength = k;
                    valueIndex = k + 1;
                    hasSeparator = true;
                    break;
                }
                if (!escaped && IsBlank(c))
                {
                    keyLength = k;
                    valueIndex = k + 1;
                    break;
                }
                escaped = c == '\\' && !escaped;
            }
            while (valueIndex < logical.Length)
            {
                var c = logical[valueIndex];
                if (IsBlank(c)) { valueIndex++; continue; }
                if (!hasSeparator && (c == '=' || c == ':')) { hasSeparator = true; valueIndex++; continue; }
                break;
            }
            var key = Unescape(logical.Substring(0, keyLength), file, lineNumber);
            var value = Unescape(logical.Substring(valueIndex), file, lineNumber);
            var keyEnd = keyLength < offsets.Count ? offsets[keyLength] : end;
            // The value starts at its first character; an empty value starts where the line ends.
            var valueStart = valueIndex < offsets.Count ? offsets[valueIndex] : end;
            return new PropertiesLine(key, value, start, keyEnd, valueStart, end, hasSeparator,
                text.Substring(valueStart, end - valueStart), text.Substring(start, end - start));
        }

        private static string Unescape(string s, string file, int lineNumber)
        {
            if (s.IndexOf('\\') < 0) return s;
            var b = new StringBuilder(s.Length);
            for (var k = 0; k < s.Length; k++)
            {
                var c = s[k];
                if (c != '\\' || k == s.Length - 1)
                {
                    // A lone backslash at the very end of the file is dropped, as Java drops it.
                    if (c != '\\') b.Append(c);
                    continue;
                }
                c = s[++k];
                switch (c)
                {
                    case 't': b.Append('\t'); break;
                    case 'n': b.Append('\n'); break;
                    case 'r': b.Append('\r'); break;
                    case 'f': b.Append('\f'); break;
                    case 'u':
                        if (k + 4 >= s.Length
                            || !int.TryParse(s.Substring(k + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                            throw new ConfigFormatException(file, $"line {lineNumber}: malformed \\uXXXX escape; Java refuses to load this file. Fix it by hand.");
                        b.Append((char)code);
                        k += 4;
                        break;
                    default: b.Append(c); break;
                }
            }
            return b.ToString();
        }

        /// <summary>A value written so Java reads back exactly <paramref name="value"/>.</summary>
        public static string EscapeValue(string value)
        {
            var b = new StringBuilder(value.Length);
            for (var k = 0; k < value.Length; k++)
            {
                var c = value[k];
                switch (c)
                {
                    case '\\': b.Append("\\\\"); break;
                    case '\t': b.Append("\\t"); break;
                    case '\n': b.Append("\\n"); break;
                    case '\r': b.Append("\\r"); break;
                    case '\f': b.Append("\\f"); break;
                    case ' ' when k == 0: b.Append("\\ "); break;
                    case '=' when k == 0:
                    case ':' when k == 0: b.Append('\\').Append(c); break;
                    default:
                        if (c < 0x20) b.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                        else b.Append(c);
                        break;
                }
            }
            return b.ToString();
        }

        internal static bool EndsWithContinuation(string text)
        {
            var backslashes = 0;
            for (var k = text.Length - 1; k >= 0 && text[k] == '\\'; k--) backslashes++;
            return backslashes % 2 == 1;
        }

        private static int NaturalEnd(string text, int from)
        {
            var k = from;
            while (k < text.Length && text[k] != '\n' && text[k] != '\r') k++;
            return k;
        }

        private static int SkipBreak(string text, int eol)
        {
            if (eol >= text.Length) return text.Length;
            if (text[eol] == '\r' && eol + 1 < text.Length && text[eol + 1] == '\n') return eol + 2;
            return eol + 1;
        }
    }
}
