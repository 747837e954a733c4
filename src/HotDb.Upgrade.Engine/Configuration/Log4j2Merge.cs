using System.Collections.Generic;
using System.Linq;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// log4j2.xml: every attribute and every text-only element is one key, addressed by its element path
    /// (e.g. <c>Configuration/Appenders/RollingFile[@name='hotdb']/@fileName</c>). Elements are identified by
    /// their name or ref attribute, else by position among same-named siblings. Differences are reported;
    /// values are carried only on request. Elements the files do not share are never added or removed.
    /// </summary>
    internal sealed class Log4j2Merge : KeyedMerge
    {
        private readonly string _newText;

        private Log4j2Merge(string file, ConfigMergeOptions options, string newText) : base(ConfigFileKind.Log4j2, file, options)
        {
            _newText = newText;
        }

        public static ConfigMergeResult Merge(ConfigFileNames files, string oldText, string newText, string? pristineText, ConfigMergeOptions options)
        {
            var file = files.New;
            var old = Read(oldText, files.Old);
            var fresh = Read(newText, file);
            var pristine = pristineText is null ? null : Read(pristineText, files.Pristine);
            var result = new Log4j2Merge(file, options, newText).Run(newText, old, fresh, pristine);
            if (result.IsModified) XmlLayout.EnsureWellFormed(result.MergedText, file + " (merged)");
            return result;
        }

        internal static ConfigEntries Read(string text, string file)
        {
            var layout = XmlLayout.Parse(text, file);
            var entries = new ConfigEntries();
            Walk(layout, layout.Root, Segment(layout.Root, null), entries);
            return entries;
        }

        private static void Walk(XmlLayout layout, XmlElementSpan element, string path, ConfigEntries entries)
        {
            var identity = IdentityAttribute(element);
            foreach (var attribute in element.Attributes)
            {
                if (attribute.Name == identity || attribute.Name.StartsWith("xmlns", System.StringComparison.Ordinal)) continue;
                entries.Add(new ConfigEntry($"{path}/@{attribute.Name}", attribute.Value, attribute.Value, new Log4jLocation(element, attribute, null)));
            }
            if (!element.SelfClosing && !element.HasChildElements)
            {
                var text = layout.SimpleContent(element);
                if (text != null && text.Trim().Length > 0)
                    entries.Add(new ConfigEntry(path, text, text, new Log4jLocation(element, null, layout.Raw(element))));
            }
            foreach (var child in element.Children)
                Walk(layout, child, path + "/" + Segment(child, element), entries);
        }

        private static string? IdentityAttribute(XmlElementSpan element) =>
            element.Attribute("name") != null ? "name" : element.Attribute("ref") != null ? "ref" : null;

        private static string Segment(XmlElementSpan element, XmlElementSpan? parent)
        {
            var identity = IdentityAttribute(element);
            if (identity != null)
                return $"{element.Name}[@{identity}='{element.Attribute(identity)!.Value}']";
            if (parent is null) return element.Name;
            var siblings = parent.Children.Where(c => c.Name == element.Name && IdentityAttribute(c) is null).ToList();
            if (siblings.Count == 1) return element.Name;
            return $"{element.Name}[{siblings.IndexOf(element) + 1}]";
        }

        protected override string? CarryVeto(string key) => Options.IncludeLog4j
            ? null
            : "log4j2.xml differences are reported only; carry them with -IncludeLog4j.";

        protected override Outcome Carry(ConfigEntry oldEntry, ConfigEntry newEntry)
        {
            var source = (Log4jLocation)oldEntry.Location;
            var target = (Log4jLocation)newEntry.Location;
            if (target.Attribute != null)
            {
                var a = target.Attribute;
                var raw = source.Attribute != null && source.Attribute.Quote == a.Quote
                    ? source.Attribute.RawValue
                    : XmlLayout.EscapeAttribute(oldEntry.Comparable, a.Quote);
                Edits.Add(new TextEdit(a.ValueStart, a.ValueEnd - a.ValueStart, raw));
            }
            else
            {
                var e = target.Element;
                Edits.Add(new TextEdit(e.ContentStart, e.ContentEnd - e.ContentStart, source.RawContent ?? XmlLayout.EscapeContent(oldEntry.Comparable)));
            }
            return new Outcome(ConfigChangeAction.Carried, oldEntry.Comparable, "changed in the old install; carried over on request.");
        }

        protected override Outcome OnlyInOld(ConfigEntry oldEntry, bool vendorHadIt) => vendorHadIt
            ? new Outcome(ConfigChangeAction.DroppedByNewVersion, null,
                "the old install changed it, but the new version's file no longer has it; not re-added.")
            : new Outcome(ConfigChangeAction.Skipped, null,
                "the new file has no such element or attribute; structure is never added to log4j2.xml, copy it by hand if still needed.");

        private sealed class Log4jLocation
        {
            public Log4jLocation(XmlElementSpan element, XmlAttributeSpan? attribute, string? rawContent)
            {
                Element = element;
                Attribute = attribute;
                RawContent = rawContent;
            }

            public XmlElementSpan Element { get; }
            public XmlAttributeSpan? Attribute { get; }
            public string? RawContent { get; }
        }
    }
}
