using System;
using System.IO;
using System.Linq;
using System.Text;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>The exact shell lines the host operations send, hostile names included.</summary>
    public sealed class HostOperationsTests
    {
        [Theory]
        [InlineData("/opt/a b", "test -e '/opt/a b' || test -L '/opt/a b'")]
        [InlineData("/opt/it's", "test -e '/opt/it'\\''s' || test -L '/opt/it'\\''s'")]
        [InlineData("/opt/$(reboot)", "test -e '/opt/$(reboot)' || test -L '/opt/$(reboot)'")]
        [InlineData("/opt/a\nb", "test -e '/opt/a\nb' || test -L '/opt/a\nb'")]
        [InlineData("-rf", "test -e -rf || test -L -rf")]
        public void ExistsQuotesTheName(string path, string expected)
        {
            var host = new RecordingHost().On(expected, 1);
            Assert.False(host.Exists(path));
            Assert.Equal(new[] { expected }, host.Lines);
        }

        [Fact]
        public void MoveRefusesAnOccupiedTargetInTheSameLineAndRunsAsAsked()
        {
            var host = new RecordingHost();
            host.Move("-old dir", "/opt/new `x`", elevate: true);
            var (line, elevated) = Assert.Single(host.Commands);
            Assert.True(elevated);
            Assert.Equal("if test -e '/opt/new `x`' || test -L '/opt/new `x`'; then printf '%s\\n' '/opt/new `x` exists; it is never overwritten.' >&2; exit 1; fi; " +
                         "mv -T -- '-old dir' '/opt/new `x`'", line);
        }

        [Fact]
        public void RunOrFailCarriesTheErrorTailExitCodeAndRemedy()
        {
            var host = new RecordingHost { ComputerName = "node1" }.On("false", 3, "out", "disk full\n");
            var error = Assert.Throws<RemoteCommandException>(() => host.RunOrFail("false", "extract the package", "Free space."));
            Assert.Equal("node1: could not extract the package (exit 3): disk full", error.Message);
            Assert.Equal(("RemoteCommandFailed", "InvalidResult", "Free space.", 3, "out"), (error.ErrorId, error.Category, error.RecommendedAction, error.ExitCode, error.StandardOutputTail));
            Assert.IsAssignableFrom<IHotDbError>(error);
        }

        [Fact]
        public void RunOrFailReportsStdoutWhenStderrIsEmptyAndKeepsOnlyTheTail()
        {
            var longOutput = new string('x', 5000) + "the end";
            var host = new RecordingHost().On("sh start 2>&1", 1, longOutput);
            var error = Assert.Throws<RemoteCommandException>(() => host.RunOrFail("sh start 2>&1", "start"));
            Assert.EndsWith("the end", error.Message);
            Assert.True(error.StandardOutputTail.Length < 4100);
            Assert.False(string.IsNullOrEmpty(error.RecommendedAction));
        }

        [Fact]
        public void FreeSpaceParsesThePosixTable()
        {
            var host = new RecordingHost().When(l => l.StartsWith("p=", StringComparison.Ordinal), 0,
                "Filesystem     1024-blocks    Used Available Capacity Mounted on\n/dev/sda1         10000000 4000000   6000000      40% /usr/local\n");
            Assert.Equal(6000000L * 1024, host.FreeSpace("/usr/local/hotdb"));
            Assert.Equal("p=/usr/local/hotdb; while [ ! -e \"$p\" ] && [ \"$p\" != / ]; do p=$(dirname -- \"$p\"); done; df -P -k -- \"$p\"", host.Lines.Single());
        }

        [Fact]
        public void FreeSpaceRefusesOutputThatIsNotATable()
        {
            var host = new RecordingHost().When(_ => true, 0, "df: no\n");
            Assert.Throws<RemoteCommandException>(() => host.FreeSpace("/x"));
        }

        [Theory]
        [InlineData("")]
        [InlineData("/")]
        [InlineData("//")]
        [InlineData(" / ")]
        public void RemoveRefusesTheRootAndEmptyPathsBeforeRunningAnything(string path)
        {
            var host = new RecordingHost();
            Assert.Throws<ArgumentException>(() => host.Remove(path, recursive: true));
            Assert.Throws<ArgumentException>(() => host.TryRemove(path, recursive: true));
            Assert.Empty(host.Commands);
        }

        [Fact]
        public void RemoveQuotesALeadingDash()
        {
            var host = new RecordingHost();
            host.Remove("-rf *", recursive: true, elevate: true);
            Assert.Equal(("rm -rf -- '-rf *'", true), host.Commands.Single());
        }

        [Fact]
        public void MakeDirectoryWritesTheModeInOctal()
        {
            var host = new RecordingHost();
            host.MakeDirectory("/opt/x y", UnixMode.PrivateFolder, parents: false);
            Assert.Equal("mkdir -m 0700 -- '/opt/x y'", host.Lines.Single());
        }

        [Fact]
        public void FreeNameRefusesAnAnswerOutsideThePattern()
        {
            var host = new RecordingHost().When(_ => true, 0, "/etc/passwd");
            Assert.Throws<RemoteCommandException>(() => host.FreeName(new NamePattern("/opt/hotdb_server_253", "_", 2)));
        }

        [Fact]
        public void WriteFileGivesTheModeAndTheBytes()
        {
            var host = new RecordingHost();
            host.WriteFile("/opt/a", "héllo", UnixMode.Private);
            Assert.Equal(("héllo", 0x180), (host.ReadText("/opt/a"), host.Modes["/opt/a"]));
        }

        [Fact]
        public void UnixModeIsWrittenInOctal() =>
            Assert.Equal(new[] { "0600", "0640", "0644", "0700" }, new[] { UnixMode.Private, UnixMode.GroupReadable, UnixMode.Readable, UnixMode.PrivateFolder }.Select(UnixMode.Octal));

        [Fact]
        public void Sha256IsNullForAnUnreadableFileOrOddOutput()
        {
            Assert.Null(new RecordingHost().When(_ => true, 1).Sha256("/x"));
            Assert.Null(new RecordingHost().When(_ => true, 0, "not a hash").Sha256("/x"));
            var hash = new string('a', 64);
            Assert.Equal(hash, new RecordingHost().When(_ => true, 0, "\\" + hash + "  /a\\nb\n").Sha256("/a\nb"));
        }
    }

    /// <summary>The same operations on this machine (LocalHost runs the same lines an SSH session sends).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class HostOperationsOnLocalHostTests : IDisposable
    {
        private static readonly string[] Hostile = { "a b", "it's", "$(touch pwned)", "new\nline", "-rf", "`id`;*" };
        private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hostops-" + Guid.NewGuid().ToString("N"))).FullName;
        private readonly LocalHost _host = new LocalHost();

        public void Dispose() => Directory.Delete(_folder, true);

        private string In(string name) => _folder + "/" + name;

        [Fact]
        public void HostileNamesAreWrittenReadMovedAndRemovedAsThemselves()
        {
            foreach (var name in Hostile)
            {
                var path = In(name);
                _host.WriteFile(path, "content of " + name, UnixMode.Private);
                Assert.True(_host.Exists(path));
                Assert.True(_host.IsFile(path));
                Assert.Equal("content of " + name, File.ReadAllText(path));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                Assert.Equal(FileTransfer.LocalSha256(path), _host.Sha256(path));
                Assert.Equal(("content of " + name).Length, _host.FileSize(path));
                _host.Move(path, path + ".moved");
                Assert.False(_host.Exists(path));
                Assert.Equal("content of " + name, _host.ReadText(path + ".moved"));
                _host.Remove(path + ".moved");
                Assert.False(File.Exists(path + ".moved"));
            }
            Assert.False(File.Exists("pwned"));
            Assert.Empty(Directory.GetFileSystemEntries(_folder));
        }

        [Fact]
        public void MoveNeverOverwrites()
        {
            File.WriteAllText(In("from"), "new");
            File.WriteAllText(In("to"), "old");
            var error = Assert.Throws<RemoteCommandException>(() => _host.Move(In("from"), In("to"), "rename from"));
            Assert.Contains("could not rename from", error.Message);
            Assert.Contains("never overwritten", error.Message);
            Assert.Equal(("new", "old"), (File.ReadAllText(In("from")), File.ReadAllText(In("to"))));
        }

        [Fact]
        public void MoveNeverReplacesADanglingLink()
        {
            Directory.CreateDirectory(In("dir"));
            File.CreateSymbolicLink(In("link"), In("nowhere"));
            Assert.True(_host.Exists(In("link")));
            Assert.Throws<RemoteCommandException>(() => _host.Move(In("dir"), In("link")));
            Assert.True(Directory.Exists(In("dir")));
        }

        [Fact]
        public void FreeNameSkipsTakenNamesAndLinks()
        {
            var pattern = new NamePattern(In("hotdb_server_253"), "_", 2);
            Assert.Equal(In("hotdb_server_253"), _host.FreeName(pattern));
            Directory.CreateDirectory(In("hotdb_server_253"));
            File.CreateSymbolicLink(In("hotdb_server_253_2"), In("nowhere"));
            Assert.Equal(In("hotdb_server_253_3"), _host.FreeName(pattern));
            Assert.False(File.Exists(In("hotdb_server_253_3")));
        }

        [Fact]
        public void FreeNameReservesDistinctPrivateFiles()
        {
            var pattern = new NamePattern(In("server.xml.hotdb-upgrade-20260101000000000"), "-", 1, ".bak");
            var names = Enumerable.Range(0, 3).Select(_ => _host.FreeName(pattern, reserve: true)).ToList();
            Assert.Equal(new[] { pattern.First, pattern.Numbered(1), pattern.Numbered(2) }, names);
            foreach (var name in names)
            {
                Assert.Equal(0, new FileInfo(name).Length);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(name));
            }
        }

        [Fact]
        public void FreeNameWithHostileStemStaysInThePattern()
        {
            var pattern = new NamePattern(In("$(touch pwned) 'x'\n"), "-", 1, ".bak");
            File.WriteAllText(pattern.First, "taken");
            Assert.Equal(pattern.Numbered(1), _host.FreeName(pattern, reserve: true));
            Assert.False(File.Exists("pwned"));
        }

        [Fact]
        public void FreeNameGivesUpAfterTheLastNumber()
        {
            var pattern = new NamePattern(In("x"), "_", 2, lastNumber: 3);
            foreach (var name in new[] { "x", "x_2", "x_3" }) File.WriteAllText(In(name), "");
            var error = Assert.Throws<RemoteCommandException>(() => _host.FreeName(pattern));
            Assert.Contains("every name is taken", error.Message);
            Assert.Throws<RemoteCommandException>(() => _host.FreeName(pattern, reserve: true));
        }

        [Fact]
        public void FreeNameReservationInAMissingFolderFails() =>
            Assert.Throws<RemoteCommandException>(() => _host.FreeName(new NamePattern(In("missing/x"), "-", 1, ".bak"), reserve: true));

        [Fact]
        public void FreeSpaceOfAPathNotYetCreatedIsItsParentsSpace()
        {
            var free = _host.FreeSpace(In("not/yet/there"));
            Assert.True(free > 0);
            Assert.Equal(0, free % 1024);
        }

        [Fact]
        public void MakeDirectoryWithModeAndRecursiveRemove()
        {
            _host.MakeDirectory(In("private dir"), UnixMode.PrivateFolder, parents: false);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(In("private dir")));
            Assert.Throws<RemoteCommandException>(() => _host.MakeDirectory(In("private dir"), UnixMode.PrivateFolder, parents: false));
            _host.MakeDirectory(In("private dir/a/b"));
            Assert.True(_host.IsDirectory(In("private dir/a/b")));
            _host.Remove(In("private dir"), recursive: true);
            Assert.False(_host.Exists(In("private dir")));
        }
    }
}
