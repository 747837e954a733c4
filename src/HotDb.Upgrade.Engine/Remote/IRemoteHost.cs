using System;
using System.IO;
using System.Threading;

namespace HotDb.Upgrade.Remote
{
    /// <summary>
    /// A host the engine works on. SSH sessions implement it; every engine feature (ConfigDB backups,
    /// compute node upgrades, lab checks) takes this, never an SSH.NET type.
    /// </summary>
    public interface IRemoteHost
    {
        /// <summary>The name or address the session was opened to.</summary>
        string ComputerName { get; }

        /// <summary>The login user.</summary>
        string UserName { get; }

        /// <summary>
        /// Runs one shell line (build it with <see cref="ShellQuote"/>). With <paramref name="elevate"/> the line
        /// runs as root through sudo when the login user is not root. Never throws for a non-zero exit. The line's stdin
        /// is at end of file. When <paramref name="timeout"/> passes, the line's processes are killed and a
        /// <see cref="RemoteTimeoutException"/> is thrown; cancellation kills them too and throws OperationCanceledException.
        /// A line holding a NUL character is refused with an ArgumentException before anything runs.
        /// </summary>
        CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

        /// <summary>Writes <paramref name="content"/> to a remote file created with the given mode (e.g. 0600) before any byte is written.</summary>
        void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default);

        /// <summary>Streams a remote file to <paramref name="destination"/>.</summary>
        void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default);
    }

    /// <summary>
    /// A host that hashes the bytes of a file as it writes them, so that an upload is read and sent once instead of being
    /// hashed locally, sent, and read back for a second hash.
    /// </summary>
    public interface IHashingFileWriter
    {
        /// <summary>
        /// Writes <paramref name="content"/> to <paramref name="remotePath"/> (private while it is written, then given
        /// <paramref name="mode"/>) and returns the SHA-256 of the bytes the host wrote and the file's size on the host.
        /// </summary>
        HashedWrite WriteFileHashed(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default);
    }

    /// <summary>What the host wrote: lower-case hex SHA-256 and size in bytes of the written file.</summary>
    public sealed class HashedWrite
    {
        public HashedWrite(string sha256, long length)
        {
            Sha256 = sha256;
            Length = length;
        }

        public string Sha256 { get; }
        public long Length { get; }
    }

    /// <summary>What one remote command did.</summary>
    public sealed class CommandResult
    {
        public CommandResult(string computerName, string command, int exitCode, string standardOutput, string standardError, TimeSpan duration)
        {
            ComputerName = computerName;
            Command = command;
            ExitCode = exitCode;
            StandardOutput = standardOutput;
            StandardError = standardError;
            Duration = duration;
        }

        public string ComputerName { get; }
        public string Command { get; }
        public int ExitCode { get; }
        public string StandardOutput { get; }
        public string StandardError { get; }
        public TimeSpan Duration { get; }
        public bool Succeeded => ExitCode == 0;
    }
}
