using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>Every hostile string is run through real shells; the bytes that arrive must be the bytes sent.</summary>
    public class ShellQuoteTests
    {
        private const string CanaryName = "hotdb-quote-canary";

        public static readonly string[] Hostile =
        {
            "", " ", "two words", "  leading and trailing  ", "it's", "'", "''", "\"", "\"double\" and 'single'",
            "$(touch " + CanaryName + ")", "`touch " + CanaryName + "`", "${HOME}", "$HOME", "$0", "$@", "$((1+1))",
            "; touch " + CanaryName, "a && touch " + CanaryName, "a || touch " + CanaryName, "a | touch " + CanaryName,
            "a & touch " + CanaryName, "line1\ntouch " + CanaryName, "tab\there", "cr\rhere", "*", "?", "[a-z]*", "~", "~root",
            "-n", "-e", "--", "-rf /", "--help", "\\", "\\n", "a\\'b", "!", "!!", "#comment", "a#b", "{a,b}", "<in", ">out",
            "2>&1", "%s", "日本語 テキスト", "Ünïcödé", "emoji 🚀", "\u00a0nbsp", "=", "a=b", "plain", "/usr/local/hotdb",
            "user@host:2222", "'$(touch " + CanaryName + ")'", "\"$(touch " + CanaryName + ")\"", "\u001b[31mred",
        };

        public static IEnumerable<object[]> Shells() =>
            new[] { "/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/bash", "/usr/bin/dash" }
                .Where(File.Exists)
                .Select(path => Path.GetFileName(path))
                .Distinct()
                .Select(name => new object[] { name });

        [Theory]
        [MemberData(nameof(Shells))]
        public void Hostile_strings_arrive_byte_for_byte_and_execute_nothing(string shellName)
        {
            if (OperatingSystem.IsWindows()) return;
            var shell = File.Exists("/bin/" + shellName) ? "/bin/" + shellName : "/usr/bin/" + shellName;
            var workDirectory = Directory.CreateTempSubdirectory("hotdb-quote-");
            try
            {
                var line = ShellQuote.Join(new[] { "printf", "%s\\0" }.Concat(Hostile));
                var output = RunShell(shell, line, workDirectory.FullName);
                var arrived = output.Split('\0');
                Assert.Equal("", arrived[^1]); // each value ends with NUL
                Assert.Equal(Hostile, arrived[..^1]);
                Assert.False(File.Exists(Path.Combine(workDirectory.FullName, CanaryName)), "a quoted value was executed");
                Assert.Empty(Directory.GetFileSystemEntries(workDirectory.FullName)); // no redirection created a file
            }
            finally
            {
                workDirectory.Delete(recursive: true);
            }
        }

        [Fact]
        public void Plain_words_stay_readable_and_everything_else_is_single_quoted()
        {
            Assert.Equal("/usr/local/hotdb", ShellQuote.Quote("/usr/local/hotdb"));
            Assert.Equal("-rf", ShellQuote.Quote("-rf"));
            Assert.Equal("''", ShellQuote.Quote(""));
            Assert.Equal("'it'\\''s'", ShellQuote.Quote("it's"));
            Assert.Equal("'~'", ShellQuote.Quote("~"));
            Assert.Equal("sha256sum -- 'a b'", ShellQuote.Join("sha256sum", "--", "a b"));
        }

        [Fact]
        public void A_nul_character_is_refused()
        {
            var error = Assert.Throws<ArgumentException>(() => ShellQuote.Quote("a\0b"));
            Assert.Contains("NUL", error.Message);
            Assert.Throws<ArgumentNullException>(() => ShellQuote.Quote(null!));
        }

        private static string RunShell(string shell, string line, string workingDirectory)
        {
            var start = new ProcessStartInfo(shell)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = new UTF8Encoding(false),
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(line);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{shell} failed ({process.ExitCode}): {error}");
            return output;
        }

        [Fact]
        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public void A_probe_writes_its_whole_output_once_and_keeps_its_exit_status()
        {
            // Case patterns (an unbalanced ')') and hostile arguments pass through; the status of the script is kept.
            var script = "for a; do case \"$a\" in x*) echo \"x: $a\" ;; *) /bin/echo \"other: $a\" ;; esac; done; exit 3";
            var result = new LocalHost().Run(ShellQuote.Probe(script, "probe", "x1", "it's $(id)", "y"));
            Assert.Equal(3, result.ExitCode);
            Assert.Equal("x: x1\nother: it's $(id)\nother: y\n", result.StandardOutput);
        }
    }
}
