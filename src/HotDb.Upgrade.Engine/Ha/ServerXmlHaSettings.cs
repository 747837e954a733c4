using System;
using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.Configuration;

namespace HotDb.Upgrade.Ha
{
    /// <summary>
    /// Sets server.xml properties in place (haState, haNodeHost): only the text between a property's tags changes;
    /// a property the file lacks is added after the last one, indented like it.
    /// </summary>
    internal static class ServerXmlHaSettings
    {
        /// <summary>The new text and the changed keys as (key, old value or null when absent, new value).</summary>
        public static string Set(string text, string file, IEnumerable<KeyValuePair<string, string>> wanted, List<(string Key, string? Old, string New)> changes)
        {
            var layout = XmlLayout.Parse(text, file);
            var systems = layout.Root.Children.Where(c => c.Name == "system").ToList();
            if (systems.Count != 1) throw new ConfigFormatException(file, $"must have exactly one <system> element; it has {systems.Count}.");
            var properties = systems[0].Children.Where(c => c.Name == "property").ToList();
            var splices = new List<(int Offset, int Length, string Text)>();
            foreach (var pair in wanted)
            {
                var matches = properties.Where(p => p.Attribute("name")?.Value == pair.Key).ToList();
                if (matches.Count > 1) throw new ConfigFormatException(file, $"sets '{pair.Key}' {matches.Count} times; keep one, then run the command again.");
                var escaped = XmlLayout.EscapeContent(pair.Value);
                if (matches.Count == 0)
                {
                    var last = properties.LastOrDefault() ?? throw new ConfigFormatException(file, $"has no <property> to add '{pair.Key}' next to.");
                    var lineStart = text.LastIndexOf('\n', Math.Max(0, last.Start - 1)) + 1;
                    var indent = new string(text.Substring(lineStart, last.Start - lineStart).TakeWhile(c => c == ' ' || c == '\t').ToArray());
                    var newline = text.Contains("\r\n") ? "\r\n" : "\n";
                    splices.Add((last.End, 0, $"{newline}{indent}<property name=\"{XmlLayout.EscapeAttribute(pair.Key, '"')}\">{escaped}</property>"));
                    changes.Add((pair.Key, null, pair.Value));
                    continue;
                }
                var property = matches[0];
                var current = layout.SimpleContent(property)
                    ?? throw new ConfigFormatException(file, $"property '{pair.Key}' contains markup other than text; fix it by hand first.");
                if (current.Trim() == pair.Value) continue;
                if (property.SelfClosing)
                {
                    var tag = text.Substring(property.Start, property.End - property.Start);
                    splices.Add((property.Start, property.End - property.Start, tag.Substring(0, tag.LastIndexOf("/>", StringComparison.Ordinal)).TrimEnd() + ">" + escaped + "</property>"));
                }
                else splices.Add((property.ContentStart, property.ContentEnd - property.ContentStart, escaped));
                changes.Add((pair.Key, current.Trim(), pair.Value));
            }
            var result = text;
            foreach (var splice in splices.OrderByDescending(s => s.Offset))
                result = result.Substring(0, splice.Offset) + splice.Text + result.Substring(splice.Offset + splice.Length);
            return result;
        }
    }
}
