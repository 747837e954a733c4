using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>Uploads through this machine as the host (<see cref="LocalHost"/>): the same code paths as over SSH.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class FileTransferTests : IDisposable
    {
        private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "transfer-" + Guid.NewGuid().ToString("N"))).FullName;
        private readonly LocalHost _host = new LocalHost();

        public void Dispose() => Directory.Delete(_folder, true);

        private string LocalFile(string name, string content)
        {
            var path = Path.Combine(_folder, name);
            File.WriteAllText(path, content);
            return path;
        }

        [Fact]
        public void AnIdenticalFileIsNotSentAgainButGetsTheModeAskedFor()
        {
            var source = LocalFile("secret.cnf", "password=x\n");
            var target = Path.Combine(Directory.CreateDirectory(Path.Combine(_folder, "remote")).FullName, "secret.cnf");
            Assert.Equal(TransferStatus.Uploaded, FileTransfer.Upload(_host, source, target, Convert.ToInt32("644", 8)).Status);
            var again = FileTransfer.Upload(_host, source, target, Convert.ToInt32("600", 8));
            Assert.Equal(TransferStatus.Skipped, again.Status);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        }

        [Fact]
        public void DevicesAndFifosAreRefusedWithoutReadingThem()
        {
            var fifo = Path.Combine(_folder, "fifo");
            using (var mkfifo = Process.Start("mkfifo", fifo)!) mkfifo.WaitForExit();
            foreach (var source in new[] { "/dev/zero", fifo })
            {
                // On a task: reading either would never end, and a hang must fail the test, not stop the run.
                var upload = System.Threading.Tasks.Task.Run(() => FileTransfer.Upload(_host, source, Path.Combine(_folder, "copy")));
                Assert.True(((IAsyncResult)upload).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), $"sending {source} hung");
                var error = Assert.IsType<HotDbException>(upload.Exception?.InnerException);
                Assert.Equal(("LocalFileNotRegular", "InvalidArgument"), (error.ErrorId, error.Category));
            }
            var missing = Assert.Throws<HotDbException>(() => FileTransfer.Upload(_host, Path.Combine(_folder, "nope"), _folder + "/"));
            Assert.Equal("LocalFileNotFound", missing.ErrorId);
            Assert.False(File.Exists(Path.Combine(_folder, "copy")));
        }

        [Fact]
        public void AFailedUploadLeavesNoPartialFile()
        {
            var source = LocalFile("package.tar.gz", "bytes");
            var missingFolder = Path.Combine(_folder, "absent") + "/";
            Assert.ThrowsAny<IOException>(() => FileTransfer.Upload(_host, source, missingFolder));
            Assert.Single(Directory.GetFileSystemEntries(_folder));
        }

        /// <remarks>Run as root (as the test suites are): elevation then needs no sudo, and the install path itself is tested.</remarks>
        [Fact]
        public void AnElevatedUploadGoesThroughAPrivateTemporaryFileAndInstallsWithTheMode()
        {
            var source = LocalFile("server.xml", "<server/>\n");
            var folder = Directory.CreateDirectory(Path.Combine(_folder, "root-owned")).FullName;
            var before = Directory.GetFiles(Path.GetTempPath(), "hotdb-upload.*").ToHashSet();
            var result = FileTransfer.Upload(_host, source, folder + "/", Convert.ToInt32("640", 8), elevate: true);
            Assert.Equal(TransferStatus.Uploaded, result.Status);
            Assert.Equal("<server/>\n", File.ReadAllText(Path.Combine(folder, "server.xml")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Combine(folder, "server.xml")));
            Assert.Equal(new[] { Path.Combine(folder, "server.xml") }, Directory.GetFiles(folder));
            Assert.DoesNotContain(Directory.GetFiles(Path.GetTempPath(), "hotdb-upload.*"), path => !before.Contains(path));
        }
    }
}
