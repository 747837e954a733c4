using System;
using System.Text;
using System.Text.RegularExpressions;

namespace HotDb.Upgrade.Remote
{
    /// <summary>Says why a private key could not be used: a folder, a public key, a passphrase missing or wrong.</summary>
    public static class KeyFileProblems
    {
        private const string ErrorId = "SessionOptionsInvalid";

        public static HotDbException Directory(string path) =>
            new HotDbException(ErrorId, "InvalidArgument", $"The key file '{path}' is a directory, not a private key file.",
                "Give the private key file itself, e.g. ~/.ssh/id_ed25519 (not its folder).", path);

        /// <summary>The error for a key SSH.NET refused, from the key's text (empty when it could not be read).</summary>
        public static HotDbException Unreadable(string text, string? path, bool passphraseGiven, Exception cause)
        {
            var name = path != null ? $"The key file '{path}'" : "The key string";
            switch (Classify(text))
            {
                case KeyKind.Public:
                    var advice = path != null && path.EndsWith(".pub", StringComparison.OrdinalIgnoreCase)
                        ? $"Give the private key, e.g. '{path.Substring(0, path.Length - 4)}' (the file without .pub)."
                        : "Give the private key (the file without .pub), not the public key.";
                    return new HotDbException(ErrorId, "InvalidArgument", $"{name} holds a public key (.pub), not the private key.", advice, path, cause);
                case KeyKind.Encrypted when passphraseGiven:
                    return new HotDbException(ErrorId, "AuthenticationError", $"{name} is protected by a passphrase and the passphrase given is wrong: {cause.Message}",
                        "Give the key's passphrase as the credential's password (check it with ssh-keygen -y -f <key>).", path, cause);
                case KeyKind.Encrypted:
                    return new HotDbException(ErrorId, "InvalidArgument", $"{name} is protected by a passphrase and none was given.",
                        "Give the key's passphrase as the credential's password.", path, cause);
                default:
                    return new HotDbException(ErrorId, "InvalidArgument", $"The private key could not be read: {cause.Message}",
                        "Give the private key (not the .pub file); a key protected by a passphrase needs the passphrase as the credential's password.", path, cause);
            }
        }

        internal enum KeyKind { Unknown, Public, Encrypted, Plain }

        private static readonly Regex PublicLine = new Regex(@"^\s*(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-\S+)\s+[A-Za-z0-9+/=]+", RegexOptions.CultureInvariant);

        internal static KeyKind Classify(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) return KeyKind.Unknown;
            if (PublicLine.IsMatch(text) || text.Contains("---- BEGIN SSH2 PUBLIC KEY ----")) return KeyKind.Public;
            if (text.Contains("ENCRYPTED") || text.Contains("Proc-Type: 4,ENCRYPTED")) return KeyKind.Encrypted;
            var match = Regex.Match(text, "-----BEGIN OPENSSH PRIVATE KEY-----(.*?)-----END OPENSSH PRIVATE KEY-----", RegexOptions.Singleline);
            if (!match.Success) return KeyKind.Unknown;
            try
            {
                var bytes = Convert.FromBase64String(Regex.Replace(match.Groups[1].Value, @"\s", ""));
                var magic = Encoding.ASCII.GetBytes("openssh-key-v1\0");
                if (bytes.Length < magic.Length + 4) return KeyKind.Unknown;
                for (var i = 0; i < magic.Length; i++) if (bytes[i] != magic[i]) return KeyKind.Unknown;
                var at = magic.Length;
                var length = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
                if (length < 0 || at + 4 + length > bytes.Length) return KeyKind.Unknown;
                var cipher = Encoding.ASCII.GetString(bytes, at + 4, length);
                return cipher == "none" ? KeyKind.Plain : KeyKind.Encrypted;
            }
            catch (FormatException)
            {
                return KeyKind.Unknown;
            }
        }
    }
}
