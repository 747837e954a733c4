using System.Linq;
using HotDb.Upgrade.ConfigDb.Sql;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class MySqlScriptSplitterTests
    {
        [Fact]
        public void KeepsTextAndLocationOfEveryStatement()
        {
            var statements = MySqlScriptSplitter.Split("SELECT 1;\n  -- note\n  INSERT INTO t\n  VALUES (1);SELECT 2", "s.sql");
            Assert.Equal(new[] { "SELECT 1", "INSERT INTO t\n  VALUES (1)", "SELECT 2" }, statements.Select(s => s.Text));
            Assert.Equal(new[] { (1, 1), (3, 3), (4, 14) }, statements.Select(s => (s.Line, s.Column)));
            Assert.All(statements, s => Assert.Equal("s.sql", s.File));
        }

        [Fact]
        public void DelimiterCommandsAreNotStatements()
        {
            var statements = MySqlScriptSplitter.Split("DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;;\ndelimiter ;\nSELECT 3;", "p.sql");
            Assert.Equal(2, statements.Count);
            Assert.Equal("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", statements[0].Text);
            Assert.Equal((4, 1), (statements[1].Line, statements[1].Column));
        }

        [Fact]
        public void ExecutableCommentIsOneStatementWithItsTokens()
        {
            var statement = Assert.Single(MySqlScriptSplitter.Split("/*!40101 SET @OLD = @@SQL_MODE */;", "d.sql"));
            Assert.Equal("/*!40101 SET @OLD = @@SQL_MODE */", statement.Text);
            Assert.True(statement.Tokens[0].Is("SET"));
        }

        [Fact]
        public void CrLfCountsAsOneLineBreak()
        {
            var statements = MySqlScriptSplitter.Split("SELECT 1;\r\n\r\nSELECT\r\n 2;", "c.sql");
            Assert.Equal((3, 1), (statements[1].Line, statements[1].Column));
        }

        [Fact]
        public void QuotedValuesAreUnquotedInTokens()
        {
            var statement = Assert.Single(MySqlScriptSplitter.Split("SELECT 'a''b', \"c\\\"d\", `e``f`", "q.sql"));
            var values = statement.Tokens.Where(t => t.Kind != SqlTokenKind.Word && t.Kind != SqlTokenKind.Symbol).Select(t => t.Text);
            Assert.Equal(new[] { "a'b", "c\\\"d", "e`f" }, values);
        }

        [Theory]
        [InlineData("SELECT 'x", 1, 8, "string")]
        [InlineData("SELECT 1;\n  SELECT \"x", 2, 10, "string")]
        [InlineData("/* x", 1, 1, "comment")]
        [InlineData("SELECT `x", 1, 8, "identifier")]
        [InlineData("DELIMITER \nSELECT 1;", 1, 11, "DELIMITER")]
        public void UnterminatedTextIsASyntaxErrorAtItsStart(string sql, int line, int column, string word)
        {
            var error = Assert.Throws<SqlSyntaxException>(() => MySqlScriptSplitter.Split(sql, "bad.sql"));
            Assert.Equal((line, column), (error.Line, error.Column));
            Assert.Equal("bad.sql", error.File);
            Assert.Contains(word, error.Message);
        }
    }
}
