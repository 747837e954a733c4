using System;
using System.IO;
using System.Text;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class LocalHostTests : IDisposable
    {
        private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "localhost-" + Guid.NewGuid().ToString("N"))).FullName;
        private readonly LocalHost _host = new LocalHost();

        public void Dispose() => Directory.Delete(_folder, true);

        [Fact]
        public void RunsAShellLineAndReportsExitCodeAndStreams()
        {
            var result = _host.Run("printf out; printf err >&2; exit 3");
            Assert.Equal((3, "out", "err"), (result.ExitCode, result.StandardOutput, result.StandardError));
            Assert.False(result.Succeeded);
            Assert.Equal("localhost", result.ComputerName);
        }

        [Fact]
        public void QuotedArgumentsArriveUnchanged()
        {
            const string hostile = "a b'c\"d$(id)`id`;\n*";
            var result = _host.Run("printf %s " + ShellQuote.Quote(hostile));
            Assert.Equal(hostile, result.StandardOutput);
        }

        [Fact]
        public void TimesOutWithTheSameExceptionAsAnSshSession()
        {
            var error = Assert.Throws<RemoteTimeoutException>(() => _host.Run("sleep 5", timeout: TimeSpan.FromMilliseconds(200)));
            Assert.Equal(("CommandTimedOut", "OperationTimeout"), (error.ErrorId, error.Category));
            Assert.Contains("sleep 5", error.Message);
        }

        [Fact]
        public void CommandsReadEndOfFile()
        {
            Assert.Equal(0, _host.Run("cat", timeout: TimeSpan.FromSeconds(30)).ExitCode);
        }

        [Fact]
        public void RefusesANulCharacterBeforeRunning()
        {
            var marker = Path.Combine(_folder, "ran");
            Assert.Throws<ArgumentException>(() => _host.Run("touch " + ShellQuote.Quote(marker) + "\0"));
            Assert.False(File.Exists(marker));
        }

        [Fact]
        public void WritesFilesWithTheModeAskedForReplacingOldOnes()
        {
            var path = Path.Combine(_folder, "secret.cnf");
            File.WriteAllText(path, "old content that is longer");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            using (var content = new MemoryStream(Encoding.UTF8.GetBytes("[client]\n")))
                _host.WriteFile(path, content, Convert.ToInt32("600", 8));
            Assert.Equal("[client]\n", File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            using (var back = new MemoryStream())
            {
                _host.ReadFile(path, back);
                Assert.Equal("[client]\n", Encoding.UTF8.GetString(back.ToArray()));
            }
        }
    }
}
