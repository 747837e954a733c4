using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Completion
{
    /// <summary>One tab-completion choice: what is inserted, what the menu shows and its tooltip.</summary>
    public sealed class CompletionCandidate
    {
        public CompletionCandidate(string text, string listItemText, string toolTip)
        {
            Text = text;
            ListItemText = listItemText;
            ToolTip = toolTip;
        }

        public string Text { get; }
        public string ListItemText { get; }
        public string ToolTip { get; }

        public override string ToString() => Text;
    }

    /// <summary>What an open session contributes to completion, so the logic needs no live connection.</summary>
    public sealed class SessionSummary
    {
        public SessionSummary(int id, string computerName, string description)
        {
            Id = id;
            ComputerName = computerName;
            Description = description;
        }

        public int Id { get; }
        public string ComputerName { get; }
        /// <summary>user@host:port, and whether it is still connected.</summary>
        public string Description { get; }

        public static SessionSummary Of(SshSession session) =>
            new SessionSummary(session.Id, session.ComputerName, session.Connected ? session.ToString() : session + " (disconnected)");
    }

    /// <summary>
    /// The candidates the argument completers offer (-Session/-Id, -ComputerName, -Version/-From/-To). A candidate
    /// matches when it starts with the typed word (case-insensitive, quotes ignored); nothing here throws on a
    /// missing or unreadable file, since completion must never fail the command line.
    /// </summary>
    public static class CompletionCandidates
    {
        /// <summary>Session ids; the typed word may also be the start of the host name.</summary>
        public static IReadOnlyList<CompletionCandidate> SessionIds(IEnumerable<SessionSummary> sessions, string? word)
        {
            var typed = Unquote(word);
            return sessions
                .Where(s => StartsWith(s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), typed) || StartsWith(s.ComputerName, typed))
                .OrderBy(s => s.Id)
                .Select(s => new CompletionCandidate(s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{s.Id} {s.Description}", s.Description))
                .ToList();
        }

        /// <summary>
        /// Host names: those of open sessions first, then the plain (not hashed, not wildcard) names of a known_hosts
        /// file; a <c>[host]:port</c> entry gives the host, its port in the tooltip.
        /// </summary>
        public static IReadOnlyList<CompletionCandidate> HostNames(IEnumerable<SessionSummary> sessions, string? knownHostsPath, string? word)
        {
            var typed = Unquote(word);
            var result = new List<CompletionCandidate>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var host in sessions.GroupBy(s => s.ComputerName, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase))
            {
                if (!StartsWith(host.Key, typed) || !seen.Add(host.Key)) continue;
                result.Add(new CompletionCandidate(host.Key, host.Key, "Open session " + string.Join(", ", host.Select(s => $"{s.Id} ({s.Description})"))));
            }
            foreach (var (host, port) in KnownHostNames(knownHostsPath).OrderBy(h => h.Host, StringComparer.OrdinalIgnoreCase))
            {
                if (!StartsWith(host, typed) || !seen.Add(host)) continue;
                var where = port == 22 ? knownHostsPath! : $"{knownHostsPath}, port {port}";
                result.Add(new CompletionCandidate(host, host, "Known host (" + where + ")"));
            }
            return result;
        }

        /// <summary>
        /// Versions named by the HotDB packages (not JDKs) and ConfigDB upgrade scripts in <paramref name="paths"/>: a
        /// folder, or a file whose folder is read. Oldest first; the tooltip names the files.
        /// </summary>
        public static IReadOnlyList<CompletionCandidate> Versions(IEnumerable<string> paths, string? word)
        {
            var typed = Unquote(word);
            var found = new List<(HotDbVersion Version, string File)>();
            foreach (var folder in paths.Select(FolderOf).Where(f => f != null).Distinct(StringComparer.Ordinal))
            {
                foreach (var name in FileNames(folder!))
                {
                    if (HotDbPackage.TryParse(name, out var package) && package!.Component != HotDbComponent.Jdk)
                        found.Add((package.Version, name));
                    else if (UpgradeScriptCatalog.TryParseName(name, out _, out var version, out _))
                        found.Add((version!, name));
                }
            }
            return found
                .GroupBy(f => f.Version)
                .Where(g => StartsWith(g.Key.ToString(), typed))
                .OrderBy(g => g.Key)
                .Select(g =>
                {
                    var files = g.Select(f => f.File).Distinct(StringComparer.Ordinal).OrderBy(f => f, StringComparer.Ordinal).ToList();
                    return new CompletionCandidate(g.Key.ToString(), g.Key.ToString(), string.Join(Environment.NewLine, files));
                })
                .ToList();
        }

        private static IEnumerable<(string Host, int Port)> KnownHostNames(string? path)
        {
            if (string.IsNullOrEmpty(path)) yield break;
            KnownHostsFile file;
            try { file = KnownHostsFile.Load(path!); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { yield break; }
            foreach (var entry in file.Entries.Where(e => e.Marker == KnownHostMarker.None && !e.IsHashed))
            {
                foreach (var pattern in entry.Hosts.Split(','))
                {
                    if (pattern.Length == 0 || pattern[0] == '!' || pattern.IndexOfAny(new[] { '*', '?' }) >= 0) continue;
                    if (pattern[0] != '[') { yield return (pattern, 22); continue; }
                    var close = pattern.IndexOf("]:", StringComparison.Ordinal);
                    if (close > 1 && int.TryParse(pattern.Substring(close + 2), out var port))
                        yield return (pattern.Substring(1, close - 1), port);
                }
            }
        }

        private static string? FolderOf(string path)
        {
            if (string.IsNullOrWhiteSpace(path)) return null;
            if (Directory.Exists(path)) return path;
            var parent = Path.GetDirectoryName(path);
            return string.IsNullOrEmpty(parent) ? "." : Directory.Exists(parent) ? parent : null;
        }

        private static IEnumerable<string> FileNames(string folder)
        {
            try
            {
                // Only the top level: packages and scripts sit directly in their folder.
                return Directory.EnumerateFiles(folder).Select(p => Path.GetFileName(p)!).ToList();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return Array.Empty<string>();
            }
        }

        private static string Unquote(string? word) => (word ?? "").Trim().Trim('\'', '"');

        private static bool StartsWith(string candidate, string typed) => candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase);
    }
}
