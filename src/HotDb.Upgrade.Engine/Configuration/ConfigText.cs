using System;
using System.Text;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// File bytes to text and back without changing a byte: strict UTF-8, the BOM remembered and restored.
    /// Line endings are left inside the text untouched.
    /// </summary>
    public sealed class ConfigText
    {
        private static readonly byte[] Bom = { 0xEF, 0xBB, 0xBF };
        private static readonly UTF8Encoding Strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        private ConfigText(string text, bool hasBom)
        {
            Text = text;
            HasBom = hasBom;
        }

        public string Text { get; }
        public bool HasBom { get; }

        /// <summary>Decodes a file; anything that is not UTF-8 (or ASCII) is refused rather than re-encoded lossily.</summary>
        public static ConfigText Decode(byte[] bytes, string file)
        {
            if (bytes is null) throw new ArgumentNullException(nameof(bytes));
            var bom = bytes.Length >= 3 && bytes[0] == Bom[0] && bytes[1] == Bom[1] && bytes[2] == Bom[2];
            if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
                throw new ConfigFormatException(file, "is UTF-16; only UTF-8 configuration files can be merged without changing their encoding.");
            try
            {
                var offset = bom ? 3 : 0;
                return new ConfigText(Strict.GetString(bytes, offset, bytes.Length - offset), bom);
            }
            catch (DecoderFallbackException e)
            {
                throw new ConfigFormatException(file, "is not valid UTF-8; merge it by hand or convert it to UTF-8 first.", e);
            }
        }

        public ConfigText WithText(string text) => new ConfigText(text, HasBom);

        public byte[] Encode()
        {
            var body = Strict.GetBytes(Text);
            if (!HasBom) return body;
            var bytes = new byte[body.Length + 3];
            Array.Copy(Bom, bytes, 3);
            Array.Copy(body, 0, bytes, 3, body.Length);
            return bytes;
        }

        /// <summary>The newline the file uses most, so inserted lines match it.</summary>
        internal static string NewlineOf(string text)
        {
            var crlf = 0;
            var lf = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] != '\n') continue;
                if (i > 0 && text[i - 1] == '\r') crlf++;
                else lf++;
            }
            return crlf > lf ? "\r\n" : "\n";
        }
    }
}
