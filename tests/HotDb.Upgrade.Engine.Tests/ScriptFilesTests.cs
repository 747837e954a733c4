using System;
using System.IO;
using System.Linq;
using System.Text;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.ConfigDb.Sql;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class ScriptFilesTests : IDisposable
    {
        private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "scriptfiles-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_root, true);

        private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

        [Theory]
        [InlineData(new byte[] { 0xFF, 0xFE, 0x00, 0x00, 0x53, 0, 0, 0 }, "UTF-32 little-endian byte order mark")]
        [InlineData(new byte[] { 0x00, 0x00, 0xFE, 0xFF, 0, 0, 0, 0x53 }, "UTF-32 big-endian byte order mark")]
        [InlineData(new byte[] { 0x53, 0x45, 0x4C, 0xC9, 0x43, 0x54 }, "invalid UTF-8 at byte 3 (0xC9)")]
        [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x41, 0xE0, 0x80, 0x80 }, "invalid UTF-8 at byte 4 (0xE0)")]
        [InlineData(new byte[] { 0x53, 0x00, 0x45, 0x00 }, "NUL byte at byte 1")]
        [InlineData(new byte[] { 0xFF, 0xFE, 0x53, 0x00, 0x45 }, "UTF-16 little-endian byte order mark but bytes that are not UTF-16")]
        public void RefusesOtherEncodingsNamingWhatWasFound(byte[] bytes, string named)
        {
            var e = Assert.Throws<ScriptFileException>(() => ScriptFiles.Decode(bytes, "x.sql"));
            Assert.Contains(named, e.Message);
            Assert.StartsWith("x.sql: ", e.Message);
        }

        [Fact]
        public void ReadsUtf8WithOrWithoutBomAndUtf16WithBom()
        {
            const string sql = "INSERT INTO t VALUES ('中文');";
            Assert.Equal(sql, ScriptFiles.Decode(Encoding.UTF8.GetBytes(sql), "a.sql"));
            Assert.Equal(sql, ScriptFiles.Decode(new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(sql)).ToArray(), "b.sql"));
            Assert.Equal(sql, ScriptFiles.Decode(new byte[] { 0xFF, 0xFE }.Concat(Encoding.Unicode.GetBytes(sql)).ToArray(), "c.sql"));
            Assert.Equal(sql, ScriptFiles.Decode(new byte[] { 0xFE, 0xFF }.Concat(Encoding.BigEndianUnicode.GetBytes(sql)).ToArray(), "d.sql"));
        }

        [Fact]
        public void RefusesADeviceThatNeverEndsWithoutReadingIt()
        {
            var e = Assert.Throws<ScriptFileException>(() => ScriptFiles.ReadBytes("/dev/zero"));
            Assert.Contains("not a regular file", e.Message);
        }

        [Fact]
        public void RefusesAFileLargerThanAnyScript()
        {
            var path = Path.Combine(_root, "huge.sql");
            using (var file = File.Create(path)) file.SetLength(ScriptFiles.MaxBytes + 1L);
            Assert.Contains($"more than the {ScriptFiles.MaxBytes}", Assert.Throws<ScriptFileException>(() => ScriptFiles.ReadBytes(path)).Message);
        }

        [Fact]
        public void AFolderHoldsSqlFilesInAnyCaseAndRefusesLinksOutOfIt()
        {
            var folder = Folder("scripts");
            var outside = Path.Combine(Folder("elsewhere"), "secret.sql");
            File.WriteAllText(outside, "SELECT 1;");
            File.WriteAllText(Path.Combine(folder, "UPPER.SQL"), "SELECT 1;");
            File.WriteAllText(Path.Combine(folder, "lower.sql"), "SELECT 1;");
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "x");
            File.CreateSymbolicLink(Path.Combine(folder, "inside.sql"), "lower.sql");
            File.CreateSymbolicLink(Path.Combine(folder, "out.sql"), outside);

            var files = ScriptFiles.InFolder(folder, out var refused);

            Assert.Equal(new[] { "UPPER.SQL", "inside.sql", "lower.sql" }, files.Select(Path.GetFileName));
            var link = Assert.Single(refused);
            Assert.Equal(Path.Combine(folder, "out.sql"), link.File);
            Assert.Contains($"symbolic link to {outside}, outside the folder", link.Message);
        }

        [Fact]
        public void TheCatalogReadsAnUpperCaseExtensionAndRefusesALinkOutOfTheFolderAndAForeignEncoding()
        {
            var folder = Folder("catalog");
            File.WriteAllText(Path.Combine(folder, "HOTDB_CONFIG_2.5.4.SQL"), "CREATE TABLE a (id INT);");
            Assert.Equal("2.5.4", Assert.Single(UpgradeScriptCatalog.Load(folder)).Version.ToString());

            var outside = Path.Combine(Folder("other"), "hotdb_config_2.5.5.sql");
            File.WriteAllText(outside, "SELECT 1;");
            File.CreateSymbolicLink(Path.Combine(folder, "hotdb_config_2.5.5.sql"), outside);
            File.WriteAllBytes(Path.Combine(folder, "hotdb_config_2.5.6.sql"), new byte[] { 0xFF, 0xFE, 0, 0, 0x53, 0, 0, 0 });
            var e = Assert.Throws<UpgradeScriptCatalogException>(() => UpgradeScriptCatalog.Load(folder));
            Assert.Contains(e.Problems, p => p.Contains("outside the folder"));
            Assert.Contains(e.Problems, p => p.Contains("hotdb_config_2.5.6.sql: has a UTF-32 little-endian byte order mark"));
        }
    }
}
