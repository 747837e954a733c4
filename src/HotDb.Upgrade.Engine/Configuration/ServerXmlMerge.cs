using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// server.xml: each &lt;property name="X"&gt; directly inside the root's &lt;system&gt; is one key; commented-out
    /// properties do not count. Only the text between the property's tags changes; a property the new version
    /// supports but its file lacks is inserted as the last line of &lt;system&gt;, indented like its siblings.
    /// </summary>
    internal sealed class ServerXmlMerge : KeyedMerge
    {
        internal const string AddedMarker = "<!-- carried over from the old install by HotDb.Upgrade -->";
        private readonly string _newText;
        private readonly XmlElementSpan _system;
        private readonly List<string> _added = new List<string>();

        private ServerXmlMerge(string file, ConfigMergeOptions options, string newText, XmlElementSpan system)
            : base(ConfigFileKind.ServerXml, file, options)
        {
            _newText = newText;
            _system = system;
        }

        public static ConfigMergeResult Merge(ConfigFileNames files, string oldText, string newText, string? pristineText, ConfigMergeOptions options)
        {
            var file = files.New;
            var old = Read(oldText, files.Old, out _);
            var fresh = Read(newText, file, out var system);
            var pristine = pristineText is null ? null : Read(pristineText, files.Pristine, out _);
            ConvertAutoIncrement(old, fresh, options.NewVersion);
            if (pristine != null) ConvertAutoIncrement(pristine, fresh, options.NewVersion);

            var merge = new ServerXmlMerge(file, options, newText, system);
            var result = merge.RunWithInsertions(old, fresh, pristine);
            Verify(file, result);
            return result;
        }

        /// <summary>The properties of a server.xml, keyed by name.</summary>
        internal static ConfigEntries Read(string text, string file, out XmlElementSpan system)
        {
            var layout = XmlLayout.Parse(text, file);
            if (layout.Root.LocalName != "server")
                throw new ConfigFormatException(file, $"has root element <{layout.Root.Name}>, not a HotDB <hotdb:server>.");
            var systems = layout.Root.Children.Where(c => c.Name == "system").ToList();
            if (systems.Count != 1)
                throw new ConfigFormatException(file, $"must have exactly one <system> element under <{layout.Root.Name}>; it has {systems.Count}.");
            system = systems[0];
            var entries = new ConfigEntries();
            foreach (var property in system.Children.Where(c => c.Name == "property"))
            {
                var name = property.Attribute("name")?.Value;
                if (string.IsNullOrEmpty(name))
                    throw new ConfigFormatException(file, $"has a <property> without a name at offset {property.Start}.");
                var value = layout.SimpleContent(property);
                if (value is null)
                    throw new ConfigFormatException(file, $"property '{name}' contains markup other than text; fix it by hand first.");
                entries.Add(new ConfigEntry(name!, value, value, new PropertyLocation(property, layout.Raw(property))));
            }
            return entries;
        }

        private static void ConvertAutoIncrement(ConfigEntries entries, ConfigEntries fresh, HotDbVersion? newVersion)
        {
            var entry = entries["autoIncrement"];
            var target = fresh["autoIncrement"];
            if (entry is null) return;
            var targetVersion = newVersion
                ?? (target != null && target.Comparable.Trim().All(char.IsDigit) && target.Comparable.Trim().Length > 0
                    ? VersionRules.AutoIncrementModeFrom : null);
            if (targetVersion is null) return;
            var converted = VersionRules.AutoIncrementForTarget(entry.Comparable, targetVersion);
            if (converted is null) return;
            entry.Comparable = converted;
            ((PropertyLocation)entry.Location).ConvertedValue = converted;
        }

        // Decisions first (they queue insertions), then one edit before </system> keeps their order.
        private ConfigMergeResult RunWithInsertions(ConfigEntries old, ConfigEntries fresh, ConfigEntries? pristine) =>
            Run(_newText, old, fresh, pristine, QueueInsertion);

        private void QueueInsertion()
        {
            if (_added.Count == 0) return;
            if (_system.SelfClosing)
                throw new ConfigFormatException(File, "has an empty <system/> element; properties cannot be added to it. Expand it by hand first.");
            var newline = ConfigText.NewlineOf(_newText);
            var indent = Indentation(LastProperty() ?? _system) + (LastProperty() is null ? "    " : "");
            var closeLineStart = LineStart(_system.ContentEnd);
            var onlyWhitespaceBefore = _newText.Substring(closeLineStart, _system.ContentEnd - closeLineStart).Trim().Length == 0;
            var block = new StringBuilder();
            if (!onlyWhitespaceBefore) block.Append(newline);
            foreach (var line in _added) block.Append(indent).Append(line).Append(newline);
            if (!onlyWhitespaceBefore) block.Append(Indentation(_system));
            Edits.Add(new TextEdit(onlyWhitespaceBefore ? closeLineStart : _system.ContentEnd, 0, block.ToString()));
        }

        private XmlElementSpan? LastProperty() => _system.Children.LastOrDefault(c => c.Name == "property");

        private int LineStart(int offset)
        {
            var i = offset;
            while (i > 0 && _newText[i - 1] != '\n' && _newText[i - 1] != '\r') i--;
            return i;
        }

        private string Indentation(XmlElementSpan element)
        {
            var start = LineStart(element.Start);
            var prefix = _newText.Substring(start, element.Start - start);
            return prefix.Trim().Length == 0 ? prefix : new string(prefix.TakeWhile(char.IsWhiteSpace).ToArray());
        }

        protected override Outcome Carry(ConfigEntry oldEntry, ConfigEntry newEntry)
        {
            var source = (PropertyLocation)oldEntry.Location;
            var target = (PropertyLocation)newEntry.Location;
            var raw = source.ConvertedValue != null ? XmlLayout.EscapeContent(source.ConvertedValue) : source.RawContent;
            if (target.Element.SelfClosing)
            {
                var e = target.Element;
                Edits.Add(new TextEdit(e.Start, e.End - e.Start, SelfClosingExpanded(e, raw)));
            }
            else
            {
                Edits.Add(new TextEdit(target.Element.ContentStart, target.Element.ContentEnd - target.Element.ContentStart, raw));
            }
            var reason = source.ConvertedValue != null
                ? $"changed in the old install; converted from '{oldEntry.Display}' to the mode number the new version reads."
                : "changed in the old install; carried over.";
            return new Outcome(ConfigChangeAction.Carried, oldEntry.Comparable, reason);
        }

        // <property name="x"/> has no content to replace: write it as a start and end tag pair.
        private string SelfClosingExpanded(XmlElementSpan element, string raw)
        {
            var tag = _newText.Substring(element.Start, element.End - element.Start);
            var close = tag.LastIndexOf("/>", StringComparison.Ordinal);
            return tag.Substring(0, close).TrimEnd() + ">" + raw + "</" + element.Name + ">";
        }

        // password, bakPassword, drBakPassword, ndbSqlPass, keyStorePass, ...
        protected override bool IsSecret(string key) => SecretSettings.IsSecret(key);

        protected override Outcome OnlyInOld(ConfigEntry oldEntry, bool vendorHadIt)
        {
            if (!ServerXmlParameters.IsSupported(oldEntry.Key, Options.NewVersion))
                return new Outcome(ConfigChangeAction.DroppedByNewVersion, null,
                    ServerXmlParameters.IntroducedIn(oldEntry.Key) is null
                        ? "the new file does not have it and it is not a documented parameter; not re-added. Check the new version's notes and add it by hand if still valid."
                        : $"the new version {Options.NewVersion} predates this parameter; not re-added.");
            var source = (PropertyLocation)oldEntry.Location;
            var raw = source.ConvertedValue != null ? XmlLayout.EscapeContent(source.ConvertedValue) : source.RawContent;
            _added.Add($"<property name=\"{XmlLayout.EscapeAttribute(oldEntry.Key, '"')}\">{raw}</property>{AddedMarker}");
            return new Outcome(ConfigChangeAction.Added, oldEntry.Comparable,
                "set in the old install, absent from the new file (which would use the built-in default); added inside <system>.");
        }

        protected override Outcome DefaultOnlyInOld(ConfigEntry oldEntry) =>
            ServerXmlParameters.IsSupported(oldEntry.Key, Options.NewVersion)
                ? new Outcome(ConfigChangeAction.KeptNewDefault, null,
                    "left at the old default and omitted from the new file; the new version's built-in default applies.")
                : base.DefaultOnlyInOld(oldEntry);

        /// <summary>The merged text must parse and hold exactly the values the changes report.</summary>
        private static void Verify(string file, ConfigMergeResult result)
        {
            if (!result.IsModified) return;
            var merged = Read(result.MergedText, file + " (merged)", out _);
            foreach (var change in result.Changes.Where(c => c.Action == ConfigChangeAction.Carried || c.Action == ConfigChangeAction.Added))
            {
                var entry = merged[change.Key, change.Occurrence];
                if (entry is null || entry.Comparable != change.ExpectedValue)
                    throw new InvalidOperationException($"{file}: the merged file does not hold the carried value of '{change.Key}'; nothing was written.");
            }
        }

        private sealed class PropertyLocation
        {
            public PropertyLocation(XmlElementSpan element, string rawContent)
            {
                Element = element;
                RawContent = rawContent;
            }

            public XmlElementSpan Element { get; }
            public string RawContent { get; }
            public string? ConvertedValue { get; set; }
        }
    }
}
