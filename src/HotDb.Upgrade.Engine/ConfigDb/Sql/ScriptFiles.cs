using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace HotDb.Upgrade.ConfigDb.Sql
{
    /// <summary>A script file that cannot be read as upgrade SQL; nothing of it was analysed or run.</summary>
    public sealed class ScriptFileException : Exception, IHotDbError
    {
        public ScriptFileException(string file, string problem)
            : this(file, problem, "UpgradeSqlNotReadable", "InvalidData",
                "Give the vendor's script as it was delivered: a regular text file within the size named, in UTF-8 or UTF-16 with a byte order mark.") { }

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
    /// <see cref="MaxBytes"/> bytes to run, <see cref="MaxAnalysisBytes"/> to check; UTF-8, or UTF-16 with a byte
    /// order mark. <see cref="Check"/> and <see cref="OpenText"/> read a chunk at a time, never the whole file.
    /// </summary>
    public static class ScriptFiles
    {
        /// <summary>
        /// Vendor upgrade scripts are kilobytes; anything past this is not one to run (Invoke-HotDbConfigDbUpgrade
        /// holds the statements of the scripts it runs).
        /// </summary>
        public const int MaxBytes = 16 * 1024 * 1024;

        /// <summary>
        /// What Test-HotDbUpgradeSql checks: it streams a script statement by statement, so its memory does not grow
        /// with the script; past this a file is a dump or a log, not upgrade SQL.
        /// </summary>
        public const long MaxAnalysisBytes = 256L * 1024 * 1024;

        private const int ChunkBytes = 64 * 1024;

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

        /// <summary>
        /// Reads the whole file once, a chunk at a time, and refuses it as <see cref="ReadBytes"/> and
        /// <see cref="Decode"/> together would (the same checks, the same messages; sizes against
        /// <paramref name="maxBytes"/>), without holding it: what <see cref="OpenText"/> then reads is known to be text.
        /// <paramref name="name"/> names the file in encoding problems, <paramref name="path"/> in size and read problems.
        /// </summary>
        public static void Check(string path, string name, long maxBytes)
        {
            var encoding = Sniff(path, name, maxBytes, out var size, out var start, out _);
            if (encoding != null)
            {
                using (var reader = OpenText(path, name, maxBytes))
                {
                    var chars = new char[ChunkBytes];
                    while (reader.Read(chars, 0, chars.Length) > 0) { }
                }
                return;
            }
            // UTF-8: the first invalid byte anywhere is named before any NUL byte, as Decode does.
            var validator = new Utf8Validator(start, throwAtOnce: false, name);
            Guard(path, () =>
            {
                using (var stream = new CheckedStream(Open(path), path, size, validator, null))
                {
                    var bytes = new byte[ChunkBytes];
                    while (stream.Read(bytes, 0, bytes.Length) > 0) { }
                }
            });
            validator.ThrowIfRefused();
        }

        /// <summary>
        /// The text of the script at <paramref name="path"/>, decoded as it is read (nothing is held beyond a chunk):
        /// a byte order mark is skipped, and what <see cref="Decode"/> refuses is refused when the reader reaches it
        /// (a <see cref="ScriptFileException"/> from Read). <paramref name="hash"/>, when given, sees every byte of the file.
        /// </summary>
        public static TextReader OpenText(string path, string name, long maxBytes, IncrementalHash? hash = null)
        {
            var encoding = Sniff(path, name, maxBytes, out var size, out var start, out var encodingName);
            var validator = encoding == null ? new Utf8Validator(start, throwAtOnce: true, name) : null;
            var stream = Guard(path, () => new CheckedStream(Open(path), path, size, validator, hash));
            try
            {
                var skip = new byte[start];
                var read = 0;
                int n;
                while (read < start && (n = stream.Read(skip, read, start - read)) > 0) read += n;
                return new ScriptTextReader(stream, path, name, encoding ?? new UTF8Encoding(false, true), encodingName);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        private static FileStream Open(string path) => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes);

        private static T Guard<T>(string path, Func<T> action)
        {
            try
            {
                return action();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw ScriptFileException.Unreadable(path, e);
            }
        }

        private static void Guard(string path, Action action) => Guard(path, () => { action(); return 0; });

        // The size check and the byte order mark: null for UTF-8 (start past its BOM), else the strict UTF-16 encoding.
        private static Encoding? Sniff(string path, string name, long maxBytes, out long size, out int start, out string encodingName)
        {
            var length = Guard(path, () => new FileInfo(path).Length);
            if (length > maxBytes)
                throw new ScriptFileException(path, $"has {length} bytes, more than the {maxBytes} an upgrade script may have.");
            size = length;
            var head = new byte[4];
            var got = Guard(path, () =>
            {
                using (var stream = Open(path))
                {
                    var read = 0;
                    int n;
                    while (read < head.Length && (n = stream.Read(head, read, head.Length - read)) > 0) read += n;
                    return read;
                }
            });
            var bytes = head.Take(got).ToArray();
            start = 0;
            encodingName = "UTF-8";
            if (StartsWith(bytes, 0xFF, 0xFE, 0x00, 0x00)) throw new ScriptFileException(name, Refused("a UTF-32 little-endian byte order mark"));
            if (StartsWith(bytes, 0x00, 0x00, 0xFE, 0xFF)) throw new ScriptFileException(name, Refused("a UTF-32 big-endian byte order mark"));
            if (StartsWith(bytes, 0xFF, 0xFE)) { start = 2; encodingName = "UTF-16 little-endian"; return new UnicodeEncoding(false, false, true); }
            if (StartsWith(bytes, 0xFE, 0xFF)) { start = 2; encodingName = "UTF-16 big-endian"; return new UnicodeEncoding(true, false, true); }
            if (StartsWith(bytes, 0xEF, 0xBB, 0xBF)) start = 3;
            return null;
        }

        /// <summary>Checks UTF-8 a chunk at a time, as <see cref="FirstInvalidUtf8"/> and Decode's NUL check do on the whole.</summary>
        private sealed class Utf8Validator
        {
            private readonly long _start;
            private readonly bool _throwAtOnce;
            private readonly string _name;
            private long _invalid = -1;
            private byte _invalidByte;
            private long _nul = -1;
            // An unfinished sequence: where it began, its lead byte, the continuation bytes still due, the code so far.
            private long _lead = -1;
            private byte _leadByte;
            private int _due, _code, _min;

            public Utf8Validator(long start, bool throwAtOnce, string name)
            {
                _start = start;
                _throwAtOnce = throwAtOnce;
                _name = name;
            }

            public void Feed(byte[] bytes, int offset, int count, long position)
            {
                for (var k = 0; k < count && _invalid < 0; k++)
                {
                    var at = position + k;
                    if (at < _start) continue;
                    var b = bytes[offset + k];
                    if (_due > 0)
                    {
                        if ((b & 0xC0) != 0x80) { Refuse(_lead, _leadByte); break; }
                        _code = (_code << 6) | (b & 0x3F);
                        if (--_due == 0 && (_code < _min || _code > 0x10FFFF || (_code >= 0xD800 && _code <= 0xDFFF))) Refuse(_lead, _leadByte);
                        continue;
                    }
                    if (b < 0x80)
                    {
                        if (b == 0 && _nul < 0)
                        {
                            _nul = at;
                            if (_throwAtOnce) ThrowIfRefused();
                        }
                        continue;
                    }
                    int length;
                    if (b >= 0xC2 && b <= 0xDF) { length = 2; _min = 0x80; }
                    else if (b >= 0xE0 && b <= 0xEF) { length = 3; _min = 0x800; }
                    else if (b >= 0xF0 && b <= 0xF4) { length = 4; _min = 0x10000; }
                    else { Refuse(at, b); break; }
                    _lead = at;
                    _leadByte = b;
                    _due = length - 1;
                    _code = b & (0xFF >> (length + 1));
                }
            }

            /// <summary>The end of the file: a sequence cut short there is invalid.</summary>
            public void End()
            {
                if (_due > 0 && _invalid < 0) Refuse(_lead, _leadByte);
            }

            private void Refuse(long at, byte b)
            {
                _invalid = at;
                _invalidByte = b;
                if (_throwAtOnce) ThrowIfRefused();
            }

            public void ThrowIfRefused()
            {
                if (_invalid >= 0)
                    throw new ScriptFileException(_name, Refused($"invalid UTF-8 at byte {_invalid} (0x{_invalidByte:X2}); it is in another encoding (such as GBK or Latin-1) or not text"));
                if (_nul >= 0)
                    throw new ScriptFileException(_name, Refused($"a NUL byte at byte {_nul}: UTF-16 or UTF-32 without a byte order mark, or not text"));
            }
        }

        /// <summary>A file's bytes as read: counted against its size (a device never ends), validated, hashed.</summary>
        private sealed class CheckedStream : Stream
        {
            private readonly Stream _inner;
            private readonly string _path;
            private readonly long _size;
            private readonly Utf8Validator? _validator;
            private readonly IncrementalHash? _hash;
            private long _position;
            private bool _ended;

            public CheckedStream(Stream inner, string path, long size, Utf8Validator? validator, IncrementalHash? hash)
            {
                _inner = inner;
                _path = path;
                _size = size;
                _validator = validator;
                _hash = hash;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                // One byte past the size tells a device (/dev/zero has size 0 and never ends) or a growing file from a script.
                var n = _inner.Read(buffer, offset, (int)Math.Min(count, _size + 1 - _position));
                if (n <= 0)
                {
                    if (!_ended)
                    {
                        _ended = true;
                        _validator?.End();
                    }
                    return 0;
                }
                if (_position + n > _size)
                    throw new ScriptFileException(_path, "yields more bytes than its size: it is not a regular file (a device or a pipe) or it is being written.");
                _validator?.Feed(buffer, offset, n, _position);
                _hash?.AppendData(buffer, offset, n);
                _position += n;
                return n;
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) _inner.Dispose();
                base.Dispose(disposing);
            }

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => _position; set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }

        /// <summary>Decodes strictly as it reads; a read or decoding problem is a <see cref="ScriptFileException"/> naming the file.</summary>
        private sealed class ScriptTextReader : TextReader
        {
            private readonly Stream _stream;
            private readonly string _path;
            private readonly string _name;
            private readonly string _encodingName;
            private readonly Decoder _decoder;
            private readonly byte[] _bytes = new byte[ChunkBytes];
            private readonly char[] _chars;
            private int _charPos, _charLen;
            private bool _eof;

            public ScriptTextReader(Stream stream, string path, string name, Encoding encoding, string encodingName)
            {
                _stream = stream;
                _path = path;
                _name = name;
                _encodingName = encodingName;
                _decoder = encoding.GetDecoder();
                _chars = new char[encoding.GetMaxCharCount(ChunkBytes) + 4];
            }

            private bool Fill()
            {
                while (_charPos == _charLen)
                {
                    if (_eof) return false;
                    int n;
                    try
                    {
                        n = _stream.Read(_bytes, 0, _bytes.Length);
                    }
                    catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                    {
                        throw ScriptFileException.Unreadable(_path, e);
                    }
                    try
                    {
                        _charLen = _decoder.GetChars(_bytes, 0, n, _chars, 0, flush: n == 0);
                    }
                    catch (DecoderFallbackException)
                    {
                        throw new ScriptFileException(_name, Refused(_encodingName == "UTF-8"
                            ? "bytes that are not UTF-8"
                            : $"a {_encodingName} byte order mark but bytes that are not {_encodingName} (an odd length or a broken surrogate pair)"));
                    }
                    _charPos = 0;
                    if (n == 0) _eof = true;
                }
                return true;
            }

            public override int Read(char[] buffer, int index, int count)
            {
                if (count == 0 || !Fill()) return 0;
                var n = Math.Min(count, _charLen - _charPos);
                Array.Copy(_chars, _charPos, buffer, index, n);
                _charPos += n;
                return n;
            }

            public override int Read() => Fill() ? _chars[_charPos++] : -1;

            public override int Peek() => Fill() ? _chars[_charPos] : -1;

            protected override void Dispose(bool disposing)
            {
                if (disposing) _stream.Dispose();
                base.Dispose(disposing);
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
