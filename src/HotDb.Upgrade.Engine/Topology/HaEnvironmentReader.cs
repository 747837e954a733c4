using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Xml;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Topology
{
    /// <summary>Reads a compute node master/slave pair through <see cref="IRemoteHost"/>; never changes anything.</summary>
    public static class HaEnvironmentReader
    {
        public const string DefaultKeepalivedConfigPath = "/etc/keepalived/keepalived.conf";

        // One round trip per host for everything but the track-script files (named only in keepalived.conf).
        // Files travel as base64 so no line of theirs can be mistaken for a section marker.
        private const string Probe = @"if cd -- ""$1"" 2>/dev/null && [ -f conf/server.xml ]; then
  echo '@@serverxml'; base64 conf/server.xml | tr -d '\n'; echo
  echo '@@jar'; ls -1 lib 2>/dev/null | grep -E '^hotdb-server-[0-9.]+\.jar$'
  echo '@@procs'; real=$(pwd -P)
  for p in $(grep -l -a -F HotdbStartup /proc/[0-9]*/cmdline 2>/dev/null); do
    p=${p%/cmdline}; c=$(tr '\0' ' ' < ""$p/cmdline"" 2>/dev/null) || continue
    case ""$c"" in *HotdbStartup*) case ""$c"" in *""-DHOTDB_HOME=$1 ""*|*""-DHOTDB_HOME=$real ""*) echo ""${p#/proc/}"" ;; esac ;; esac
  done
fi
echo '@@keepalived'
if [ -r ""$2"" ]; then echo ok; base64 ""$2"" | tr -d '\n'; echo; elif [ -e ""$2"" ]; then echo unreadable; else echo missing; fi
echo '@@keepalivedprocs'; for p in $(grep -l -x -F keepalived /proc/[0-9]*/comm 2>/dev/null); do p=${p%/comm}; echo ""${p#/proc/}""; done
echo '@@addr'; ip -o addr show 2>/dev/null
echo '@@listen'; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == ""0A"" { split($2, a, "":""); print a[2] }'
echo '@@end'";

        // Prints 'x path' (executable), 'r path' (readable only) or '- path' for each argument.
        private const string ScriptProbe = @"for f; do if [ -x ""$f"" ] && [ -f ""$f"" ]; then echo ""x $f""; elif [ -r ""$f"" ] && [ -f ""$f"" ]; then echo ""r $f""; else echo ""- $f""; fi; done";

        /// <summary>Reads both hosts and decides which is the master.</summary>
        public static HaEnvironment Read(IRemoteHost first, IRemoteHost second, string installPath = ComputeNodeReader.DefaultInstallPath,
            string keepalivedConfigPath = DefaultKeepalivedConfigPath, CancellationToken cancellationToken = default)
        {
            if (first is null) throw new ArgumentNullException(nameof(first));
            if (second is null) throw new ArgumentNullException(nameof(second));
            if (ReferenceEquals(first, second) || string.Equals(first.ComputerName, second.ComputerName, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"A master/slave pair needs two different hosts; both sessions go to {first.ComputerName}.");
            return HaEnvironment.Decide(ReadNode(first, installPath, keepalivedConfigPath, cancellationToken),
                ReadNode(second, installPath, keepalivedConfigPath, cancellationToken));
        }

        /// <summary>Reads one host of a pair (its role is decided by <see cref="HaEnvironment.Decide"/>).</summary>
        public static HaNode ReadNode(IRemoteHost host, string installPath = ComputeNodeReader.DefaultInstallPath,
            string keepalivedConfigPath = DefaultKeepalivedConfigPath, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            installPath = ComputeNodeReader.NormalizePath(installPath);
            keepalivedConfigPath = ComputeNodeReader.NormalizePath(keepalivedConfigPath);
            var node = new HaNode(host, installPath, keepalivedConfigPath);
            var probe = host.Run(ShellQuote.Probe(Probe, "hotdb-ha-probe", installPath, keepalivedConfigPath),
                timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            var sections = ComputeNodeReader.Sections(probe.StandardOutput);
            if (!sections.ContainsKey("end"))
                throw new IOException($"{host.ComputerName}: could not read the master/slave settings: {probe.StandardError.Trim()}");

            if (sections.TryGetValue("serverxml", out var serverXml))
            {
                node.ServerXmlBytes = Convert.FromBase64String(string.Concat(serverXml));
                ReadServerXml(node, Decode(serverXml));
            }
            if (sections.TryGetValue("jar", out var jars)) node.Version = jars
                .Select(j => HotDbVersion.TryParse(j.Substring("hotdb-server-".Length, j.Length - "hotdb-server-".Length - 4), out var v) ? v : null)
                .Where(v => v != null).OrderByDescending(v => v!).FirstOrDefault();
            node.Running = sections.TryGetValue("procs", out var procs) && procs.Count > 0;
            ReadKeepalived(node, sections["keepalived"]);
            node.KeepalivedProcessIds = Integers(sections["keepalivedprocs"], NumberStyles.None);
            node.Addresses = sections["addr"].Select(HostAddress.ParseIpLine).Where(a => a != null).Select(a => a!).ToList();
            node.ListeningPorts = Integers(sections["listen"], NumberStyles.HexNumber).Distinct().OrderBy(p => p).ToList();
            ReadScriptFiles(node, cancellationToken);
            return node;
        }

        private static string Decode(List<string> base64) =>
            Encoding.UTF8.GetString(Convert.FromBase64String(string.Concat(base64))).TrimStart('\uFEFF');

        private static List<int> Integers(List<string> lines, NumberStyles style) =>
            lines.Select(l => int.TryParse(l, style, CultureInfo.InvariantCulture, out var n) ? n : -1).Where(n => n > 0).ToList();

        private static void ReadServerXml(HaNode node, string text)
        {
            IReadOnlyDictionary<string, string> properties;
            try { properties = ComputeNodeReader.ParseServerXml(text); }
            catch (XmlException e) { throw new InvalidDataException($"{node.ComputerName}: {node.ServerXmlPath} is not well-formed XML: {e.Message}", e); }
            node.Installed = true;
            string? Get(string name) => properties.TryGetValue(name, out var v) ? v.Trim() : null;
            int? Int(string name) => int.TryParse(Get(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : (int?)null;
            node.HaMode = Int("haMode") ?? 0;
            node.HaState = string.IsNullOrEmpty(Get("haState")) ? null : Get("haState");
            node.HaNodeHost = Get("haNodeHost");
            node.ServerXmlVip = string.IsNullOrEmpty(Get("VIP")) ? null : Get("VIP");
            node.ServerPort = Int("serverPort") ?? 3323;
            node.ManagerPort = Int("managerPort") ?? 3325;
        }

        private static void ReadKeepalived(HaNode node, List<string> section)
        {
            var state = section.FirstOrDefault();
            if (state != "ok")
            {
                node.KeepalivedConfigProblem = state == "unreadable" ? $"{node.KeepalivedConfigPath} is not readable by {node.Session.UserName}" : $"{node.KeepalivedConfigPath} does not exist";
                return;
            }
            node.KeepalivedConfigBytes = Convert.FromBase64String(string.Concat(section.Skip(1)));
            try { node.KeepalivedConfig = KeepalivedConfig.Parse(Decode(section.Skip(1).ToList()), node.KeepalivedConfigPath); }
            catch (KeepalivedConfigException e) { node.KeepalivedConfigProblem = e.Message; }
        }

        private static void ReadScriptFiles(HaNode node, CancellationToken cancellationToken)
        {
            var scripts = node.KeepalivedConfig?.Scripts.Where(s => s.ScriptFile != null).ToList();
            if (scripts == null || scripts.Count == 0) return;
            var files = scripts.Select(s => s.ScriptFile!).Distinct().ToList();
            var result = node.Session.Run(ShellQuote.Probe(ScriptProbe, "hotdb-ha-scripts", files),
                timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            var access = result.StandardOutput.Split('\n').Where(l => l.Length > 2).ToDictionary(l => l.Substring(2).TrimEnd('\r'), l => l[0]);
            node.ScriptFilesUsable = scripts.GroupBy(s => s.ScriptFile!).ToDictionary(g => g.Key, g =>
                access.TryGetValue(g.Key, out var mode) && (mode == 'x' || mode == 'r' && g.All(s => s.RunsThroughShell)));
        }
    }
}
