using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Plans.DataSourceAgents
{
    /// <summary>The two components the manual installs on every data-source host (sections 4 and 5).</summary>
    public enum DataSourceAgentKind
    {
        /// <summary>HotDB Backup: bin/hotdb_backup start -h &lt;platform&gt; -p &lt;server.backup.port&gt;.</summary>
        Backup,
        /// <summary>HotDB Listener: bin/hotdb_listener start, listening on conf/config.properties host/port.</summary>
        Listener,
    }

    /// <summary>What both agents share: where the install is, its version, its process.</summary>
    public abstract class DataSourceAgentInfo
    {
        protected DataSourceAgentInfo(string computerName, string installPath)
        {
            ComputerName = computerName;
            InstallPath = installPath;
        }

        public string ComputerName { get; }
        public abstract DataSourceAgentKind Kind { get; }
        public string InstallPath { get; }
        /// <summary>The directory holds the component's start script or jar.</summary>
        public bool Installed { get; internal set; }
        /// <summary>From lib/&lt;component&gt;-&lt;version&gt;.jar.</summary>
        public HotDbVersion? Version { get; internal set; }
        /// <summary>owner:group of the install directory.</summary>
        public string? Owner { get; internal set; }
        public bool Running => ProcessId.HasValue;
        /// <summary>The component's JVM (the pid file's process, else the process whose -DHOTDB_HOME or classpath is the install).</summary>
        public int? ProcessId { get; internal set; }
        /// <summary>The start script's JAVA_BIN assignment as written.</summary>
        public string? JavaBin { get; internal set; }

        internal IReadOnlyList<string> Arguments { get; set; } = Array.Empty<string>();
        internal IReadOnlyList<int> ListeningPorts { get; set; } = Array.Empty<int>();

        public override string ToString() => $"{ComputerName} {Kind} {Version?.ToString() ?? "(unknown)"} {(Running ? "running" : "stopped")}";
    }

    /// <summary>A HotDB Backup agent on a data-source host.</summary>
    public sealed class BackupAgentInfo : DataSourceAgentInfo
    {
        public const string DefaultInstallPath = "/usr/local/hotdb/hotdb-backup";

        public BackupAgentInfo(string computerName, string installPath) : base(computerName, installPath) { }

        public override DataSourceAgentKind Kind => DataSourceAgentKind.Backup;
        /// <summary>The management platform the running agent was started with (-h).</summary>
        public string? ManagementHost { get; internal set; }
        /// <summary>The platform's server.backup.port the running agent was started with (-p).</summary>
        public int? ManagementPort { get; internal set; }
        /// <summary>The agent process holds an established TCP connection to ManagementHost:ManagementPort.</summary>
        public bool Connected { get; internal set; }
        /// <summary>Backup tasks the agent's log shows started and not yet finished since the agent started; empty when none runs.</summary>
        public IReadOnlyList<string> RunningTasks { get; internal set; } = Array.Empty<string>();
        public bool TaskRunning => RunningTasks.Count > 0;
        public string Platform => ManagementHost == null ? "" : $"{ManagementHost}:{ManagementPort}";
    }

    /// <summary>A HotDB Listener on a data-source host.</summary>
    public sealed class ListenerInfo : DataSourceAgentInfo
    {
        public const string DefaultInstallPath = "/usr/local/hotdb/hotdb-listener";

        public ListenerInfo(string computerName, string installPath) : base(computerName, installPath) { }

        public override DataSourceAgentKind Kind => DataSourceAgentKind.Listener;
        /// <summary>conf/config.properties host (default 0.0.0.0).</summary>
        public string ListenHost { get; internal set; } = "0.0.0.0";
        /// <summary>conf/config.properties port (or the misprinted post key some releases ship; default 3330).</summary>
        public int ListenerPort { get; internal set; } = 3330;
        /// <summary>The key the file sets the port with: port, or post (the misprint of some releases); null when neither.</summary>
        public string? PortKey { get; internal set; }
        /// <summary>Something listens on ListenerPort on the host.</summary>
        public bool PortOpen { get; internal set; }
        /// <summary>The log's last start line is "Listener-Manager start listening ..." and no stop came after it.</summary>
        public bool Listening { get; internal set; }
        public string? LastLogLine { get; internal set; }
    }

    /// <summary>Reads backup agents and listeners through any <see cref="IRemoteHost"/>; never changes anything.</summary>
    public static class DataSourceAgentReader
    {
        public const string ListenerReady = "Listener-Manager start listening";

        // One round trip: owner, files, jar, pid file, the component's processes (one argument a line), listening ports.
        private const string Probe = @"cd -- ""$1"" 2>/dev/null || { echo '@@missing'; exit 0; }
here=$(pwd -P)
echo '@@owner'; stat -c '%U:%G' .
echo '@@files'; for f in ""bin/$2"" conf/config.properties; do [ -f ""$f"" ] && echo ""$f""; done
echo '@@jar'; ls -1 lib 2>/dev/null | grep -E ""^$3-[0-9][0-9.]*\.jar$""
echo '@@pid'; cat ""run/$3.pid"" 2>/dev/null; echo
echo '@@procs'
for p in /proc/[0-9]*; do
  [ ""${p#/proc/}"" = ""$$"" ] && continue
  a=$(tr '\0' '\n' < ""$p/cmdline"" 2>/dev/null) || continue
  if printf '%s\n' ""$a"" | grep -qxF -e ""-DHOTDB_HOME=$1"" -e ""-DHOTDB_HOME=$here""; then echo ""@${p#/proc/}""; printf '%s\n' ""$a""; fi
done
echo '@@java'; sed -n 's/^JAVA_BIN=//p' ""bin/$2"" 2>/dev/null | head -n 1
echo '@@listen'; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == ""0A"" { split($2, a, "":""); print a[2] }'
echo '@@end'";

        // The remote addresses of the established TCP connections the process holds.
        private const string ConnectionsProbe = @"for i in $(ls -l ""/proc/$1/fd"" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p'); do
  awk -v i=""$i"" '$10 == i && $4 == ""01"" { print $3 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
done";

        public static string DirectoryOf(DataSourceAgentKind kind) => kind == DataSourceAgentKind.Backup ? "hotdb-backup" : "hotdb-listener";
        public static string ScriptOf(DataSourceAgentKind kind) => kind == DataSourceAgentKind.Backup ? "hotdb_backup" : "hotdb_listener";
        public static string LogOf(DataSourceAgentKind kind) => kind == DataSourceAgentKind.Backup ? "logs/hotdb_backup.log" : "logs/hotdb-listener.log";
        public static string DefaultPathOf(DataSourceAgentKind kind) => kind == DataSourceAgentKind.Backup ? BackupAgentInfo.DefaultInstallPath : ListenerInfo.DefaultInstallPath;

        public static BackupAgentInfo ReadBackup(IRemoteHost host, string installPath = BackupAgentInfo.DefaultInstallPath, CancellationToken cancellationToken = default) =>
            (BackupAgentInfo)Read(host, DataSourceAgentKind.Backup, installPath, cancellationToken);

        public static ListenerInfo ReadListener(IRemoteHost host, string installPath = ListenerInfo.DefaultInstallPath, CancellationToken cancellationToken = default) =>
            (ListenerInfo)Read(host, DataSourceAgentKind.Listener, installPath, cancellationToken);

        public static DataSourceAgentInfo Read(IRemoteHost host, DataSourceAgentKind kind, string installPath, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            installPath = installPath.Length > 1 ? installPath.TrimEnd('/') : installPath;
            DataSourceAgentInfo info = kind == DataSourceAgentKind.Backup ? new BackupAgentInfo(host.ComputerName, installPath) : new ListenerInfo(host.ComputerName, installPath);
            var component = DirectoryOf(kind);
            var probe = host.Run(ShellQuote.Probe(Probe, "hotdb-probe", installPath, ScriptOf(kind), component), elevate: true,
                timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            var sections = Sections(probe.StandardOutput);
            if (sections.ContainsKey("missing")) return info;
            if (!sections.ContainsKey("end"))
                throw new IOException($"{host.ComputerName}: could not read {installPath}: {probe.StandardError.Trim()}");
            var jar = sections["jar"].FirstOrDefault();
            if (sections["files"].Count == 0 && jar == null) return info;
            info.Installed = true;
            info.Owner = sections["owner"].FirstOrDefault();
            if (jar != null && HotDbVersion.TryParse(jar.Substring(component.Length + 1, jar.Length - component.Length - 5), out var version)) info.Version = version;
            info.JavaBin = sections["java"].FirstOrDefault()?.Trim();
            info.ListeningPorts = sections["listen"].Select(h => int.TryParse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port) ? port : 0)
                .Where(p => p > 0).Distinct().ToList();
            ReadProcess(info, sections["pid"], sections["procs"]);

            if (info is BackupAgentInfo backup) ReadBackup(host, backup, cancellationToken);
            else ReadListener(host, (ListenerInfo)info, cancellationToken);
            return info;
        }

        private static void ReadProcess(DataSourceAgentInfo info, List<string> pidFile, List<string> lines)
        {
            var processes = new List<(int Pid, List<string> Args)>();
            foreach (var line in lines)
            {
                if (line.StartsWith("@", StringComparison.Ordinal) && int.TryParse(line.Substring(1), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    processes.Add((pid, new List<string>()));
                else if (processes.Count > 0) processes[processes.Count - 1].Args.Add(line);
            }
            if (processes.Count == 0) return;
            var chosen = pidFile.Count > 0 && int.TryParse(pidFile[0].Trim(), out var fromFile) && processes.Any(p => p.Pid == fromFile)
                ? processes.First(p => p.Pid == fromFile) : processes[0];
            info.ProcessId = chosen.Pid;
            info.Arguments = chosen.Args;
        }

        private static void ReadBackup(IRemoteHost host, BackupAgentInfo info, CancellationToken cancellationToken)
        {
            if (info.Running)
            {
                // The platform the agent was started with: its own -h/-p arguments (after the main class).
                var args = info.Arguments;
                var h = LastIndexOf(args, "-h");
                var p = LastIndexOf(args, "-p");
                if (h >= 0 && h + 1 < args.Count) info.ManagementHost = args[h + 1];
                if (p >= 0 && p + 1 < args.Count && int.TryParse(args[p + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) info.ManagementPort = port;
                if (info.ManagementHost != null && info.ManagementPort == null) info.ManagementPort = 3322;
                if (info.ManagementPort is int mport)
                {
                    var remotes = host.Run(ShellQuote.Probe(ConnectionsProbe, "hotdb-probe", info.ProcessId!.Value.ToString(CultureInfo.InvariantCulture)),
                        elevate: true, timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken).StandardOutput;
                    var wanted = RemoteIpv4(info.ManagementHost);
                    info.Connected = remotes.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries)
                        .Select(ParseRemote).Any(r => r.Port == mport && (wanted == null || r.Address == wanted));
                }
            }
            // Backup tasks: started and not finished since the agent's last start.
            var log = info.InstallPath + "/" + LogOf(DataSourceAgentKind.Backup);
            var lines = host.Run(ShellQuote.Join("grep", "-E", "HotDB-backup .* started|backup task [^ ]+ (started|finished|failed|interrupted)", "--", log) + " 2>/dev/null | tail -n 500",
                elevate: true, timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken).StandardOutput
                .Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
            var open = new List<string>();
            foreach (var line in lines)
            {
                if (System.Text.RegularExpressions.Regex.IsMatch(line, @"HotDB-backup \S+ started")) { open.Clear(); continue; }
                var m = System.Text.RegularExpressions.Regex.Match(line, @"backup task (\S+) (started|finished|failed|interrupted)");
                if (!m.Success) continue;
                if (m.Groups[2].Value == "started") { if (!open.Contains(m.Groups[1].Value)) open.Add(m.Groups[1].Value); }
                else open.Remove(m.Groups[1].Value);
            }
            info.RunningTasks = info.Running ? open : Array.Empty<string>();
        }

        private static void ReadListener(IRemoteHost host, ListenerInfo info, CancellationToken cancellationToken)
        {
            var config = info.InstallPath + "/conf/config.properties";
            var text = host.Run(ShellQuote.Join("cat", "--", config), elevate: true, timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            if (text.Succeeded) ApplyConfig(info, text.StandardOutput, config);
            info.PortOpen = info.ListeningPorts.Contains(info.ListenerPort);
            var log = info.InstallPath + "/" + LogOf(DataSourceAgentKind.Listener);
            var last = host.Run(ShellQuote.Join("grep", "-E", ListenerReady + "|Listener-Manager stopped", "--", log) + " 2>/dev/null | tail -n 1",
                elevate: true, timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken).StandardOutput.Trim();
            info.LastLogLine = last.Length == 0 ? null : last;
            info.Listening = info.Running && last.Contains(ListenerReady);
        }

        /// <summary>host and port (or the misprinted post) of a listener's config.properties.</summary>
        internal static void ApplyConfig(ListenerInfo info, string text, string file)
        {
            var values = PropertiesMerge.Parse(text, file);
            if (values.TryGetValue("host", out var h) && h.Trim().Length > 0) info.ListenHost = h.Trim();
            foreach (var key in new[] { "port", "post" })
            {
                if (values.TryGetValue(key, out var v) && int.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                {
                    info.ListenerPort = port;
                    info.PortKey = key;
                    break;
                }
            }
        }

        private static int LastIndexOf(IReadOnlyList<string> args, string value)
        {
            for (var i = args.Count - 1; i >= 0; i--) if (args[i] == value) return i;
            return -1;
        }

        /// <summary>A dotted IPv4 address as /proc/net/tcp writes it (little-endian hex), or null for a name.</summary>
        internal static string? RemoteIpv4(string? address)
        {
            if (address == null || !System.Net.IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return null;
            return ip.ToString();
        }

        internal static (string Address, int Port) ParseRemote(string hex)
        {
            var parts = hex.Trim().Split(':');
            if (parts.Length != 2) return ("", 0);
            var port = int.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var p) ? p : 0;
            var a = parts[0];
            if (a.Length == 32) a = a.Substring(24); // IPv4-mapped IPv6: the last word
            if (a.Length != 8 || !uint.TryParse(a, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var word)) return ("", port);
            var bytes = BitConverter.GetBytes(word);
            if (!BitConverter.IsLittleEndian) Array.Reverse(bytes);
            return (new System.Net.IPAddress(bytes).ToString(), port);
        }

        private static Dictionary<string, List<string>> Sections(string output)
        {
            var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            List<string>? current = null;
            foreach (var raw in output.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                if (line.StartsWith("@@", StringComparison.Ordinal))
                {
                    current = new List<string>();
                    sections[line.Substring(2)] = current;
                }
                else if (current != null && line.Length > 0) current.Add(line);
            }
            foreach (var name in new[] { "owner", "files", "jar", "pid", "procs", "java", "listen" })
                if (!sections.ContainsKey(name)) sections[name] = new List<string>();
            return sections;
        }
    }
}
