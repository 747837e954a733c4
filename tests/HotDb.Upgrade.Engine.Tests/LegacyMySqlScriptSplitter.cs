using System;
using System.Collections.Generic;
using System.Text;
using HotDb.Upgrade.ConfigDb.Sql;

// The splitter as it was before it streamed (whole-string lexer), kept verbatim as the reference the streaming one
// must agree with statement for statement, token for token and error for error.
namespace HotDb.Upgrade.Tests
{
    /// <summary>
    /// Splits a script into statements the way the mysql client does: '-- ' (dash dash and whitespace), '#' and
    /// '/* */' comments; '/*! */' and '/*!NNNNN */' executable comments whose content is code; '', "" and ``
    /// quoting with doubled quotes and (outside backticks) backslash escapes; DELIMITER lines; CRLF; a UTF-8 BOM;
    /// a last statement without a delimiter.
    /// </summary>
    internal static class LegacyMySqlScriptSplitter
    {
        public static IReadOnlyList<SqlStatement> Split(string script, string file)
        {
            if (script is null) throw new ArgumentNullException(nameof(script));
            return new Lexer(script, file).Run();
        }

        private sealed class Lexer
        {
            private readonly string _s;
            private readonly string _file;
            private int _i;
            private int _line = 1;
            private int _col = 1;
            private string _delimiter = ";";
            private readonly List<SqlStatement> _statements = new List<SqlStatement>();
            private readonly List<SqlToken> _tokens = new List<SqlToken>();
            private int _statementStart = -1;
            private int _statementLine, _statementColumn;
            // Inside /*! ... */: the content is code, the closing */ ends it.
            private bool _inExecutableComment;
            private int _execLine, _execColumn;

            public Lexer(string script, string file)
            {
                _s = script;
                _file = file;
                if (_s.Length > 0 && _s[0] == '\uFEFF') _i = 1;
            }

            private char Peek(int ahead = 0) => _i + ahead < _s.Length ? _s[_i + ahead] : '\0';
            private bool AtEnd => _i >= _s.Length;

            private void Advance()
            {
                var c = _s[_i++];
                if (c == '\n') { _line++; _col = 1; }
                else if (c == '\r') { if (Peek() != '\n') { _line++; _col = 1; } }
                else _col++;
            }

            private void Advance(int count)
            {
                for (var k = 0; k < count; k++) Advance();
            }

            private bool AtLineStart()
            {
                for (var k = _i - 1; k >= 0; k--)
                {
                    var c = _s[k];
                    if (c == '\n' || c == '\r' || c == '\uFEFF') return true;
                    if (c != ' ' && c != '\t') return false;
                }
                return true;
            }

            private void MarkStart()
            {
                if (_statementStart >= 0) return;
                _statementStart = _i;
                _statementLine = _line;
                _statementColumn = _col;
            }

            public IReadOnlyList<SqlStatement> Run()
            {
                while (!AtEnd)
                {
                    var c = Peek();
                    if (_inExecutableComment && c == '*' && Peek(1) == '/')
                    {
                        Advance(2);
                        _inExecutableComment = false;
                        continue;
                    }
                    if (!_inExecutableComment && _statementStart < 0 && AtLineStart() && StartsWithWord("DELIMITER"))
                    {
                        ReadDelimiterCommand();
                        continue;
                    }
                    if (!_inExecutableComment && Matches(_delimiter))
                    {
                        Advance(_delimiter.Length);
                        EndStatement(_i - _delimiter.Length);
                        continue;
                    }
                    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') { Advance(); continue; }
                    if (c == '#') { SkipLineComment(); continue; }
                    if (c == '-' && Peek(1) == '-' && IsCommentSpace(Peek(2))) { SkipLineComment(); continue; }
                    if (c == '/' && Peek(1) == '*')
                    {
                        if (Peek(2) == '!' && !_inExecutableComment) { OpenExecutableComment(); continue; }
                        SkipBlockComment();
                        continue;
                    }
                    MarkStart();
                    if (c == '\'' || c == '"' || c == '`') { ReadQuoted(c); continue; }
                    if (IsWordStart(c)) { ReadWord(); continue; }
                    if (c >= '0' && c <= '9') { ReadNumber(); continue; }
                    _tokens.Add(new SqlToken(SqlTokenKind.Symbol, c.ToString(), _line, _col));
                    Advance();
                }
                if (_inExecutableComment)
                    throw new SqlSyntaxException(_file, _execLine, _execColumn, "the executable comment '/*!' is never closed with '*/'.");
                EndStatement(_s.Length);
                return _statements;
            }

            private bool Matches(string text) => string.CompareOrdinal(_s, _i, text, 0, text.Length) == 0;

            private bool StartsWithWord(string word)
            {
                if (_i + word.Length > _s.Length) return false;
                if (string.Compare(_s, _i, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) != 0) return false;
                var after = Peek(word.Length);
                return after == ' ' || after == '\t';
            }

            // The mysql client needs whitespace or a control character after '--' (or the end of the input).
            private static bool IsCommentSpace(char c) => c == '\0' || c <= ' ';

            private static bool IsWordStart(char c) => char.IsLetter(c) || c == '_' || c == '$' || c == '@' || c > 0x7f;

            private static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$' || c == '@' || c > 0x7f;

            private void ReadDelimiterCommand()
            {
                Advance("DELIMITER".Length);
                while (Peek() == ' ' || Peek() == '\t') Advance();
                var start = _i;
                int line = _line, column = _col;
                while (!AtEnd && Peek() != '\n' && Peek() != '\r' && Peek() != ' ' && Peek() != '\t') Advance();
                var delimiter = _s.Substring(start, _i - start);
                while (!AtEnd && Peek() != '\n' && Peek() != '\r') Advance();
                if (delimiter.Length == 0)
                    throw new SqlSyntaxException(_file, line, column, "DELIMITER needs a new delimiter on the same line.");
                if (delimiter.IndexOf('\\') >= 0)
                    throw new SqlSyntaxException(_file, line, column, "a delimiter cannot contain a backslash.");
                _delimiter = delimiter;
            }

            private void SkipLineComment()
            {
                while (!AtEnd && Peek() != '\n' && Peek() != '\r') Advance();
            }

            private void SkipBlockComment()
            {
                int line = _line, column = _col;
                Advance(2);
                while (!AtEnd)
                {
                    if (Peek() == '*' && Peek(1) == '/') { Advance(2); return; }
                    Advance();
                }
                throw new SqlSyntaxException(_file, line, column, "the comment '/*' is never closed with '*/'.");
            }

            private void OpenExecutableComment()
            {
                MarkStart();
                _execLine = _line;
                _execColumn = _col;
                Advance(3);
                // /*!NNNNN: a version gate of five or six digits; the content runs on servers at or above it.
                var digits = 0;
                while (digits < 6 && Peek() >= '0' && Peek() <= '9') { Advance(); digits++; }
                _inExecutableComment = true;
            }

            private void ReadQuoted(char quote)
            {
                int line = _line, column = _col;
                Advance();
                var value = new StringBuilder();
                while (true)
                {
                    if (AtEnd)
                    {
                        var what = quote == '`' ? "identifier" : "string";
                        throw new SqlSyntaxException(_file, line, column, $"the {what} opened with {quote} is never closed.");
                    }
                    var c = Peek();
                    if (c == '\\' && quote != '`' && _i + 1 < _s.Length)
                    {
                        value.Append(c).Append(_s[_i + 1]);
                        Advance(2);
                        continue;
                    }
                    if (c == quote)
                    {
                        if (Peek(1) == quote) { value.Append(c); Advance(2); continue; }
                        Advance();
                        break;
                    }
                    value.Append(c);
                    Advance();
                }
                _tokens.Add(new SqlToken(quote == '`' ? SqlTokenKind.QuotedIdentifier : SqlTokenKind.String, value.ToString(), line, column));
            }

            private void ReadWord()
            {
                int line = _line, column = _col, start = _i;
                while (!AtEnd && IsWordPart(Peek()) && !Matches(_delimiter)) Advance();
                _tokens.Add(new SqlToken(SqlTokenKind.Word, _s.Substring(start, _i - start), line, column));
            }

            private void ReadNumber()
            {
                int line = _line, column = _col, start = _i;
                while (!AtEnd && (char.IsLetterOrDigit(Peek()) || Peek() == '.' || Peek() == '_') && !Matches(_delimiter)) Advance();
                var text = _s.Substring(start, _i - start);
                // 1abc is an identifier in MySQL: digits followed by letters.
                var kind = SqlTokenKind.Number;
                foreach (var ch in text)
                    if (char.IsLetter(ch) && ch != 'e' && ch != 'E' && ch != 'x' && ch != 'X' && ch != 'b' && ch != 'B') kind = SqlTokenKind.Word;
                _tokens.Add(new SqlToken(kind, text, line, column));
            }

            private void EndStatement(int end)
            {
                if (_statementStart >= 0 && _tokens.Count > 0)
                {
                    var text = _s.Substring(_statementStart, end - _statementStart).TrimEnd();
                    _statements.Add(new SqlStatement(_file, _statementLine, _statementColumn, text, _tokens.ToArray()));
                }
                _tokens.Clear();
                _statementStart = -1;
            }
        }
    }
}
