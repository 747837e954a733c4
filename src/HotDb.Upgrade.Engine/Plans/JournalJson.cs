using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.Plans
{
    /// <summary>
    /// The little JSON the journal needs (objects, arrays, strings, booleans, null), written indented and read back:
    /// netstandard2.0 ships no JSON reader, and the journal is too small to justify a dependency in the isolated context.
    /// </summary>
    internal static class JournalJson
    {
        public static string Write(object? value)
        {
            var text = new StringBuilder();
            Write(text, value, 0);
            return text.Append('\n').ToString();
        }

        private static void Write(StringBuilder text, object? value, int depth)
        {
            var indent = new string(' ', 2 * (depth + 1));
            switch (value)
            {
                case null: text.Append("null"); break;
                case bool b: text.Append(b ? "true" : "false"); break;
                case string s: text.Append(ConfigDb.Sql.Json.String(s)); break;
                case IEnumerable<KeyValuePair<string, object?>> map:
                    var pairs = map.ToList();
                    if (pairs.Count == 0) { text.Append("{}"); break; }
                    text.Append("{\n");
                    for (var i = 0; i < pairs.Count; i++)
                    {
                        text.Append(indent).Append(ConfigDb.Sql.Json.String(pairs[i].Key)).Append(": ");
                        Write(text, pairs[i].Value, depth + 1);
                        text.Append(i < pairs.Count - 1 ? ",\n" : "\n");
                    }
                    text.Append(' ', 2 * depth).Append('}');
                    break;
                case IEnumerable<object?> list:
                    var items = list.ToList();
                    if (items.Count == 0) { text.Append("[]"); break; }
                    text.Append("[\n");
                    for (var i = 0; i < items.Count; i++)
                    {
                        text.Append(indent);
                        Write(text, items[i], depth + 1);
                        text.Append(i < items.Count - 1 ? ",\n" : "\n");
                    }
                    text.Append(' ', 2 * depth).Append(']');
                    break;
                default: throw new ArgumentException($"The journal holds no {value.GetType().Name} values.");
            }
        }

        /// <summary>Objects become Dictionary&lt;string, object?&gt;, arrays List&lt;object?&gt;, numbers their text.</summary>
        public static object? Read(string json)
        {
            var position = 0;
            var value = Value(json, ref position);
            SkipSpace(json, ref position);
            if (position != json.Length) throw Error(json, position, "text after the end");
            return value;
        }

        private static object? Value(string s, ref int i)
        {
            SkipSpace(s, ref i);
            if (i >= s.Length) throw Error(s, i, "unexpected end");
            switch (s[i])
            {
                case '{':
                    i++;
                    var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                    SkipSpace(s, ref i);
                    if (i < s.Length && s[i] == '}') { i++; return map; }
                    while (true)
                    {
                        SkipSpace(s, ref i);
                        var key = String(s, ref i);
                        SkipSpace(s, ref i);
                        Expect(s, ref i, ':');
                        map[key] = Value(s, ref i);
                        SkipSpace(s, ref i);
                        if (i < s.Length && s[i] == ',') { i++; continue; }
                        Expect(s, ref i, '}');
                        return map;
                    }
                case '[':
                    i++;
                    var list = new List<object?>();
                    SkipSpace(s, ref i);
                    if (i < s.Length && s[i] == ']') { i++; return list; }
                    while (true)
                    {
                        list.Add(Value(s, ref i));
                        SkipSpace(s, ref i);
                        if (i < s.Length && s[i] == ',') { i++; continue; }
                        Expect(s, ref i, ']');
                        return list;
                    }
                case '"': return String(s, ref i);
                default:
                    var start = i;
                    while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '-' || s[i] == '+' || s[i] == '.')) i++;
                    var word = s.Substring(start, i - start);
                    if (word == "null") return null;
                    if (word == "true") return true;
                    if (word == "false") return false;
                    if (word.Length > 0 && double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return word;
                    throw Error(s, start, "unexpected '" + (word.Length > 0 ? word : s[start].ToString()) + "'");
            }
        }

        private static string String(string s, ref int i)
        {
            Expect(s, ref i, '"');
            var text = new StringBuilder();
            while (true)
            {
                if (i >= s.Length) throw Error(s, i, "unterminated string");
                var c = s[i++];
                if (c == '"') return text.ToString();
                if (c != '\\') { text.Append(c); continue; }
                if (i >= s.Length) throw Error(s, i, "unterminated escape");
                var e = s[i++];
                switch (e)
                {
                    case 'n': text.Append('\n'); break;
                    case 'r': text.Append('\r'); break;
                    case 't': text.Append('\t'); break;
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    case 'u':
                        if (i + 4 > s.Length) throw Error(s, i, "short \\u escape");
                        text.Append((char)int.Parse(s.Substring(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default: text.Append(e); break;
                }
            }
        }

        private static void SkipSpace(string s, ref int i)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        }

        private static void Expect(string s, ref int i, char c)
        {
            if (i >= s.Length || s[i] != c) throw Error(s, i, $"'{c}' expected");
            i++;
        }

        private static FormatException Error(string s, int i, string what) => new FormatException($"Not valid JSON at offset {i}: {what}.");
    }
}
