using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;

namespace HotDb.Upgrade.Remote
{
    public enum TransferStatus
    {
        /// <summary>The file was sent and its remote SHA-256 matched.</summary>
        Uploaded,
        /// <summary>An identical file (same SHA-256) was already there; nothing was sent, only its mode was set.</summary>
        Skipped,
    }

    /// <summary>What one upload did.</summary>
    public sealed class TransferResult
    {
        public TransferResult(string computerName, string localPath, string remotePath, TransferStatus status, string sha256, long length, TimeSpan duration)
        {
            ComputerName = computerName;
            LocalPath = localPath;
            RemotePath = remotePath;
            Status = status;
            Sha256 = sha256;
            Length = length;
            Duration = duration;
        }

        public string ComputerName { get; }
        public string LocalPath { get; }
        public string RemotePath { get; }
        public TransferStatus Status { get; }

        /// <summary>Lower-case hex SHA-256, equal on both sides.</summary>
        public string Sha256 { get; }

        public long Length { get; }
        public TimeSpan Duration { get; }
    }

    /// <summary>Verified uploads through any <see cref="IRemoteHost"/>.</summary>
    public static class FileTransfer
    {
        /// <summary>
        /// Uploads <paramref name="localPath"/> to <paramref name="destination"/> (a file path, or a folder: an existing one
        /// or one written with a trailing '/'). Skips when the remote file has the same SHA-256, but still gives it
        /// <paramref name="mode"/>. The bytes go to a temporary name next to the destination and are verified by SHA-256
        /// (hashed on both sides as they stream where the host is an <see cref="IHashingFileWriter"/>, else read back
        /// with the host's digest), and only then renamed into place, so the destination never holds a partial file; a
        /// failed upload removes its temporary file. With <paramref name="elevate"/> the destination is written as root: the
        /// bytes go first to a private file (0600) in the login user's temporary folder, are verified there, and root
        /// installs them with the mode.
        /// </summary>
        public static TransferResult Upload(IRemoteHost host, string localPath, string destination, int mode = UnixMode.Readable,
            Action<long>? progress = null, CancellationToken cancellationToken = default, bool elevate = false)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            if (string.IsNullOrEmpty(destination)) throw new ArgumentException("A remote destination is required.", nameof(destination));
            RequireRegularFile(localPath);
            var local = new FileInfo(localPath);
            var watch = Stopwatch.StartNew();
            var remotePath = ResolveDestination(host, destination, local.Name, elevate, cancellationToken);
            var octalMode = UnixMode.Octal(mode);

            // The local file is hashed up front only when there is something to compare it with (or no host-side hash);
            // otherwise it is hashed as it is sent.
            var remoteHash = host.Sha256(remotePath, elevate, cancellationToken);
            string? localHash = remoteHash != null || !(host is IHashingFileWriter) ? LocalSha256(local.FullName) : null;
            if (remoteHash != null && remoteHash == localHash)
            {
                // The same bytes, but perhaps not the mode asked for (a file sent 0644 and now wanted 0600). Only a
                // different mode is changed: chmod by a user who does not own the file fails even when nothing changes.
                var current = host.Run(ShellQuote.Join("stat", "-c", "%a", "--", remotePath), elevate, cancellationToken: cancellationToken).StandardOutput.Trim();
                if (current.PadLeft(4, '0') != octalMode)
                    Require(host, ShellQuote.Join("chmod", octalMode, "--", remotePath), elevate, $"set the mode {octalMode} on '{remotePath}'", cancellationToken);
                return new TransferResult(host.ComputerName, local.FullName, remotePath, TransferStatus.Skipped, localHash!, local.Length, watch.Elapsed);
            }

            var partial = remotePath + ".hotdb-partial-" + Guid.NewGuid().ToString("N").Substring(0, 12);
            string? staged = null;
            try
            {
                if (elevate)
                {
                    staged = PrivateTemporaryFile(host, cancellationToken);
                    localHash = Send(host, local, staged, UnixMode.Private, localHash, progress, cancellationToken);
                    Require(host, ShellQuote.Join("install", "-m", octalMode, "--", staged, partial), elevate, $"install the upload as '{partial}'", cancellationToken);
                    Verify(host, partial, localHash, elevate, cancellationToken);
                }
                else
                {
                    localHash = Send(host, local, partial, mode, localHash, progress, cancellationToken);
                }
                Require(host, ShellQuote.Join("mv", "-f", "--", partial, remotePath), elevate, $"move the verified upload into '{remotePath}'", cancellationToken);
            }
            catch
            {
                TryRemove(host, partial, elevate);
                throw;
            }
            finally
            {
                if (staged != null) TryRemove(host, staged, false);
            }
            return new TransferResult(host.ComputerName, local.FullName, remotePath, TransferStatus.Uploaded, localHash, local.Length, watch.Elapsed);
        }

        /// <summary>
        /// Refuses what cannot be sent as a file: a missing path, a folder, or a device or FIFO (reading /dev/zero or a FIFO
        /// never ends).
        /// </summary>
        public static void RequireRegularFile(string localPath)
        {
            if (string.IsNullOrEmpty(localPath)) throw new ArgumentException("A local file is required.", nameof(localPath));
            if (!File.Exists(localPath))
                throw new HotDbException("LocalFileNotFound", "ObjectNotFound", $"The local file '{localPath}' does not exist.", "Give the path of an existing file.", localPath);
            // .NET tells no device or FIFO from a file; test -f (a regular file, after symbolic links) does. Windows has neither.
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && !new LocalHost().IsFile(localPath))
                throw new HotDbException("LocalFileNotRegular", "InvalidArgument", $"'{localPath}' is not a regular file (a device, a FIFO or a socket); only files can be sent.",
                    "Give the path of a regular file; copy a stream into a file first.", localPath);
        }

        // Returns the SHA-256 of what was sent. A host that hashes as it writes is checked against the bytes read while
        // sending (one read on each side); any other host's file is hashed again after the write.
        private static string Send(IRemoteHost host, FileInfo local, string remotePath, int mode, string? localHash, Action<long>? progress, CancellationToken cancellationToken)
        {
            if (host is IHashingFileWriter writer)
            {
                HashedWrite written;
                string sentHash;
                long sentLength;
                using (var sha = SHA256.Create())
                {
                    using (var content = local.OpenRead())
                    using (var hashing = new CryptoStream(content, sha, CryptoStreamMode.Read))
                    {
                        var counting = new CountingReadStream(hashing);
                        written = writer.WriteFileHashed(remotePath, counting, mode, progress, cancellationToken);
                        sentLength = counting.BytesRead;
                    }
                    sentHash = ToHex(sha.Hash!);
                }
                if (localHash != null && sentHash != localHash)
                    throw new RemoteFileException("LocalFileChanged", "InvalidData",
                        $"'{local.FullName}' changed while it was sent to {host.ComputerName} (SHA-256 {sentHash}, expected {localHash}). The upload was discarded.",
                        "Send the file again once nothing writes it.");
                if (written.Sha256 != sentHash || written.Length != sentLength)
                    throw Mismatch(host, remotePath, $"{written.Sha256} ({written.Length} bytes)", $"{sentHash} ({sentLength} bytes)");
                return sentHash;
            }
            using (var content = local.OpenRead())
                host.WriteFile(remotePath, content, mode, progress, cancellationToken);
            Verify(host, remotePath, localHash!, false, cancellationToken);
            return localHash!;
        }

        private static void Verify(IRemoteHost host, string remotePath, string expected, bool elevate, CancellationToken cancellationToken)
        {
            var remoteHash = host.Sha256(remotePath, elevate, cancellationToken);
            if (remoteHash != expected) throw Mismatch(host, remotePath, remoteHash ?? "(unreadable)", expected);
        }

        private static RemoteFileException Mismatch(IRemoteHost host, string remotePath, string arrived, string expected) =>
            new RemoteFileException("ChecksumMismatch", "InvalidResult",
                $"{host.ComputerName}: '{remotePath}' arrived with SHA-256 {arrived}, expected {expected}. The upload was discarded.",
                "Send the file again; check the host's disk and memory if it repeats.");

        /// <summary>Counts what is read through it (the bytes a hashing host must have written).</summary>
        private sealed class CountingReadStream : Stream
        {
            private readonly Stream _inner;
            public CountingReadStream(Stream inner) => _inner = inner;
            public long BytesRead { get; private set; }
            public override int Read(byte[] buffer, int offset, int count)
            {
                var read = _inner.Read(buffer, offset, count);
                BytesRead += read;
                return read;
            }
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }

        // mktemp creates the file 0600 and owned by the login user, in a folder that user may write.
        private static string PrivateTemporaryFile(IRemoteHost host, CancellationToken cancellationToken)
        {
            var result = host.Run("mktemp \"${TMPDIR:-/tmp}/hotdb-upload.XXXXXXXXXX\"", cancellationToken: cancellationToken);
            var path = result.StandardOutput.Trim();
            if (!result.Succeeded || !path.StartsWith("/", StringComparison.Ordinal))
                throw new RemoteFileException("UploadFailed", "WriteError", $"{host.ComputerName}: could not create a temporary file for the upload: {result.StandardError.Trim()}",
                    "Check that the login user may write its temporary folder ($TMPDIR or /tmp) and that it has room for the file.");
            return path;
        }

        private static void Require(IRemoteHost host, string line, bool elevate, string what, CancellationToken cancellationToken)
        {
            try { host.RunOrFail(line, what, null, elevate, cancellationToken: cancellationToken); }
            catch (RemoteCommandException e)
            {
                throw new RemoteFileException("UploadFailed", "WriteError", e.Message,
                    elevate ? "Check the free space and the permissions of the remote folder."
                            : "Check the free space of the remote folder and that the login user may write it; add -Elevate to write as root.", e);
            }
        }

        /// <summary>Lower-case hex SHA-256 of a local file.</summary>
        public static string LocalSha256(string path)
        {
            using var sha = SHA256.Create();
            using var stream = File.OpenRead(path);
            return ToHex(sha.ComputeHash(stream));
        }

        private static string ResolveDestination(IRemoteHost host, string destination, string fileName, bool elevate, CancellationToken cancellationToken)
        {
            if (destination.EndsWith("/", StringComparison.Ordinal)) return destination + fileName;
            var isFolder = host.IsDirectory(destination, elevate, cancellationToken);
            return isFolder ? destination + "/" + fileName : destination;
        }

        private static void TryRemove(IRemoteHost host, string remotePath, bool elevate)
        {
            // Bounded: after a broken link the clean-up must not hang the caller; the partial name is never used again.
            try { host.TryRemove(remotePath, elevate: elevate, timeout: TimeSpan.FromSeconds(30)); }
            catch (Exception ex) when (ex is IHotDbError || ex is IOException || ex is InvalidOperationException || ex is TimeoutException) { /* the original error matters more */ }
        }

        private static string ToHex(byte[] bytes)
        {
            var chars = new char[bytes.Length * 2];
            for (var i = 0; i < bytes.Length; i++)
            {
                chars[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
                chars[2 * i + 1] = "0123456789abcdef"[bytes[i] & 0xF];
            }
            return new string(chars);
        }
    }
}
