using System;
using System.Collections.Generic;
using System.Linq;

namespace HotDb.Upgrade.Remote
{
    /// <summary>
    /// The one way to put a value into a remote POSIX shell line. Every argument is single-quoted,
    /// so nothing in it ($(), backticks, ;, newlines, globs, leading dashes as words) is interpreted.
    /// </summary>
    public static class ShellQuote
    {
        /// <summary>Quotes one argument; a value that is a plain word is left readable.</summary>
        public static string Quote(string value)
        {
            if (value is null) throw new ArgumentNullException(nameof(value));
            if (value.IndexOf('\0') >= 0)
                throw new ArgumentException("A shell argument cannot contain a NUL character.", nameof(value));
            if (value.Length > 0 && value.All(IsPlain)) return value;
            return "'" + value.Replace("'", "'\\''") + "'";
        }

        /// <summary>A command line from a program and its arguments, each quoted.</summary>
        public static string Join(params string[] words) => Join((IEnumerable<string>)words);

        public static string Join(IEnumerable<string> words) => string.Join(" ", words.Select(Quote));

        // Characters that mean nothing to sh, bash or dash anywhere in a word.
        private static bool IsPlain(char c) =>
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-' || c == '.' || c == '/' || c == ',' || c == ':' || c == '@' || c == '+' || c == '%';
    }
}
