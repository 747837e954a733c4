using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.ComputeNode
{
    /// <summary>A start or stop that did not reach the state the node's role implies; carries the log's last lines.</summary>
    public sealed class ComputeNodeServiceException : Exception, IHotDbError
    {
        /// <summary>A failed <paramref name="action"/> ("Start" or "Stop"); the error id is the action and "Failed".</summary>
        public ComputeNodeServiceException(string action, string message, string recommendedAction, IReadOnlyList<string> logTail, ComputeNodeInfo? state)
            : base(message + (logTail.Count > 0 ? Environment.NewLine + "Last lines of the node's log:" + Environment.NewLine + string.Join(Environment.NewLine, logTail) : ""))
        {
            ErrorId = action + "Failed";
            RecommendedAction = recommendedAction;
            LogTail = logTail;
            State = state;
        }

        public string ErrorId { get; }
        public string Category => "InvalidResult";
        object? IHotDbError.Target => State;
        public string RecommendedAction { get; }
        public IReadOnlyList<string> LogTail { get; }
        /// <summary>The node as last read, when it could be read.</summary>
        public ComputeNodeInfo? State { get; }
    }

    /// <summary>What a start or stop did.</summary>
    public sealed class ComputeNodeServiceResult
    {
        internal ComputeNodeServiceResult(string action, ComputeNodeInfo node, string scriptOutput, TimeSpan duration, bool changed)
        {
            Action = action;
            Node = node;
            ComputerName = node.ComputerName;
            InstallPath = node.InstallPath;
            ScriptOutput = scriptOutput;
            Duration = duration;
            Changed = changed;
        }

        public string ComputerName { get; }
        public string InstallPath { get; }
        public string Action { get; }
        /// <summary>False when the node was already in the wanted state and the script was not run.</summary>
        public bool Changed { get; }
        public ComputeNodeInfo Node { get; }
        public string ScriptOutput { get; }
        public TimeSpan Duration { get; }
        public HotDbVersion? Version => Node.Version;
        public bool Running => Node.Running;
        public bool ServerPortOpen => Node.ServerPortOpen;
        public bool ManagerPortOpen => Node.ManagerPortOpen;
    }

    /// <summary>Starts and stops a compute node with the vendor's start script and waits for the ports its role implies.</summary>
    public static class ComputeNodeService
    {
        public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(180);
        public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(120);
        // A start or stop is done as soon as a read shows it: every poll left waiting adds to the node's downtime.
        private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
        private const int TailLines = 15;

        /// <summary>
        /// Runs <c>sh bin/hotdb_server start</c> (as root) and waits until the process runs and the ports match the role:
        /// a master or cluster member opens both, a backup or DR-centre node only the manager port.
        /// With <paramref name="allowStartedClusterMember"/> a cluster member is also done once its manager port answers
        /// with the service port closed (state Started): alone it cannot open the service port until a majority is up.
        /// </summary>
        public static ComputeNodeServiceResult Start(IRemoteHost host, string installPath, TimeSpan? timeout = null, Action<string>? status = null,
            CancellationToken cancellationToken = default, bool allowStartedClusterMember = false)
        {
            bool Done(ComputeNodeInfo n) => n.Healthy || allowStartedClusterMember && IsStartedClusterMember(host, n, cancellationToken);
            var limit = timeout ?? DefaultStartTimeout;
            var watch = Stopwatch.StartNew();
            var before = ComputeNodeReader.Read(host, installPath, cancellationToken);
            if (!before.Installed) throw new ComputeNodeServiceException("Start", $"{host.ComputerName}: there is no compute node in {before.InstallPath}.",
                "Give the install directory with -InstallPath.", Array.Empty<string>(), before);
            if (Done(before)) return new ComputeNodeServiceResult("Start", before, "", watch.Elapsed, changed: false);

            var logOffset = host.FileSize(before.InstallPath + "/logs/hotdb.log");
            status?.Invoke($"sh {before.InstallPath}/bin/hotdb_server start");
            var script = host.Run(ShellQuote.Join("sh", before.InstallPath + "/bin/hotdb_server", "start") + " 2>&1", elevate: true, timeout: limit + TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            var output = script.StandardOutput.Trim();
            ComputeNodeInfo node = before;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                node = ComputeNodeReader.Read(host, before.InstallPath, cancellationToken);
                if (script.Succeeded && Done(node)) break;
                if (!script.Succeeded || watch.Elapsed > limit || (!node.Running && watch.Elapsed > TimeSpan.FromSeconds(10)))
                {
                    var why = !node.Running
                        ? "the process is not running"
                        : $"after {watch.Elapsed.TotalSeconds:0} s the ports are server {State(node.ServerPortOpen)}, manager {State(node.ManagerPortOpen)}; the {node.Role} role needs server {Want(node.ExpectedServerPort)}, manager open";
                    throw new ComputeNodeServiceException("Start",
                        $"{host.ComputerName}: HotDB Server {node.Version} in {node.InstallPath} did not start: {why}." + (script.Succeeded ? "" : $" The start script exited with {script.ExitCode}: {LastLine(output)}"),
                        "Read the log lines below and logs/hotdb.log and logs/console.log on the host; fix the cause (ConfigDB reachable, JDK, license, ports) and start again.",
                        LogTail(host, before.InstallPath, logOffset), node);
                }
                status?.Invoke($"waiting for ports: server {State(node.ServerPortOpen)}, manager {State(node.ManagerPortOpen)}");
                Sleep(cancellationToken);
            }
            if (node.ExpectedServerPort == PortExpectation.Closed)
            {
                // A backup that opened only the manager port must keep the service port closed; check once more after a moment.
                Sleep(cancellationToken);
                node = ComputeNodeReader.Read(host, before.InstallPath, cancellationToken);
                if (node.ServerPortOpen)
                    throw new ComputeNodeServiceException("Start", $"{host.ComputerName}: the {node.Role} node opened its service port {node.ServerPort}; a {node.Role} node must keep it closed.",
                        "Check haState/haNodeHost in server.xml: the node may believe it is the master.", LogTail(host, before.InstallPath, logOffset), node);
            }
            return new ComputeNodeServiceResult("Start", node, output, watch.Elapsed, changed: true);
        }

        /// <summary>Runs <c>sh bin/hotdb_server stop</c> (as root) and waits until the process is gone and both ports are closed.</summary>
        public static ComputeNodeServiceResult Stop(IRemoteHost host, string installPath, TimeSpan? timeout = null, Action<string>? status = null,
            CancellationToken cancellationToken = default)
        {
            var limit = timeout ?? DefaultStopTimeout;
            var watch = Stopwatch.StartNew();
            var before = ComputeNodeReader.Read(host, installPath, cancellationToken);
            if (!before.Installed) throw new ComputeNodeServiceException("Stop", $"{host.ComputerName}: there is no compute node in {before.InstallPath}.",
                "Give the install directory with -InstallPath.", Array.Empty<string>(), before);
            if (!before.Running) return new ComputeNodeServiceResult("Stop", before, "", watch.Elapsed, changed: false);

            status?.Invoke($"sh {before.InstallPath}/bin/hotdb_server stop");
            var script = host.Run(ShellQuote.Join("sh", before.InstallPath + "/bin/hotdb_server", "stop") + " 2>&1", elevate: true, timeout: limit + TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            var output = script.StandardOutput.Trim();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var node = ComputeNodeReader.Read(host, before.InstallPath, cancellationToken);
                if (!node.Running && !node.ServerPortOpen && !node.ManagerPortOpen)
                    return new ComputeNodeServiceResult("Stop", node, output, watch.Elapsed, changed: true);
                if (watch.Elapsed > limit || (!script.Succeeded && node.Running && watch.Elapsed > TimeSpan.FromSeconds(5)))
                    throw new ComputeNodeServiceException("Stop",
                        $"{host.ComputerName}: HotDB Server in {node.InstallPath} did not stop within {limit.TotalSeconds:0} s (process {(node.Running ? "running, pid " + node.ProcessId : "gone")}, server port {State(node.ServerPortOpen)}, manager port {State(node.ManagerPortOpen)})." +
                        (script.Succeeded ? "" : $" The stop script exited with {script.ExitCode}: {LastLine(output)}"),
                        "Find out why the process ignores the stop (logs/hotdb.log); stop it on the host, then run the command again.",
                        LogTail(host, before.InstallPath, -1), node);
                status?.Invoke("waiting for the process to exit and the ports to close");
                Sleep(cancellationToken);
            }
        }

        // A member in Started keeps the service port closed; a greeting proves the manager port serves, not just listens.
        private static bool IsStartedClusterMember(IRemoteHost host, ComputeNodeInfo node, CancellationToken cancellationToken) =>
            node.Role == Topology.NodeRole.ClusterMember && node.Running && node.ManagerPortOpen && !node.ServerPortOpen
            && GreetingVersion(host, node.ManagerPort, cancellationToken) != null;

        /// <summary>The version in the manager port's MySQL greeting (e.g. 5.1.27-HotDB-2.5.4 gives 2.5.4); null when nothing answers.</summary>
        public static HotDbVersion? GreetingVersion(IRemoteHost host, int port, CancellationToken cancellationToken = default)
        {
            var line = ShellQuote.Join("timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\"$0\" && head -c 64 <&3", port.ToString(CultureInfo.InvariantCulture))
                       + " | tr -c '[:print:]' ' '";
            var result = host.Run(line, timeout: TimeSpan.FromSeconds(15), cancellationToken: cancellationToken);
            var match = Regex.Match(result.StandardOutput, @"HotDB-(\d+(?:\.\d+){1,3})");
            return match.Success && HotDbVersion.TryParse(match.Groups[1].Value, out var version) ? version : null;
        }

        /// <summary>The last lines of logs/hotdb.log written after <paramref name="offset"/> (all of it when -1), then of logs/console.log.</summary>
        public static IReadOnlyList<string> LogTail(IRemoteHost host, string installPath, long offset, int lines = TailLines)
        {
            var log = installPath + "/logs/hotdb.log";
            var console = installPath + "/logs/console.log";
            var fromLog = offset >= 0
                ? ShellQuote.Join("tail", "-c", "+" + (offset + 1).ToString(CultureInfo.InvariantCulture), "--", log) + " 2>/dev/null | " + ShellQuote.Join("tail", "-n", lines.ToString(CultureInfo.InvariantCulture))
                : ShellQuote.Join("tail", "-n", lines.ToString(CultureInfo.InvariantCulture), "--", log) + " 2>/dev/null";
            var result = host.Run(fromLog + "; echo '@@console'; " + ShellQuote.Join("tail", "-n", "5", "--", console) + " 2>/dev/null");
            var tail = new List<string>();
            var inConsole = false;
            foreach (var raw in result.StandardOutput.Split('\n'))
            {
                var text = raw.TrimEnd('\r');
                if (text == "@@console") { inConsole = true; continue; }
                if (text.Trim().Length == 0) continue;
                tail.Add(inConsole ? "console.log: " + text : text);
            }
            return tail;
        }

        /// <summary>[ERROR] lines logs/hotdb.log gained after <paramref name="offset"/>.</summary>
        public static IReadOnlyList<string> ErrorLinesSince(IRemoteHost host, string installPath, long offset)
        {
            var log = installPath + "/logs/hotdb.log";
            var result = host.Run(ShellQuote.Join("tail", "-c", "+" + (Math.Max(0, offset) + 1).ToString(CultureInfo.InvariantCulture), "--", log) + " 2>/dev/null | grep -F '[ERROR]' | tail -n 10");
            return result.StandardOutput.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        }

        private static string State(bool open) => open ? "open" : "closed";
        private static string Want(PortExpectation expectation) => expectation == PortExpectation.Open ? "open" : expectation == PortExpectation.Closed ? "closed" : "either";

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
