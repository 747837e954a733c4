using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Ha
{
    /// <summary>keepalived through the host's service command (as root), waiting for the process to match.</summary>
    internal static class KeepalivedService
    {
        private const string Processes = "for p in $(grep -l -x -F keepalived /proc/[0-9]*/comm 2>/dev/null); do p=${p%/comm}; echo \"${p#/proc/}\"; done; true";
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

        public static bool IsRunning(IRemoteHost host, CancellationToken cancellationToken) =>
            host.Run(ShellQuote.Join("sh", "-c", Processes), timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken).StandardOutput.Trim().Length > 0;

        /// <summary>Runs service keepalived start, stop or reload; start and stop wait until the process runs or is gone.</summary>
        public static void Run(IRemoteHost host, string action, CancellationToken cancellationToken)
        {
            var result = host.Run(ShellQuote.Join("service", "keepalived", action) + " 2>&1", elevate: true, timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            if (!result.Succeeded)
                throw new IOException($"{host.ComputerName}: service keepalived {action} exited with {result.ExitCode}: {(result.StandardOutput + result.StandardError).Trim()}");
            if (action == "reload") return;
            var watch = Stopwatch.StartNew();
            while (IsRunning(host, cancellationToken) != (action == "start"))
            {
                if (watch.Elapsed > Wait)
                    throw new IOException($"{host.ComputerName}: keepalived is {(action == "start" ? "not running" : "still running")} {Wait.TotalSeconds:0} s after service keepalived {action}; see its log (/var/log/messages or journalctl -u keepalived).");
                if (cancellationToken.WaitHandle.WaitOne(500)) cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }
}
