using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>What to carry: two installs (or two files) on one host, optionally the old version's pristine files.</summary>
    public sealed class ConfigCarryOverRequest
    {
        /// <summary>The old install directory, or one file in it.</summary>
        public string OldPath { get; set; } = "";
        /// <summary>The new install directory, or the matching file in it.</summary>
        public string NewPath { get; set; } = "";
        /// <summary>The old version's files as its vendor package ships them (directory or file); null for two-way.</summary>
        public string? PristinePath { get; set; }
        /// <summary>
        /// Which files, when the paths are directories; null or empty: the compute node's three (server.xml, the start
        /// script, log4j2.xml). Properties only when named: the files of <see cref="PropertiesFiles"/>.
        /// </summary>
        public IReadOnlyCollection<ConfigFileKind>? Files { get; set; }
        /// <summary>
        /// The .properties files to carry when the paths are directories and <see cref="Files"/> names Properties,
        /// relative to the install directory (e.g. conf/application.properties); null or empty: every conf/*.properties
        /// file of the new install.
        /// </summary>
        public IReadOnlyCollection<string>? PropertiesFiles { get; set; }
        public ConfigMergeOptions Options { get; set; } = new ConfigMergeOptions();
    }

    /// <summary>One file's planned merge, read from the host; nothing is written until <see cref="ConfigCarryOver.Apply"/>.</summary>
    public sealed class ConfigFilePlan
    {
        internal ConfigFilePlan(ConfigFileKind kind, string oldFile, string newFile, string? pristineFile)
        {
            Kind = kind;
            OldFile = oldFile;
            NewFile = newFile;
            PristineFile = pristineFile;
        }

        public ConfigFileKind Kind { get; }
        public string OldFile { get; }
        public string NewFile { get; }
        /// <summary>The pristine file used; null when the merge is two-way.</summary>
        public string? PristineFile { get; }
        /// <summary>Null when <see cref="Error"/> is set.</summary>
        public ConfigMergeResult? Result { get; internal set; }
        /// <summary>Why this file cannot be merged; nothing is written for it.</summary>
        public Exception? Error { get; internal set; }
        public bool NeedsWrite => Result != null && Result.IsModified;
        internal byte[] NewBytes { get; set; } = Array.Empty<byte>();
        internal byte[] MergedBytes { get; set; } = Array.Empty<byte>();
    }

    /// <summary>
    /// Reads the configuration files of two installs through an <see cref="IRemoteHost"/> (an SSH session or this
    /// machine), merges them, and writes the merged files after saving each original as a mode 0600 backup.
    /// </summary>
    public static class ConfigCarryOver
    {
        public const string BackupInfix = ".hotdb-upgrade-";

        private static readonly ConfigFileKind[] AllKinds = { ConfigFileKind.ServerXml, ConfigFileKind.StartScript, ConfigFileKind.Log4j2 };

        /// <summary>Reads and merges; never writes.</summary>
        public static IReadOnlyList<ConfigFilePlan> Plan(IRemoteHost host, ConfigCarryOverRequest request)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            if (string.IsNullOrWhiteSpace(request.OldPath)) throw new ConfigPathException("The old install path is empty.", request.OldPath);
            if (string.IsNullOrWhiteSpace(request.NewPath)) throw new ConfigPathException("The new install path is empty.", request.NewPath);

            var oldIsDirectory = IsDirectory(host, request.OldPath);
            var newIsDirectory = IsDirectory(host, request.NewPath);
            if (oldIsDirectory != newIsDirectory)
                throw new ConfigPathException($"'{request.OldPath}' and '{request.NewPath}' must both be install directories or both be files.", request.NewPath);

            var plans = new List<ConfigFilePlan>();
            if (oldIsDirectory)
            {
                var pristineIsDirectory = request.PristinePath != null && IsDirectory(host, request.PristinePath);
                if (request.PristinePath != null && !pristineIsDirectory)
                    throw new ConfigPathException($"'{request.PristinePath}' is not a directory; with install directories the pristine path must be the old version's extracted package directory.", request.PristinePath);
                var kinds = request.Files is null || request.Files.Count == 0 ? AllKinds : AllKinds.Where(request.Files.Contains).ToArray();
                foreach (var kind in kinds)
                {
                    var relative = ConfigMerger.RelativePath(kind);
                    plans.Add(PlanFile(host, kind, Join(request.OldPath, relative), Join(request.NewPath, relative),
                        request.PristinePath is null ? null : Join(request.PristinePath, relative), request.Options));
                }
                if (request.Files != null && request.Files.Contains(ConfigFileKind.Properties))
                {
                    var relatives = request.PropertiesFiles is { Count: > 0 } named ? named.ToList() : PropertiesFilesIn(host, request.NewPath);
                    foreach (var relative in relatives)
                    {
                        if (relative.StartsWith("/", StringComparison.Ordinal) || relative.Split('/').Contains(".."))
                            throw new ConfigPathException($"'{relative}' must be a path inside the install directory (e.g. conf/application.properties).", relative);
                        plans.Add(PlanFile(host, ConfigFileKind.Properties, Join(request.OldPath, relative), Join(request.NewPath, relative),
                            request.PristinePath is null ? null : Join(request.PristinePath, relative), request.Options));
                    }
                }
                return plans;
            }

            var fileKind = request.Files?.Count == 1 ? request.Files.First()
                : ConfigMerger.KindOf(request.NewPath) ?? ConfigMerger.KindOf(request.OldPath)
                ?? throw new ConfigPathException($"Cannot tell which configuration file '{request.NewPath}' is; name the kind (ServerXml, StartScript, Log4j2 or Properties).", request.NewPath);
            foreach (var path in new[] { request.OldPath, request.NewPath, request.PristinePath })
            {
                var named = path is null ? null : ConfigMerger.KindOf(path);
                if (named != null && named != fileKind)
                    throw new ConfigPathException($"'{path}' is {ConfigMerger.Describe(named.Value)}, not {ConfigMerger.Describe(fileKind)}; compare files of the same kind.", path);
            }
            plans.Add(PlanFile(host, fileKind, request.OldPath, request.NewPath, request.PristinePath, request.Options));
            return plans;
        }

        // Every conf/*.properties file of an install, relative to it, sorted.
        private static List<string> PropertiesFilesIn(IRemoteHost host, string directory)
        {
            var conf = Join(directory, "conf");
            if (!host.IsDirectory(conf)) return new List<string>();
            var found = host.RunOrFail(ShellQuote.Join("find", conf, "-maxdepth", "1", "-type", "f", "-name", "*.properties"), $"list the .properties files in {conf}");
            return found.StandardOutput.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(p => "conf/" + p.Substring(p.LastIndexOf('/') + 1)).OrderBy(p => p, StringComparer.Ordinal).ToList();
        }

        private static ConfigFilePlan PlanFile(IRemoteHost host, ConfigFileKind kind, string oldFile, string newFile, string? pristineFile, ConfigMergeOptions options)
        {
            var pristineBytes = pristineFile is null ? null : TryRead(host, pristineFile);
            var plan = new ConfigFilePlan(kind, oldFile, newFile, pristineBytes is null ? null : pristineFile);
            try
            {
                var oldBytes = Read(host, oldFile);
                plan.NewBytes = Read(host, newFile);
                plan.Result = ConfigMerger.Merge(kind, newFile, oldBytes, plan.NewBytes, pristineBytes, options, out var merged, oldFile, pristineFile);
                plan.MergedBytes = merged;
                foreach (var change in plan.Result.Changes) change.ComputerName = host.ComputerName;
            }
            catch (Exception e) when (e is ConfigFormatException || e is IOException || e is UnauthorizedAccessException)
            {
                plan.Error = e;
            }
            return plan;
        }

        /// <summary>
        /// Plans pointing a start script (bin/hotdb_server, bin/hotdb_management) at a JDK: JAVA_BIN and JAVA_VERSION
        /// set in the file's quoting. Write it with <see cref="Apply"/>, which backs the script up first.
        /// </summary>
        public static ConfigFilePlan PlanJdk(IRemoteHost host, string scriptPath, string javaBin, string javaVersion)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            var plan = new ConfigFilePlan(ConfigFileKind.StartScript, scriptPath, scriptPath, null);
            try
            {
                plan.NewBytes = Read(host, scriptPath);
                var text = ConfigText.Decode(plan.NewBytes, scriptPath);
                plan.Result = ConfigMerger.SetJdk(scriptPath, text.Text, javaBin, javaVersion);
                foreach (var change in plan.Result.Changes) change.ComputerName = host.ComputerName;
                plan.MergedBytes = plan.Result.IsModified ? text.WithText(plan.Result.MergedText).Encode() : plan.NewBytes;
            }
            catch (Exception e) when (e is ConfigFormatException || e is IOException || e is UnauthorizedAccessException)
            {
                plan.Error = e;
            }
            return plan;
        }

        /// <summary>
        /// Writes one planned file: refuses when the file changed since it was read, saves the original as
        /// <c>&lt;file&gt;.hotdb-upgrade-&lt;UTC yyyyMMddHHmmssfff&gt;[-n].bak</c> (mode 0600, the first free name, never
        /// overwriting one), replaces the file atomically keeping its owner and mode (through a symbolic link: the
        /// link's target is replaced and the link kept), and reads it back to verify. Returns the backup path.
        /// </summary>
        public static string Apply(IRemoteHost host, ConfigFilePlan plan, DateTime utcNow)
        {
            try
            {
                return WriteVerified(host, plan, utcNow);
            }
            catch (Exception e) when ((e is IOException || e is UnauthorizedAccessException) && !(e is IHotDbError))
            {
                throw new ConfigWriteException(plan.NewFile, e);
            }
        }

        private static string WriteVerified(IRemoteHost host, ConfigFilePlan plan, DateTime utcNow)
        {
            if (plan.Result is null) throw new InvalidOperationException($"{plan.NewFile} has no merge to apply: {plan.Error?.Message}");
            if (!plan.NeedsWrite) throw new InvalidOperationException($"{plan.NewFile} needs no change.");
            var current = Read(host, plan.NewFile);
            if (!current.SequenceEqual(plan.NewBytes))
                throw new IOException($"{host.ComputerName}: {plan.NewFile} changed after it was compared; run the merge again.");

            var backup = SaveBackup(host, plan.NewFile, plan.NewBytes, utcNow);
            Replace(host, plan.NewFile, plan.MergedBytes, $"replace {plan.NewFile}");
            if (!Read(host, plan.NewFile).SequenceEqual(plan.MergedBytes))
                throw new IOException($"{host.ComputerName}: {plan.NewFile} does not hold the merged content after writing; restore it from {backup}.");
            foreach (var change in plan.Result.Changes) change.BackupPath = backup;
            return backup;
        }

        /// <summary>
        /// Saves <paramref name="original"/> under the first free name <c>&lt;file&gt;.hotdb-upgrade-&lt;stamp&gt;[-n].bak</c>.
        /// The name is taken on the host by an exclusive create (noclobber opens with O_EXCL), so two backups of one
        /// file in the same millisecond, from this process or another, get distinct names and none is overwritten.
        /// </summary>
        private static string SaveBackup(IRemoteHost host, string file, byte[] original, DateTime utcNow)
        {
            var stem = file + BackupInfix + utcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
            var staged = Stage(host, file, original);
            var what = $"save a backup of {file} as {stem}[-n].bak";
            var (backup, elevated) = Cleaning(host, staged, () => AsUserThenRoot(host,
                elevate => (host.FreeName(new NamePattern(stem, "-", 1, ".bak", MaxBackupSuffix), reserve: true, elevate, what), elevate)));
            // Owned like the staged copy (the login user), so the read-back check can read it after a sudo retry.
            var fill = "{ " + ShellQuote.Join("cat", "--", staged) + " >| " + ShellQuote.Quote(backup) + " && " + ShellQuote.Join("chown", "--reference=" + staged, "--", backup) +
                       " && " + ShellQuote.Join("chmod", UnixMode.Octal(UnixMode.Private), "--", backup) + "; } || { " + ShellQuote.Join("rm", "-f", "--", backup) + "; exit 1; }";
            Cleaning(host, staged, () => host.RunOrFail(fill, what, null, elevated));
            host.TryRemove(staged, elevate: elevated);
            if (!Read(host, backup).SequenceEqual(original))
                throw new IOException($"{host.ComputerName}: the backup {backup} does not match the original; {file} was not changed.");
            return backup;
        }

        // Taken names tried before giving up: far more than any run makes, few enough to stop a runaway loop.
        private const int MaxBackupSuffix = 999;

        /// <summary>Puts the original back from a backup Apply made (keeps the backup).</summary>
        public static void Restore(IRemoteHost host, string file, string backupPath)
        {
            if (backupPath.IndexOf(BackupInfix, StringComparison.Ordinal) < 0 || !backupPath.StartsWith(file, StringComparison.Ordinal))
                throw new ArgumentException($"'{backupPath}' is not a backup of '{file}' made by the carry-over.", nameof(backupPath));
            Replace(host, file, Read(host, backupPath), $"restore {file} from {backupPath}");
        }

        // Atomic replace keeping owner and mode. A symbolic link is written through: its final target is replaced
        // (staged beside it, so the mv stays on one file system) and the link itself is kept.
        private static void Replace(IRemoteHost host, string file, byte[] bytes, string what)
        {
            var target = ResolveLinks(host, file);
            var staged = Stage(host, target, bytes);
            var line = ShellQuote.Join("chmod", "--reference=" + target, "--", staged) + " && " + ShellQuote.Join("chown", "--reference=" + target, "--", staged) +
                       " && " + ShellQuote.Join("mv", "-f", "--", staged, target);
            Cleaning(host, staged, () => AsUserThenRoot(host, elevate => host.RunOrFail(line, what, null, elevate)));
        }

        private static string ResolveLinks(IRemoteHost host, string file)
        {
            if (!host.IsSymbolicLink(file)) return file;
            var resolved = host.Run(ShellQuote.Join("readlink", "-f", "--", file));
            var target = resolved.StandardOutput.TrimEnd('\n');
            if (!resolved.Succeeded || target.Length == 0)
                throw new IOException($"{host.ComputerName}: cannot resolve the symbolic link {file}: {resolved.StandardError.Trim()}");
            return target;
        }

        // A 0600 file beside the target (same file system, so the final mv is atomic); mktemp when that folder is not writable.
        private static string Stage(IRemoteHost host, string file, byte[] bytes)
        {
            var staged = file + BackupInfix + "tmp-" + Guid.NewGuid().ToString("N").Substring(0, 12);
            try
            {
                host.WriteFile(staged, bytes, UnixMode.Private);
                return staged;
            }
            catch (UnauthorizedAccessException)
            {
                var made = host.Run("mktemp");
                if (!made.Succeeded) throw;
                staged = made.StandardOutput.Trim();
                host.WriteFile(staged, bytes, UnixMode.Private);
                return staged;
            }
        }

        // As the login user; again as root when that is refused and the user is not root.
        private static T AsUserThenRoot<T>(IRemoteHost host, Func<bool, T> operation)
        {
            try { return operation(false); }
            catch (RemoteCommandException) when (host.UserName != "root")
            {
                try { return operation(true); }
                catch (InvalidOperationException) { /* no elevation configured: report the unelevated failure */ }
                throw;
            }
        }

        // A failed step removes the staged copy: it must not stay beside the file.
        private static T Cleaning<T>(IRemoteHost host, string staged, Func<T> step)
        {
            try { return step(); }
            catch (RemoteCommandException)
            {
                host.TryRemove(staged);
                throw;
            }
        }

        private static bool IsDirectory(IRemoteHost host, string path)
        {
            if (host.IsDirectory(path)) return true;
            // Not Exists: a dangling link is a file that cannot be read, reported as missing.
            if (!host.Run(ShellQuote.Join("test", "-e", path)).Succeeded) throw new ConfigPathNotFoundException($"{host.ComputerName}: '{path}' does not exist.", path);
            return false;
        }

        private static byte[] Read(IRemoteHost host, string path) => host.ReadBytes(path);

        private static byte[]? TryRead(IRemoteHost host, string path) => host.IsFile(path) ? Read(host, path) : null;

        private static string Join(string directory, string relative) => directory.TrimEnd('/') + "/" + relative;
    }
}
