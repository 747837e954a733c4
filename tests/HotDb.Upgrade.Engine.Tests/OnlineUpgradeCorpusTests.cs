using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.ConfigDb.Sql;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>
    /// The classifier corpus: each case is a script, whether an online upgrade is allowed, and every finding as
    /// RULE@line:column (in order). Covers every lexing rule of the splitter and every rule ID.
    /// </summary>
    public class OnlineUpgradeCorpusTests
    {
        public static IEnumerable<object[]> Corpus() => Cases.Select(c => new object[] { c.Name, c.Sql, c.Allowed, c.Expected });

        private static readonly (string Name, string Sql, bool Allowed, string Expected)[] Cases =
        {
            // Harmless statements.
            ("create table", "CREATE TABLE t_new (id INT PRIMARY KEY, name VARCHAR(32));", true, ""),
            ("create table if not exists", "CREATE TABLE IF NOT EXISTS `hotdb_x` (`id` int);", true, ""),
            ("create index", "CREATE INDEX ix_a ON t (a);", true, ""),
            ("create unique index", "CREATE UNIQUE INDEX ux_a ON t (a);", true, ""),
            ("create database", "CREATE DATABASE IF NOT EXISTS extra;", true, ""),
            ("create view", "CREATE VIEW v AS SELECT 1;", true, ""),
            ("insert", "INSERT INTO t (a) VALUES (1), (2);", true, ""),
            ("insert ignore", "INSERT IGNORE INTO t VALUES (1);", true, ""),
            ("insert select", "INSERT INTO t2 SELECT * FROM t;", true, ""),
            ("alter add column", "ALTER TABLE t ADD COLUMN c INT;", true, ""),
            ("alter add without COLUMN", "ALTER TABLE t ADD c INT DEFAULT 0;", true, ""),
            ("alter add several", "ALTER TABLE t ADD COLUMN (c INT, d VARCHAR(10));", true, ""),
            ("alter add index", "ALTER TABLE t ADD INDEX ix (a), ADD UNIQUE KEY uk (b);", true, ""),
            ("alter table options", "ALTER TABLE t COMMENT = 'x', ENGINE = InnoDB, DEFAULT CHARSET = utf8mb4;", true, ""),
            ("select", "SELECT * FROM t WHERE a = 1;", true, ""),
            ("select for update", "SELECT * FROM t FOR UPDATE;", true, ""),
            ("set session", "SET NAMES utf8mb4;", true, ""),
            ("transaction control", "START TRANSACTION;\nCOMMIT;", true, ""),
            ("use", "USE hotdb_config;", true, ""),
            ("parenthesised select", "(SELECT 1) UNION (SELECT 2);", true, ""),
            ("with select", "WITH x AS (SELECT 1) SELECT * FROM x;", true, ""),
            ("empty script", "", true, ""),
            ("only comments", "-- nothing\n# still nothing\n/* none */", true, ""),

            // Rule OU001: DROP TABLE in any form.
            ("drop table", "DROP TABLE t;", false, "OU001@1:1"),
            ("drop table if exists", "DROP TABLE IF EXISTS `t`;", false, "OU001@1:1"),
            ("drop temporary table", "drop temporary table tmp;", false, "OU001@1:1"),
            ("drop tables list", "DROP TABLES a, b;", false, "OU001@1:1"),
            ("create or replace table", "CREATE OR REPLACE TABLE t (a INT);", false, "OU001@1:1"),
            ("drop after create", "CREATE TABLE t (a INT);\n  DROP TABLE t;", false, "OU001@2:3"),

            // Rule OU002: ALTER TABLE modifying an existing column.
            ("modify", "ALTER TABLE t MODIFY c BIGINT;", false, "OU002@1:15"),
            ("modify column", "ALTER TABLE t MODIFY COLUMN c VARCHAR(64) NOT NULL;", false, "OU002@1:15"),
            ("change", "ALTER TABLE t CHANGE c c BIGINT;", false, "OU002@1:15"),
            ("change rename", "ALTER TABLE t CHANGE COLUMN a b INT;", false, "OU002@1:15"),
            ("alter column default", "ALTER TABLE t ALTER COLUMN c SET DEFAULT 1;", false, "OU002@1:15"),
            ("alter without COLUMN", "ALTER TABLE t ALTER c DROP DEFAULT;", false, "OU002@1:15"),
            ("drop column", "ALTER TABLE t DROP COLUMN c;", false, "OU002@1:15"),
            ("drop without COLUMN", "ALTER TABLE t DROP c;", false, "OU002@1:15"),
            ("rename column", "ALTER TABLE t RENAME COLUMN a TO b;", false, "OU002@1:15"),
            ("convert charset", "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4;", false, "OU002@1:15"),
            ("mixed with harmless clauses", "ALTER TABLE t ADD COLUMN x INT,\n  MODIFY y TEXT, ADD INDEX ix (x);", false, "OU002@2:3"),
            ("two bad clauses", "ALTER TABLE t DROP COLUMN a, CHANGE b b INT;", false, "OU002@1:15;OU002@1:30"),
            ("schema qualified", "ALTER TABLE hotdb_config.t MODIFY c INT;", false, "OU002@1:28"),
            ("widening a column from another table is not the exception", "ALTER TABLE a ADD c VARCHAR(8);\nALTER TABLE b MODIFY c VARCHAR(16);", false, "OU002@2:15"),
            ("retype of an added column beyond range", "ALTER TABLE t ADD c VARCHAR(8);\nALTER TABLE t MODIFY c INT;", false, "OU002@2:15"),

            // Rule OU006: the manual's exception, widening a column the chain added.
            ("widen added column", "ALTER TABLE t ADD COLUMN c VARCHAR(8);\nALTER TABLE t MODIFY c VARCHAR(64);", true, "OU006@2:15"),
            ("widen column of a new table", "CREATE TABLE n (id INT, v TINYINT);\nALTER TABLE n MODIFY COLUMN v BIGINT;", true, "OU006@2:15"),
            ("widen with change same name", "ALTER TABLE t ADD (c DECIMAL(5,2));\nALTER TABLE t CHANGE c c DECIMAL(12,2);", true, "OU006@2:15"),
            ("widen quoted names", "ALTER TABLE `t` ADD `c` CHAR(4);\nALTER TABLE `t` MODIFY `c` VARCHAR(40);", true, "OU006@2:17"),

            // Rule OU003: UPDATE or DELETE of existing rows.
            ("update", "UPDATE t SET a = 1 WHERE id = 2;", false, "OU003@1:1"),
            ("update low priority", "UPDATE LOW_PRIORITY t SET a = 1;", false, "OU003@1:1"),
            ("delete", "DELETE FROM t WHERE id = 1;", false, "OU003@1:1"),
            ("lower case delete", "delete from t;", false, "OU003@1:1"),
            ("with delete", "WITH x AS (SELECT 1) DELETE FROM t;", false, "OU003@1:22"),

            // Rule OU004: the same under another name.
            ("truncate", "TRUNCATE TABLE t;", false, "OU004@1:1"),
            ("truncate short", "TRUNCATE t;", false, "OU004@1:1"),
            ("replace", "REPLACE INTO t VALUES (1);", false, "OU004@1:1"),
            ("upsert", "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2;", false, "OU004@1:30"),

            // Rule OU005: taking a table away.
            ("rename table", "RENAME TABLE a TO b;", false, "OU005@1:1"),
            ("alter rename", "ALTER TABLE a RENAME TO b;", false, "OU005@1:15"),
            ("alter rename as", "ALTER TABLE a RENAME AS b;", false, "OU005@1:15"),
            ("drop database", "DROP DATABASE hotdb_config;", false, "OU005@1:1"),

            // Rule OU900: anything not recognised is reported.
            ("call", "CALL p();", false, "OU900@1:1"),
            ("create procedure", "CREATE PROCEDURE p() SELECT 1;", false, "OU900@1:1"),
            ("drop index", "ALTER TABLE t DROP INDEX ix;", false, "OU900@1:15"),
            ("set global", "SET GLOBAL read_only = 1;", false, "OU900@1:5"),
            ("load data", "LOAD DATA INFILE 'x' INTO TABLE t;", false, "OU900@1:1"),
            ("grant", "GRANT ALL ON *.* TO u;", false, "OU900@1:1"),
            ("alter table force", "ALTER TABLE t FORCE;", false, "OU900@1:15"),

            // Rule OU000: a script that cannot be read.
            ("unterminated string", "INSERT INTO t VALUES ('abc);\nSELECT 1;", false, "OU000@1:23"),
            ("unterminated comment", "SELECT 1;\n/* never closed\nDROP TABLE t;", false, "OU000@2:1"),
            ("unterminated identifier", "SELECT `abc FROM t;", false, "OU000@1:8"),
            ("unterminated executable comment", "/*!40101 SET NAMES utf8;", false, "OU000@1:1"),

            // Lexing: words in comments, strings and identifiers are not statements.
            ("keyword in line comment", "-- DROP TABLE t;\nSELECT 1;", true, ""),
            ("keyword in hash comment", "# UPDATE t SET a=1;\nSELECT 1;", true, ""),
            ("keyword in block comment", "/* DELETE FROM t; */ SELECT 1;", true, ""),
            ("keyword in string", "INSERT INTO t VALUES ('; DROP TABLE t; --');", true, ""),
            ("keyword in double quoted string", "INSERT INTO t VALUES (\"x\"\"; UPDATE t SET a=1\");", true, ""),
            ("column named update", "CREATE TABLE t (`update` INT, `delete` INT);\nSELECT `update` FROM t;", true, ""),
            ("doubled quote escape", "INSERT INTO t VALUES ('it''s; DROP TABLE t');", true, ""),
            ("backslash escape", "INSERT INTO t VALUES ('it\\'s; DROP TABLE t');", true, ""),
            ("backslash before closing quote", "INSERT INTO t VALUES ('dir\\\\');\nDROP TABLE t;", false, "OU001@2:1"),
            ("backtick with doubled backtick", "CREATE TABLE `a``; DROP TABLE b` (x INT);", true, ""),
            ("double dash without space is not a comment", "SELECT 1--1;\nDELETE FROM t;", false, "OU003@2:1"),
            ("double dash at end of input", "SELECT 1;\n--", true, ""),
            ("double dash then tab", "--\tDROP TABLE t\nSELECT 1;", true, ""),
            ("executable comment content is executed", "/*!40101 DROP TABLE t */;", false, "OU001@1:10"),
            ("versioned executable comment", "/*!50003 UPDATE t SET a = 1 */;", false, "OU003@1:10"),
            ("executable comment harmless", "/*!40101 SET NAMES utf8 */;\nSELECT 1;", true, ""),
            ("plain comment looks executable but is not", "/* !40101 DROP TABLE t */ SELECT 1;", true, ""),
            ("delimiter change", "DELIMITER $$\nCREATE TABLE x (a INT)$$\nDROP TABLE y$$\nDELIMITER ;\nSELECT 1;", false, "OU001@3:1"),
            ("delimiter glued to a word", "DELIMITER $$\nSELECT a$$\nUPDATE t SET a = 1$$", false, "OU003@3:1"),
            ("semicolon inside custom delimiter body", "DELIMITER //\nINSERT INTO t VALUES (1); INSERT INTO t VALUES (2)//\nDELIMITER ;", true, ""),
            ("crlf line endings", "SELECT 1;\r\nSELECT 2;\r\n  UPDATE t SET a=1;\r\n", false, "OU003@3:3"),
            ("utf-8 bom", "\uFEFFDELETE FROM t;", false, "OU003@1:1"),
            ("last statement without terminator", "SELECT 1;\nTRUNCATE t", false, "OU004@2:1"),
            ("unicode before statement keeps columns", "INSERT INTO t VALUES ('é'); DELETE FROM t;", false, "OU003@1:29"),
        };

        [Theory]
        [MemberData(nameof(Corpus))]
        public void Classifies(string name, string sql, bool allowed, string expected)
        {
            var report = UpgradeSqlAnalyzer.Analyze(new[] { new KeyValuePair<string, string>("case.sql", sql) });
            var actual = string.Join(";", report.Findings.Select(f => $"{f.RuleId}@{f.Line}:{f.Column}"));
            Assert.True(expected == actual, $"{name}: expected '{expected}', got '{actual}'");
            Assert.Equal(allowed, report.OnlineUpgradeAllowed);
            Assert.All(report.Findings, f => Assert.Equal("case.sql", f.File));
        }

        [Fact]
        public void CorpusIsLargeAndCoversEveryRule()
        {
            Assert.True(Cases.Length >= 60, $"the corpus has {Cases.Length} cases");
            var covered = new HashSet<string>(Cases.SelectMany(c => c.Expected.Split(';')).Where(s => s.Length > 0).Select(s => s.Split('@')[0]));
            foreach (var rule in OnlineUpgradeRule.All) Assert.Contains(rule, covered);
        }

        [Fact]
        public void ExceptionFollowsTheChainAcrossFiles()
        {
            var report = UpgradeSqlAnalyzer.Analyze(new[]
            {
                new KeyValuePair<string, string>("hotdb_config_2.5.4.sql", "ALTER TABLE t ADD COLUMN c VARCHAR(8);"),
                new KeyValuePair<string, string>("hotdb_config_2.5.5.sql", "ALTER TABLE t MODIFY c VARCHAR(99);"),
            });
            Assert.True(report.OnlineUpgradeAllowed);
            var finding = Assert.Single(report.Findings);
            Assert.Equal("hotdb_config_2.5.5.sql", finding.File);
            Assert.Contains("hotdb_config_2.5.4.sql:1", finding.Message);
        }

        [Fact]
        public void FindingsCarryMessageSeverityAndStatement()
        {
            var report = UpgradeSqlAnalyzer.Analyze(new[] { new KeyValuePair<string, string>("a.sql", "SELECT 1;\nUPDATE cfg SET v = 2;") });
            var finding = Assert.Single(report.Findings);
            Assert.Equal(SqlFindingSeverity.Error, finding.Severity);
            Assert.Equal("UPDATE cfg SET v = 2", finding.Statement);
            Assert.Contains("cfg", finding.Message);
            Assert.Equal(2, report.StatementCount);
        }

        [Fact]
        public void RendersJsonForCi()
        {
            var report = UpgradeSqlAnalyzer.Analyze(new[] { new KeyValuePair<string, string>("dir\\a \"b\".sql", "DROP TABLE t;") });
            var json = report.ToJson();
            Assert.StartsWith("{\"onlineUpgradeAllowed\":false,\"statementCount\":1,", json);
            Assert.Contains("\"ruleId\":\"OU001\",\"severity\":\"Error\",\"file\":\"dir\\\\a \\\"b\\\".sql\",\"line\":1,\"column\":1", json);
        }
    }
}
