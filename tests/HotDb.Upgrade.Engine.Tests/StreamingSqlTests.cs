using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.ConfigDb.Sql;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>
    /// The streaming splitter, analyser and script reader against the whole-text ones they replaced: the same
    /// statements, tokens, errors and findings, whatever the buffer boundaries; and a large script read incrementally.
    /// </summary>
    public sealed class StreamingSqlTests : IDisposable
    {
        private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "streamingsql-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_root, true);

        public static readonly TheoryData<string> Tricky = new TheoryData<string>
        {
            "SELECT 1;\n  -- note\n  INSERT INTO t\n  VALUES (1);SELECT 2",
            "\uFEFFSELECT 1;\r\n\r\nSELECT\r\n 2;\r\n",
            "\uFEFF\uFEFFSELECT 1;\n\uFEFFDELIMITER $$\nSELECT 2$$\nDELIMITER ;\nSELECT 3;",
            "SELECT 'a''b', \"c\\\"d\", `e``f` ; SELECT 'it\\'s; not the end' ;",
            "SELECT 'x;y' -- c;d\n, \"p;q\" # r;s\n, `u;v` /* w;x */ FROM t;",
            "/*!40101 SET @OLD = @@SQL_MODE */;\n/*!50003 CREATE PROCEDURE p() BEGIN SELECT 1; END */;;",
            "/*!*/;\n/*!40101 */;\nSELECT 1;",
            "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;;\ndelimiter ;\nSELECT 3;",
            "  DELIMITER //\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END//\n\tDELIMITER ;\nSELECT 4;",
            "DELIMITER abcdefghijklmnopqrstuvwxyz\nSELECT 1 abcdefghijklmnopqrstuvwxyz SELECT 2abcdefghijklmnopqrstuvwxyz\nDELIMITER ;\n",
            "SELECT 1; DELIMITER $$\nSELECT 2$$",
            "SELECT a--b FROM t;\nSELECT 1 --\nFROM t;--",
            "SELECT 1e10, 0x1F, 1abc, 12.5, b'01';SELECT $a, @b, @@c",
            "SELECT 1;\r\rSELECT\r2;\n\r\nSELECT 3",
            "INSERT INTO t VALUES ('中文', '𝄞', \"ü\");\nSELECT `名`;",
            "SELECT 'x\\",
            "SELECT 'x",
            "SELECT 1;\n  SELECT \"x",
            "/* x",
            "SELECT `x",
            "DELIMITER \nSELECT 1;",
            "DELIMITER a\\b\nSELECT 1;",
            "/*! SELECT 1;",
            "SELECT 1; /* c */ ; ; -- only comments\n# more\n",
            "",
            "   \n\t",
            "SELECT 'a'\n'b';\nUPDATE t SET a = 1 WHERE b = ';';",
        };

        [Theory]
        [MemberData(nameof(Tricky))]
        public void StreamsTheSameStatementsAsTheWholeTextSplitterAtAnyBufferBoundary(string sql)
        {
            var expected = Reference(sql);
            foreach (var bufferSize in new[] { 1, 2, 3, 5, 8, 13, MySqlScriptSplitter.DefaultBufferSize })
            {
                Assert.Equal(expected, Streamed(new TrickleReader(sql, 1), bufferSize));
                Assert.Equal(expected, Streamed(new TrickleReader(sql, 3), bufferSize));
                Assert.Equal(expected, Streamed(new StringReader(sql), bufferSize));
            }
        }

        [Fact]
        public void AgreesWithTheWholeTextSplitterOnGeneratedScripts()
        {
            // Fragments that exercise every state of the lexer, glued at random (fixed seed: the same cases every run).
            var pieces = new[]
            {
                "SELECT", " ", "\t", "\n", "\r\n", "\r", ";", ";;", "$$", "'", "''", "\"", "`", "\\", "\\'", "--", "-- ", "#",
                "/*", "*/", "/*!", "/*!40101", "DELIMITER ", "delimiter $$\n", "DELIMITER ;\n", "DELIMITER ;;\n", "a", "b1", "12",
                "1e5", "0x", "(", ")", ",", ".", "中", "\uFEFF", "ALTER TABLE t ADD COLUMN c INT", "UPDATE t SET a = 1",
            };
            var random = new Random(20261206);
            var agreed = 0;
            for (var n = 0; n < 400; n++)
            {
                var sql = new StringBuilder();
                var length = random.Next(1, 40);
                for (var k = 0; k < length; k++) sql.Append(pieces[random.Next(pieces.Length)]);
                var text = sql.ToString();
                var expected = Reference(text);
                Assert.Equal(expected, Streamed(new TrickleReader(text, 1), 1));
                Assert.Equal(expected, Streamed(new TrickleReader(text, 2), 4));
                agreed++;
            }
            Assert.Equal(400, agreed);
        }

        [Fact]
        public void FindsWhatTheWholeTextAnalysisFound()
        {
            // A chain where a broken script adds a column before its syntax error: as before, it teaches nothing, so the
            // later widening of that column is refused, while the one from the readable script is the exception.
            var chain = new[]
            {
                new KeyValuePair<string, string>("hotdb_config_2.5.4.sql", "ALTER TABLE t ADD COLUMN c VARCHAR(8);\nINSERT INTO t VALUES (1);"),
                new KeyValuePair<string, string>("hotdb_config_2.5.5.sql", "ALTER TABLE t ADD COLUMN d VARCHAR(8);\nUPDATE t SET a = 'x;\n"),
                new KeyValuePair<string, string>("hotdb_config_2.5.6.sql",
                    "DELIMITER $$\nCREATE PROCEDURE p() BEGIN DELETE FROM t; END$$\nDELIMITER ;\nALTER TABLE t MODIFY c VARCHAR(64), MODIFY d VARCHAR(64);\nDROP TABLE old;\nREPLACE INTO t VALUES (2);"),
            };
            var earlier = new[] { new KeyValuePair<string, string>("hotdb_config_2.5.3.sql", "ALTER TABLE u ADD COLUMN e INT;") };
            var expected = ReferenceAnalysis(chain, earlier);
            Assert.Contains("OU000", expected);
            Assert.Contains("OU006", expected);
            Assert.Equal(expected, UpgradeSqlAnalyzer.Analyze(chain, earlier).ToJson());
            var streamed = UpgradeSqlAnalyzer.Analyze(
                chain.Select(f => SqlScriptSource.FromReader(f.Key, () => new TrickleReader(f.Value, 1), bufferSize: 2)),
                earlier.Select(f => SqlScriptSource.FromReader(f.Key, () => new TrickleReader(f.Value, 1), bufferSize: 2)));
            Assert.Equal(expected, streamed.ToJson());
            Assert.Equal(6, streamed.StatementCount);
        }

        [Fact]
        public void AnalysesATensOfMegabytesScriptReadingOnlyAhead()
        {
            // 200,000 statements of 100 characters (20 MB), generated as they are read: no string holds the script. When a
            // statement is judged, the reader may be at most one buffer past its end: the analysis pulls statements as it
            // judges them, and keeps none of them (it could not, being handed each only after the last was judged).
            const int lines = 200_000;
            const int bufferSize = 4096;
            var reader = new GeneratedScript(lines);
            var judged = 0;
            var furthestAhead = 0L;
            var report = UpgradeSqlAnalyzer.Analyze(new[] { SqlScriptSource.FromReader("big.sql", () => reader, bufferSize) }, null, statement =>
            {
                judged++;
                Assert.Equal(judged, statement.Line);
                var end = (long)statement.Line * GeneratedScript.LineLength;
                var ahead = reader.CharsRead - end;
                Assert.True(ahead <= bufferSize, $"statement {judged}: the reader is {ahead} characters past it");
                furthestAhead = Math.Max(furthestAhead, ahead);
            });
            Assert.Equal(lines, judged);
            Assert.Equal(lines, report.StatementCount);
            Assert.Equal((long)lines * GeneratedScript.LineLength, reader.CharsRead);
            Assert.True(reader.Disposed);
            Assert.True(furthestAhead > 0);
            // Every 50,000th statement is an UPDATE: its finding (and text) is what is kept.
            Assert.Equal(new[] { 50_000, 100_000, 150_000, 200_000 }, report.Findings.Select(f => f.Line));
            Assert.All(report.Findings, f => Assert.Equal("OU003", f.RuleId));
        }

        [Fact]
        public void ASplitterBufferGrowsOnlyForALongStatement()
        {
            // One 100,000-character statement among short ones, read through a 16-character buffer.
            var longValue = new string('x', 100_000);
            var sql = $"SELECT 1;\nINSERT INTO t VALUES ('{longValue}');\nSELECT 2;";
            var statements = MySqlScriptSplitter.Read(new TrickleReader(sql, 7), "long.sql", 16).ToList();
            Assert.Equal(3, statements.Count);
            Assert.Equal($"INSERT INTO t VALUES ('{longValue}')", statements[1].Text);
            Assert.Equal(longValue, statements[1].Tokens.Single(t => t.Kind == SqlTokenKind.String).Text);
        }

        public static readonly TheoryData<byte[]> Encodings = new TheoryData<byte[]>
        {
            new byte[] { 0xFF, 0xFE, 0x00, 0x00, 0x53, 0, 0, 0 },
            new byte[] { 0x00, 0x00, 0xFE, 0xFF, 0, 0, 0, 0x53 },
            new byte[] { 0x53, 0x45, 0x4C, 0xC9, 0x43, 0x54 },
            new byte[] { 0xEF, 0xBB, 0xBF, 0x41, 0xE0, 0x80, 0x80 },
            new byte[] { 0x53, 0x00, 0x45, 0x00 },
            new byte[] { 0x53, 0x00, 0x45, 0xC3 },
            new byte[] { 0x53, 0xE2, 0x82 },
            new byte[] { 0xED, 0xA0, 0x80 },
            new byte[] { 0xF4, 0x90, 0x80, 0x80 },
            new byte[] { 0xFF, 0xFE, 0x53, 0x00, 0x45 },
            new byte[] { 0xFE, 0xFF, 0xD8, 0x00, 0x00, 0x41 },
            new byte[] { 0xEF, 0xBB, 0xBF, 0x53, 0xC3, 0xA9, 0x3B },
            new byte[] { 0xFE, 0xFF, 0x00, 0x53, 0x00, 0x3B },
            new byte[] { 0xEF, 0xBB },
            new byte[0],
        };

        [Theory]
        [MemberData(nameof(Encodings))]
        public void ReadsAndRefusesFilesAsTheWholeFileDecoderDid(byte[] bytes)
        {
            var path = Path.Combine(_root, "x.sql");
            File.WriteAllBytes(path, bytes);
            AssertSameAsDecode(bytes, path);
        }

        [Fact]
        public void ChecksUtf8AcrossReadChunks()
        {
            // Multi-byte characters straddle every 64 KiB chunk boundary; the text must come out whole, the hash must be the file's.
            var text = "\uFEFF" + string.Concat(Enumerable.Range(0, 60_000).Select(i => i % 7 == 0 ? "中" : i % 11 == 0 ? "𝄞" : "é;"));
            var bytes = Encoding.UTF8.GetBytes(text);
            var path = Path.Combine(_root, "wide.sql");
            File.WriteAllBytes(path, bytes);
            AssertSameAsDecode(bytes, path);
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                using (var reader = ScriptFiles.OpenText(path, "wide.sql", ScriptFiles.MaxBytes, hash)) reader.ReadToEnd();
                Assert.Equal(UpgradeScriptCatalog.Sha256(bytes), string.Concat(hash.GetHashAndReset().Select(b => b.ToString("x2"))));
            }

            // An invalid sequence cut by the chunk boundary, and a NUL before it: the invalid byte is named, as Decode names it.
            var broken = Enumerable.Repeat((byte)'a', 65_535).Concat(new byte[] { 0xE2, 0x41 }).ToArray();
            broken[10] = 0;
            File.WriteAllBytes(path, broken);
            AssertSameAsDecode(broken, path);
            Assert.Contains("invalid UTF-8 at byte 65535 (0xE2)", Assert.Throws<ScriptFileException>(() => ScriptFiles.Check(path, path, ScriptFiles.MaxBytes)).Message);
        }

        [Fact]
        public void RefusesADeviceAndAFileOverItsLimitWithoutReadingThem()
        {
            Assert.Contains("not a regular file", Assert.Throws<ScriptFileException>(() => ScriptFiles.Check("/dev/zero", "zero.sql", ScriptFiles.MaxBytes)).Message);
            Assert.Contains("not a regular file", Assert.Throws<ScriptFileException>(() => ScriptFiles.OpenText("/dev/zero", "zero.sql", ScriptFiles.MaxBytes).ReadToEnd()).Message);
            var path = Path.Combine(_root, "huge.sql");
            using (var file = File.Create(path)) file.SetLength(ScriptFiles.MaxBytes + 1L);
            Assert.Contains($"more than the {ScriptFiles.MaxBytes}", Assert.Throws<ScriptFileException>(() => ScriptFiles.Check(path, path, ScriptFiles.MaxBytes)).Message);
            // Test-HotDbUpgradeSql's own limit is higher: a script it streams need not fit the one Invoke-HotDbConfigDbUpgrade runs.
            Assert.True(ScriptFiles.MaxAnalysisBytes >= 50L * 1024 * 1024);
            var missing = Path.Combine(_root, "missing.sql");
            Assert.Equal("UpgradeSqlNotReadable", Assert.Throws<ScriptFileException>(() => ScriptFiles.Check(missing, missing, ScriptFiles.MaxBytes)).ErrorId);
        }

        [Fact]
        public void TheCatalogHashesAndSplitsTheBytesItRead()
        {
            var folder = Directory.CreateDirectory(Path.Combine(_root, "scripts")).FullName;
            var bytes = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes("CREATE TABLE n (id INT);\r\nALTER TABLE t ADD COLUMN c INT;")).ToArray();
            File.WriteAllBytes(Path.Combine(folder, "hotdb_config_2.5.4.sql"), bytes);
            File.WriteAllBytes(Path.Combine(folder, "hotdb_config_2.5.5.sql"), new byte[] { 0x53, 0x45, 0xC9, 0x27 });
            var error = Assert.Throws<UpgradeScriptCatalogException>(() => UpgradeScriptCatalog.Load(folder));
            // The encoding is named, not the unterminated quote behind the invalid byte.
            Assert.Contains("invalid UTF-8 at byte 2 (0xC9)", Assert.Single(error.Problems));
            File.Delete(Path.Combine(folder, "hotdb_config_2.5.5.sql"));
            var script = Assert.Single(UpgradeScriptCatalog.Load(folder));
            Assert.Equal(UpgradeScriptCatalog.Sha256(bytes), script.Sha256);
            Assert.Equal(Reference(ScriptFiles.Decode(bytes, script.Name), script.Name), Describe(script.Statements));
        }

        private static void AssertSameAsDecode(byte[] bytes, string path)
        {
            string? expected = null;
            string? refusal = null;
            try { expected = ScriptFiles.Decode(bytes, "x.sql"); }
            catch (ScriptFileException e) { refusal = e.Message; }
            if (refusal != null)
            {
                Assert.Equal(refusal, Assert.Throws<ScriptFileException>(() => ScriptFiles.Check(path, "x.sql", ScriptFiles.MaxBytes)).Message);
                var read = Assert.Throws<ScriptFileException>(() =>
                {
                    using (var reader = ScriptFiles.OpenText(path, "x.sql", ScriptFiles.MaxBytes)) reader.ReadToEnd();
                });
                Assert.StartsWith("x.sql: has ", read.Message);
                return;
            }
            ScriptFiles.Check(path, "x.sql", ScriptFiles.MaxBytes);
            using (var reader = ScriptFiles.OpenText(path, "x.sql", ScriptFiles.MaxBytes))
                Assert.Equal(expected, reader.ReadToEnd());
        }

        private static List<string> Reference(string sql, string file = "t.sql")
        {
            try
            {
                return Describe(LegacyMySqlScriptSplitter.Split(sql, file));
            }
            catch (SqlSyntaxException e)
            {
                return new List<string> { $"error {e.File}:{e.Line}:{e.Column} {e.Problem}" };
            }
        }

        private static List<string> Streamed(TextReader reader, int bufferSize)
        {
            var described = new List<string>();
            try
            {
                foreach (var statement in MySqlScriptSplitter.Read(reader, "t.sql", bufferSize)) described.AddRange(Describe(new[] { statement }));
            }
            catch (SqlSyntaxException e)
            {
                // The whole-text splitter gave no statement for a script with an error: only the error is compared.
                return new List<string> { $"error {e.File}:{e.Line}:{e.Column} {e.Problem}" };
            }
            return described;
        }

        private static List<string> Describe(IEnumerable<SqlStatement> statements) =>
            statements.Select(s => $"{s.File}:{s.Line}:{s.Column} [{s.Text}] " +
                string.Join(" ", s.Tokens.Select(t => $"{t.Kind}@{t.Line}:{t.Column}={t.Text}"))).ToList();

        // The analysis as it was: each file split whole, then classified; a file with a syntax error counts for nothing else.
        private static string ReferenceAnalysis(IEnumerable<KeyValuePair<string, string>> filesInOrder, IEnumerable<KeyValuePair<string, string>> appliedEarlier)
        {
            var classifier = new OnlineUpgradeClassifier();
            foreach (var file in appliedEarlier)
            {
                try { foreach (var statement in LegacyMySqlScriptSplitter.Split(file.Value, file.Key)) classifier.Classify(statement); }
                catch (SqlSyntaxException) { }
            }
            var findings = new List<SqlFinding>();
            var files = new List<string>();
            var count = 0;
            foreach (var file in filesInOrder)
            {
                files.Add(file.Key);
                IReadOnlyList<SqlStatement> statements;
                try { statements = LegacyMySqlScriptSplitter.Split(file.Value, file.Key); }
                catch (SqlSyntaxException e)
                {
                    findings.Add(new SqlFinding(OnlineUpgradeRule.SyntaxError, SqlFindingSeverity.Error, e.File, e.Line, e.Column,
                        $"The script cannot be read as MySQL would: {e.Problem}", ""));
                    continue;
                }
                count += statements.Count;
                foreach (var statement in statements) findings.AddRange(classifier.Classify(statement));
            }
            return new UpgradeSqlReport(files, count, findings).ToJson();
        }

        /// <summary>Gives at most <c>chunk</c> characters per Read, so that every boundary falls somewhere else.</summary>
        private sealed class TrickleReader : TextReader
        {
            private readonly string _text;
            private readonly int _chunk;
            private int _position;

            public TrickleReader(string text, int chunk)
            {
                _text = text;
                _chunk = chunk;
            }

            public override int Read(char[] buffer, int index, int count)
            {
                var n = Math.Min(Math.Min(count, _chunk), _text.Length - _position);
                _text.CopyTo(_position, buffer, index, n);
                _position += n;
                return n;
            }

            public override int Peek() => throw new NotSupportedException("the splitter reads blocks");
            public override int Read() => throw new NotSupportedException("the splitter reads blocks");
        }

        /// <summary>A script of fixed-length lines made as it is read; counts what was read.</summary>
        private sealed class GeneratedScript : TextReader
        {
            public const int LineLength = 100;
            private readonly int _lines;
            private string _current = "";
            private int _currentPos;
            private int _line;

            public GeneratedScript(int lines) => _lines = lines;

            public long CharsRead { get; private set; }
            public bool Disposed { get; private set; }

            private static string Line(int n)
            {
                var head = n % 50_000 == 0 ? $"UPDATE t SET v = {n:D9} WHERE id = 1; -- " : $"INSERT INTO t (id, name) VALUES ({n:D9}, 'row'); -- ";
                return head.PadRight(LineLength - 1, 'x') + "\n";
            }

            public override int Read(char[] buffer, int index, int count)
            {
                if (Disposed) throw new ObjectDisposedException(nameof(GeneratedScript));
                var written = 0;
                while (written < count)
                {
                    if (_currentPos == _current.Length)
                    {
                        if (_line == _lines) break;
                        _current = Line(++_line);
                        _currentPos = 0;
                    }
                    var n = Math.Min(count - written, _current.Length - _currentPos);
                    _current.CopyTo(_currentPos, buffer, index + written, n);
                    _currentPos += n;
                    written += n;
                }
                CharsRead += written;
                return written;
            }

            protected override void Dispose(bool disposing)
            {
                Disposed = true;
                base.Dispose(disposing);
            }
        }
    }
}
