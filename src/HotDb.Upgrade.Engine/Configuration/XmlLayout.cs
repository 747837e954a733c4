using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Xml;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// The element tree of an XML file with the character offset of every tag, attribute value and text
    /// content, so edits replace exactly those characters and nothing else (no serializer round-trip).
    /// </summary>
    internal sealed class XmlLayout
    {
        private readonly string _text;
        private readonly string _file;
        private int _pos;

        private XmlLayout(string text, string file)
        {
            _text = text;
            _file = file;
        }

        public XmlElementSpan Root { get; private set; } = null!;

        /// <summary>Checks well-formedness with the framework's reader, then maps the layout.</summary>
        public static XmlLayout Parse(string text, string file)
        {
            EnsureWellFormed(text, file);
            var layout = new XmlLayout(text, file);
            layout.Scan();
            return layout;
        }

        /// <summary>Throws a ConfigFormatException naming the line and column of the first XML error.</summary>
        public static void EnsureWellFormed(string text, string file)
        {
            var settings = new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Ignore,
                XmlResolver = null,
                IgnoreComments = true,
                CheckCharacters = true,
            };
            try
            {
                using var reader = XmlReader.Create(new StringReader(text), settings);
                while (reader.Read()) { }
            }
            catch (XmlException e)
            {
                throw new ConfigFormatException(file,
                    $"is not well-formed XML (line {e.LineNumber}, column {e.LinePosition}): {e.Message}", e);
            }
        }

        private void Scan()
        {
            var stack = new Stack<XmlElementSpan>();
            while (_pos < _text.Length)
            {
                if (_text[_pos] != '<')
                {
                    var next = _text.IndexOf('<', _pos);
                    _pos = next < 0 ? _text.Length : next;
                    continue;
                }
                if (StartsWith("<!--")) { SkipPast("-->"); MarkComplex(stack); continue; }
                if (StartsWith("<![CDATA[")) { SkipPast("]]>"); continue; }
                if (StartsWith("<?")) { SkipPast("?>"); MarkComplex(stack); continue; }
                if (StartsWith("<!")) { SkipDeclaration(); continue; }
                if (StartsWith("</"))
                {
                    var start = _pos;
                    _pos += 2;
                    var name = ReadName();
                    SkipPast(">");
                    if (stack.Count == 0 || stack.Peek().Name != name) throw Malformed($"unexpected end tag </{name}>");
                    var element = stack.Pop();
                    element.ContentEnd = start;
                    element.End = _pos;
                    continue;
                }
                var opened = ReadStartTag(stack.Count == 0 ? null : stack.Peek());
                if (stack.Count == 0 && Root is null) Root = opened;
                if (opened.Parent != null)
                {
                    opened.Parent.Children.Add(opened);
                    opened.Parent.HasChildElements = true;
                }
                if (!opened.SelfClosing) stack.Push(opened);
            }
            if (Root is null) throw Malformed("has no root element");
        }

        private static void MarkComplex(Stack<XmlElementSpan> stack)
        {
            if (stack.Count > 0) stack.Peek().HasOtherMarkup = true;
        }

        private XmlElementSpan ReadStartTag(XmlElementSpan? parent)
        {
            var element = new XmlElementSpan { Start = _pos, Parent = parent };
            _pos++;
            element.Name = ReadName();
            while (true)
            {
                SkipWhitespace();
                if (_pos >= _text.Length) throw Malformed($"unterminated start tag <{element.Name}");
                if (StartsWith("/>"))
                {
                    _pos += 2;
                    element.SelfClosing = true;
                    element.ContentStart = element.ContentEnd = element.End = _pos;
                    return element;
                }
                if (_text[_pos] == '>')
                {
                    _pos++;
                    element.ContentStart = _pos;
                    return element;
                }
                var attribute = new XmlAttributeSpan { Name = ReadName() };
                SkipWhitespace();
                if (_pos >= _text.Length || _text[_pos] != '=') throw Malformed($"attribute {attribute.Name} has no value");
                _pos++;
                SkipWhitespace();
                var quote = _pos < _text.Length ? _text[_pos] : '\0';
                if (quote != '"' && quote != '\'') throw Malformed($"attribute {attribute.Name} is not quoted");
                attribute.Quote = quote;
                attribute.ValueStart = _pos + 1;
                var close = _text.IndexOf(quote, attribute.ValueStart);
                if (close < 0) throw Malformed($"attribute {attribute.Name} is not closed");
                attribute.ValueEnd = close;
                attribute.RawValue = _text.Substring(attribute.ValueStart, close - attribute.ValueStart);
                attribute.Value = DecodeEntities(attribute.RawValue);
                element.Attributes.Add(attribute);
                _pos = close + 1;
            }
        }

        // A DOCTYPE may carry an internal subset in [...] with quoted strings and comments.
        private void SkipDeclaration()
        {
            var depth = 0;
            while (_pos < _text.Length)
            {
                var c = _text[_pos];
                if (c == '"' || c == '\'')
                {
                    var close = _text.IndexOf(c, _pos + 1);
                    if (close < 0) throw Malformed("unterminated declaration");
                    _pos = close + 1;
                    continue;
                }
                if (depth > 0 && StartsWith("<!--")) { SkipPast("-->"); continue; }
                _pos++;
                if (c == '[') depth++;
                else if (c == ']') depth--;
                else if (c == '>' && depth == 0) return;
            }
            throw Malformed("unterminated declaration");
        }

        private string ReadName()
        {
            var start = _pos;
            while (_pos < _text.Length && !char.IsWhiteSpace(_text[_pos]) && _text[_pos] != '>' && _text[_pos] != '/' && _text[_pos] != '=')
                _pos++;
            if (_pos == start) throw Malformed("a tag has no name");
            return _text.Substring(start, _pos - start);
        }

        private void SkipWhitespace()
        {
            while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
        }

        private bool StartsWith(string token) => string.CompareOrdinal(_text, _pos, token, 0, token.Length) == 0;

        private void SkipPast(string token)
        {
            var end = _text.IndexOf(token, _pos, StringComparison.Ordinal);
            if (end < 0) throw Malformed($"'{token}' is missing");
            _pos = end + token.Length;
        }

        private ConfigFormatException Malformed(string what) =>
            new ConfigFormatException(_file, $"cannot be mapped for editing at offset {_pos}: {what}.");

        /// <summary>The text of an element with only character data (text, entity references, CDATA); null otherwise.</summary>
        public string? SimpleContent(XmlElementSpan element)
        {
            if (element.HasChildElements || element.HasOtherMarkup) return null;
            var raw = Raw(element);
            var value = new StringBuilder();
            var i = 0;
            while (i < raw.Length)
            {
                var cdata = raw.IndexOf("<![CDATA[", i, StringComparison.Ordinal);
                if (cdata < 0)
                {
                    value.Append(DecodeEntities(raw.Substring(i)));
                    break;
                }
                value.Append(DecodeEntities(raw.Substring(i, cdata - i)));
                var end = raw.IndexOf("]]>", cdata, StringComparison.Ordinal);
                value.Append(raw, cdata + 9, end - cdata - 9);
                i = end + 3;
            }
            return value.ToString();
        }

        public string Raw(XmlElementSpan element) => _text.Substring(element.ContentStart, element.ContentEnd - element.ContentStart);

        /// <summary>Decodes the five predefined entities and character references; others stay as written.</summary>
        internal static string DecodeEntities(string raw)
        {
            if (raw.IndexOf('&') < 0) return raw;
            var result = new StringBuilder(raw.Length);
            var i = 0;
            while (i < raw.Length)
            {
                var amp = raw.IndexOf('&', i);
                var semi = amp < 0 ? -1 : raw.IndexOf(';', amp);
                if (amp < 0 || semi < 0)
                {
                    result.Append(raw, i, raw.Length - i);
                    break;
                }
                result.Append(raw, i, amp - i);
                var entity = raw.Substring(amp + 1, semi - amp - 1);
                var decoded = entity switch
                {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => CharacterReference(entity),
                };
                result.Append(decoded ?? raw.Substring(amp, semi - amp + 1));
                i = semi + 1;
            }
            return result.ToString();
        }

        private static string? CharacterReference(string entity)
        {
            if (entity.Length < 2 || entity[0] != '#') return null;
            var hex = entity[1] == 'x';
            var digits = entity.Substring(hex ? 2 : 1);
            if (!int.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                return null;
            try { return char.ConvertFromUtf32(code); }
            catch (ArgumentOutOfRangeException) { return null; }
        }

        /// <summary>Escapes a value for element content.</summary>
        internal static string EscapeContent(string value) =>
            value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        /// <summary>Escapes a value for an attribute quoted with <paramref name="quote"/>.</summary>
        internal static string EscapeAttribute(string value, char quote) =>
            EscapeContent(value).Replace(quote == '"' ? "\"" : "'", quote == '"' ? "&quot;" : "&apos;");
    }

    internal sealed class XmlElementSpan
    {
        public string Name { get; set; } = "";
        public XmlElementSpan? Parent { get; set; }
        public int Start { get; set; }
        public int ContentStart { get; set; }
        public int ContentEnd { get; set; }
        public int End { get; set; }
        public bool SelfClosing { get; set; }
        public bool HasChildElements { get; set; }
        public bool HasOtherMarkup { get; set; }
        public List<XmlAttributeSpan> Attributes { get; } = new List<XmlAttributeSpan>();
        public List<XmlElementSpan> Children { get; } = new List<XmlElementSpan>();

        public XmlAttributeSpan? Attribute(string name) => Attributes.Find(a => a.Name == name);

        /// <summary>The name after any namespace prefix.</summary>
        public string LocalName => Name.Substring(Name.IndexOf(':') + 1);
    }

    internal sealed class XmlAttributeSpan
    {
        public string Name { get; set; } = "";
        public char Quote { get; set; }
        public int ValueStart { get; set; }
        public int ValueEnd { get; set; }
        public string RawValue { get; set; } = "";
        public string Value { get; set; } = "";
    }
}
