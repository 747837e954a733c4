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
            Assert.Throws<DirectoryNotFoundException>(() => FileTransfer.Upload(_host, source, missingFolder));
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

        [Fact]
        public void ASentFileIsHashedOnBothSidesInOnePassAndGetsItsModeOnlyOnceComplete()
        {
            var bytes = new byte[3 * 1024 * 1024 + 17];
            new Random(7).NextBytes(bytes);
            var source = Path.Combine(_folder, "hotdb-server-2.5.6.tar.gz");
            File.WriteAllBytes(source, bytes);
            var target = Directory.CreateDirectory(Path.Combine(_folder, "remote")).FullName + "/";
            long lastProgress = 0;
            var result = FileTransfer.Upload(_host, source, target, Convert.ToInt32("640", 8), progress: sent => lastProgress = sent);
            Assert.Equal(TransferStatus.Uploaded, result.Status);
            Assert.Equal(FileTransfer.LocalSha256(source), result.Sha256);
            Assert.Equal(bytes.Length, lastProgress);
            var written = Path.Combine(target, "hotdb-server-2.5.6.tar.gz");
            Assert.Equal(bytes, File.ReadAllBytes(written));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(written));
            Assert.Equal(new[] { written }, Directory.GetFiles(target));
        }

        [Fact]
        public void AHostThatWroteOtherBytesFailsTheUploadAndKeepsNoFile()
        {
            var source = LocalFile("server.xml", "<server/>\n");
            var target = Directory.CreateDirectory(Path.Combine(_folder, "remote")).FullName + "/";
            var error = Assert.Throws<RemoteFileException>(() => FileTransfer.Upload(new CorruptingHost(_host), source, target));
            Assert.Equal(("ChecksumMismatch", "InvalidResult"), (error.ErrorId, error.Category));
            Assert.Empty(Directory.GetFileSystemEntries(target));
        }

        [Theory]
        [InlineData(0, "tee=1\n" + Hash + "  -\nsize=3\n", "tee: x: No space left on device", "RemoteFileFailed")]
        [InlineData(1, "tee=0\n" + Hash + "  -\n", "chmod: changing permissions: Operation not permitted", "RemoteFileFailed")]
        [InlineData(0, "tee=0\nsize=3\n", "", "RemoteFileFailed")]
        public void AHashedWriteThatDidNotCompleteIsAWriteError(int exitCode, string output, string error, string errorId)
        {
            var failure = Assert.Throws<RemoteFileException>(() => HashedWriteScript.Parse("h", "root", "/opt/x", exitCode, output, error));
            Assert.Equal((errorId, "WriteError"), (failure.ErrorId, failure.Category));
            Assert.Contains("free space", failure.RecommendedAction);
        }

        [Fact]
        public void AHashedWriteReadsTheHashAndSizeInAnyOrder()
        {
            var write = HashedWriteScript.Parse("h", "root", "/opt/x", 0, Hash + " *stdin\ntee=0\nsize=3\n", "");
            Assert.Equal((Hash, 3L), (write.Sha256, write.Length));
            Assert.Throws<DirectoryNotFoundException>(() => HashedWriteScript.Parse("h", "root", "/opt/x", 3, "", "bash: /opt/x: No such file or directory"));
            Assert.Throws<DirectoryNotFoundException>(() => HashedWriteScript.Parse("h", "root", "/opt/x", 3, "", "sh: 1: cannot create /opt/x: Directory nonexistent"));
            Assert.Throws<UnauthorizedAccessException>(() => HashedWriteScript.Parse("h", "app", "/opt/x", 3, "", "sh: 1: cannot create /opt/x: Permission denied"));
        }

        private const string Hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

        /// <summary>Writes through this machine but reports a hash the host did not compute: a corrupted transfer.</summary>
        private sealed class CorruptingHost : IRemoteHost, IHashingFileWriter
        {
            private readonly LocalHost _inner;
            public CorruptingHost(LocalHost inner) => _inner = inner;
            public string ComputerName => _inner.ComputerName;
            public string UserName => _inner.UserName;
            public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, System.Threading.CancellationToken cancellationToken = default) =>
                _inner.Run(commandLine, elevate, timeout, cancellationToken);
            public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, System.Threading.CancellationToken cancellationToken = default) =>
                throw new InvalidOperationException("a hashing host is written through WriteFileHashed");
            public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, System.Threading.CancellationToken cancellationToken = default) =>
                _inner.ReadFile(remotePath, destination, bytesRead, cancellationToken);
            public HashedWrite WriteFileHashed(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, System.Threading.CancellationToken cancellationToken = default)
            {
                var written = _inner.WriteFileHashed(remotePath, content, mode, bytesWritten, cancellationToken);
                return new HashedWrite(Hash, written.Length);
            }
        }
    }
}
