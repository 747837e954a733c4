using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.Topology
{
    /// <summary>One word of keepalived.conf: its text without quotes and where it is written.</summary>
    internal sealed class KeepalivedToken
    {
        public KeepalivedToken(string text, SourceSpan span, bool quoted)
        {
            Text = text;
            Span = span;
            Quoted = quoted;
        }

        public string Text { get; }
        public SourceSpan Span { get; }
        public bool Quoted { get; }
    }

    /// <summary>A keyword with its arguments, and the statements of its block when it opens one.</summary>
    internal sealed class KeepalivedStatement
    {
        public KeepalivedStatement(KeepalivedToken keyword, IReadOnlyList<KeepalivedToken> arguments)
        {
            Keyword = keyword;
            Arguments = arguments;
        }

        public KeepalivedToken Keyword { get; }
        public IReadOnlyList<KeepalivedToken> Arguments { get; }
        public List<KeepalivedStatement>? Block { get; set; }
        /// <summary>From the keyword to the end of its last argument, or to the closing brace of its block.</summary>
        public SourceSpan Span { get; set; }
        public int Line => Keyword.Span.Line;
        public string Name => Keyword.Text;

        /// <summary>Every argument as one text: the vendor's names and commands may hold spaces.</summary>
        public string ArgumentText => string.Join(" ", Arguments.Select(a => a.Text));

        public SourceSpan? ArgumentSpan => Arguments.Count == 0 ? (SourceSpan?)null : Arguments[0].Span.Through(Arguments[Arguments.Count - 1].Span);
    }

    /// <summary>
    /// keepalived.conf's syntax: words separated by blanks, double-quoted strings, '!' and '#' comments to the end
    /// of the line, and blocks in braces. Meaning is left to <see cref="KeepalivedConfig"/>.
    /// </summary>
    internal static class KeepalivedSyntax
    {
        public static List<KeepalivedStatement> Parse(string text, string? path)
        {
            var root = new List<KeepalivedStatement>();
            var open = new Stack<(KeepalivedStatement Statement, List<KeepalivedStatement> Parent)>();
            var current = root;
            var lineStart = 0;
            var lineNumber = 0;
            while (lineStart <= text.Length)
            {
                lineNumber++;
                var end = text.IndexOf('\n', lineStart);
                if (end < 0) end = text.Length;
                var words = new List<KeepalivedToken>();
                foreach (var token in Tokens(text, lineStart, end, lineNumber, path))
                {
                    if (token.Text == "{" && !token.Quoted)
                    {
                        KeepalivedStatement opened;
                        if (words.Count > 0) opened = Add(current, words);
                        else if (current.Count > 0 && current[current.Count - 1].Block == null && current[current.Count - 1].Line == lineNumber - 1)
                            opened = current[current.Count - 1];
                        else throw new KeepalivedConfigException(path, lineNumber, "'{' does not follow a keyword.");
                        words = new List<KeepalivedToken>();
                        opened.Block = new List<KeepalivedStatement>();
                        open.Push((opened, current));
                        current = opened.Block;
                    }
                    else if (token.Text == "}" && !token.Quoted)
                    {
                        if (words.Count > 0) Add(current, words);
                        words = new List<KeepalivedToken>();
                        if (open.Count == 0) throw new KeepalivedConfigException(path, lineNumber, "'}' closes no block.");
                        var (closed, parent) = open.Pop();
                        closed.Span = closed.Keyword.Span.Through(token.Span);
                        current = parent;
                    }
                    else words.Add(token);
                }
                if (words.Count > 0) Add(current, words);
                lineStart = end + 1;
            }
            if (open.Count > 0)
            {
                var unclosed = open.Pop().Statement;
                throw new KeepalivedConfigException(path, unclosed.Line, $"the block '{(unclosed.Name + " " + unclosed.ArgumentText).TrimEnd()}' opened here is never closed with '}}'.");
            }
            return root;
        }

        private static KeepalivedStatement Add(List<KeepalivedStatement> into, List<KeepalivedToken> words)
        {
            var statement = new KeepalivedStatement(words[0], words.Skip(1).ToList());
            statement.Span = words[0].Span.Through(words[words.Count - 1].Span);
            into.Add(statement);
            return statement;
        }

        private static IEnumerable<KeepalivedToken> Tokens(string text, int start, int end, int line, string? path)
        {
            var i = start;
            while (i < end)
            {
                var c = text[i];
                if (c == ' ' || c == '\t' || c == '\r') { i++; continue; }
                if (c == '!' || c == '#') yield break;
                var column = i - start + 1;
                if (c == '{' || c == '}')
                {
                    yield return new KeepalivedToken(c.ToString(), new SourceSpan(line, column, i, 1), false);
                    i++;
                    continue;
                }
                if (c == '"')
                {
                    var close = text.IndexOf('"', i + 1);
                    if (close < 0 || close >= end) throw new KeepalivedConfigException(path, line, $"the quoted string starting at column {column} is not closed on its line.");
                    yield return new KeepalivedToken(text.Substring(i + 1, close - i - 1), new SourceSpan(line, column, i, close - i + 1), true);
                    i = close + 1;
                    continue;
                }
                var word = new StringBuilder();
                var wordStart = i;
                while (i < end && " \t\r{}\"".IndexOf(text[i]) < 0) word.Append(text[i++]);
                yield return new KeepalivedToken(word.ToString(), new SourceSpan(line, column, wordStart, i - wordStart), false);
            }
        }
    }
}
