using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Threading;

namespace HotDb.Upgrade.Remote
{
    public enum TransferStatus
    {
        /// <summary>The file was sent and its remote SHA-256 matched.</summary>
        Uploaded,
        /// <summary>An identical file (same SHA-256) was already there; nothing was sent.</summary>
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
        /// or one written with a trailing '/'). Skips when the remote file has the same SHA-256. The bytes go to a temporary
        /// name next to the destination, are verified with the remote <c>sha256sum</c>, and only then renamed into place,
        /// so the destination never holds a partial file.
        /// </summary>
        public static TransferResult Upload(IRemoteHost host, string localPath, string destination, int mode = 0x1A4 /* 0644 */,
            Action<long>? progress = null, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            if (string.IsNullOrEmpty(destination)) throw new ArgumentException("A remote destination is required.", nameof(destination));
            var local = new FileInfo(localPath);
            if (!local.Exists) throw new FileNotFoundException($"The local file '{localPath}' does not exist.", localPath);
            var watch = Stopwatch.StartNew();
            var localHash = LocalSha256(local.FullName);
            var remotePath = ResolveDestination(host, destination, local.Name, cancellationToken);

            if (RemoteSha256(host, remotePath, cancellationToken) == localHash)
                return new TransferResult(host.ComputerName, local.FullName, remotePath, TransferStatus.Skipped, localHash, local.Length, watch.Elapsed);

            var partial = remotePath + ".hotdb-partial-" + Guid.NewGuid().ToString("N").Substring(0, 12);
            try
            {
                using (var content = local.OpenRead())
                    host.WriteFile(partial, content, mode, progress, cancellationToken);
                var remoteHash = RemoteSha256(host, partial, cancellationToken);
                if (remoteHash != localHash)
                    throw new InvalidDataException($"{host.ComputerName}: '{remotePath}' arrived with SHA-256 {remoteHash ?? "(unreadable)"}, expected {localHash}. The upload was discarded.");
                var move = host.Run(ShellQuote.Join("mv", "-f", "--", partial, remotePath), cancellationToken: cancellationToken);
                if (!move.Succeeded)
                    throw new IOException($"{host.ComputerName}: could not move the verified upload into '{remotePath}': {move.StandardError.Trim()}");
            }
            catch
            {
                TryRemove(host, partial);
                throw;
            }
            return new TransferResult(host.ComputerName, local.FullName, remotePath, TransferStatus.Uploaded, localHash, local.Length, watch.Elapsed);
        }

        /// <summary>Lower-case hex SHA-256 of a local file.</summary>
        public static string LocalSha256(string path)
        {
            using var sha = SHA256.Create();
            using var stream = File.OpenRead(path);
            return ToHex(sha.ComputeHash(stream));
        }

        /// <summary>The remote file's SHA-256 from <c>sha256sum</c>, or null when it does not exist or cannot be read.</summary>
        public static string? RemoteSha256(IRemoteHost host, string remotePath, CancellationToken cancellationToken = default)
        {
            var result = host.Run(ShellQuote.Join("sha256sum", "--", remotePath), cancellationToken: cancellationToken);
            if (!result.Succeeded) return null;
            // GNU sha256sum starts the line with '\' when the name holds a backslash or newline.
            var line = result.StandardOutput.TrimStart('\\');
            if (line.Length < 64) return null;
            var hash = line.Substring(0, 64);
            foreach (var c in hash)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return null;
            return hash;
        }

        private static string ResolveDestination(IRemoteHost host, string destination, string fileName, CancellationToken cancellationToken)
        {
            if (destination.EndsWith("/", StringComparison.Ordinal)) return destination + fileName;
            var isFolder = host.Run(ShellQuote.Join("test", "-d", destination), cancellationToken: cancellationToken).Succeeded;
            return isFolder ? destination + "/" + fileName : destination;
        }

        private static void TryRemove(IRemoteHost host, string remotePath)
        {
            // Bounded: after a broken link the clean-up must not hang the caller; the partial name is never used again.
            try { host.Run(ShellQuote.Join("rm", "-f", "--", remotePath), timeout: TimeSpan.FromSeconds(30)); }
            catch (Exception ex) when (ex is IOException || ex is InvalidOperationException || ex is TimeoutException || ex is RemoteConnectionException) { /* the original error matters more */ }
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
