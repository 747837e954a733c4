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

        /// <summary>
        /// <c>sh -c</c> of a read-only probe script (its arguments quoted) whose whole output is written at once when it
        /// ends, with its exit status kept. Each separate write of a remote process travels as its own SSH packet and the
        /// client pays for every one: a probe forking fifty commands cost ten times the client CPU of a single write.
        /// </summary>
        public static string Probe(string script, string name, IEnumerable<string> arguments)
        {
            if (script is null) throw new ArgumentNullException(nameof(script));
            // A function, not the script inside $( ): case patterns' unbalanced ')' confuse some shells there.
            var buffered = "hotdb_probe() {\n" + script + "\n}\nhotdb_output=$(hotdb_probe \"$@\"); hotdb_status=$?\nprintf '%s\\n' \"$hotdb_output\"; exit $hotdb_status";
            return Join(new[] { "sh", "-c", buffered, name }.Concat(arguments));
        }

        public static string Probe(string script, string name, params string[] arguments) => Probe(script, name, (IEnumerable<string>)arguments);

        // Characters that mean nothing to sh, bash or dash anywhere in a word.
        private static bool IsPlain(char c) =>
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-' || c == '.' || c == '/' || c == ',' || c == ':' || c == '@' || c == '+' || c == '%';
    }
}
