using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>How the value of a shell assignment is quoted in the file.</summary>
    internal enum ShellQuoting
    {
        /// <summary>NAME=value</summary>
        Bare,
        /// <summary>NAME="value"</summary>
        Double,
        /// <summary>NAME='value'</summary>
        Single,
        /// <summary>NAME="$HOME"/x and other mixes: rewritten only by taking the other file's text as written.</summary>
        Mixed,
    }

    /// <summary>
    /// One top-level assignment in a start script: <c>NAME=value</c> or <c>export NAME=value</c> at the start of
    /// a line (indented lines belong to functions and conditionals and are not configuration). The value is one
    /// shell word, which may span lines inside quotes.
    /// </summary>
    internal sealed class ShellAssignment
    {
        public string Name { get; private set; } = "";
        public int ValueStart { get; private set; }
        public int ValueEnd { get; private set; }
        public string Raw { get; private set; } = "";
        public ShellQuoting Quoting { get; private set; }
        /// <summary>Literal text and expansions in order; equal lists mean the shell assigns the same value.</summary>
        public IReadOnlyList<ShellPart> Parts { get; private set; } = Array.Empty<ShellPart>();

        /// <summary>The value in a canonical form: literals escaped, $NAME written as ${NAME}.</summary>
        public string Canonical => string.Concat(Parts.Select(p => p.Canonical));

        public static List<ShellAssignment> ReadAll(string text, string file)
        {
            var found = new List<ShellAssignment>();
            var pos = 0;
            while (pos < text.Length)
            {
                var lineEnd = pos;
                var assignment = TryRead(text, pos, file);
                if (assignment != null)
                {
                    found.Add(assignment);
                    lineEnd = assignment.ValueEnd;
                }
                var newline = text.IndexOf('\n', lineEnd);
                pos = newline < 0 ? text.Length : newline + 1;
            }
            return found;
        }

        private static ShellAssignment? TryRead(string text, int lineStart, string file)
        {
            var pos = lineStart;
            if (string.CompareOrdinal(text, pos, "export", 0, 6) == 0 && pos + 6 < text.Length && (text[pos + 6] == ' ' || text[pos + 6] == '\t'))
            {
                pos += 6;
                while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t')) pos++;
            }
            var nameStart = pos;
            if (pos >= text.Length || !(char.IsLetter(text[pos]) || text[pos] == '_') || text[pos] > 127) return null;
            while (pos < text.Length && text[pos] <= 127 && (char.IsLetterOrDigit(text[pos]) || text[pos] == '_')) pos++;
            if (pos >= text.Length || text[pos] != '=') return null;
            var assignment = new ShellAssignment { Name = text.Substring(nameStart, pos - nameStart), ValueStart = pos + 1 };
            assignment.ScanWord(text, file);
            return assignment;
        }

        private void ScanWord(string text, string file)
        {
            var parts = new List<ShellPart>();
            var literal = new StringBuilder();
            var sawDouble = false;
            var sawSingle = false;
            var sawBare = false;
            var pos = ValueStart;

            void Flush()
            {
                if (literal.Length == 0) return;
                parts.Add(ShellPart.Literal(literal.ToString()));
                literal.Clear();
            }

            // A $... or `...` expansion at the position becomes a part of its own; false when it is a lone $.
            bool TakeExpansion(ref int at)
            {
                var end = ExpansionEnd(text, at, file);
                if (end <= at + 1) return false;
                Flush();
                parts.Add(ShellPart.Expansion(text.Substring(at, end - at)));
                at = end;
                return true;
            }

            while (pos < text.Length)
            {
                var c = text[pos];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '(' || c == ')')
                    break;
                if (c == '\'')
                {
                    sawSingle = true;
                    var close = text.IndexOf('\'', pos + 1);
                    if (close < 0) throw Unterminated(file, "'");
                    literal.Append(text, pos + 1, close - pos - 1);
                    pos = close + 1;
                    continue;
                }
                if (c == '"')
                {
                    sawDouble = true;
                    pos++;
                    while (true)
                    {
                        if (pos >= text.Length) throw Unterminated(file, "\"");
                        var d = text[pos];
                        if (d == '"') { pos++; break; }
                        if (d == '\\' && pos + 1 < text.Length && "$`\"\\\n".IndexOf(text[pos + 1]) >= 0)
                        {
                            if (text[pos + 1] != '\n') literal.Append(text[pos + 1]);
                            pos += 2;
                            continue;
                        }
                        if ((d == '$' || d == '`') && TakeExpansion(ref pos)) continue;
                        literal.Append(d);
                        pos++;
                    }
                    continue;
                }
                sawBare = true;
                if (c == '\\')
                {
                    if (pos + 1 < text.Length && text[pos + 1] != '\n') literal.Append(text[pos + 1]);
                    pos += 2;
                    continue;
                }
                if ((c == '$' || c == '`') && TakeExpansion(ref pos)) continue;
                literal.Append(c);
                pos++;
            }
            Flush();
            ValueEnd = Math.Min(pos, text.Length);
            Raw = text.Substring(ValueStart, ValueEnd - ValueStart);
            Parts = parts;
            Quoting = !sawDouble && !sawSingle ? ShellQuoting.Bare
                : sawDouble && !sawSingle && !sawBare && IsOneDoubleQuoted(Raw) ? ShellQuoting.Double
                : sawSingle && !sawDouble && !sawBare && Raw.Length >= 2 && Raw.IndexOf('\'', 1) == Raw.Length - 1 ? ShellQuoting.Single
                : ShellQuoting.Mixed;
        }

        // "a\"b" is one double-quoted string even though a quote appears inside it.
        private static bool IsOneDoubleQuoted(string raw)
        {
            if (raw.Length < 2 || raw[0] != '"' || raw[raw.Length - 1] != '"') return false;
            for (var i = 1; i < raw.Length - 1; i++)
            {
                if (raw[i] == '\\') { i++; continue; }
                if (raw[i] == '"') return false;
            }
            return true;
        }

        // $NAME, ${...}, $(...), $1, $?, `...`; returns pos + 1 when '$' is literal.
        private static int ExpansionEnd(string text, int pos, string file)
        {
            if (text[pos] == '`')
            {
                var i = pos + 1;
                while (i < text.Length && text[i] != '`') i += text[i] == '\\' ? 2 : 1;
                if (i >= text.Length) throw Unterminated(file, "`");
                return i + 1;
            }
            if (pos + 1 >= text.Length) return pos + 1;
            var next = text[pos + 1];
            if (next == '{' || next == '(')
            {
                var open = next;
                var close = next == '{' ? '}' : ')';
                var depth = 0;
                for (var i = pos + 1; i < text.Length; i++)
                {
                    if (text[i] == open) depth++;
                    else if (text[i] == close && --depth == 0) return i + 1;
                }
                throw Unterminated(file, open.ToString());
            }
            if (char.IsDigit(next) || "@*#?-$!".IndexOf(next) >= 0) return pos + 2;
            if (next <= 127 && (char.IsLetter(next) || next == '_'))
            {
                var i = pos + 1;
                while (i < text.Length && text[i] <= 127 && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                return i;
            }
            return pos + 1;
        }

        private static ConfigFormatException Unterminated(string file, string what) =>
            new ConfigFormatException(file, $"has an unterminated {what} in a variable assignment; fix the script before merging.");

        /// <summary>
        /// Writes <paramref name="parts"/> in the given quoting; null when that quoting cannot express them
        /// (then the caller uses the other file's text as written).
        /// </summary>
        public static string? Encode(IReadOnlyList<ShellPart> parts, ShellQuoting quoting)
        {
            switch (quoting)
            {
                case ShellQuoting.Double:
                {
                    var b = new StringBuilder("\"");
                    for (var i = 0; i < parts.Count; i++)
                    {
                        var p = parts[i];
                        if (p.IsExpansion) b.Append(ProtectedExpansion(p, i + 1 < parts.Count ? parts[i + 1] : null));
                        else foreach (var c in p.Text) b.Append("$`\"\\".IndexOf(c) >= 0 ? "\\" + c : c.ToString());
                    }
                    return b.Append('"').ToString();
                }
                case ShellQuoting.Single:
                    if (parts.Any(p => p.IsExpansion || p.Text.IndexOf('\'') >= 0)) return null;
                    return "'" + string.Concat(parts.Select(p => p.Text)) + "'";
                case ShellQuoting.Bare:
                {
                    var b = new StringBuilder();
                    for (var i = 0; i < parts.Count; i++)
                    {
                        var p = parts[i];
                        if (p.IsExpansion) b.Append(ProtectedExpansion(p, i + 1 < parts.Count ? parts[i + 1] : null));
                        else if (p.Text.All(IsBareSafe)) b.Append(p.Text);
                        else return null;
                    }
                    return b.ToString();
                }
                default:
                    return null;
            }
        }

        // $A followed by literal "b" must become ${A}b, or the shell reads the variable $Ab.
        private static string ProtectedExpansion(ShellPart expansion, ShellPart? next)
        {
            var t = expansion.Text;
            var simpleName = t.Length > 1 && t[0] == '$' && t[1] != '{' && t[1] != '(' && (char.IsLetter(t[1]) || t[1] == '_');
            var nextIsNameChar = next != null && !next.IsExpansion && next.Text.Length > 0 &&
                                 next.Text[0] <= 127 && (char.IsLetterOrDigit(next.Text[0]) || next.Text[0] == '_');
            return simpleName && nextIsNameChar ? "${" + t.Substring(1) + "}" : t;
        }

        private static bool IsBareSafe(char c) =>
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "_-./,:@+%=".IndexOf(c) >= 0;
    }

    /// <summary>A piece of a shell word: literal text, or an expansion the shell performs ($X, ${X}, $(...), `...`).</summary>
    internal sealed class ShellPart
    {
        private ShellPart(string text, bool isExpansion)
        {
            Text = text;
            IsExpansion = isExpansion;
        }

        public string Text { get; }
        public bool IsExpansion { get; }

        public string Canonical => IsExpansion
            ? (Text.Length > 1 && Text[0] == '$' && Text[1] != '{' && Text[1] != '(' ? "${" + Text.Substring(1) + "}" : Text)
            : Text.Replace("\\", "\\\\").Replace("$", "\\$").Replace("`", "\\`");

        public static ShellPart Literal(string text) => new ShellPart(text, false);
        public static ShellPart Expansion(string text) => new ShellPart(text, true);
    }
}
