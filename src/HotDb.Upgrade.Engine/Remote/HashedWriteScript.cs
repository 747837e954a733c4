using System;
using System.Globalization;
using System.IO;

namespace HotDb.Upgrade.Remote
{
    /// <summary>
    /// The host side of <see cref="IHashingFileWriter"/>: one shell line that streams its stdin into a file and, in the
    /// same pass, through a SHA-256 digest, so the file is never read back. It is created private (umask 077) and given its
    /// mode only once complete. tee's own status is printed apart (<c>tee=N</c>), since a pipeline's status is its last
    /// command's; the size is read from the written file (<c>size=N</c>).
    /// </summary>
    internal static class HashedWriteScript
    {
        internal const string Text =
            "LC_ALL=C; export LC_ALL; umask 077; true > \"$1\" || exit 3; exec 3>&1; " +
            "{ tee -- \"$1\"; echo \"tee=$?\" >&3; } | " + HostOperations.Sha256OfStdin + "; " +
            "chmod \"$2\" -- \"$1\" && stat -c size=%s -- \"$1\"";

        /// <summary>Exit status of the script when the file cannot even be created (true, not ':': a failed redirection of a special builtin ends the shell).</summary>
        private const int CannotCreate = 3;

        internal static string Line(string remotePath, int mode) => ShellQuote.Join("sh", "-c", Text, "hotdb-write", remotePath, UnixMode.Octal(mode));

        /// <summary>Reads the script's answer; throws what a failed write means (a missing folder, no permission, a full disk).</summary>
        internal static HashedWrite Parse(string host, string userName, string remotePath, int exitCode, string output, string error)
        {
            string? hash = null, tee = null;
            long length = -1;
            foreach (var raw in output.Split('\n'))
            {
                var text = raw.Trim();
                if (text.StartsWith("tee=", StringComparison.Ordinal)) tee = text.Substring(4);
                else if (text.StartsWith("size=", StringComparison.Ordinal)) long.TryParse(text.Substring(5), NumberStyles.None, CultureInfo.InvariantCulture, out length);
                else if (HostOperations.LeadingSha256(text) is { } digest) hash = digest;
            }
            var problem = error.Trim();
            // bash says "No such file or directory", dash "Directory nonexistent".
            if (exitCode == CannotCreate && (problem.IndexOf("No such file or directory", StringComparison.Ordinal) >= 0 || problem.IndexOf("nonexistent", StringComparison.Ordinal) >= 0))
                throw new DirectoryNotFoundException($"{host}: the folder of '{remotePath}' does not exist.");
            if (exitCode == CannotCreate && problem.IndexOf("Permission denied", StringComparison.Ordinal) >= 0)
                throw new UnauthorizedAccessException($"{host}: '{userName}' may not write '{remotePath}'.");
            if (exitCode != 0 || tee != "0" || hash == null || length < 0)
                throw new RemoteFileException("RemoteFileFailed", "WriteError",
                    $"{host}: writing '{remotePath}' failed{(problem.Length > 0 ? ": " + problem : $" (exit {exitCode})")}.",
                    "Check the free space (df) and quotas of the remote folder and that the login user may write it, then run the command again.");
            return new HashedWrite(hash, length);
        }
    }
}
