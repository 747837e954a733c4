using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Checks
{
    /// <summary>
    /// Test-HotDbSession: SS1 connected (a command runs), SS2 host key verified against known_hosts, SS3 elevation
    /// (root, or sudo without a prompt), SS4 the tools the upgrade runs, SS5 a HotDB Server install. Read-only.
    /// </summary>
    public static class SessionChecks
    {
        /// <summary>What the upgrade runs on a host besides the vendor's scripts.</summary>
        public static readonly IReadOnlyList<string> RequiredTools = new[] { "sh", "bash", "tar", "gzip", "sha256sum", "df", "timeout", "mktemp", "mv", "cp", "chown" };

        public static IReadOnlyList<HotDbCheck> Run(SshSession session, string installPath, CancellationToken cancellationToken = default)
        {
            if (session is null) throw new ArgumentNullException(nameof(session));
            var host = session.ComputerName;
            var checks = new List<HotDbCheck>();
            string echo;
            bool connected;
            try
            {
                var result = session.Run("echo hotdb-check", timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
                connected = result.Succeeded && result.StandardOutput.Trim() == "hotdb-check";
                echo = connected ? $"connected as {session.UserName} on port {session.Port}" : $"a command failed: exit {result.ExitCode} {result.StandardError.Trim()}";
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                connected = false;
                echo = e.Message;
            }
            checks.Add(HotDbCheck.Result("SS1", "Connected (a command runs)", host, connected, "the session is open and runs a command", echo,
                "Open a new session with New-HotDbSession (check the network, sshd and the login)."));

            var keyTrusted = session.HostKeyStatus == HostKeyStatus.Trusted;
            checks.Add(HotDbCheck.Result("SS2", "Host key verified (known_hosts)", host, keyTrusted, "the host key is recorded in known_hosts (Trusted)",
                $"{session.HostKeyStatus} {session.HostKeyType} {session.HostKeyFingerprint}",
                "Compare the fingerprint with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the console), then open the session with -AcceptKey once."));

            if (!connected)
            {
                const string why = "not checked: the session runs no command (SS1)";
                checks.Add(HotDbCheck.NotVerified("SS3", "Elevation (root or sudo without a prompt)", host, "privileged commands run as root", why, "Fix SS1 first."));
                checks.Add(HotDbCheck.NotVerified("SS4", "Required tools", host, string.Join(", ", RequiredTools), why, "Fix SS1 first."));
                checks.Add(HotDbCheck.NotVerified("SS5", "HotDB Server installed", host, "a HotDB Server install in " + installPath, why, "Fix SS1 first."));
                return checks;
            }

            checks.Add(Elevation(session, cancellationToken));
            checks.Add(Tools(session, cancellationToken));
            checks.Add(Installed(session, installPath, cancellationToken));
            return checks;
        }

        private static HotDbCheck Elevation(SshSession session, CancellationToken cancellationToken)
        {
            const string name = "Elevation (root or sudo without a prompt)";
            const string expected = "privileged commands run as root (uid 0)";
            if (!session.IsRoot && session.Elevation == ElevationMethod.None)
                return HotDbCheck.Result("SS3", name, session.ComputerName, false, expected, $"{session.UserName} is not root and the session has no elevation",
                    "Log in as root, or open the session with -Elevation Sudo (and -SudoCredential when sudo asks for a password).");
            try
            {
                var result = session.Run("id -u", elevate: !session.IsRoot, timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
                var uid = result.StandardOutput.Trim();
                var passed = result.Succeeded && uid == "0";
                return HotDbCheck.Result("SS3", name, session.ComputerName, passed, expected,
                    passed ? (session.IsRoot ? "root login" : $"sudo as {session.UserName}: uid 0") : $"id -u {(session.IsRoot ? "" : "through sudo ")}gave '{uid}' (exit {result.ExitCode}) {result.StandardError.Trim()}".TrimEnd(),
                    "Allow the login user sudo for the upgrade's commands (or give -SudoCredential), or log in as root.");
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return HotDbCheck.Result("SS3", name, session.ComputerName, false, expected, e.Message, "Allow the login user sudo, or log in as root.");
            }
        }

        private static HotDbCheck Tools(SshSession session, CancellationToken cancellationToken)
        {
            var line = "for t in " + string.Join(" ", RequiredTools.Select(ShellQuote.Quote)) + "; do command -v \"$t\" >/dev/null 2>&1 || echo \"$t\"; done";
            var expected = "on the PATH: " + string.Join(", ", RequiredTools);
            try
            {
                var result = session.Run(line, timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
                var missing = result.StandardOutput.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
                var passed = result.Succeeded && missing.Count == 0;
                return HotDbCheck.Result("SS4", "Required tools", session.ComputerName, passed, expected,
                    passed ? "all present" : missing.Count > 0 ? "missing: " + string.Join(", ", missing) : $"the probe failed: {result.StandardError.Trim()}",
                    "Install the missing tools with the host's package manager (coreutils, tar, gzip, bash).");
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return HotDbCheck.Result("SS4", "Required tools", session.ComputerName, false, expected, e.Message, "Check the session (SS1) and run the test again.");
            }
        }

        private static HotDbCheck Installed(SshSession session, string installPath, CancellationToken cancellationToken)
        {
            const string name = "HotDB Server installed";
            var expected = "a HotDB Server install in " + installPath;
            const string remedy = "Give the install directory with -InstallPath (default /usr/local/hotdb/hotdb-server), or test a host that runs HotDB Server.";
            try
            {
                var node = ComputeNodeReader.Read(session, installPath, cancellationToken);
                var passed = node.Installed && node.Version != null;
                return HotDbCheck.Result("SS5", name, session.ComputerName, passed, expected,
                    passed ? $"HotDB Server {node.Version} in {node.InstallPath} ({(node.Running ? "running" : "stopped")})"
                        : node.Installed ? $"{node.InstallPath} holds no readable version (lib/hotdb-server-<version>.jar)" : $"no HotDB Server install in {node.InstallPath}",
                    remedy);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return HotDbCheck.Result("SS5", name, session.ComputerName, false, expected, e.Message, remedy);
            }
        }
    }
}
