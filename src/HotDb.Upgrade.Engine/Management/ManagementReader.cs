using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Management
{
    /// <summary>Reads a management platform install through any <see cref="IRemoteHost"/>; never changes anything.</summary>
    public static class ManagementReader
    {
        public const string DefaultInstallPath = "/usr/local/hotdb/hotdb-management";
        public const string PropertiesFile = "conf/application.properties";
        public const string StartScript = "bin/hotdb_management";

        // One round trip for what a listing, the pid file and /proc can tell.
        private const string Probe = @"cd -- ""$1"" 2>/dev/null || { echo '@@missing'; exit 0; }
echo '@@owner'; stat -c '%U:%G' .
echo '@@files'; for f in conf/application.properties bin/hotdb_management; do [ -f ""$f"" ] && echo ""$f""; done
echo '@@jar'; ls -1 lib 2>/dev/null | grep -E '^hotdb-management-[0-9.]+\.jar$'
echo '@@pid'; p=$(cat run/hotdb-management.pid 2>/dev/null); if [ -n ""$p"" ] && [ -d ""/proc/$p"" ] && tr '\0' ' ' < ""/proc/$p/cmdline"" 2>/dev/null | grep -q hotdb-management; then echo ""$p""; fi
echo '@@listen'; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == ""0A"" { split($2, a, "":""); print a[2] }'
echo '@@end'";

        public static ManagementInfo Read(IRemoteHost host, string installPath = DefaultInstallPath, bool queryHttp = true, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            installPath = ComputeNodeReader.NormalizePath(installPath);
            var info = new ManagementInfo(host, installPath);
            var probe = host.Run(ShellQuote.Probe(Probe, "hotdb-probe", installPath), timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            var sections = ComputeNodeReader.Sections(probe.StandardOutput);
            if (sections.ContainsKey("missing") || !sections.ContainsKey("end"))
            {
                if (!sections.ContainsKey("missing") && !probe.Succeeded)
                    throw new IOException($"{host.ComputerName}: could not read {installPath}: {probe.StandardError.Trim()}");
                return info;
            }
            if (sections["files"].Count == 0 && sections["jar"].Count == 0) return info;
            info.Installed = true;
            info.Owner = sections["owner"].FirstOrDefault();
            info.Version = sections["jar"].Select(j => HotDbVersion.TryParse(j.Substring("hotdb-management-".Length, j.Length - "hotdb-management-".Length - 4), out var v) ? v : null)
                .Where(v => v != null).OrderByDescending(v => v).FirstOrDefault();
            if (sections["pid"].FirstOrDefault() is { } pid && int.TryParse(pid, out var id))
            {
                info.ProcessId = id;
                info.Running = true;
            }
            info.ListeningPorts = sections["listen"].Select(h => int.TryParse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var p) ? p : -1)
                .Where(p => p > 0).Distinct().OrderBy(p => p).ToList();
            ReadProperties(host, info);
            ReadJdk(host, info, cancellationToken);
            if (queryHttp && info.Running && info.HttpPortOpen) info.HttpVersion = HttpVersion(host, info.HttpPort, cancellationToken);
            return info;
        }

        private static void ReadProperties(IRemoteHost host, ManagementInfo info)
        {
            var text = ComputeNodeReader.TryReadText(host, info.InstallPath + "/" + PropertiesFile);
            if (text == null) return;
            IReadOnlyDictionary<string, string> raw;
            try { raw = PropertiesText.Parse(text, info.InstallPath + "/" + PropertiesFile); }
            catch (ConfigFormatException) { return; }
            info.RawProperties = raw;
            info.Properties = raw.ToDictionary(p => p.Key,
                p => SecretSettings.IsSecret(p.Key) || Regex.IsMatch(p.Value, @"pass[A-Za-z_.-]*=", RegexOptions.IgnoreCase) ? SecretSettings.Mask : p.Value, StringComparer.Ordinal);
            if (raw.TryGetValue("server.port", out var http) && int.TryParse(http.Trim(), out var port)) info.HttpPort = port;
            if (raw.TryGetValue("server.backup.port", out var backup) && int.TryParse(backup.Trim(), out var bport)) info.BackupPort = bport;
        }

        private static void ReadJdk(IRemoteHost host, ManagementInfo info, CancellationToken cancellationToken)
        {
            var script = ComputeNodeReader.TryReadText(host, info.InstallPath + "/" + StartScript);
            if (script == null) return;
            info.JavaBinSetting = ComputeNodeReader.StartScriptValue(script, "JAVA_BIN");
            info.JavaVersion = ComputeNodeReader.StartScriptValue(script, "JAVA_VERSION");
            info.JavaBin = info.JavaBinSetting == null ? null
                : ComputeNodeReader.ResolveJavaBin(info.JavaBinSetting.Replace("${HOTDB_MANAGEMENT_HOME}", info.InstallPath).Replace("$HOTDB_MANAGEMENT_HOME", info.InstallPath), info.InstallPath);
            if (info.JavaBin != null) info.JavaReportedVersion = ComputeNodeReader.JavaVersionOf(host, info.JavaBin, cancellationToken);
        }

        /// <summary>The version the platform's HTTP port reports at /api/version (or on its start page); null when nothing answers.</summary>
        public static HotDbVersion? HttpVersion(IRemoteHost host, int port, CancellationToken cancellationToken = default)
        {
            foreach (var path in new[] { "/api/version", "/" })
            {
                var body = HttpGet(host, port, path, cancellationToken);
                if (body == null) continue;
                var match = Regex.Match(body, path == "/" ? @"Version:\s*(\d+(?:\.\d+){1,3})" : @"^\s*(\d+(?:\.\d+){1,3})\s*$", RegexOptions.Multiline);
                if (match.Success && HotDbVersion.TryParse(match.Groups[1].Value, out var version)) return version;
            }
            return null;
        }

        /// <summary>The body of a GET on the host's loopback (bash /dev/tcp: no curl needed); null when the port does not answer with 200.</summary>
        internal static string? HttpGet(IRemoteHost host, int port, string path, CancellationToken cancellationToken)
        {
            var line = ShellQuote.Join("timeout", "5", "bash", "-c",
                "exec 3<>/dev/tcp/127.0.0.1/\"$0\" && printf 'GET %s HTTP/1.0\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' \"$1\" >&3 && head -c 65536 <&3",
                port.ToString(CultureInfo.InvariantCulture), path);
            var result = host.Run(line, timeout: TimeSpan.FromSeconds(15), cancellationToken: cancellationToken);
            var text = result.StandardOutput;
            if (!Regex.IsMatch(text, @"^HTTP/1\.[01] 200")) return null;
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            return split < 0 ? "" : text.Substring(split + 4);
        }
    }

    /// <summary>A start or stop of the platform that did not reach the wanted state; carries the log's last lines.</summary>
    public sealed class ManagementServiceException : Exception, IHotDbError
    {
        public ManagementServiceException(string action, string message, string recommendedAction, IReadOnlyList<string> logTail, ManagementInfo? state)
            : base(message + (logTail.Count > 0 ? Environment.NewLine + "Last lines of the platform's log:" + Environment.NewLine + string.Join(Environment.NewLine, logTail) : ""))
        {
            ErrorId = "Management" + action + "Failed";
            RecommendedAction = recommendedAction;
            State = state;
        }

        public string ErrorId { get; }
        public string Category => "InvalidResult";
        object? IHotDbError.Target => State;
        public string RecommendedAction { get; }
        public ManagementInfo? State { get; }
    }

    /// <summary>Starts and stops the platform with the vendor's bin/hotdb_management and waits for its HTTP port.</summary>
    public static class ManagementService
    {
        public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(180);
        public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(120);
        private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(700);

        /// <summary>sh bin/hotdb_management start (as root), then waits until the process runs and the HTTP port answers.</summary>
        public static ManagementInfo Start(IRemoteHost host, string installPath, TimeSpan? timeout = null, Action<string>? status = null, CancellationToken cancellationToken = default)
        {
            var limit = timeout ?? DefaultStartTimeout;
            var watch = Stopwatch.StartNew();
            var before = ManagementReader.Read(host, installPath, queryHttp: false, cancellationToken: cancellationToken);
            if (!before.Installed)
                throw new ManagementServiceException("Start", $"{host.ComputerName}: there is no management platform in {before.InstallPath}.", "Give the install directory with -InstallPath.", Array.Empty<string>(), before);
            var logOffset = host.FileSize(before.InstallPath + "/logs/hotdb-management.log");
            status?.Invoke($"sh {before.InstallPath}/{ManagementReader.StartScript} start");
            var script = host.Run(ShellQuote.Join("sh", before.InstallPath + "/" + ManagementReader.StartScript, "start") + " 2>&1", elevate: true,
                timeout: limit + TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var now = ManagementReader.Read(host, installPath, queryHttp: true, cancellationToken: cancellationToken);
                if (script.Succeeded && now.Running && now.HttpVersion != null) return now;
                if (!script.Succeeded || watch.Elapsed > limit || (!now.Running && watch.Elapsed > TimeSpan.FromSeconds(10)))
                {
                    var why = !now.Running ? "the process is not running" : $"after {watch.Elapsed.TotalSeconds:0} s the HTTP port {now.HttpPort} does not answer";
                    throw new ManagementServiceException("Start",
                        $"{host.ComputerName}: HotDB Management {now.Version} in {now.InstallPath} did not start: {why}." +
                        (script.Succeeded ? "" : $" The start script exited with {script.ExitCode}: {LastLine(script.StandardOutput)}"),
                        "Read the log lines below and logs/hotdb-management.log on the host; fix the cause (ConfigDB reachable, JDK, port) and start again.",
                        LogTail(host, before.InstallPath, logOffset), now);
                }
                status?.Invoke($"waiting for HTTP port {now.HttpPort}");
                Sleep(cancellationToken);
            }
        }

        /// <summary>sh bin/hotdb_management stop (as root), then waits until the process is gone and the HTTP port closed.</summary>
        public static ManagementInfo Stop(IRemoteHost host, string installPath, TimeSpan? timeout = null, Action<string>? status = null, CancellationToken cancellationToken = default)
        {
            var limit = timeout ?? DefaultStopTimeout;
            var watch = Stopwatch.StartNew();
            var before = ManagementReader.Read(host, installPath, queryHttp: false, cancellationToken: cancellationToken);
            if (!before.Running) return before;
            status?.Invoke($"sh {before.InstallPath}/{ManagementReader.StartScript} stop");
            var script = host.Run(ShellQuote.Join("sh", before.InstallPath + "/" + ManagementReader.StartScript, "stop") + " 2>&1", elevate: true,
                timeout: limit + TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var now = ManagementReader.Read(host, installPath, queryHttp: false, cancellationToken: cancellationToken);
                if (!now.Running && !now.HttpPortOpen) return now;
                if (watch.Elapsed > limit || (!script.Succeeded && now.Running && watch.Elapsed > TimeSpan.FromSeconds(5)))
                    throw new ManagementServiceException("Stop",
                        $"{host.ComputerName}: HotDB Management in {now.InstallPath} did not stop within {limit.TotalSeconds:0} s (process {(now.Running ? "running, pid " + now.ProcessId : "gone")}, HTTP port {(now.HttpPortOpen ? "open" : "closed")})." +
                        (script.Succeeded ? "" : $" The stop script exited with {script.ExitCode}: {LastLine(script.StandardOutput)}"),
                        "Find out why the process ignores the stop (logs/hotdb-management.log); stop it on the host, then run the command again.",
                        LogTail(host, before.InstallPath, -1), now);
                status?.Invoke("waiting for the process to exit and the HTTP port to close");
                Sleep(cancellationToken);
            }
        }

        /// <summary>The last lines of logs/hotdb-management.log written after <paramref name="offset"/> (all when -1), then of logs/console.log.</summary>
        public static IReadOnlyList<string> LogTail(IRemoteHost host, string installPath, long offset, int lines = 15)
        {
            var log = installPath + "/logs/hotdb-management.log";
            var n = lines.ToString(CultureInfo.InvariantCulture);
            var fromLog = offset >= 0
                ? ShellQuote.Join("tail", "-c", "+" + (offset + 1).ToString(CultureInfo.InvariantCulture), "--", log) + " 2>/dev/null | " + ShellQuote.Join("tail", "-n", n)
                : ShellQuote.Join("tail", "-n", n, "--", log) + " 2>/dev/null";
            var result = host.Run(fromLog + "; " + ShellQuote.Join("tail", "-n", "5", "--", installPath + "/logs/console.log") + " 2>/dev/null");
            return result.StandardOutput.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        }

        private static string LastLine(string text)
        {
            var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            return lines.Count == 0 ? "(no output)" : lines[lines.Count - 1];
        }

        private static void Sleep(CancellationToken cancellationToken)
        {
            if (cancellationToken.WaitHandle.WaitOne(Poll)) cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
