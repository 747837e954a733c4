using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace HotDb.Upgrade.ConfigDb.Sql
{
    public enum SqlTokenKind
    {
        /// <summary>An unquoted word: a keyword or a plain identifier.</summary>
        Word,
        /// <summary>A `backtick` quoted identifier (never a keyword).</summary>
        QuotedIdentifier,
        /// <summary>A 'single' or "double" quoted literal.</summary>
        String,
        Number,
        Symbol,
    }

    /// <summary>One lexical token of a statement; comments are not tokens, executable comments' contents are.</summary>
    public sealed class SqlToken
    {
        public SqlToken(SqlTokenKind kind, string text, int line, int column)
        {
            Kind = kind;
            Text = text;
            Line = line;
            Column = column;
        }

        public SqlTokenKind Kind { get; }
        /// <summary>For quoted tokens: the unquoted value.</summary>
        public string Text { get; }
        public int Line { get; }
        public int Column { get; }

        /// <summary>Is this the unquoted keyword <paramref name="keyword"/>?</summary>
        public bool Is(string keyword) => Kind == SqlTokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

        public bool IsSymbol(string symbol) => Kind == SqlTokenKind.Symbol && Text == symbol;

        public override string ToString() => Text;
    }

    /// <summary>One statement as the server would receive it, with where it starts in its file.</summary>
    public sealed class SqlStatement
    {
        public SqlStatement(string file, int line, int column, string text, IReadOnlyList<SqlToken> tokens)
        {
            File = file;
            Line = line;
            Column = column;
            Text = text;
            Tokens = tokens;
        }

        public string File { get; }
        /// <summary>1-based line of the statement's first token.</summary>
        public int Line { get; }
        /// <summary>1-based column (in characters) of the statement's first token.</summary>
        public int Column { get; }
        /// <summary>The text sent to the server: comments kept, the delimiter removed.</summary>
        public string Text { get; }
        public IReadOnlyList<SqlToken> Tokens { get; }

        public override string ToString() => Text;
    }

    /// <summary>A script the splitter cannot read as MySQL would (an unterminated string, comment or identifier).</summary>
    public sealed class SqlSyntaxException : FormatException
    {
        public SqlSyntaxException(string file, int line, int column, string problem)
            : base($"{file}:{line}:{column}: {problem}")
        {
            File = file;
            Line = line;
            Column = column;
            Problem = problem;
        }

        public string File { get; }
        public int Line { get; }
        public int Column { get; }
        public string Problem { get; }
    }

    /// <summary>
    /// Splits a script into statements the way the mysql client does: '-- ' (dash dash and whitespace), '#' and
    /// '/* */' comments; '/*! */' and '/*!NNNNN */' executable comments whose content is code; '', "" and ``
    /// quoting with doubled quotes and (outside backticks) backslash escapes; DELIMITER lines; CRLF; a UTF-8 BOM;
    /// a last statement without a delimiter. <see cref="Read"/> streams: it holds only the statement being read
    /// (and a buffer of <see cref="DefaultBufferSize"/> characters), never the whole script.
    /// </summary>
    public static class MySqlScriptSplitter
    {
        /// <summary>Characters read from the reader at a time (the buffer grows only for a longer statement).</summary>
        public const int DefaultBufferSize = 64 * 1024;

        /// <summary>Every statement of <paramref name="script"/>, as a list.</summary>
        public static IReadOnlyList<SqlStatement> Split(string script, string file)
        {
            if (script is null) throw new ArgumentNullException(nameof(script));
            return new List<SqlStatement>(Read(new StringReader(script), file));
        }

        /// <summary>
        /// The statements of the script <paramref name="reader"/> gives, one at a time as the reader is consumed;
        /// a <see cref="SqlSyntaxException"/> comes when the enumeration reaches the unreadable place. The reader is
        /// not disposed.
        /// </summary>
        public static IEnumerable<SqlStatement> Read(TextReader reader, string file, int bufferSize = DefaultBufferSize)
        {
            if (reader is null) throw new ArgumentNullException(nameof(reader));
            if (bufferSize < 1) throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "The buffer needs at least one character.");
            return ReadIterator(new Lexer(reader, file, bufferSize));
        }

        private static IEnumerable<SqlStatement> ReadIterator(Lexer lexer)
        {
            SqlStatement? statement;
            while ((statement = lexer.Next()) != null) yield return statement;
        }

        private sealed class Lexer
        {
            private readonly TextReader _reader;
            private readonly string _file;
            // The window of the script in memory: _buffer[0.._end) is read, _p the next character. Everything from
            // _statementStart (or _pin) on is kept; what lies before it is dropped when the buffer is refilled.
            private char[] _buffer;
            private int _end;
            private int _p;
            private bool _eof;
            private bool _started;
            private bool _finished;
            private int _pin = -1;
            private int _line = 1;
            private int _col = 1;
            // Only spaces and tabs since the last line break (or the start, or a BOM): a DELIMITER command may start here.
            private bool _atLineStart = true;
            private string _delimiter = ";";
            private readonly List<SqlToken> _tokens = new List<SqlToken>();
            private int _statementStart = -1;
            private int _statementLine, _statementColumn;
            // Inside /*! ... */: the content is code, the closing */ ends it.
            private bool _inExecutableComment;
            private int _execLine, _execColumn;

            public Lexer(TextReader reader, string file, int bufferSize)
            {
                _reader = reader;
                _file = file;
                _buffer = new char[bufferSize];
            }

            // True when _buffer holds at least count characters from _p on (false only at the end of the script).
            private bool Have(int count)
            {
                while (_p + count > _end)
                {
                    if (_eof) return false;
                    Fill();
                }
                return true;
            }

            private void Fill()
            {
                var keep = _p;
                if (_statementStart >= 0 && _statementStart < keep) keep = _statementStart;
                if (_pin >= 0 && _pin < keep) keep = _pin;
                if (keep > 0)
                {
                    Array.Copy(_buffer, keep, _buffer, 0, _end - keep);
                    _end -= keep;
                    _p -= keep;
                    if (_statementStart >= 0) _statementStart -= keep;
                    if (_pin >= 0) _pin -= keep;
                }
                if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
                var read = _reader.Read(_buffer, _end, _buffer.Length - _end);
                if (read <= 0) _eof = true;
                else _end += read;
            }

            private char Peek(int ahead = 0) => _p + ahead < _end || Have(ahead + 1) ? _buffer[_p + ahead] : '\0';
            private bool AtEnd => _p >= _end && !Have(1);

            private void Advance()
            {
                var c = _buffer[_p++];
                if (c == '\n') { _line++; _col = 1; _atLineStart = true; }
                else if (c == '\r') { _atLineStart = true; if (Peek() != '\n') { _line++; _col = 1; } }
                else
                {
                    _col++;
                    if (c == '\uFEFF') _atLineStart = true;
                    else if (c != ' ' && c != '\t') _atLineStart = false;
                }
            }

            private void Advance(int count)
            {
                for (var k = 0; k < count; k++) Advance();
            }

            private void MarkStart()
            {
                if (_statementStart >= 0) return;
                _statementStart = _p;
                _statementLine = _line;
                _statementColumn = _col;
            }

            /// <summary>The next statement, or null at the end of the script.</summary>
            public SqlStatement? Next()
            {
                if (_finished) return null;
                if (!_started)
                {
                    _started = true;
                    // A byte order mark opens the script; it is neither code nor a column.
                    if (Peek() == '\uFEFF') _p++;
                }
                while (!AtEnd)
                {
                    var c = Peek();
                    if (_inExecutableComment && c == '*' && Peek(1) == '/')
                    {
                        Advance(2);
                        _inExecutableComment = false;
                        continue;
                    }
                    if (!_inExecutableComment && _statementStart < 0 && _atLineStart && StartsWithWord("DELIMITER"))
                    {
                        ReadDelimiterCommand();
                        continue;
                    }
                    if (!_inExecutableComment && Matches(_delimiter))
                    {
                        Advance(_delimiter.Length);
                        var statement = EndStatement(_p - _delimiter.Length);
                        if (statement != null) return statement;
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
                _finished = true;
                if (_inExecutableComment)
                    throw new SqlSyntaxException(_file, _execLine, _execColumn, "the executable comment '/*!' is never closed with '*/'.");
                return EndStatement(_end);
            }

            private bool Matches(string text)
            {
                if (!Have(text.Length)) return false;
                for (var k = 0; k < text.Length; k++)
                    if (_buffer[_p + k] != text[k]) return false;
                return true;
            }

            private bool StartsWithWord(string word)
            {
                if (!Have(word.Length)) return false;
                if (string.Compare(new string(_buffer, _p, word.Length), word, StringComparison.OrdinalIgnoreCase) != 0) return false;
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
                _pin = _p;
                int line = _line, column = _col;
                while (!AtEnd && Peek() != '\n' && Peek() != '\r' && Peek() != ' ' && Peek() != '\t') Advance();
                var delimiter = new string(_buffer, _pin, _p - _pin);
                _pin = -1;
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
                    if (c == '\\' && quote != '`' && Have(2))
                    {
                        value.Append(c).Append(_buffer[_p + 1]);
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

            // A word or number lies inside the statement, so _statementStart keeps its first character in the buffer.
            private void ReadWord()
            {
                int line = _line, column = _col, start = _p - _statementStart;
                while (!AtEnd && IsWordPart(Peek()) && !Matches(_delimiter)) Advance();
                _tokens.Add(new SqlToken(SqlTokenKind.Word, new string(_buffer, _statementStart + start, _p - _statementStart - start), line, column));
            }

            private void ReadNumber()
            {
                int line = _line, column = _col, start = _p - _statementStart;
                while (!AtEnd && (char.IsLetterOrDigit(Peek()) || Peek() == '.' || Peek() == '_') && !Matches(_delimiter)) Advance();
                var text = new string(_buffer, _statementStart + start, _p - _statementStart - start);
                // 1abc is an identifier in MySQL: digits followed by letters.
                var kind = SqlTokenKind.Number;
                foreach (var ch in text)
                    if (char.IsLetter(ch) && ch != 'e' && ch != 'E' && ch != 'x' && ch != 'X' && ch != 'b' && ch != 'B') kind = SqlTokenKind.Word;
                _tokens.Add(new SqlToken(kind, text, line, column));
            }

            private SqlStatement? EndStatement(int end)
            {
                SqlStatement? statement = null;
                if (_statementStart >= 0 && _tokens.Count > 0)
                {
                    var text = new string(_buffer, _statementStart, end - _statementStart).TrimEnd();
                    statement = new SqlStatement(_file, _statementLine, _statementColumn, text, _tokens.ToArray());
                }
                _tokens.Clear();
                _statementStart = -1;
                return statement;
            }
        }
    }
}
