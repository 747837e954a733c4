using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace HotDb.Upgrade.Remote
{
    /// <summary>Unix file modes, written one way: the constants below, shown in octal by <see cref="Octal"/>.</summary>
    public static class UnixMode
    {
        /// <summary>0600: backups, journals, option files with a password.</summary>
        public const int Private = 0x180;

        /// <summary>0640: licenses.</summary>
        public const int GroupReadable = 0x1A0;

        /// <summary>0644: packages and other public files.</summary>
        public const int Readable = 0x1A4;

        /// <summary>0700: private folders.</summary>
        public const int PrivateFolder = 0x1C0;

        /// <summary>The mode as chmod and mkdir -m take it, e.g. "0600".</summary>
        public static string Octal(int mode) => Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0');
    }

    /// <summary>
    /// Names tried in order until one is free: <c>stem + extension</c>, then <c>stem + separator + n + extension</c> for n
    /// from <see cref="FirstNumber"/> to <see cref="LastNumber"/> (hotdb_server_253, hotdb_server_253_2...).
    /// </summary>
    public sealed class NamePattern
    {
        public NamePattern(string stem, string separator, int firstNumber, string extension = "", int lastNumber = 999)
        {
            if (string.IsNullOrEmpty(stem)) throw new ArgumentException("A name stem is required.", nameof(stem));
            if (firstNumber < 0 || lastNumber < firstNumber) throw new ArgumentOutOfRangeException(nameof(lastNumber), "The numbers must rise from a non-negative first number.");
            Stem = stem;
            Separator = separator ?? "";
            FirstNumber = firstNumber;
            Extension = extension ?? "";
            LastNumber = lastNumber;
        }

        public string Stem { get; }
        public string Separator { get; }
        public int FirstNumber { get; }
        public int LastNumber { get; }
        public string Extension { get; }

        /// <summary>The name without a number.</summary>
        public string First => Stem + Extension;

        public string Numbered(int n) => Stem + Separator + n.ToString(CultureInfo.InvariantCulture) + Extension;

        internal bool Matches(string name)
        {
            if (name == First) return true;
            var prefix = Stem + Separator;
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(Extension, StringComparison.Ordinal)) return false;
            var digits = name.Substring(prefix.Length, name.Length - prefix.Length - Extension.Length);
            return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= FirstNumber && n <= LastNumber && Numbered(n) == name;
        }

        public override string ToString() => $"{First} ({Numbered(FirstNumber)}...)";
    }

    /// <summary>
    /// Typed operations on a host: every shell line the engine needs for files is built here, quoted with
    /// <see cref="ShellQuote"/>, and runs the same on an <see cref="SshSession"/> and on <see cref="LocalHost"/>
    /// (POSIX sh and GNU coreutils). A command that fails throws one type, <see cref="RemoteCommandException"/>.
    /// </summary>
    public static class HostOperations
    {
        /// <summary>The time limit of a command that is given none.</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

        /// <summary>Runs a line; a non-zero exit throws <see cref="RemoteCommandException"/> saying what was attempted.</summary>
        public static CommandResult RunOrFail(this IRemoteHost host, string line, string what, string? remedy = null, bool elevate = false, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            var result = host.Run(line, elevate, timeout ?? DefaultTimeout, cancellationToken);
            if (!result.Succeeded) throw new RemoteCommandException(host.ComputerName, what, result, remedy);
            return result;
        }

        /// <summary>True when something is at the path, a dangling symbolic link included.</summary>
        public static bool Exists(this IRemoteHost host, string path, bool elevate = false, CancellationToken cancellationToken = default) =>
            host.Run(ExistsLine(path), elevate, cancellationToken: cancellationToken).Succeeded;

        public static bool IsDirectory(this IRemoteHost host, string path, bool elevate = false, CancellationToken cancellationToken = default) =>
            host.Run(ShellQuote.Join("test", "-d", RequirePath(path)), elevate, cancellationToken: cancellationToken).Succeeded;

        /// <summary>A regular file, after symbolic links.</summary>
        public static bool IsFile(this IRemoteHost host, string path, bool elevate = false, CancellationToken cancellationToken = default) =>
            host.Run(ShellQuote.Join("test", "-f", RequirePath(path)), elevate, cancellationToken: cancellationToken).Succeeded;

        public static bool IsSymbolicLink(this IRemoteHost host, string path, bool elevate = false, CancellationToken cancellationToken = default) =>
            host.Run(ShellQuote.Join("test", "-L", RequirePath(path)), elevate, cancellationToken: cancellationToken).Succeeded;

        /// <summary>
        /// Renames <paramref name="from"/> to <paramref name="to"/> (a folder as a whole: mv -T). Refuses, without moving,
        /// when something is already at <paramref name="to"/>: nothing is ever overwritten.
        /// </summary>
        public static void Move(this IRemoteHost host, string from, string to, string? what = null, string? remedy = null, bool elevate = false,
            TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            var line = "if " + ExistsLine(to) + "; then printf '%s\\n' " + ShellQuote.Quote(to + " exists; it is never overwritten.") + " >&2; exit 1; fi; " +
                       ShellQuote.Join("mv", "-T", "--", RequirePath(from), to);
            host.RunOrFail(line, what ?? $"move {from} to {to}", remedy, elevate, timeout, cancellationToken);
        }

        /// <summary>
        /// The first name of <paramref name="pattern"/> that nothing occupies (a dangling link counts as occupied). With
        /// <paramref name="reserve"/> the name is taken on the host by an exclusive create (O_EXCL through the shell's
        /// noclobber), as an empty file with mode 0600, so two callers racing for a name never get the same one.
        /// </summary>
        public static string FreeName(this IRemoteHost host, NamePattern pattern, bool reserve = false, bool elevate = false, string? what = null,
            CancellationToken cancellationToken = default)
        {
            if (pattern is null) throw new ArgumentNullException(nameof(pattern));
            var names = "stem=" + ShellQuote.Quote(pattern.Stem) + "; sep=" + ShellQuote.Quote(pattern.Separator) + "; ext=" + ShellQuote.Quote(pattern.Extension) +
                        "; n=" + pattern.FirstNumber.ToString(CultureInfo.InvariantCulture) + "; b=\"$stem$ext\"; ";
            var next = "[ $n -le " + pattern.LastNumber.ToString(CultureInfo.InvariantCulture) + " ] || { printf '%s\\n' 'every name is taken' >&2; exit 1; }; b=\"$stem$sep$n$ext\"; n=$((n+1)); ";
            var line = reserve
                // The create is in a subshell: a failed redirection of ':' would end the whole shell. A name that fails
                // for another reason than being taken (a missing folder, no permission) is created once more to report why.
                ? "umask 077; set -C; " + names + "until (: > \"$b\") 2>/dev/null; do if [ ! -e \"$b\" ] && [ ! -L \"$b\" ]; then (: > \"$b\"); exit 1; fi; " + next + "done; printf '%s' \"$b\""
                : names + "while [ -e \"$b\" ] || [ -L \"$b\" ]; do " + next + "done; printf '%s' \"$b\"";
            what ??= reserve ? $"reserve a free name like {pattern}" : $"find a free name like {pattern}";
            var name = host.RunOrFail(line, what,
                "Remove old files with these names, or check that the folder exists and may be written.", elevate, cancellationToken: cancellationToken).StandardOutput;
            if (!pattern.Matches(name))
                throw new RemoteCommandException(host.ComputerName, what, new CommandResult(host.ComputerName, line, 0, name, "the host answered a name outside the pattern", TimeSpan.Zero), null);
            return name;
        }

        /// <summary>Bytes free for the login user in the file system that holds <paramref name="path"/> (or its nearest existing parent), from df -P -k.</summary>
        public static long FreeSpace(this IRemoteHost host, string path, CancellationToken cancellationToken = default)
        {
            // df needs an existing path: walk up to the nearest existing ancestor.
            var line = "p=" + ShellQuote.Quote(RequirePath(path)) + "; while [ ! -e \"$p\" ] && [ \"$p\" != / ]; do p=$(dirname -- \"$p\"); done; df -P -k -- \"$p\"";
            var result = host.RunOrFail(line, "read the free space of " + path, "Check that df works on the host.", cancellationToken: cancellationToken);
            // POSIX output: a header, then "filesystem 1024-blocks used available capacity mount" on one line.
            var lines = result.StandardOutput.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
            var fields = lines.Length >= 2 ? lines[1].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>();
            if (fields.Length < 4 || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var freeKib))
                throw new RemoteCommandException(host.ComputerName, "read the free space of " + path,
                    new CommandResult(host.ComputerName, line, 0, result.StandardOutput, "df printed no POSIX table", result.Duration), "Check that df works on the host.");
            return freeKib * 1024;
        }

        /// <summary>
        /// A shell fragment printing the SHA-256 of its stdin, hash first: OpenSSL where the host has it (it uses the
        /// processor's SHA instructions, about four times as fast as coreutils' sha256sum on a package), else sha256sum.
        /// </summary>
        internal const string Sha256OfStdin = "{ if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r; else sha256sum; fi; }";

        /// <summary>Lower-case hex SHA-256 of a host's file, or null when it does not exist or cannot be read.</summary>
        public static string? Sha256(this IRemoteHost host, string path, bool elevate = false, CancellationToken cancellationToken = default)
        {
            var result = host.Run(Sha256OfStdin + " < " + ShellQuote.Quote(RequirePath(path)), elevate, cancellationToken: cancellationToken);
            // GNU sha256sum starts the line with '\' when the name holds a backslash or newline.
            return result.Succeeded ? LeadingSha256(result.StandardOutput.TrimStart('\\')) : null;
        }

        /// <summary>The hash that starts a line of <see cref="Sha256OfStdin"/> (64 lower-case hex digits), or null.</summary>
        internal static string? LeadingSha256(string line)
        {
            if (line.Length < 64) return null;
            for (var i = 0; i < 64; i++)
                if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f'))) return null;
            return line.Substring(0, 64);
        }

        /// <summary>The size of a file in bytes, or -1 when it does not exist or cannot be read.</summary>
        public static long FileSize(this IRemoteHost host, string path, CancellationToken cancellationToken = default)
        {
            var result = host.Run(ShellQuote.Join("stat", "-c", "%s", "--", RequirePath(path)), cancellationToken: cancellationToken);
            return result.Succeeded && long.TryParse(result.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : -1;
        }

        /// <summary>Writes a file created with <paramref name="mode"/> (see <see cref="UnixMode"/>) before any byte of it is written.</summary>
        public static void WriteFile(this IRemoteHost host, string path, byte[] content, int mode, CancellationToken cancellationToken = default)
        {
            if (content is null) throw new ArgumentNullException(nameof(content));
            using var stream = new MemoryStream(content, writable: false);
            host.WriteFile(RequirePath(path), stream, mode, null, cancellationToken);
        }

        /// <summary>Writes UTF-8 text (no byte order mark) to a file created with <paramref name="mode"/>.</summary>
        public static void WriteFile(this IRemoteHost host, string path, string content, int mode, CancellationToken cancellationToken = default) =>
            host.WriteFile(path, new UTF8Encoding(false).GetBytes(content ?? throw new ArgumentNullException(nameof(content))), mode, cancellationToken);

        public static byte[] ReadBytes(this IRemoteHost host, string path, CancellationToken cancellationToken = default)
        {
            using var buffer = new MemoryStream();
            host.ReadFile(RequirePath(path), buffer, null, cancellationToken);
            return buffer.ToArray();
        }

        /// <summary>A file's text, read as UTF-8.</summary>
        public static string ReadText(this IRemoteHost host, string path, CancellationToken cancellationToken = default) =>
            new UTF8Encoding(false).GetString(host.ReadBytes(path, cancellationToken));

        /// <summary>
        /// Creates a folder. With <paramref name="parents"/> missing parents are created and an existing folder is fine
        /// (mkdir -p); without, the folder must not exist yet, so it is this caller's own.
        /// </summary>
        public static void MakeDirectory(this IRemoteHost host, string path, int? mode = null, bool parents = true, string? what = null, string? remedy = null,
            bool elevate = false, CancellationToken cancellationToken = default)
        {
            var words = new System.Collections.Generic.List<string> { "mkdir" };
            if (parents) words.Add("-p");
            if (mode.HasValue) { words.Add("-m"); words.Add(UnixMode.Octal(mode.Value)); }
            words.Add("--");
            words.Add(RequirePath(path));
            host.RunOrFail(ShellQuote.Join(words), what ?? "create " + path, remedy, elevate, cancellationToken: cancellationToken);
        }

        /// <summary>Removes a file (or, with <paramref name="recursive"/>, a folder and all it holds); a missing path is fine. Refuses "/" and an empty path.</summary>
        public static void Remove(this IRemoteHost host, string path, bool recursive = false, string? what = null, bool elevate = false, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default) =>
            host.RunOrFail(RemoveLine(path, recursive), what ?? "remove " + path, null, elevate, timeout, cancellationToken);

        /// <summary>As <see cref="Remove"/>, for clean-up after another failure: a non-zero exit returns false instead of throwing.</summary>
        public static bool TryRemove(this IRemoteHost host, string path, bool recursive = false, bool elevate = false, TimeSpan? timeout = null) =>
            host.Run(RemoveLine(path, recursive), elevate, timeout).Succeeded;

        private static string RemoveLine(string path, bool recursive)
        {
            if (RequirePath(path).Trim().Trim('/').Length == 0) throw new ArgumentException($"Refusing to remove '{path}'.", nameof(path));
            return ShellQuote.Join("rm", recursive ? "-rf" : "-f", "--", path);
        }

        private static string ExistsLine(string path) => ShellQuote.Join("test", "-e", RequirePath(path)) + " || " + ShellQuote.Join("test", "-L", path);

        private static string RequirePath(string path) =>
            string.IsNullOrEmpty(path) ? throw new ArgumentException("A path is required.", nameof(path)) : path;
    }

    /// <summary>A command on a host exited non-zero; carries the end of its output and what to do.</summary>
    /// <remarks>An IOException, so callers that handle a failed file operation on a host keep handling it.</remarks>
    public sealed class RemoteCommandException : IOException, IHotDbError
    {
        private const int TailChars = 4000;
        private const string DefaultRemedy = "Read the command's error, fix the cause on the host, then run the command again.";

        public RemoteCommandException(string computerName, string what, CommandResult result, string? recommendedAction)
            : base($"{computerName}: could not {what} (exit {result.ExitCode}): {Detail(result)}")
        {
            ComputerName = computerName;
            Command = result.Command;
            ExitCode = result.ExitCode;
            StandardErrorTail = Tail(result.StandardError);
            StandardOutputTail = Tail(result.StandardOutput);
            RecommendedAction = recommendedAction ?? DefaultRemedy;
        }

        public string ComputerName { get; }
        public string Command { get; }
        public int ExitCode { get; }
        public string StandardErrorTail { get; }
        public string StandardOutputTail { get; }
        public string ErrorId => "RemoteCommandFailed";
        public string Category => "InvalidResult";
        public object? Target => ComputerName;
        public string RecommendedAction { get; }

        // The error stream says why; a command that reports on stdout (a script, 2>&1) is read there.
        private static string Detail(CommandResult result) => Tail(result.StandardError.Trim().Length > 0 ? result.StandardError : result.StandardOutput);

        private static string Tail(string text)
        {
            var trimmed = text.Trim();
            return trimmed.Length <= TailChars ? trimmed : "..." + trimmed.Substring(trimmed.Length - TailChars);
        }
    }
}
