using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.ConfigDb.Sql
{
    public enum SqlFindingSeverity
    {
        /// <summary>Worth knowing; does not prevent an online upgrade.</summary>
        Information,
        /// <summary>The upgrade cannot run while the old version keeps serving.</summary>
        Error,
    }

    /// <summary>The stable rule IDs of the online-upgrade check. IDs never change meaning; new rules get new IDs.</summary>
    public static class OnlineUpgradeRule
    {
        public const string SyntaxError = "OU000";
        public const string DropTable = "OU001";
        public const string ModifiesExistingColumn = "OU002";
        public const string ChangesExistingRows = "OU003";
        public const string RewritesRowsUnderAnotherName = "OU004";
        public const string TakesTableAway = "OU005";
        public const string WidensColumnAddedInChain = "OU006";
        public const string Unclassified = "OU900";

        public static readonly IReadOnlyList<string> All = new[]
        {
            SyntaxError, DropTable, ModifiesExistingColumn, ChangesExistingRows, RewritesRowsUnderAnotherName,
            TakesTableAway, WidensColumnAddedInChain, Unclassified,
        };
    }

    /// <summary>One thing the check found, at a place in a file.</summary>
    public sealed class SqlFinding
    {
        public SqlFinding(string ruleId, SqlFindingSeverity severity, string file, int line, int column, string message, string statement)
        {
            RuleId = ruleId;
            Severity = severity;
            File = file;
            Line = line;
            Column = column;
            Message = message;
            Statement = statement;
        }

        public string RuleId { get; }
        public SqlFindingSeverity Severity { get; }
        public string File { get; }
        public int Line { get; }
        public int Column { get; }
        public string Message { get; }
        public string Statement { get; }

        public override string ToString() => $"{File}:{Line}:{Column}: {RuleId} {Severity}: {Message}";
    }

    /// <summary>
    /// Decides, statement by statement, whether upgrade SQL may run while the old version keeps using the ConfigDB.
    /// One instance follows one upgrade chain in order: it remembers the columns the chain added, so that widening
    /// one of them later is allowed (the manual's exception). Anything it does not recognise is reported.
    /// </summary>
    public sealed class OnlineUpgradeClassifier
    {
        private static readonly HashSet<string> AlwaysHarmless = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "SELECT", "USE", "SHOW", "BEGIN", "COMMIT", "ROLLBACK", "START", "LOCK", "UNLOCK", "DESC", "DESCRIBE",
            "EXPLAIN", "SAVEPOINT", "RELEASE",
        };
        private static readonly HashSet<string> IndexOrConstraint = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "INDEX", "KEY", "UNIQUE", "PRIMARY", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK", "PERIOD", "PARTITION", "SYSTEM",
        };
        private static readonly HashSet<string> HarmlessTableOptions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "ENGINE", "AUTO_INCREMENT", "COMMENT", "DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "ROW_FORMAT", "ALGORITHM",
            "LOCK", "KEY_BLOCK_SIZE",
        };

        // table.column (lower case) -> the type family it was added with and where.
        private readonly Dictionary<string, AddedColumn> _added = new Dictionary<string, AddedColumn>(StringComparer.OrdinalIgnoreCase);

        public IReadOnlyList<SqlFinding> Classify(SqlStatement statement)
        {
            var findings = new List<SqlFinding>();
            new StatementReader(this, statement, findings).Classify();
            return findings;
        }

        /// <summary>What the classifier has learnt so far (the columns the chain added), to go back to with <see cref="Forget"/>.</summary>
        internal object Remember() => new Dictionary<string, AddedColumn>(_added, StringComparer.OrdinalIgnoreCase);

        /// <summary>Forgets what was learnt since <paramref name="remembered"/> (from <see cref="Remember"/>).</summary>
        internal void Forget(object remembered)
        {
            _added.Clear();
            foreach (var pair in (Dictionary<string, AddedColumn>)remembered) _added[pair.Key] = pair.Value;
        }

        private sealed class AddedColumn
        {
            public AddedColumn(string typeFamily, string where)
            {
                TypeFamily = typeFamily;
                Where = where;
            }

            public string TypeFamily { get; }
            public string Where { get; }
        }

        private sealed class StatementReader
        {
            private readonly OnlineUpgradeClassifier _owner;
            private readonly SqlStatement _statement;
            private readonly IReadOnlyList<SqlToken> _t;
            private readonly List<SqlFinding> _findings;

            public StatementReader(OnlineUpgradeClassifier owner, SqlStatement statement, List<SqlFinding> findings)
            {
                _owner = owner;
                _statement = statement;
                _t = statement.Tokens;
                _findings = findings;
            }

            private SqlToken? At(int i) => i < _t.Count ? _t[i] : null;
            private bool WordAt(int i, string word) => At(i)?.Is(word) == true;

            private void Report(string rule, SqlToken at, string message, SqlFindingSeverity severity = SqlFindingSeverity.Error) =>
                _findings.Add(new SqlFinding(rule, severity, _statement.File, at.Line, at.Column, message, _statement.Text));

            private void Unclassified(SqlToken at, string what) =>
                Report(OnlineUpgradeRule.Unclassified, at,
                    $"{what} is not a statement this check can prove harmless to the running old version; review it by hand.");

            public void Classify()
            {
                var first = _t[0];
                if (first.IsSymbol("("))
                {
                    if (WordAt(1, "SELECT")) return;
                    Unclassified(first, "A statement starting with '('");
                    return;
                }
                if (first.Kind != SqlTokenKind.Word)
                {
                    Unclassified(first, $"A statement starting with '{first.Text}'");
                    return;
                }
                var verb = first.Text.ToUpperInvariant();
                if (AlwaysHarmless.Contains(verb)) return;
                switch (verb)
                {
                    case "SET": ClassifySet(); return;
                    case "WITH": ClassifyWith(); return;
                    case "INSERT": ClassifyInsert(); return;
                    case "REPLACE":
                        Report(OnlineUpgradeRule.RewritesRowsUnderAnotherName, first,
                            "REPLACE deletes and re-inserts existing rows that the running old version uses.");
                        return;
                    case "UPDATE":
                        Report(OnlineUpgradeRule.ChangesExistingRows, first, $"UPDATE {TableAfter(1)}changes existing rows that the running old version reads.");
                        return;
                    case "DELETE":
                        Report(OnlineUpgradeRule.ChangesExistingRows, first, "DELETE removes existing rows that the running old version reads.");
                        return;
                    case "TRUNCATE":
                        Report(OnlineUpgradeRule.RewritesRowsUnderAnotherName, first, "TRUNCATE deletes every existing row of a table the running old version reads.");
                        return;
                    case "RENAME": ClassifyRename(); return;
                    case "DROP": ClassifyDrop(); return;
                    case "CREATE": ClassifyCreate(); return;
                    case "ALTER": ClassifyAlter(); return;
                    default:
                        Unclassified(first, $"{verb}");
                        return;
                }
            }

            private string TableAfter(int index)
            {
                var i = index;
                while (At(i) is { Kind: SqlTokenKind.Word } w && (w.Is("LOW_PRIORITY") || w.Is("IGNORE"))) i++;
                var name = ReadName(ref i);
                return name is null ? "" : $"of {name} ";
            }

            private void ClassifySet()
            {
                // Session settings are harmless; a global or persisted setting changes the server for everyone.
                foreach (var token in _t.Skip(1))
                {
                    if (token.Is("GLOBAL") || token.Is("PERSIST") || token.Is("PERSIST_ONLY") ||
                        token.Kind == SqlTokenKind.Word && token.Text.StartsWith("@@global", StringComparison.OrdinalIgnoreCase))
                    {
                        Unclassified(token, "SET GLOBAL (a server-wide setting)");
                        return;
                    }
                }
            }

            private void ClassifyWith()
            {
                foreach (var token in _t)
                {
                    if (token.Is("UPDATE") || token.Is("DELETE"))
                    {
                        Report(OnlineUpgradeRule.ChangesExistingRows, token, $"WITH ... {token.Text.ToUpperInvariant()} changes existing rows that the running old version reads.");
                        return;
                    }
                }
                if (!_t.Any(token => token.Is("SELECT"))) Unclassified(_t[0], "WITH without SELECT");
            }

            private void ClassifyInsert()
            {
                for (var i = 1; i + 3 < _t.Count; i++)
                {
                    if (_t[i].Is("ON") && _t[i + 1].Is("DUPLICATE") && _t[i + 2].Is("KEY") && _t[i + 3].Is("UPDATE"))
                    {
                        Report(OnlineUpgradeRule.RewritesRowsUnderAnotherName, _t[i],
                            "INSERT ... ON DUPLICATE KEY UPDATE updates existing rows that the running old version reads.");
                        return;
                    }
                }
            }

            private void ClassifyRename()
            {
                if (WordAt(1, "TABLE") || WordAt(1, "TABLES"))
                {
                    var i = 2;
                    var name = ReadName(ref i) ?? "a table";
                    Report(OnlineUpgradeRule.TakesTableAway, _t[0], $"RENAME TABLE moves {name} away from the running old version, which still uses its old name.");
                    return;
                }
                Unclassified(_t[0], "RENAME other than RENAME TABLE");
            }

            private void ClassifyDrop()
            {
                var i = 1;
                if (WordAt(i, "TEMPORARY")) i++;
                if (WordAt(i, "TABLE") || WordAt(i, "TABLES"))
                {
                    i++;
                    if (WordAt(i, "IF") && WordAt(i + 1, "EXISTS")) i += 2;
                    var name = ReadName(ref i) ?? "a table";
                    Report(OnlineUpgradeRule.DropTable, _t[0], $"DROP TABLE removes {name}, which the running old version may still use.");
                    return;
                }
                if (WordAt(i, "DATABASE") || WordAt(i, "SCHEMA"))
                {
                    Report(OnlineUpgradeRule.TakesTableAway, _t[0], "DROP DATABASE removes every table in it from the running old version.");
                    return;
                }
                Unclassified(_t[0], $"DROP {At(i)?.Text.ToUpperInvariant()}");
            }

            private void ClassifyCreate()
            {
                var i = 1;
                if (WordAt(i, "OR") && WordAt(i + 1, "REPLACE"))
                {
                    i += 2;
                    if (WordAt(i, "TEMPORARY")) i++;
                    if (WordAt(i, "TABLE"))
                    {
                        Report(OnlineUpgradeRule.DropTable, _t[0], "CREATE OR REPLACE TABLE drops the existing table of that name first.");
                        return;
                    }
                    Unclassified(_t[0], $"CREATE OR REPLACE {At(i)?.Text.ToUpperInvariant()}");
                    return;
                }
                if (WordAt(i, "TEMPORARY")) i++;
                if (WordAt(i, "TABLE"))
                {
                    i++;
                    if (WordAt(i, "IF") && WordAt(i + 1, "NOT") && WordAt(i + 2, "EXISTS")) i += 3;
                    var table = ReadName(ref i);
                    if (table is null) { Unclassified(_t[0], "CREATE TABLE without a name"); return; }
                    if (At(i)?.IsSymbol("(") == true)
                        foreach (var element in SplitTopLevel(i + 1, CloseOf(i)))
                            RememberColumnDefinition(table, element);
                    return;
                }
                if (WordAt(i, "DATABASE") || WordAt(i, "SCHEMA") || WordAt(i, "INDEX") || WordAt(i, "VIEW")) return;
                if ((WordAt(i, "UNIQUE") || WordAt(i, "FULLTEXT") || WordAt(i, "SPATIAL")) && WordAt(i + 1, "INDEX")) return;
                Unclassified(_t[0], $"CREATE {At(i)?.Text.ToUpperInvariant()}");
            }

            private void ClassifyAlter()
            {
                var i = 1;
                while (WordAt(i, "ONLINE") || WordAt(i, "IGNORE")) i++;
                if (!WordAt(i, "TABLE")) { Unclassified(_t[0], $"ALTER {At(i)?.Text.ToUpperInvariant()}"); return; }
                i++;
                if (WordAt(i, "IF") && WordAt(i + 1, "EXISTS")) i += 2;
                var table = ReadName(ref i);
                if (table is null) { Unclassified(_t[0], "ALTER TABLE without a name"); return; }
                foreach (var spec in SplitTopLevel(i, _t.Count)) ClassifyAlterSpec(table, spec);
            }

            private void ClassifyAlterSpec(string table, List<SqlToken> spec)
            {
                if (spec.Count == 0) return;
                var head = spec[0];
                var i = 1;
                SqlToken? Next(int k) => k < spec.Count ? spec[k] : null;
                bool Word(int k, string w) => Next(k)?.Is(w) == true;

                if (head.Is("ADD"))
                {
                    if (Word(i, "COLUMN")) i++;
                    if (Word(i, "IF") && Word(i + 1, "NOT") && Word(i + 2, "EXISTS")) i += 3;
                    var next = Next(i);
                    if (next is null) return;
                    if (next.IsSymbol("("))
                    {
                        foreach (var element in SplitList(spec, i + 1)) RememberColumnDefinition(table, element);
                        return;
                    }
                    if (next.Kind == SqlTokenKind.Word && IndexOrConstraint.Contains(next.Text)) return;
                    RememberColumnDefinition(table, spec.Skip(i).ToList());
                    return;
                }
                if (head.Is("MODIFY"))
                {
                    if (Word(i, "COLUMN")) i++;
                    if (Word(i, "IF") && Word(i + 1, "EXISTS")) i += 2;
                    var column = Next(i);
                    CheckColumnRetype(table, head, column, column, Next(i + 1));
                    return;
                }
                if (head.Is("CHANGE"))
                {
                    if (Word(i, "COLUMN")) i++;
                    if (Word(i, "IF") && Word(i + 1, "EXISTS")) i += 2;
                    CheckColumnRetype(table, head, Next(i), Next(i + 1), Next(i + 2));
                    return;
                }
                if (head.Is("ALTER"))
                {
                    if (Next(i) is { Kind: SqlTokenKind.Word } w && (w.Is("INDEX") || w.Is("KEY") || w.Is("CHECK") || w.Is("CONSTRAINT")))
                    {
                        Unclassified(head, $"ALTER TABLE ... ALTER {w.Text.ToUpperInvariant()}");
                        return;
                    }
                    if (Word(i, "COLUMN")) i++;
                    Report(OnlineUpgradeRule.ModifiesExistingColumn, head,
                        $"ALTER TABLE {table} ALTER COLUMN {Next(i)?.Text} changes an existing column the running old version uses.");
                    return;
                }
                if (head.Is("DROP"))
                {
                    if (Next(i) is { Kind: SqlTokenKind.Word } w && IndexOrConstraint.Contains(w.Text))
                    {
                        Unclassified(head, $"ALTER TABLE ... DROP {w.Text.ToUpperInvariant()}");
                        return;
                    }
                    if (Word(i, "COLUMN")) i++;
                    if (Word(i, "IF") && Word(i + 1, "EXISTS")) i += 2;
                    Report(OnlineUpgradeRule.ModifiesExistingColumn, head,
                        $"ALTER TABLE {table} DROP COLUMN {Next(i)?.Text} removes a column the running old version reads and writes.");
                    return;
                }
                if (head.Is("RENAME"))
                {
                    if (Word(i, "COLUMN"))
                    {
                        Report(OnlineUpgradeRule.ModifiesExistingColumn, head,
                            $"ALTER TABLE {table} RENAME COLUMN {Next(i + 1)?.Text} takes the old column name away from the running old version.");
                        return;
                    }
                    if (Word(i, "INDEX") || Word(i, "KEY")) { Unclassified(head, "ALTER TABLE ... RENAME INDEX"); return; }
                    Report(OnlineUpgradeRule.TakesTableAway, head, $"ALTER TABLE {table} RENAME moves the table away from the running old version, which still uses its old name.");
                    return;
                }
                if (head.Is("CONVERT"))
                {
                    Report(OnlineUpgradeRule.ModifiesExistingColumn, head,
                        $"ALTER TABLE {table} CONVERT TO CHARACTER SET changes every existing text column.");
                    return;
                }
                if (head.Kind == SqlTokenKind.Word && HarmlessTableOptions.Contains(head.Text)) return;
                Unclassified(head, $"ALTER TABLE ... {head.Text.ToUpperInvariant()}");
            }

            private void CheckColumnRetype(string table, SqlToken clause, SqlToken? oldName, SqlToken? newName, SqlToken? type)
            {
                var verb = clause.Text.ToUpperInvariant();
                if (oldName is null || newName is null)
                {
                    Unclassified(clause, $"ALTER TABLE ... {verb} without a column");
                    return;
                }
                var key = table + "." + oldName.Text;
                var sameName = string.Equals(oldName.Text, newName.Text, StringComparison.OrdinalIgnoreCase);
                if (sameName && type != null && _owner._added.TryGetValue(key, out var added) && added.TypeFamily == TypeFamily(type.Text))
                {
                    Report(OnlineUpgradeRule.WidensColumnAddedInChain, clause,
                        $"ALTER TABLE {table} {verb} {oldName.Text} changes the length or range of a column this upgrade chain added ({added.Where}); allowed.",
                        SqlFindingSeverity.Information);
                    return;
                }
                var why = !sameName
                    ? $"renames column {oldName.Text} to {newName.Text}"
                    : _owner._added.ContainsKey(key)
                        ? $"changes the type of {oldName.Text} beyond its length or range"
                        : $"changes existing column {oldName.Text}";
                Report(OnlineUpgradeRule.ModifiesExistingColumn, clause, $"ALTER TABLE {table} {verb} {why}, which the running old version uses.");
            }

            private void RememberColumnDefinition(string table, List<SqlToken> definition)
            {
                if (definition.Count < 2) return;
                var name = definition[0];
                if (name.Kind == SqlTokenKind.Word && IndexOrConstraint.Contains(name.Text)) return;
                if (name.Kind != SqlTokenKind.Word && name.Kind != SqlTokenKind.QuotedIdentifier) return;
                _owner._added[table + "." + name.Text] =
                    new AddedColumn(TypeFamily(definition[1].Text), $"{_statement.File}:{name.Line}");
            }

            // A name, optionally schema-qualified; returns the table part.
            private string? ReadName(ref int i)
            {
                var token = At(i);
                if (token is null || (token.Kind != SqlTokenKind.Word && token.Kind != SqlTokenKind.QuotedIdentifier)) return null;
                var name = token.Text;
                i++;
                while (At(i)?.IsSymbol(".") == true && At(i + 1) is { } part && (part.Kind == SqlTokenKind.Word || part.Kind == SqlTokenKind.QuotedIdentifier))
                {
                    name = part.Text;
                    i += 2;
                }
                return name;
            }

            private int CloseOf(int open)
            {
                var depth = 0;
                for (var k = open; k < _t.Count; k++)
                {
                    if (_t[k].IsSymbol("(")) depth++;
                    else if (_t[k].IsSymbol(")") && --depth == 0) return k;
                }
                return _t.Count;
            }

            // Comma-separated items between from and to, at parenthesis depth zero.
            private List<List<SqlToken>> SplitTopLevel(int from, int to)
            {
                var items = new List<List<SqlToken>> { new List<SqlToken>() };
                var depth = 0;
                for (var k = from; k < to && k < _t.Count; k++)
                {
                    var token = _t[k];
                    if (token.IsSymbol("(")) depth++;
                    else if (token.IsSymbol(")")) depth--;
                    if (depth == 0 && token.IsSymbol(",")) { items.Add(new List<SqlToken>()); continue; }
                    items[items.Count - 1].Add(token);
                }
                return items.Where(item => item.Count > 0).ToList();
            }

            // The comma-separated items of a parenthesised list inside a spec, starting after its '('.
            private static List<List<SqlToken>> SplitList(List<SqlToken> spec, int from)
            {
                var items = new List<List<SqlToken>> { new List<SqlToken>() };
                var depth = 1;
                for (var k = from; k < spec.Count; k++)
                {
                    var token = spec[k];
                    if (token.IsSymbol("(")) depth++;
                    else if (token.IsSymbol(")") && --depth == 0) break;
                    if (depth == 1 && token.IsSymbol(",")) { items.Add(new List<SqlToken>()); continue; }
                    items[items.Count - 1].Add(token);
                }
                return items.Where(item => item.Count > 0).ToList();
            }
        }

        /// <summary>Types whose difference is only length or range share a family.</summary>
        internal static string TypeFamily(string type)
        {
            switch (type.ToLowerInvariant())
            {
                case "tinyint": case "smallint": case "mediumint": case "int": case "integer": case "bigint":
                    return "integer";
                case "decimal": case "dec": case "numeric": case "fixed":
                    return "decimal";
                case "float": case "double": case "real":
                    return "float";
                case "char": case "varchar": case "character":
                    return "char";
                case "binary": case "varbinary":
                    return "binary";
                case "tinytext": case "text": case "mediumtext": case "longtext":
                    return "text";
                case "tinyblob": case "blob": case "mediumblob": case "longblob":
                    return "blob";
                default:
                    return type.ToLowerInvariant();
            }
        }
    }

    /// <summary>What Test-HotDbUpgradeSql says about a set of scripts.</summary>
    public sealed class UpgradeSqlReport
    {
        public UpgradeSqlReport(IReadOnlyList<string> files, int statementCount, IReadOnlyList<SqlFinding> findings)
        {
            Files = files;
            StatementCount = statementCount;
            Findings = findings;
        }

        /// <summary>True when no finding is an error: the SQL may run while the old version keeps serving.</summary>
        public bool OnlineUpgradeAllowed => Findings.All(f => f.Severity != SqlFindingSeverity.Error);
        public IReadOnlyList<string> Files { get; }
        public int StatementCount { get; }
        public IReadOnlyList<SqlFinding> Findings { get; }

        /// <summary>The report as JSON for CI systems (stable property names, camelCase).</summary>
        public string ToJson()
        {
            var json = new StringBuilder();
            json.Append("{\"onlineUpgradeAllowed\":").Append(OnlineUpgradeAllowed ? "true" : "false");
            json.Append(",\"statementCount\":").Append(StatementCount.ToString(CultureInfo.InvariantCulture));
            json.Append(",\"files\":[").Append(string.Join(",", Files.Select(Json.String))).Append(']');
            json.Append(",\"findings\":[");
            for (var k = 0; k < Findings.Count; k++)
            {
                var f = Findings[k];
                if (k > 0) json.Append(',');
                json.Append("{\"ruleId\":").Append(Json.String(f.RuleId))
                    .Append(",\"severity\":").Append(Json.String(f.Severity.ToString()))
                    .Append(",\"file\":").Append(Json.String(f.File))
                    .Append(",\"line\":").Append(f.Line.ToString(CultureInfo.InvariantCulture))
                    .Append(",\"column\":").Append(f.Column.ToString(CultureInfo.InvariantCulture))
                    .Append(",\"message\":").Append(Json.String(f.Message))
                    .Append(",\"statement\":").Append(Json.String(f.Statement))
                    .Append('}');
            }
            json.Append("]}");
            return json.ToString();
        }
    }

    /// <summary>
    /// One script to analyse: its name (what findings call its file) and how to get its statements, read when the
    /// analysis reaches it. A script from a file is streamed: its statements are never all held at once.
    /// </summary>
    public sealed class SqlScriptSource
    {
        private readonly Func<IEnumerable<SqlStatement>> _statements;

        private SqlScriptSource(string file, Func<IEnumerable<SqlStatement>> statements)
        {
            File = file;
            _statements = statements;
        }

        public string File { get; }

        internal IEnumerable<SqlStatement> Statements() => _statements();

        /// <summary>A script read from the reader <paramref name="open"/> gives (disposed at the end of the script).</summary>
        public static SqlScriptSource FromReader(string file, Func<TextReader> open, int bufferSize = MySqlScriptSplitter.DefaultBufferSize)
        {
            if (open is null) throw new ArgumentNullException(nameof(open));
            return new SqlScriptSource(file, () => ReadAll(file, open, bufferSize));
        }

        /// <summary>A script given as text.</summary>
        public static SqlScriptSource FromText(string file, string text)
        {
            if (text is null) throw new ArgumentNullException(nameof(text));
            return FromReader(file, () => new StringReader(text));
        }

        /// <summary>A script already split (such as a loaded <c>UpgradeScript</c>'s statements).</summary>
        public static SqlScriptSource FromStatements(string file, IEnumerable<SqlStatement> statements)
        {
            if (statements is null) throw new ArgumentNullException(nameof(statements));
            return new SqlScriptSource(file, () => statements);
        }

        /// <summary>A script file, validated as it is read (<see cref="ScriptFiles.OpenText"/>); findings name it <paramref name="file"/>.</summary>
        public static SqlScriptSource FromFile(string file, string path, long maxBytes = ScriptFiles.MaxAnalysisBytes) =>
            FromReader(file, () => ScriptFiles.OpenText(path, file, maxBytes));

        private static IEnumerable<SqlStatement> ReadAll(string file, Func<TextReader> open, int bufferSize)
        {
            using (var reader = open())
                foreach (var statement in MySqlScriptSplitter.Read(reader, file, bufferSize))
                    yield return statement;
        }

        public override string ToString() => File;
    }

    /// <summary>Runs the splitter and the classifier over scripts in chain order, one statement at a time.</summary>
    public static class UpgradeSqlAnalyzer
    {
        public static UpgradeSqlReport Analyze(IEnumerable<KeyValuePair<string, string>> filesInOrder) =>
            Analyze(filesInOrder, Array.Empty<KeyValuePair<string, string>>());

        /// <summary>
        /// As <see cref="Analyze(IEnumerable{KeyValuePair{string, string}})"/>, after reading the chain's scripts the
        /// ConfigDB already ran (<paramref name="appliedEarlier"/>, in version order): the classifier learns the columns
        /// they added, so widening one of them is the manual's exception. Their own statements are not judged (they ran
        /// long ago); only the findings of <paramref name="filesInOrder"/> are reported.
        /// </summary>
        public static UpgradeSqlReport Analyze(IEnumerable<KeyValuePair<string, string>> filesInOrder, IEnumerable<KeyValuePair<string, string>> appliedEarlier) =>
            Analyze(filesInOrder.Select(f => SqlScriptSource.FromText(f.Key, f.Value)), appliedEarlier.Select(f => SqlScriptSource.FromText(f.Key, f.Value)));

        /// <summary>
        /// The analysis of scripts in chain order, each streamed statement by statement: only the findings are kept.
        /// A script that cannot be read as MySQL would gives one OU000 finding and counts for nothing else: neither
        /// its statements nor what they added are kept, as if it had not been read. <paramref name="onStatement"/>
        /// sees each judged statement once it has been classified (progress).
        /// </summary>
        public static UpgradeSqlReport Analyze(IEnumerable<SqlScriptSource> filesInOrder, IEnumerable<SqlScriptSource>? appliedEarlier = null,
            Action<SqlStatement>? onStatement = null)
        {
            if (filesInOrder is null) throw new ArgumentNullException(nameof(filesInOrder));
            var classifier = new OnlineUpgradeClassifier();
            foreach (var file in appliedEarlier ?? Array.Empty<SqlScriptSource>())
            {
                var remembered = classifier.Remember();
                try
                {
                    foreach (var statement in file.Statements()) classifier.Classify(statement);
                }
                catch (SqlSyntaxException)
                {
                    // An unreadable earlier script teaches nothing; the scripts to run are still judged on their own.
                    classifier.Forget(remembered);
                }
            }
            var findings = new List<SqlFinding>();
            var files = new List<string>();
            var count = 0;
            foreach (var file in filesInOrder)
            {
                files.Add(file.File);
                var remembered = classifier.Remember();
                var fileFindings = new List<SqlFinding>();
                var fileCount = 0;
                try
                {
                    foreach (var statement in file.Statements())
                    {
                        fileCount++;
                        fileFindings.AddRange(classifier.Classify(statement));
                        onStatement?.Invoke(statement);
                    }
                }
                catch (SqlSyntaxException e)
                {
                    classifier.Forget(remembered);
                    findings.Add(new SqlFinding(OnlineUpgradeRule.SyntaxError, SqlFindingSeverity.Error, e.File, e.Line, e.Column,
                        $"The script cannot be read as MySQL would: {e.Problem}", ""));
                    continue;
                }
                count += fileCount;
                findings.AddRange(fileFindings);
            }
            return new UpgradeSqlReport(files, count, findings);
        }
    }

    internal static class Json
    {
        public static string String(string value)
        {
            var s = new StringBuilder("\"");
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"': s.Append("\\\""); break;
                    case '\\': s.Append("\\\\"); break;
                    case '\n': s.Append("\\n"); break;
                    case '\r': s.Append("\\r"); break;
                    case '\t': s.Append("\\t"); break;
                    default:
                        if (c < 0x20) s.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else s.Append(c);
                        break;
                }
            }
            return s.Append('"').ToString();
        }
    }
}
