using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace HotDb.Upgrade.Remote
{
    /// <summary>The marker at the start of a known_hosts line.</summary>
    public enum KnownHostMarker
    {
        None,
        /// <summary>@cert-authority: a CA key for host certificates (not used to trust a plain host key).</summary>
        CertAuthority,
        /// <summary>@revoked: this key must never be accepted.</summary>
        Revoked,
    }

    /// <summary>What a known_hosts file says about the key a host presented.</summary>
    public enum HostKeyStatus
    {
        /// <summary>The key is recorded for this host.</summary>
        Trusted,
        /// <summary>No key of this type is recorded for this host.</summary>
        Unknown,
        /// <summary>A different key of the same type is recorded for this host: possibly a man-in-the-middle.</summary>
        Changed,
        /// <summary>The key is marked @revoked.</summary>
        Revoked,
    }

    /// <summary>One key line of an OpenSSH known_hosts file.</summary>
    public sealed class KnownHostEntry
    {
        internal KnownHostEntry(int lineNumber, KnownHostMarker marker, string hosts, string keyType, byte[] key, string? comment)
        {
            LineNumber = lineNumber;
            Marker = marker;
            Hosts = hosts;
            KeyType = keyType;
            Key = key;
            Comment = comment;
        }

        public int LineNumber { get; }
        public KnownHostMarker Marker { get; }

        /// <summary>The host field as written: comma-separated patterns, or one hashed <c>|1|salt|hmac</c> entry.</summary>
        public string Hosts { get; }

        public bool IsHashed => Hosts.StartsWith("|1|", StringComparison.Ordinal);
        public string KeyType { get; }
        public byte[] Key { get; }
        public string? Comment { get; }
        public string Fingerprint => SshFingerprint.Sha256(Key);

        /// <summary>Whether this line applies to a host token (<c>host</c>, or <c>[host]:port</c> for a port other than 22).</summary>
        public bool Matches(string hostToken)
        {
            if (IsHashed) return HashedMatches(Hosts, hostToken);
            var matched = false;
            foreach (var pattern in Hosts.Split(','))
            {
                if (pattern.Length == 0) continue;
                var negated = pattern[0] == '!';
                if (!WildcardMatches(negated ? pattern.Substring(1) : pattern, hostToken)) continue;
                if (negated) return false; // a matching negation excludes the host whatever else matches
                matched = true;
            }
            return matched;
        }

        private static bool HashedMatches(string hashed, string hostToken)
        {
            var parts = hashed.Split('|'); // "", "1", salt, hmac
            if (parts.Length != 4) return false;
            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var expected = Convert.FromBase64String(parts[3]);
                using var hmac = new HMACSHA1(salt);
                var actual = hmac.ComputeHash(Encoding.UTF8.GetBytes(hostToken.ToLowerInvariant()));
                return actual.SequenceEqual(expected);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        // OpenSSH host patterns: '*' any run, '?' one character, case-insensitive.
        internal static bool WildcardMatches(string pattern, string text)
        {
            int p = 0, t = 0, star = -1, mark = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t]))) { p++; t++; }
                else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
                else if (star >= 0) { p = star + 1; t = ++mark; }
                else return false;
            }
            while (p < pattern.Length && pattern[p] == '*') p++;
            return p == pattern.Length;
        }
    }

    /// <summary>The outcome of checking a presented host key against known_hosts.</summary>
    public sealed class HostKeyCheck
    {
        internal HostKeyCheck(HostKeyStatus status, string hostToken, string keyType, string fingerprint, IReadOnlyList<string> expectedFingerprints, string? knownHostsPath)
        {
            Status = status;
            HostToken = hostToken;
            KeyType = keyType;
            Fingerprint = fingerprint;
            ExpectedFingerprints = expectedFingerprints;
            KnownHostsPath = knownHostsPath;
        }

        public HostKeyStatus Status { get; }

        /// <summary>The name looked up: <c>host</c>, or <c>[host]:port</c> for a port other than 22.</summary>
        public string HostToken { get; }

        public string KeyType { get; }

        /// <summary>The presented key's fingerprint, OpenSSH's <c>SHA256:...</c> form.</summary>
        public string Fingerprint { get; }

        /// <summary>Fingerprints recorded for this host and key type (for a changed key: what was expected).</summary>
        public IReadOnlyList<string> ExpectedFingerprints { get; }

        public string? KnownHostsPath { get; }
    }

    /// <summary>An OpenSSH known_hosts file: plain and hashed entries, <c>[host]:port</c>, markers and comments.</summary>
    public sealed class KnownHostsFile
    {
        private KnownHostsFile(IReadOnlyList<KnownHostEntry> entries, string? path)
        {
            Entries = entries;
            Path = path;
        }

        public IReadOnlyList<KnownHostEntry> Entries { get; }
        public string? Path { get; }

        /// <summary>The default location, <c>~/.ssh/known_hosts</c>.</summary>
        public static string DefaultPath =>
            System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

        /// <summary>Reads a file; a missing file has no entries (every key is unknown).</summary>
        public static KnownHostsFile Load(string path) =>
            File.Exists(path) ? Parse(File.ReadAllText(path), path) : new KnownHostsFile(Array.Empty<KnownHostEntry>(), path);

        /// <summary>Parses known_hosts text. Lines that are not valid entries are skipped, as OpenSSH does.</summary>
        public static KnownHostsFile Parse(string text, string? path = null)
        {
            var entries = new List<KnownHostEntry>();
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                var fields = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                var marker = KnownHostMarker.None;
                var first = 0;
                if (fields.Length > 0 && fields[0].StartsWith("@", StringComparison.Ordinal))
                {
                    if (string.Equals(fields[0], "@cert-authority", StringComparison.OrdinalIgnoreCase)) marker = KnownHostMarker.CertAuthority;
                    else if (string.Equals(fields[0], "@revoked", StringComparison.OrdinalIgnoreCase)) marker = KnownHostMarker.Revoked;
                    else continue; // unknown marker: ignore the line rather than trust it
                    first = 1;
                }
                if (fields.Length < first + 3) continue;
                byte[] key;
                try { key = Convert.FromBase64String(fields[first + 2]); }
                catch (FormatException) { continue; }
                var keyType = fields[first + 1];
                if (!string.Equals(SshFingerprint.KeyTypeOf(key), keyType, StringComparison.Ordinal)) continue;
                var comment = fields.Length > first + 3 ? string.Join(" ", fields.Skip(first + 3)) : null;
                entries.Add(new KnownHostEntry(i + 1, marker, fields[first], keyType, key, comment));
            }
            return new KnownHostsFile(entries, path);
        }

        /// <summary>How OpenSSH names a host in known_hosts: the plain name on port 22, <c>[host]:port</c> otherwise.</summary>
        public static string HostToken(string computerName, int port) =>
            port == 22 ? computerName.ToLowerInvariant() : $"[{computerName.ToLowerInvariant()}]:{port}";

        /// <summary>Key types recorded (not revoked, not CA) for a host; empty when the host is unknown.</summary>
        public IReadOnlyCollection<string> KnownKeyTypes(string computerName, int port)
        {
            var token = HostToken(computerName, port);
            return new HashSet<string>(Entries.Where(e => e.Marker == KnownHostMarker.None && e.Matches(token)).Select(e => e.KeyType), StringComparer.Ordinal);
        }

        /// <summary>Checks the key blob a host presented.</summary>
        public HostKeyCheck Verify(string computerName, int port, byte[] key)
        {
            var token = HostToken(computerName, port);
            var keyType = SshFingerprint.KeyTypeOf(key) ?? "unknown";
            var fingerprint = SshFingerprint.Sha256(key);
            var applicable = Entries.Where(e => e.Matches(token)).ToList();
            var sameType = applicable.Where(e => e.Marker == KnownHostMarker.None && e.KeyType == keyType).ToList();
            var expected = sameType.Select(e => e.Fingerprint).Distinct().ToList();

            HostKeyStatus status;
            if (applicable.Any(e => e.Marker == KnownHostMarker.Revoked && e.Key.SequenceEqual(key))) status = HostKeyStatus.Revoked;
            else if (sameType.Any(e => e.Key.SequenceEqual(key))) status = HostKeyStatus.Trusted;
            else if (sameType.Count > 0) status = HostKeyStatus.Changed;
            else status = HostKeyStatus.Unknown;
            return new HostKeyCheck(status, token, keyType, fingerprint, expected, Path);
        }

        /// <summary>One known_hosts line for a host key, in OpenSSH's plain form.</summary>
        public static string FormatEntry(string computerName, int port, byte[] key) =>
            $"{HostToken(computerName, port)} {SshFingerprint.KeyTypeOf(key)} {Convert.ToBase64String(key)}";

        /// <summary>Appends a host key, creating the file (mode 0600) and its folder (0700) when missing.</summary>
        public static void Append(string path, string computerName, int port, byte[] key)
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory);
                PrivateFile.Restrict(directory, 0x1C0 /* 0700 */);
            }
            var isNew = !File.Exists(path);
            var prefix = !isNew && new FileInfo(path).Length > 0 && !EndsWithNewline(path) ? "\n" : "";
            using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                if (isNew) PrivateFile.Restrict(path, 0x180 /* 0600 */);
                var bytes = Encoding.UTF8.GetBytes(prefix + FormatEntry(computerName, port, key) + "\n");
                stream.Write(bytes, 0, bytes.Length);
            }
        }

        private static bool EndsWithNewline(string path)
        {
            using var stream = File.OpenRead(path);
            stream.Seek(-1, SeekOrigin.End);
            return stream.ReadByte() == '\n';
        }
    }

    /// <summary>SSH public key blobs: type and fingerprint.</summary>
    public static class SshFingerprint
    {
        /// <summary>OpenSSH's <c>SHA256:base64</c> fingerprint (no padding), as <c>ssh-keygen -l</c> prints it.</summary>
        public static string Sha256(byte[] key)
        {
            using var sha = SHA256.Create();
            return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(key)).TrimEnd('=');
        }

        /// <summary>The key type named at the start of a public key blob (e.g. <c>ssh-ed25519</c>), or null.</summary>
        public static string? KeyTypeOf(byte[] key)
        {
            if (key.Length < 4) return null;
            var length = (key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3];
            if (length <= 0 || length > key.Length - 4 || length > 64) return null;
            return Encoding.ASCII.GetString(key, 4, length);
        }
    }
}
