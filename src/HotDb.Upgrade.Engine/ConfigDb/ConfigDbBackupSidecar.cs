using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.ConfigDb
{
    /// <summary>
    /// The JSON file written next to every dump (<c>&lt;dump&gt;.json</c>, mode 0600, on the host that holds the dump):
    /// everything needed to verify and restore the dump later, and never a password.
    /// </summary>
    public static class ConfigDbBackupSidecar
    {
        public const string Extension = ".json";
        private const int FormatVersion = 1;

        public static string PathFor(string dumpPath) => dumpPath + Extension;

        public static string DumpPathOf(string sidecarPath) => sidecarPath.Substring(0, sidecarPath.Length - Extension.Length);

        /// <summary>Writes the sidecar of <paramref name="backup"/> (whose dump is <paramref name="dumpPath"/> on <paramref name="host"/>).</summary>
        internal static string Write(IRemoteHost host, ConfigDbBackup backup, string dumpPath)
        {
            var path = PathFor(dumpPath);
            host.WriteFile(path, ToJson(backup, host.ComputerName, dumpPath), UnixMode.Private);
            return path;
        }

        internal static byte[] ToJson(ConfigDbBackup backup, string computerName, string dumpPath)
        {
            var document = new SidecarDocument
            {
                Format = FormatVersion,
                ComputerName = computerName,
                Path = dumpPath,
                Sha256 = backup.Sha256,
                Size = backup.Size,
                Database = backup.Database,
                Kind = backup.Kind.ToString(),
                Version = backup.Version.ToString(),
                Time = backup.Time.ToString("o", CultureInfo.InvariantCulture),
                Server = new ServerDocument
                {
                    Endpoint = backup.Server.Endpoint.ToString(),
                    Version = backup.Server.Version,
                    ReadOnly = backup.Server.ReadOnly,
                    IsReplica = backup.Server.IsReplica,
                    GroupRole = backup.Server.GroupRole,
                    BinaryLog = backup.Server.BinaryLog,
                    Reason = backup.Server.Reason,
                },
                BinaryLogFile = backup.BinaryLogFile,
                BinaryLogPosition = backup.BinaryLogPosition,
                Gtid = backup.Gtid,
                DumpClient = backup.DumpClient,
                DumpOptions = backup.DumpOptions.ToArray(),
                Tables = backup.Tables.Select(t => new TableDocument { Table = t.Table, Checksum = t.Checksum }).ToArray(),
            };
            using (var buffer = new MemoryStream())
            {
                using (var writer = JsonReaderWriterFactory.CreateJsonWriter(buffer, new UTF8Encoding(false), ownsStream: false, indent: true))
                {
                    new DataContractJsonSerializer(typeof(SidecarDocument)).WriteObject(writer, document);
                    writer.Flush();
                }
                return buffer.ToArray();
            }
        }

        /// <summary>
        /// Rebuilds the backup a sidecar describes. The dump is the file next to the sidecar (where it is now, not where it
        /// was written); <paramref name="configDb"/> supplies the login a restore needs, which the sidecar never holds.
        /// </summary>
        internal static ConfigDbBackup FromJson(byte[] json, IRemoteHost host, string sidecarPath, ConfigDbTarget? configDb)
        {
            SidecarDocument? document;
            try
            {
                using (var stream = new MemoryStream(json))
                    document = (SidecarDocument?)new DataContractJsonSerializer(typeof(SidecarDocument)).ReadObject(stream);
            }
            catch (SerializationException e)
            {
                throw Invalid(host, sidecarPath, $"is not a backup sidecar ({e.Message})", e);
            }
            if (document is null || document.Format != FormatVersion || document.Server is null || document.Tables is null ||
                string.IsNullOrEmpty(document.Sha256) || string.IsNullOrEmpty(document.Database))
                throw Invalid(host, sidecarPath, "is not a backup sidecar of a known format (format 1 with sha256, database, server and tables)", null);
            if (!HotDbVersion.TryParse(document.Version, out var version) ||
                !Enum.TryParse<ConfigDbKind>(document.Kind, out var kind) ||
                !DateTimeOffset.TryParse(document.Time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
                throw Invalid(host, sidecarPath, "has an unreadable version, kind or time", null);
            if (configDb != null && !string.Equals(configDb.Database, document.Database, StringComparison.Ordinal))
                throw new ConfigDbException(ConfigDbFailure.InvalidBackup,
                    $"{host.ComputerName}:{sidecarPath} describes a backup of {document.Database}; -ConfigDb names {configDb.Database}.",
                    "Give the ConfigDB the backup was taken from, or leave -ConfigDb out.", sidecarPath);
            var s = document.Server;
            var server = new ConfigDbServer(ConfigDbEndpoint.Parse(s.Endpoint ?? "", 3306), s.Version ?? "", s.ReadOnly, s.IsReplica, s.GroupRole, s.BinaryLog)
            {
                Reason = s.Reason,
            };
            return new ConfigDbBackup(configDb, document.Database!, kind, host, server, version!, DumpPathOf(sidecarPath), document.Size,
                document.Sha256!.ToLowerInvariant(), document.BinaryLogFile, document.BinaryLogPosition, document.Gtid, time,
                document.DumpClient ?? "", document.DumpOptions ?? Array.Empty<string>(),
                document.Tables.Select(t => new TableChecksum(t.Table ?? "", t.Checksum)).ToList())
            {
                SidecarPath = sidecarPath,
            };
        }

        /// <summary>
        /// The sidecars <paramref name="path"/> names on <paramref name="host"/>: a dump or a sidecar, a wildcard in the
        /// file name, or a folder (its dumps). <paramref name="problems"/> names every dump found without a sidecar.
        /// </summary>
        internal static IReadOnlyList<string> Locate(IRemoteHost host, string path, out IReadOnlyList<string> problems)
        {
            var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
            var slash = trimmed.LastIndexOf('/');
            var directory = slash < 0 ? "." : slash == 0 ? "/" : trimmed.Substring(0, slash);
            var leaf = slash < 0 ? trimmed : trimmed.Substring(slash + 1);
            // One round trip: M lines are what the path matches (a folder matches its dumps), S lines the folder's sidecars.
            var line = $"p={ShellQuote.Quote(trimmed)}; d={ShellQuote.Quote(directory)}; l={ShellQuote.Quote(leaf)}; " +
                "if [ -d \"$p\" ]; then d=\"$p\"; l='*.sql'; fi; " +
                "find \"$d\" -maxdepth 1 -type f -name \"$l\" | sed 's/^/M/'; " +
                "find \"$d\" -maxdepth 1 -type f -name '*.sql" + Extension + "' | sed 's/^/S/'";
            var listed = host.Run(line).StandardOutput.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 1).ToList();
            var sidecars = new HashSet<string>(listed.Where(l => l[0] == 'S').Select(l => l.Substring(1)), StringComparer.Ordinal);
            var found = new SortedSet<string>(StringComparer.Ordinal);
            var missing = new List<string>();
            foreach (var match in listed.Where(l => l[0] == 'M').Select(l => l.Substring(1)))
            {
                var candidate = match.EndsWith(".sql" + Extension, StringComparison.Ordinal) ? match
                    : match.EndsWith(".sql", StringComparison.Ordinal) ? PathFor(match) : null;
                if (candidate is null) continue;
                if (sidecars.Contains(candidate)) found.Add(candidate);
                else missing.Add($"{host.ComputerName}:{match} has no sidecar {System.IO.Path.GetFileName(candidate)}; it was not written by Backup-HotDbConfigDb of this version.");
            }
            problems = missing;
            return found.ToList();
        }

        private static ConfigDbException Invalid(IRemoteHost host, string path, string what, Exception? inner) =>
            new ConfigDbException(ConfigDbFailure.InvalidBackup, $"{host.ComputerName}:{path} {what}.",
                "Give the .json file Backup-HotDbConfigDb wrote next to the dump, unchanged.", path, inner);

        [DataContract]
        private sealed class SidecarDocument
        {
            [DataMember(Name = "format", Order = 0)] public int Format { get; set; }
            [DataMember(Name = "computerName", Order = 1)] public string? ComputerName { get; set; }
            [DataMember(Name = "path", Order = 2)] public string? Path { get; set; }
            [DataMember(Name = "sha256", Order = 3)] public string? Sha256 { get; set; }
            [DataMember(Name = "size", Order = 4)] public long Size { get; set; }
            [DataMember(Name = "database", Order = 5)] public string? Database { get; set; }
            [DataMember(Name = "kind", Order = 6)] public string? Kind { get; set; }
            [DataMember(Name = "version", Order = 7)] public string? Version { get; set; }
            [DataMember(Name = "time", Order = 8)] public string? Time { get; set; }
            [DataMember(Name = "server", Order = 9)] public ServerDocument? Server { get; set; }
            [DataMember(Name = "binaryLogFile", Order = 10)] public string? BinaryLogFile { get; set; }
            [DataMember(Name = "binaryLogPosition", Order = 11)] public long? BinaryLogPosition { get; set; }
            [DataMember(Name = "gtid", Order = 12)] public string? Gtid { get; set; }
            [DataMember(Name = "dumpClient", Order = 13)] public string? DumpClient { get; set; }
            [DataMember(Name = "dumpOptions", Order = 14)] public string[]? DumpOptions { get; set; }
            [DataMember(Name = "tables", Order = 15)] public TableDocument[]? Tables { get; set; }
        }

        [DataContract]
        private sealed class ServerDocument
        {
            [DataMember(Name = "endpoint", Order = 0)] public string? Endpoint { get; set; }
            [DataMember(Name = "version", Order = 1)] public string? Version { get; set; }
            [DataMember(Name = "readOnly", Order = 2)] public bool ReadOnly { get; set; }
            [DataMember(Name = "isReplica", Order = 3)] public bool IsReplica { get; set; }
            [DataMember(Name = "groupRole", Order = 4)] public string? GroupRole { get; set; }
            [DataMember(Name = "binaryLog", Order = 5)] public bool BinaryLog { get; set; }
            [DataMember(Name = "reason", Order = 6)] public string? Reason { get; set; }
        }

        [DataContract]
        private sealed class TableDocument
        {
            [DataMember(Name = "table", Order = 0)] public string? Table { get; set; }
            [DataMember(Name = "checksum", Order = 1)] public long? Checksum { get; set; }
        }
    }
}
