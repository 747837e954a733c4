using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.ConfigDb.Sql
{
    /// <summary>A script file that cannot be read as upgrade SQL; nothing of it was analysed or run.</summary>
    public sealed class ScriptFileException : Exception, IHotDbError
    {
        public ScriptFileException(string file, string problem)
            : this(file, problem, "UpgradeSqlNotReadable", "InvalidData",
                "Give the vendor's script as it was delivered: a text file of at most 16 MiB, in UTF-8 or UTF-16 with a byte order mark.") { }

        private ScriptFileException(string file, string problem, string errorId, string category, string recommendedAction, Exception? inner = null)
            : base($"{file}: {problem}", inner)
        {
            File = file;
            Problem = problem;
            ErrorId = errorId;
            Category = category;
            RecommendedAction = recommendedAction;
        }

        /// <summary>A link in a scripts folder that leads out of it: refused, since a folder is reviewed as a whole.</summary>
        public static ScriptFileException LinkOutsideFolder(string file, string realPath) =>
            new ScriptFileException(file, $"is a symbolic link to {realPath}, outside the folder; copy the script into the folder instead.",
                "UpgradeSqlLinkOutsideFolder", "SecurityError",
                "Copy the script into the folder (or check the file given by name); a folder is checked as a whole.");

        /// <summary>The file could not be opened or read (missing, no permission, an I/O error).</summary>
        public static ScriptFileException Unreadable(string file, Exception inner) =>
            new ScriptFileException(file, "cannot be read: " + inner.Message, "UpgradeSqlNotReadable", "ReadError", "Check that the file exists and may be read.", inner);

        public string File { get; }
        public string Problem { get; }
        public string ErrorId { get; }
        public string Category { get; }
        object? IHotDbError.Target => File;
        public string RecommendedAction { get; }
    }

    /// <summary>
    /// How upgrade scripts are found and read, the same for Test-HotDbUpgradeSql and Invoke-HotDbConfigDbUpgrade:
    /// a folder's files whose extension is .sql in any case; a symbolic link that leads out of the folder is refused
    /// (a script folder is reviewed as a whole, and a link could bring in any file); at most
    /// <see cref="MaxBytes"/> bytes; UTF-8, or UTF-16 with a byte order mark.
    /// </summary>
    public static class ScriptFiles
    {
        /// <summary>Vendor upgrade scripts are kilobytes; anything past this is not one.</summary>
        public const int MaxBytes = 16 * 1024 * 1024;

        /// <summary>The .sql files of <paramref name="folder"/> in name order; <paramref name="problems"/> names the links refused.</summary>
        public static IReadOnlyList<string> InFolder(string folder, out IReadOnlyList<ScriptFileException> problems)
        {
            // The folder as given and, when it is itself a link, where it leads: a link to either is inside.
            var given = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
            var roots = new[] { given, RealPath(given) }.Select(r => r + Path.DirectorySeparatorChar).ToList();
            var refused = new List<ScriptFileException>();
            var files = new List<string>();
            foreach (var path in Directory.EnumerateFiles(folder).OrderBy(p => p, StringComparer.Ordinal))
            {
                if (!string.Equals(Path.GetExtension(path), ".sql", StringComparison.OrdinalIgnoreCase)) continue;
                var real = RealPath(Path.GetFullPath(path));
                if (!roots.Any(root => real.StartsWith(root, StringComparison.Ordinal)))
                    refused.Add(ScriptFileException.LinkOutsideFolder(path, real));
                else files.Add(path);
            }
            problems = refused;
            return files;
        }

        /// <summary>The file's bytes, refused past <see cref="MaxBytes"/> or when it yields more than its size (a device, not a file).</summary>
        public static byte[] ReadBytes(string path)
        {
            try
            {
                return ReadAtMostMaxBytes(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw ScriptFileException.Unreadable(path, e);
            }
        }

        private static byte[] ReadAtMostMaxBytes(string path)
        {
            var size = new FileInfo(path).Length;
            if (size > MaxBytes)
                throw new ScriptFileException(path, $"has {size} bytes, more than the {MaxBytes} an upgrade script may have.");
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                // One byte past the size tells a device (/dev/zero has size 0 and never ends) or a growing file from a script.
                var buffer = new byte[size + 1];
                var read = 0;
                int n;
                while (read < buffer.Length && (n = stream.Read(buffer, read, buffer.Length - read)) > 0) read += n;
                if (read > size)
                    throw new ScriptFileException(path, "yields more bytes than its size: it is not a regular file (a device or a pipe) or it is being written.");
                return read == buffer.Length ? buffer : buffer.Take(read).ToArray();
            }
        }

        /// <summary>The text of a script: UTF-8 (with or without a BOM) or UTF-16 with a BOM; anything else is refused, named.</summary>
        public static string Decode(byte[] bytes, string file)
        {
            if (StartsWith(bytes, 0xFF, 0xFE, 0x00, 0x00)) throw new ScriptFileException(file, Refused("a UTF-32 little-endian byte order mark"));
            if (StartsWith(bytes, 0x00, 0x00, 0xFE, 0xFF)) throw new ScriptFileException(file, Refused("a UTF-32 big-endian byte order mark"));
            if (StartsWith(bytes, 0xFF, 0xFE)) return Strict(new UnicodeEncoding(false, false, true), bytes, 2, file, "UTF-16 little-endian");
            if (StartsWith(bytes, 0xFE, 0xFF)) return Strict(new UnicodeEncoding(true, false, true), bytes, 2, file, "UTF-16 big-endian");
            var start = StartsWith(bytes, 0xEF, 0xBB, 0xBF) ? 3 : 0;
            var invalid = FirstInvalidUtf8(bytes, start);
            if (invalid >= 0)
                throw new ScriptFileException(file, Refused($"invalid UTF-8 at byte {invalid} (0x{bytes[invalid]:X2}); it is in another encoding (such as GBK or Latin-1) or not text"));
            var nul = Array.IndexOf(bytes, (byte)0, start);
            if (nul >= 0)
                throw new ScriptFileException(file, Refused($"a NUL byte at byte {nul}: UTF-16 or UTF-32 without a byte order mark, or not text"));
            return new UTF8Encoding(false).GetString(bytes, start, bytes.Length - start);
        }

        private static string Refused(string found) => $"has {found}; save it as UTF-8 (or UTF-16 with a byte order mark).";

        private static string Strict(Encoding encoding, byte[] bytes, int start, string file, string name)
        {
            try
            {
                return encoding.GetString(bytes, start, bytes.Length - start);
            }
            catch (DecoderFallbackException)
            {
                throw new ScriptFileException(file, Refused($"a {name} byte order mark but bytes that are not {name} (an odd length or a broken surrogate pair)"));
            }
        }

        private static bool StartsWith(byte[] bytes, params byte[] prefix) =>
            bytes.Length >= prefix.Length && prefix.Select((b, i) => bytes[i] == b).All(x => x);

        /// <summary>The offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF), or -1.</summary>
        internal static int FirstInvalidUtf8(byte[] bytes, int start)
        {
            var i = start;
            while (i < bytes.Length)
            {
                var b = bytes[i];
                int length, min;
                if (b < 0x80) { i++; continue; }
                if (b >= 0xC2 && b <= 0xDF) { length = 2; min = 0x80; }
                else if (b >= 0xE0 && b <= 0xEF) { length = 3; min = 0x800; }
                else if (b >= 0xF0 && b <= 0xF4) { length = 4; min = 0x10000; }
                else return i;
                if (i + length > bytes.Length) return i;
                var code = b & (0xFF >> (length + 1));
                for (var k = 1; k < length; k++)
                {
                    if ((bytes[i + k] & 0xC0) != 0x80) return i;
                    code = (code << 6) | (bytes[i + k] & 0x3F);
                }
                if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
                i += length;
            }
            return -1;
        }

        private static string RealPath(string path)
        {
#if NET
            var info = new FileInfo(path);
            if (info.LinkTarget != null) return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
            var directory = new DirectoryInfo(path);
            if (directory.LinkTarget != null) return directory.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
#endif
            return path;
        }
    }
}
