using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.ComputeNode
{
    /// <summary>What a local .tar.gz holds, read to the end before anything is uploaded, so a corrupt or wrong package changes nothing.</summary>
    public sealed class PackageContents
    {
        private PackageContents(string path, IReadOnlyList<string> topDirectories, IReadOnlyList<string> entries, long unpackedBytes, long blocks)
        {
            Path = path;
            TopDirectories = topDirectories;
            Entries = entries;
            UnpackedBytes = unpackedBytes;
            UnpackedBlocks = blocks;
        }

        public string Path { get; }

        /// <summary>The first path component of every entry, distinct, in archive order.</summary>
        public IReadOnlyList<string> TopDirectories { get; }

        /// <summary>Every entry path without a trailing slash.</summary>
        public IReadOnlyList<string> Entries { get; }

        /// <summary>The sum of file sizes.</summary>
        public long UnpackedBytes { get; }

        /// <summary>Bytes the extraction takes on disk, counting each entry in whole 4 KiB blocks.</summary>
        public long UnpackedBlocks { get; }

        public bool Contains(string entry) => Entries.Contains(entry.TrimEnd('/'), StringComparer.Ordinal);

        /// <summary>Reads the whole archive; throws <see cref="InvalidDataException"/> for a damaged or truncated one.</summary>
        public static PackageContents Read(string path)
        {
            var entries = new List<string>();
            var tops = new List<string>();
            long bytes = 0, blocks = 0;
            try
            {
                using var file = File.OpenRead(path);
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                var header = new byte[512];
                string? longName = null;
                var sawEnd = false;
                while (true)
                {
                    var read = ReadFully(gzip, header, 512);
                    if (read == 0) break;
                    if (read < 512) throw new InvalidDataException("the archive ends inside an entry header (truncated).");
                    if (header.All(b => b == 0)) { sawEnd = true; break; }
                    if (!ChecksumMatches(header)) throw new InvalidDataException($"an entry header has a wrong checksum after {entries.Count} entries (damaged).");
                    var type = (char)header[156];
                    var size = ParseOctal(header, 124, 12);
                    var name = longName ?? HeaderName(header);
                    longName = null;
                    var content = Skip(gzip, size, type == 'L' || type == 'x');
                    if (type == 'L') { longName = Encoding.UTF8.GetString(content!).TrimEnd('\0'); continue; }
                    if (type == 'x' || type == 'g')
                    {
                        var paxPath = PaxPath(content!);
                        if (paxPath != null && type == 'x') longName = paxPath;
                        continue;
                    }
                    var clean = name.StartsWith("./", StringComparison.Ordinal) ? name.Substring(2) : name;
                    clean = clean.TrimEnd('/');
                    if (clean.Length == 0) continue;
                    entries.Add(clean);
                    var top = clean.Split('/')[0];
                    if (!tops.Contains(top)) tops.Add(top);
                    bytes += size;
                    blocks += 4096 * Math.Max(1, (size + 4095) / 4096);
                }
                if (!sawEnd) throw new InvalidDataException("the archive has no end-of-archive marker (truncated).");
            }
            catch (EndOfStreamException e) { throw new InvalidDataException("the archive ends inside an entry (truncated).", e); }
            catch (InvalidDataException e) when (!e.Message.StartsWith("the archive", StringComparison.Ordinal) && !e.Message.StartsWith("an entry", StringComparison.Ordinal))
            {
                throw new InvalidDataException("the gzip stream is damaged: " + e.Message, e);
            }
            return new PackageContents(path, tops, entries, bytes, blocks);
        }

        private static int ReadFully(Stream stream, byte[] buffer, int count)
        {
            var total = 0;
            while (total < count)
            {
                var n = stream.Read(buffer, total, count - total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }

        // Reads (when wanted) or skips an entry's data and its padding to 512 bytes.
        private static byte[]? Skip(Stream stream, long size, bool keep)
        {
            var padded = (size + 511) / 512 * 512;
            var kept = keep ? new MemoryStream() : null;
            var buffer = new byte[81920];
            var left = padded;
            var dataLeft = size;
            while (left > 0)
            {
                var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw new EndOfStreamException();
                if (kept != null && dataLeft > 0) kept.Write(buffer, 0, (int)Math.Min(n, dataLeft));
                dataLeft -= n;
                left -= n;
            }
            return kept?.ToArray();
        }

        private static string HeaderName(byte[] header)
        {
            var name = CString(header, 0, 100);
            var magic = CString(header, 257, 6);
            if (magic.StartsWith("ustar", StringComparison.Ordinal))
            {
                var prefix = CString(header, 345, 155);
                if (prefix.Length > 0) name = prefix + "/" + name;
            }
            return name;
        }

        private static string CString(byte[] buffer, int offset, int length)
        {
            var end = offset;
            while (end < offset + length && buffer[end] != 0) end++;
            return Encoding.UTF8.GetString(buffer, offset, end - offset);
        }

        private static long ParseOctal(byte[] buffer, int offset, int length)
        {
            if ((buffer[offset] & 0x80) != 0)
            {
                long big = 0;
                for (var i = offset + 1; i < offset + length; i++) big = (big << 8) | buffer[i];
                return big;
            }
            long value = 0;
            for (var i = offset; i < offset + length; i++)
            {
                var c = buffer[i];
                if (c == 0 || c == (byte)' ') { if (value > 0 || i > offset) break; continue; }
                if (c < (byte)'0' || c > (byte)'7') throw new InvalidDataException("an entry header has a malformed size (damaged).");
                value = value * 8 + (c - '0');
            }
            return value;
        }

        private static bool ChecksumMatches(byte[] header)
        {
            long expected;
            try { expected = ParseOctal(header, 148, 8); }
            catch (InvalidDataException) { return false; }
            long sum = 0;
            for (var i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? (byte)' ' : header[i];
            return sum == expected;
        }

        private static string? PaxPath(byte[] content)
        {
            foreach (var record in Encoding.UTF8.GetString(content).Split('\n'))
            {
                var space = record.IndexOf(' ');
                if (space < 0) continue;
                var pair = record.Substring(space + 1);
                if (pair.StartsWith("path=", StringComparison.Ordinal)) return pair.Substring(5);
            }
            return null;
        }
    }
}
