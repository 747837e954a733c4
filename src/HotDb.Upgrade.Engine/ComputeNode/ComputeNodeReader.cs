using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Xml;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.ComputeNode
{
    /// <summary>Reads a compute node install through any <see cref="IRemoteHost"/>; never changes anything.</summary>
    public static class ComputeNodeReader
    {
        public const string DefaultInstallPath = "/usr/local/hotdb/hotdb-server";

        // One round trip for everything a directory listing and /proc can tell, with server.xml, the start script, the
        // license files and (where unzip exists) the jar's manifest in base64: a read costs at most 3 round trips
        // (this probe, java -version, and the jar only when the host has no unzip).
        // Few processes: every fork costs the host, and a fan-out over many hosts waits for the slowest. Globs and
        // builtins list files; one grep finds the node's processes by their exact -DHOTDB_HOME argument (the path given,
        // or its physical path after cd -P), a second keeps those running HotdbStartup.
        private const string Probe = @"cd -P -- ""$1"" 2>/dev/null || { echo '@@missing'; exit 0; }
echo '@@owner'; stat -c '%U:%G' .
echo '@@files'; for f in conf/server.xml bin/hotdb_server; do [ -f ""$f"" ] && echo ""$f""; done
echo '@@jar'; for j in lib/hotdb-server-*.jar; do [ -f ""$j"" ] && echo ""${j#lib/}""; done
echo '@@pid'; { read -r pid < run/hotdb-server.pid && echo ""$pid""; } 2>/dev/null; echo
echo '@@procs'
homes=$(grep -l -a -z -x -F -e ""-DHOTDB_HOME=$1"" -e ""-DHOTDB_HOME=$PWD"" /proc/[0-9]*/cmdline 2>/dev/null)
[ -n ""$homes"" ] && for p in $(grep -l -a -F HotdbStartup $homes 2>/dev/null); do p=${p%/cmdline}; echo ""${p#/proc/}""; done
echo '@@ndb'; for e in ndbsql*; do [ -e ""$e"" ] || [ -L ""$e"" ] && echo ""$e""; done
echo '@@keys'; for k in keys/*; do [ -e ""$k"" ] || [ -L ""$k"" ] && echo ""${k#keys/}""; done
echo '@@listen'; awk '$4 == ""0A"" { split($2, a, "":""); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
echo '@@serverxml'; [ -f conf/server.xml ] && [ -r conf/server.xml ] && { echo ok; base64 -w 0 conf/server.xml; echo; }
echo '@@startscript'; [ -f bin/hotdb_server ] && [ -r bin/hotdb_server ] && { echo ok; base64 -w 0 bin/hotdb_server; echo; }
echo '@@licenses'; for k in keys/*; do [ -f ""$k"" ] && [ -r ""$k"" ] && { printf '%s' ""${k#keys/}"" | base64 -w 0; printf ' '; head -c 65536 ""$k"" | base64 -w 0; echo; }; done
echo '@@manifest'
if command -v unzip >/dev/null 2>&1; then for j in lib/hotdb-server-*.jar; do
  [ -f ""$j"" ] && m=$(unzip -p ""$j"" META-INF/MANIFEST.MF 2>/dev/null | base64 -w 0) && [ -n ""$m"" ] && { echo ""${j#lib/}""; echo ""$m""; }
done; fi
echo '@@end'";

        private static readonly Regex ServerJar = new Regex(@"^hotdb-server-[0-9.]+\.jar$", RegexOptions.CultureInvariant);

        public static ComputeNodeInfo Read(IRemoteHost host, string installPath = DefaultInstallPath, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            installPath = NormalizePath(installPath);
            var info = new ComputeNodeInfo(host, installPath);
            var probe = host.Run(ShellQuote.Probe(Probe, "hotdb-probe", installPath), elevate: false, timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            var sections = Sections(probe.StandardOutput);
            if (sections.ContainsKey("missing") || !sections.ContainsKey("end"))
            {
                if (!sections.ContainsKey("missing") && !probe.Succeeded)
                    throw new IOException($"{host.ComputerName}: could not read {installPath}: {probe.StandardError.Trim()}");
                info.LicenseState = "not installed";
                return info;
            }
            // The glob also lists other jars named hotdb-server-*; only hotdb-server-<version>.jar is the server.
            var jars = sections["jar"].Where(j => ServerJar.IsMatch(j)).ToList();
            // A directory is an install only when it holds what one has: server.xml, the start script or the server jar.
            if (sections["files"].Count == 0 && jars.Count == 0)
            {
                info.LicenseState = "not installed";
                return info;
            }
            info.Installed = true;
            info.Owner = sections["owner"].FirstOrDefault();
            ReadVersion(host, info, jars, Embedded(sections, "manifest"), cancellationToken);
            ReadServerXml(host, info, EmbeddedFile(host, sections, "serverxml", info.InstallPath + "/conf/server.xml"));
            ReadProcess(host, info, sections["pid"], sections["procs"]);
            info.NdbSqlDirectories = sections["ndb"];
            info.LicenseFiles = sections["keys"];
            info.ListeningPorts = sections["listen"].Select(h => int.TryParse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var p) ? p : -1)
                .Where(p => p > 0).Distinct().OrderBy(p => p).ToList();
            ReadJdk(host, info, EmbeddedFile(host, sections, "startscript", info.InstallPath + "/bin/hotdb_server"), cancellationToken);
            ReadLicense(host, info, sections.TryGetValue("licenses", out var licenses) ? DecodeLicenses(licenses) : null);
            return info;
        }

        internal static string NormalizePath(string path)
        {
            if (string.IsNullOrWhiteSpace(path) || !path.StartsWith("/", StringComparison.Ordinal))
                throw new ArgumentException($"'{path}' is not an absolute path on the host.", nameof(path));
            var trimmed = path.TrimEnd('/');
            if (trimmed.Length == 0 || trimmed.LastIndexOf('/') == 0 && trimmed.Length == 1)
                throw new ArgumentException("The install path cannot be the root directory.", nameof(path));
            return trimmed;
        }

        internal static Dictionary<string, List<string>> Sections(string output)
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
                    continue;
                }
                if (current != null && line.Trim().Length > 0) current.Add(line.Trim());
            }
            return sections;
        }

        private static List<string>? Embedded(Dictionary<string, List<string>> sections, string name) => sections.TryGetValue(name, out var lines) ? lines : null;

        private static string? Decode(string base64)
        {
            try { return Encoding.UTF8.GetString(Convert.FromBase64String(base64)).TrimStart('\uFEFF'); }
            catch (FormatException) { return null; }
        }

        /// <summary>A file the probe embedded ("ok" then base64; nothing when absent or unreadable); read over SFTP when the probe had no such section.</summary>
        private static string? EmbeddedFile(IRemoteHost host, Dictionary<string, List<string>> sections, string name, string path)
        {
            if (!sections.TryGetValue(name, out var lines)) return TryReadText(host, path);
            if (lines.Count == 0 || lines[0] != "ok") return null;
            return lines.Count == 1 ? "" : Decode(lines[1]) ?? TryReadText(host, path);
        }

        private static Dictionary<string, string?> DecodeLicenses(List<string> lines)
        {
            var files = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                var parts = line.Split(new[] { ' ' }, 2);
                var name = Decode(parts[0]);
                if (name != null) files[name] = parts.Length > 1 ? Decode(parts[1]) : "";
            }
            return files;
        }

        private static void ReadVersion(IRemoteHost host, ComputeNodeInfo info, List<string> jars, List<string>? embeddedManifest, CancellationToken cancellationToken)
        {
            var jar = jars.Select(j => new { Name = j, Version = HotDbVersion.TryParse(j.Substring("hotdb-server-".Length, j.Length - "hotdb-server-".Length - 4), out var v) ? v : null })
                .Where(j => j.Version != null).OrderByDescending(j => j.Version!).FirstOrDefault();
            if (jar == null) return;
            info.Version = jar.Version;
            try
            {
                string? text = null;
                // The probe embeds each server jar's manifest as two lines: the jar's name, then the manifest in base64.
                var at = embeddedManifest?.IndexOf(jar.Name) ?? -1;
                if (at >= 0 && at % 2 == 0)
                    text = at + 1 < embeddedManifest!.Count ? Decode(embeddedManifest[at + 1]) ?? "" : "";
                if (text == null)
                {
                    using var buffer = new MemoryStream();
                    host.ReadFile(info.InstallPath + "/lib/" + jar.Name, buffer, cancellationToken: cancellationToken);
                    buffer.Position = 0;
                    using var zip = new ZipArchive(buffer, ZipArchiveMode.Read);
                    var entry = zip.GetEntry("META-INF/MANIFEST.MF");
                    if (entry == null) return;
                    using var reader = new StreamReader(entry.Open());
                    text = reader.ReadToEnd();
                }
                var manifest = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains(": "))
                    .Select(l => l.Split(new[] { ": " }, 2, StringSplitOptions.None)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);
                if (manifest.TryGetValue("Implementation-Version", out var implementation) && HotDbVersion.TryParse(implementation, out var version)) info.Version = version;
                if (manifest.TryGetValue("Build-Date", out var date) && DateTime.TryParseExact(date.Trim(), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var built))
                    info.BuildDate = built;
                if (manifest.TryGetValue("Build-Jdk", out var jdk)) info.BuildJdk = jdk.Trim();
            }
            catch (Exception e) when (e is InvalidDataException || e is IOException || e is UnauthorizedAccessException)
            {
                // The file name still gives the version; a damaged jar shows up when the node starts.
            }
        }

        private static void ReadServerXml(IRemoteHost host, ComputeNodeInfo info, string? text)
        {
            if (text == null) return;
            try { info.RawProperties = ParseServerXml(text); }
            catch (XmlException e) { throw new ComputeNodeUnreadableException($"{host.ComputerName}: {info.InstallPath}/conf/server.xml is not well-formed XML: {e.Message}", e); }
            string? Get(string name) => info.RawProperties.TryGetValue(name, out var v) && v.Trim().Length > 0 ? v.Trim() : null;
            int? Int(string name) => int.TryParse(Get(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : (int?)null;
            info.ServerPort = Int("serverPort") ?? 3323;
            info.ManagerPort = Int("managerPort") ?? 3325;
            info.HaMode = Int("haMode") ?? 0;
            info.HaState = Get("haState") ?? "master";
            info.HaNodeHost = Get("haNodeHost");
            info.ServerId = Int("serverId") ?? 1;
            info.ClusterName = Get("clusterName");
            info.ClusterSize = Int("clusterSize");
            info.ClusterHost = Get("clusterHost");
            info.ClusterPort = Int("clusterPort");
            info.IdcId = Int("idcId") ?? 0;
            info.ConfigDbUrl = Get("url");
            info.ConfigDbBackupUrl = Get("bakUrl");
        }

        /// <summary>server.xml's properties by name (the first of duplicates); the DTD is never fetched.</summary>
        public static IReadOnlyDictionary<string, string> ParseServerXml(string text)
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
            var document = new XmlDocument { XmlResolver = null };
            using (var reader = XmlReader.Create(new StringReader(text), settings)) document.Load(reader);
            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            var system = document.DocumentElement?.ChildNodes.OfType<XmlElement>().FirstOrDefault(e => e.LocalName == "system");
            if (system == null) return properties;
            foreach (var property in system.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == "property"))
            {
                var name = property.GetAttribute("name");
                if (name.Length > 0 && !properties.ContainsKey(name)) properties[name] = property.InnerText;
            }
            return properties;
        }

        private static void ReadProcess(IRemoteHost host, ComputeNodeInfo info, List<string> pidFile, List<string> processes)
        {
            var ids = processes.Select(p => int.TryParse(p, out var id) ? id : 0).Where(id => id > 0).ToList();
            if (pidFile.Count > 0 && int.TryParse(pidFile[0], out var fromFile) && ids.Contains(fromFile)) info.ProcessId = fromFile;
            else if (ids.Count > 0) info.ProcessId = ids[0];
            info.Running = info.ProcessId.HasValue;
        }

        private static void ReadJdk(IRemoteHost host, ComputeNodeInfo info, string? script, CancellationToken cancellationToken)
        {
            if (script == null) return;
            info.JavaBinSetting = StartScriptValue(script, "JAVA_BIN");
            info.JavaVersion = StartScriptValue(script, "JAVA_VERSION");
            info.JavaBin = info.JavaBinSetting == null ? null : ResolveJavaBin(info.JavaBinSetting, info.InstallPath);
            if (info.JavaBin != null) info.JavaReportedVersion = JavaVersionOf(host, info.JavaBin, cancellationToken);
        }

        /// <summary>What "java -version" reports for a java binary on the host, e.g. 1.8.0_252; null when it does not run.</summary>
        public static string? JavaVersionOf(IRemoteHost host, string javaBin, CancellationToken cancellationToken = default)
        {
            var result = host.Run(ShellQuote.Join(javaBin, "-version") + " 2>&1", timeout: TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            if (!result.Succeeded) return null;
            var match = Regex.Match(result.StandardOutput, "version \"([^\"]+)\"");
            return match.Success ? match.Groups[1].Value : null;
        }

        /// <summary>The last top-level assignment of a start-script variable with its quotes removed; null when absent.</summary>
        internal static string? StartScriptValue(string script, string name)
        {
            string? value = null;
            foreach (var raw in script.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                if (!line.StartsWith(name + "=", StringComparison.Ordinal)) continue;
                var rest = line.Substring(name.Length + 1);
                var comment = rest.IndexOf(" #", StringComparison.Ordinal);
                if (comment >= 0) rest = rest.Substring(0, comment);
                value = rest.Trim().Replace("\"", "").Replace("'", "");
            }
            return value;
        }

        /// <summary>Resolves $HOTDB_HOME / $shellPath; null when anything else would need the shell.</summary>
        internal static string? ResolveJavaBin(string setting, string installPath)
        {
            var value = setting.Replace("${HOTDB_HOME}", installPath).Replace("$HOTDB_HOME", installPath)
                .Replace("${shellPath}", installPath + "/bin").Replace("$shellPath", installPath + "/bin");
            if (value.IndexOfAny(new[] { '$', '`', '(', ';', '&', '|' }) >= 0 || !value.StartsWith("/", StringComparison.Ordinal)) return null;
            return value;
        }

        private static readonly Regex NodeLimit = new Regex(@"datanode limit\s*[:=]?\s*(?:to:)?\s*(\d+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private static void ReadLicense(IRemoteHost host, ComputeNodeInfo info, Dictionary<string, string?>? embedded)
        {
            if (info.Version == null || info.Version < VersionRules.NewLicenseRequired)
            {
                info.LicenseState = info.LicenseFiles.Count == 0 ? "USB key (no keys/ files)" : "USB key";
                return;
            }
            int? best = null;
            foreach (var file in info.LicenseFiles)
            {
                var text = embedded == null ? TryReadText(host, info.InstallPath + "/keys/" + file) : embedded.TryGetValue(file, out var e) ? e : null;
                var limit = text == null ? null : LicenseNodeLimit(text);
                if (limit.HasValue && (!best.HasValue || limit > best)) best = limit;
            }
            info.LicenseNodeLimit = best;
            info.LicenseState = info.LicenseFiles.Count == 0 ? "no license file" : best.HasValue ? $"license for {best} data nodes" : "license present (limit not readable)";
        }

        /// <summary>The data-node limit a license file states ("datanode limit: N"); null when it states none.</summary>
        public static int? LicenseNodeLimit(string licenseText)
        {
            var match = NodeLimit.Match(licenseText);
            return match.Success && int.TryParse(match.Groups[1].Value, out var n) ? n : (int?)null;
        }

        internal static string? TryReadText(IRemoteHost host, string path)
        {
            try
            {
                using var buffer = new MemoryStream();
                host.ReadFile(path, buffer);
                return Encoding.UTF8.GetString(buffer.ToArray()).TrimStart('\uFEFF');
            }
            catch (Exception e) when (e is FileNotFoundException || e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
