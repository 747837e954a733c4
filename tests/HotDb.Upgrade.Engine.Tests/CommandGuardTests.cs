using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>
    /// The guard every SSH command runs under, run here by a real /bin/sh with a pipe as its stdin, the way sshd runs it
    /// with the channel as stdin: closing the pipe plays the part of a closed channel.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class CommandGuardTests
    {
        private static Process StartGuarded(string line)
        {
            var start = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "-c", SshSession.Guard, "hotdb-guard", "/bin/sh", line }) start.ArgumentList.Add(argument);
            return Process.Start(start)!;
        }

        private static bool Running(string pattern)
        {
            var start = new ProcessStartInfo("pgrep") { RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(pattern);
            using var pgrep = Process.Start(start)!;
            pgrep.StandardOutput.ReadToEnd();
            pgrep.WaitForExit();
            return pgrep.ExitCode == 0;
        }

        private static bool Eventually(Func<bool> condition)
        {
            for (var i = 0; i < 100; i++)
            {
                if (condition()) return true;
                Thread.Sleep(100);
            }
            return condition();
        }

        [Fact]
        public void PassesOutputAndExitCodeWhileTheChannelStaysOpen()
        {
            using var guard = StartGuarded("echo out; echo err >&2; exit 7");
            Assert.True(guard.WaitForExit(10000));
            Assert.Equal((7, "out\n", "err\n"), (guard.ExitCode, guard.StandardOutput.ReadToEnd(), guard.StandardError.ReadToEnd()));
        }

        [Fact]
        public void TheLineReadsEndOfFileNotTheChannel()
        {
            // The channel's stdin carries the sudo password and is never closed while the line runs: cat must not see it.
            using var guard = StartGuarded("cat; echo done");
            guard.StandardInput.WriteLine("secret-on-the-channel");
            guard.StandardInput.Flush();
            Assert.True(guard.WaitForExit(10000), "cat waited for input");
            Assert.Equal("done\n", guard.StandardOutput.ReadToEnd());
            Assert.Equal(0, guard.ExitCode);
        }

        [Fact]
        public void AClosedChannelKillsEveryProcessTheLineStarted()
        {
            // A duration no other process uses names this test's processes (about 40 days: never reached).
            var marker = "sleep 3" + new Random().Next(100000, 999999) + ".5";
            // A background child with its own child, and a foreground one: all must go.
            using var guard = StartGuarded($"sh -c '{marker}; :' & {marker}; wait");
            Assert.True(Eventually(() => Running("^" + marker)), "the line did not start");
            guard.StandardInput.Close();
            Assert.True(guard.WaitForExit(10000), "the guard did not end");
            Assert.True(Eventually(() => !Running(marker)), "a process of the line is still running");
        }
    }
}
