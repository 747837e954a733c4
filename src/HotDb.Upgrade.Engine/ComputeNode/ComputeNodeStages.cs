using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;
using MySqlConnector;
using static HotDb.Upgrade.ComputeNode.ComputeNodeUpgrade;

namespace HotDb.Upgrade.ComputeNode
{
    /// <summary>The package is a readable compute-node tarball that extracts to hotdb-server/ (and the JDK and license files are usable).</summary>
    internal sealed class CheckPackageStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "CheckPackage";
        public override bool ChangesState => false;
        public override string Describe(ComputeNodeUpgradeContext c) => $"Check {Path.GetFileName(c.Options.PackagePath)} is a complete compute node package";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var path = c.Options.PackagePath;
            if (!File.Exists(path)) throw new StageFailedException($"The package '{path}' does not exist.", "Give the path of the vendor's hotdb-server-<version>-ga-<date>.tar.gz.");
            if (c.Package == null)
                throw new StageFailedException($"'{Path.GetFileName(path)}' is not a HotDB package name.", $"Use the vendor's file name unchanged: {HotDbPackage.ExpectedPatterns}.");
            if (c.Package.Component != HotDbComponent.ComputeNode)
                throw new StageFailedException($"'{c.Package.FileName}' is a {c.Package.Component} package, not a compute node package.",
                    "Give the hotdb-server-<version>-ga-<date>.tar.gz package; other components have their own cmdlets.");
            c.Contents = Inspect(path, "hotdb-server", "hotdb-server/bin/hotdb_server", "hotdb-server/conf/server.xml");
            progress.Note($"{c.Package.FileName}: {c.Contents.Entries.Count} entries, {c.Contents.UnpackedBytes / 1048576.0:0.0} MiB unpacked");
            if (c.Options.JdkPackagePath != null)
            {
                if (!File.Exists(c.Options.JdkPackagePath)) throw new StageFailedException($"The JDK package '{c.Options.JdkPackagePath}' does not exist.", "Give the path of the OpenJDK 8 tarball.");
                if (c.JdkPackage == null || c.JdkPackage.Component != HotDbComponent.Jdk)
                    throw new StageFailedException($"'{Path.GetFileName(c.Options.JdkPackagePath)}' is not an OpenJDK 8 package name.", "Give OpenJDK8U-jdk_x64_linux_hotspot_8u<update>b<build>.tar.gz, named as downloaded.");
                c.JdkContents = Inspect(c.Options.JdkPackagePath, c.JdkPackage.TopDirectory!, c.JdkPackage.TopDirectory + "/bin/java");
            }
            if (c.Options.LicenseFilePath != null && !File.Exists(c.Options.LicenseFilePath))
                throw new StageFailedException($"The license file '{c.Options.LicenseFilePath}' does not exist.", "Give the license file the vendor issued for this host's fingerprint.");
        }

        private static PackageContents Inspect(string path, string top, params string[] required)
        {
            PackageContents contents;
            try { contents = PackageContents.Read(path); }
            catch (InvalidDataException e)
            {
                throw new StageFailedException($"'{Path.GetFileName(path)}' is not a usable tarball: {e.Message}", "Download the package again and compare its checksum with the vendor's.");
            }
            if (contents.TopDirectories.Count != 1 || contents.TopDirectories[0] != top)
                throw new StageFailedException($"'{Path.GetFileName(path)}' extracts to {string.Join(", ", contents.TopDirectories.Select(t => t + "/"))}, not only {top}/.",
                    "Give the vendor's package unchanged; a repacked tarball must keep the vendor's layout.");
            foreach (var entry in required)
                if (!contents.Contains(entry))
                    throw new StageFailedException($"'{Path.GetFileName(path)}' has no {entry}.", "Download the package again; it is incomplete.");
            return contents;
        }
    }

    /// <summary>The node is installed, the package is newer (unless forced), the backup name is free and the ConfigDB is reachable from the node.</summary>
    internal sealed class CheckNodeStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "CheckNode";
        public override bool ChangesState => false;
        public override string Describe(ComputeNodeUpgradeContext c) =>
            $"Check {c.InstallPath} ({c.FromVersion?.ToString() ?? "version unknown"}, {(c.Before.Running ? "running" : "stopped")}) can go to {c.ToVersion}";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var b = c.Before;
            if (!b.Installed)
                throw new StageFailedException($"{c.Host.ComputerName}: no HotDB Server install at {c.InstallPath} (no conf/server.xml, bin/hotdb_server or lib/hotdb-server-<version>.jar).", "Give the install directory with -InstallPath (default /usr/local/hotdb/hotdb-server).");
            if (b.Version == null)
                throw new StageFailedException($"{c.Host.ComputerName}: the version installed in {c.InstallPath} cannot be read (no lib/hotdb-server-<version>.jar).",
                    "Check the install is complete; the backup directory is named after the installed version.");
            var target = c.ToVersion!;
            if (target <= b.Version)
            {
                var what = target == b.Version ? $"{target} is already installed" : $"{target} is older than the installed {b.Version} (a downgrade)";
                if (!c.Options.Force)
                    throw new StageFailedException($"{c.Host.ComputerName}: {what}; nothing was changed.", "Give a newer package, or -Force to reinstall or downgrade deliberately.");
                progress.Note(what + "; going ahead because -Force was given");
            }
            progress.Note($"the old install will be kept as {c.BackupPath}");
            if (!c.BackupPath.EndsWith("_" + b.Version.ToString().Replace(".", ""), StringComparison.Ordinal))
                progress.Note($"{c.BackupPath.Substring(0, c.BackupPath.LastIndexOf('_'))} already exists (an earlier backup); it is left untouched");
            progress.Note($"role {b.Role}: after the start the service port must be {(b.ExpectedServerPort == PortExpectation.Open ? "open" : "closed")} and the manager port open");
            if (b.Running && !b.Healthy)
                progress.Note($"the node runs but its ports do not match its role now (server {(b.ServerPortOpen ? "open" : "closed")}, manager {(b.ManagerPortOpen ? "open" : "closed")})");
            CheckConfigDb(c, progress, cancellationToken);
        }

        private static void CheckConfigDb(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var url = c.Before.ConfigDbUrl;
            if (c.Before.ConfigDbHost == null)
            {
                progress.Note("server.xml names no ConfigDB url; its reachability was not checked");
                return;
            }
            var host = c.Before.ConfigDbHost;
            var port = c.Before.ConfigDbPort.ToString(CultureInfo.InvariantCulture);
            var probe = c.Host.Run(ShellQuote.Join("timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/\"$0\"/\"$1\"", host, port), timeout: TimeSpan.FromSeconds(20), cancellationToken: cancellationToken);
            if (!probe.Succeeded)
                throw new StageFailedException($"{c.Host.ComputerName}: the ConfigDB {host}:{port} (server.xml url) does not answer from the node; the new version could not start.",
                    "Start the ConfigDB or fix the network, then run the command again.");
            progress.Note($"ConfigDB {host}:{port} answers from the node");
        }
    }

    /// <summary>2.5.6 and later run on JDK 8: a JDK 8 is already configured, given as -JavaBin, or installed from -JdkPackage.</summary>
    internal sealed class CheckJdkStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "CheckJdk";
        public override bool ChangesState => false;
        public override string Describe(ComputeNodeUpgradeContext c) => $"Check a JDK 8 is available ({c.ToVersion} needs {VersionRules.RequiredJavaMajor(c.ToVersion!)})";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var major = VersionRules.RequiredJavaMajor(c.ToVersion!);
            if (c.Options.JavaBin != null)
            {
                var reported = ComputeNodeReader.JavaVersionOf(c.Host, c.Options.JavaBin, cancellationToken);
                if (reported == null || !reported.StartsWith(major + ".", StringComparison.Ordinal))
                    throw new StageFailedException($"{c.Host.ComputerName}: {c.Options.JavaBin} reports {(reported ?? "nothing (it does not run)")}; {c.ToVersion} needs Java {major}.",
                        "Give -JavaBin of a JDK 8 on the host, or -JdkPackage with the OpenJDK 8 tarball.");
                c.TargetJavaBin = c.Options.JavaBin;
                c.TargetJavaVersion = reported;
                progress.Note($"JAVA_BIN will be {c.TargetJavaBin} ({reported})");
                return;
            }
            if (c.JdkPackage != null)
            {
                c.TargetJavaBin = c.JdkHome + "/bin/java";
                c.TargetJavaVersion = c.JdkPackage.JavaVersion;
                progress.Note($"{c.JdkPackage.FileName} will be installed in {c.JdkHome}; JAVA_BIN will be {c.TargetJavaBin} ({c.TargetJavaVersion})");
                return;
            }
            var current = c.Before.JavaReportedVersion;
            if (current != null && current.StartsWith(major + ".", StringComparison.Ordinal) && c.Before.JavaBin != null)
            {
                c.TargetJavaBin = c.Before.JavaBin;
                c.TargetJavaVersion = current;
                progress.Note($"the node already runs on {current} ({c.Before.JavaBin}); JAVA_BIN will point there");
                return;
            }
            throw new StageFailedException($"{c.ToVersion} needs JDK {major}; the node runs on {current ?? "an unknown JDK"} and no JDK 8 was given.",
                "Give -JdkPackage OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz (installed under -JdkRoot) or -JavaBin of a JDK 8 already on the host.");
        }
    }

    /// <summary>Enough free space for the upload and the extraction, in the install root (and the JDK root).</summary>
    internal sealed class CheckDiskSpaceStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "CheckDiskSpace";
        public override bool ChangesState => false;
        public override string Describe(ComputeNodeUpgradeContext c) => $"Check free space in {c.InstallRoot} for the upload and the extraction";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            long need = c.Contents?.UnpackedBlocks ?? 0;
            if (c.Host.Sha256(c.StagedPackagePath, cancellationToken: cancellationToken) != FileTransfer.LocalSha256(c.Options.PackagePath))
                need += new FileInfo(c.Options.PackagePath).Length;
            need += need / 10;
            Require(c, c.InstallRoot, need, progress, cancellationToken);
            if (c.JdkContents != null && c.Options.JdkPackagePath != null)
            {
                var jdkNeed = c.JdkContents.UnpackedBlocks + new FileInfo(c.Options.JdkPackagePath).Length;
                Require(c, c.Options.JdkRoot, jdkNeed + jdkNeed / 10, progress, cancellationToken);
            }
        }

        private static void Require(ComputeNodeUpgradeContext c, string path, long bytes, IStageProgress progress, CancellationToken cancellationToken)
        {
            var free = Staged(() => c.Host.FreeSpace(path, cancellationToken), "Check that df works on the host.");
            if (free < bytes)
                throw new StageFailedException($"{c.Host.ComputerName}: {path} has {free / 1048576.0:0.0} MiB free; the upgrade needs {bytes / 1048576.0:0.0} MiB.",
                    "Free space there (old backups hotdb_server_*, Install_Package) and run the command again.");
            progress.Note($"{path}: {free / 1048576.0:0.0} MiB free, {bytes / 1048576.0:0.0} MiB needed");
        }
    }

    /// <summary>From 2.5.6 the node needs a soft license covering the ConfigDB's data nodes; the package ships a trial.</summary>
    internal sealed class CheckLicenseStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "CheckLicense";
        public override bool ChangesState => false;
        public override string Describe(ComputeNodeUpgradeContext c) =>
            $"Check the license for {c.ToVersion} covers the data nodes in the ConfigDB" + (c.Options.LicenseFilePath != null ? $" ({Path.GetFileName(c.Options.LicenseFilePath)} given)" : " (the package's trial license)");

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            int? limit = null;
            string source = "";
            if (c.Options.LicenseFilePath != null)
            {
                limit = ComputeNodeReader.LicenseNodeLimit(File.ReadAllText(c.Options.LicenseFilePath));
                source = Path.GetFileName(c.Options.LicenseFilePath);
                if (limit == null) progress.Note($"{source} states no data-node limit this module can read; the node checks it at start");
            }
            else
            {
                var shipped = c.Contents?.Entries.Where(e => e.StartsWith("hotdb-server/keys/", StringComparison.Ordinal)).ToList() ?? new List<string>();
                if (shipped.Count == 0)
                    throw new StageFailedException($"{c.Package!.FileName} ships no license in keys/ and no -LicenseFile was given; {c.ToVersion} does not start without one.",
                        "Get a license for this host's fingerprint (java -jar utils/hotdb_license.jar -f) and give it with -LicenseFile.");
                limit = VersionRules.TrialLicenseDataNodes;
                source = "the package's trial license";
            }
            if (limit == null) return;
            var count = CountDataNodes(c, progress);
            if (count == null) return;
            if (count > limit)
                throw new StageFailedException($"The ConfigDB has {count} data nodes; {source} allows {limit}. {c.ToVersion} would not serve with this license.",
                    "Get a license for at least " + count + " data nodes (fingerprint: java -jar utils/hotdb_license.jar -f) and give it with -LicenseFile.");
            progress.Note($"{count} data nodes in the ConfigDB; {source} allows {limit}");
        }

        private static int? CountDataNodes(ComputeNodeUpgradeContext c, IStageProgress progress)
        {
            var node = c.Before;
            var p = node.RawProperties;
            if (!p.TryGetValue("url", out var url) || !p.TryGetValue("username", out var user))
            {
                progress.Note("server.xml has no ConfigDB url/username; data nodes not counted");
                return null;
            }
            if (node.ConfigDbHost == null || node.ConfigDbDatabase == null)
            {
                progress.Note($"the ConfigDB url '{url}' is not jdbc:mysql://host:port/database; data nodes not counted");
                return null;
            }
            var builder = new MySqlConnectionStringBuilder
            {
                Server = node.ConfigDbHost,
                Port = (uint)node.ConfigDbPort,
                Database = node.ConfigDbDatabase,
                UserID = user.Trim(),
                Password = p.TryGetValue("password", out var password) ? password.Trim() : "",
                ConnectionTimeout = 10,
                Pooling = false,
                SslMode = MySqlSslMode.Preferred,
                AllowPublicKeyRetrieval = true,
            };
            try
            {
                using var connection = new MySqlConnection(builder.ConnectionString);
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM hotdb_datanode";
                return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            catch (MySqlException e)
            {
                progress.Note($"could not count the data nodes in the ConfigDB {builder.Server}:{builder.Port}/{builder.Database} from here ({e.Message}); the node checks its license at start");
                return null;
            }
        }
    }

    /// <summary>Uploads the package (and JDK) to the staging folder, skipped when the same SHA-256 is there. Runs before the stop: no downtime for the transfer.</summary>
    internal sealed class UploadPackageStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "UploadPackage";
        public override string Describe(ComputeNodeUpgradeContext c) =>
            $"Upload {Path.GetFileName(c.Options.PackagePath)}{(c.Options.JdkPackagePath != null ? " and " + Path.GetFileName(c.Options.JdkPackagePath) : "")} to {c.StagingPath} (skipped when already there)";

        public override bool IsAlreadyDone(ComputeNodeUpgradeContext c) =>
            Same(c, c.Options.PackagePath, c.StagedPackagePath) && (c.Options.JdkPackagePath == null || Same(c, c.Options.JdkPackagePath, c.StagedJdkPath!));

        private static bool Same(ComputeNodeUpgradeContext c, string local, string remote) => c.Host.Sha256(remote) == FileTransfer.LocalSha256(local);

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            Staged(() => c.Host.MakeDirectory(c.StagingPath, what: "create the staging folder " + c.StagingPath, elevate: true, cancellationToken: cancellationToken));
            Send(c, c.Options.PackagePath, progress, cancellationToken);
            if (c.Options.JdkPackagePath != null) Send(c, c.Options.JdkPackagePath, progress, cancellationToken);
        }

        private static void Send(ComputeNodeUpgradeContext c, string local, IStageProgress progress, CancellationToken cancellationToken)
        {
            var total = new FileInfo(local).Length;
            var name = Path.GetFileName(local);
            // A cut link stalls an SFTP upload without an error for many minutes: no progress for StallTimeout ends it.
            using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var lastProgress = DateTime.UtcNow;
            using var watchdog = new Timer(_ =>
            {
                if (DateTime.UtcNow - lastProgress > c.Options.UploadStallTimeout) stalled.Cancel();
            }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            // The transfer runs on its own thread: a request stuck on a dead link cannot always be cancelled, so a stall
            // abandons it (it ends with the session) instead of hanging the upgrade.
            var upload = Task.Factory.StartNew(() => FileTransfer.Upload(c.Host, local, c.StagingPath + "/", UnixMode.Readable, sent =>
            {
                lastProgress = DateTime.UtcNow;
                progress.Report($"{name}: {sent / 1048576.0:0.0} of {total / 1048576.0:0.0} MiB", total == 0 ? 100 : (int)(sent * 100 / total));
            }, stalled.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            TransferResult transfer;
            try
            {
                upload.Wait(stalled.Token);
                transfer = upload.Result;
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                upload.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                throw new StageFailedException($"{c.Host.ComputerName}: uploading {name} made no progress for {c.Options.UploadStallTimeout.TotalSeconds:0} s; the network to the host may be down.",
                    "Check the network to the host, then run the command again; nothing on the node was changed.", e);
            }
            catch (AggregateException wrapped) when (wrapped.InnerException is IOException || wrapped.InnerException is UnauthorizedAccessException ||
                                                     wrapped.InnerException is RemoteConnectionException || wrapped.InnerException is TimeoutException ||
                                                     wrapped.InnerException is OperationCanceledException)
            {
                var e = wrapped.InnerException!;
                if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
                    throw new StageFailedException($"{c.Host.ComputerName}: uploading {name} made no progress for {c.Options.UploadStallTimeout.TotalSeconds:0} s; the network to the host may be down.",
                        "Check the network to the host, then run the command again; nothing on the node was changed.", e);
                if (e is OperationCanceledException) throw e;
                throw new StageFailedException($"{c.Host.ComputerName}: uploading {name} failed: {e.Message}", "Check the network and the free space in " + c.StagingPath + ", then run the command again; a verified upload is not repeated.", e);
            }
            progress.Note($"{name}: {transfer.Status} ({transfer.Sha256})");
        }

        public override void Rollback(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken) =>
            progress.Note($"the staged package is kept in {c.StagingPath} so a new run does not upload it again");
    }

    /// <summary>Stops the old version; rolling back starts it again (when it was running) and waits for its ports.</summary>
    internal sealed class StopServiceStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "StopService";
        public override string Describe(ComputeNodeUpgradeContext c) =>
            c.Before.Running ? $"Stop HotDB Server {c.FromVersion} (sh {c.InstallPath}/bin/hotdb_server stop)" : $"HotDB Server {c.FromVersion} is not running; nothing to stop";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var result = Service(() => ComputeNodeService.Stop(c.Host, c.InstallPath, c.Options.StopTimeout, s => progress.Report(s), cancellationToken));
            progress.Note(result.Changed ? $"stopped in {result.Duration.TotalSeconds:0.0} s" : "was not running");
        }

        public override void Rollback(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!c.WasRunning)
            {
                progress.Note("the old version was not running before the upgrade; it is left stopped");
                return;
            }
            var result = Service(() => ComputeNodeService.Start(c.Host, c.InstallPath, c.Options.StartTimeout, s => progress.Report(s), cancellationToken,
                c.AllowStartedClusterMember));
            progress.Note($"old version {result.Version} running again (server port {(result.ServerPortOpen ? "open" : "closed")}, manager port open)");
        }

        internal static ComputeNodeServiceResult Service(Func<ComputeNodeServiceResult> action)
        {
            try { return action(); }
            catch (ComputeNodeServiceException e) { throw new StageFailedException(e.Message, e.RecommendedAction, e); }
        }
    }

    /// <summary>The manual's "mv hotdb-server hotdb_server_&lt;old&gt;": the old install stays intact beside the new one.</summary>
    internal sealed class KeepOldInstallStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "KeepOldInstall";
        public override string Describe(ComputeNodeUpgradeContext c) => $"Rename {c.InstallPath} to {c.BackupPath}";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (Exists(c, c.BackupPath))
                throw new StageFailedException($"{c.Host.ComputerName}: {c.BackupPath} appeared since the checks; it is never overwritten.", "Run the command again; it picks a free name.");
            Staged(() => c.Host.Move(c.InstallPath, c.BackupPath, $"rename {c.InstallPath} to {c.BackupPath}", elevate: true, cancellationToken: cancellationToken));
        }

        public override void Rollback(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!Exists(c, c.BackupPath))
            {
                progress.Note($"{c.BackupPath} does not exist; the old install was not moved");
                return;
            }
            if (Exists(c, c.InstallPath))
                throw new StageFailedException($"{c.Host.ComputerName}: {c.InstallPath} is occupied, so {c.BackupPath} cannot be renamed back.",
                    $"Move {c.InstallPath} aside by hand, then rename {c.BackupPath} to {c.InstallPath} and start it.");
            Staged(() => c.Host.Move(c.BackupPath, c.InstallPath, $"rename {c.BackupPath} back to {c.InstallPath}", elevate: true));
            progress.Note($"{c.BackupPath} renamed back to {c.InstallPath}");
        }
    }

    /// <summary>Extracts into a private folder in the install root, then moves hotdb-server/ into place, chowns and restores SELinux contexts.</summary>
    internal sealed class ExtractPackageStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "ExtractPackage";
        public override string Describe(ComputeNodeUpgradeContext c) =>
            $"Extract {Path.GetFileName(c.Options.PackagePath)} to {c.InstallPath}, chown -R {c.Owner}, restorecon -R where SELinux is enabled";

        private static string Scratch(ComputeNodeUpgradeContext c) => c.InstallRoot.TrimEnd('/') + "/.hotdb-upgrade-extract-" + c.Stamp;

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var scratch = Scratch(c);
            if (Exists(c, c.InstallPath))
                throw new StageFailedException($"{c.Host.ComputerName}: {c.InstallPath} exists although the old install was moved.", "Find out what created it; nothing was extracted.");
            Staged(() => c.Host.MakeDirectory(scratch, UnixMode.PrivateFolder, parents: false, elevate: true, cancellationToken: cancellationToken));
            progress.Report("tar -xzf " + c.StagedPackagePath);
            Exec(c, ShellQuote.Join("tar", "-xzf", c.StagedPackagePath, "-C", scratch, "--no-same-owner"), "extract " + c.StagedPackagePath,
                "Free space in " + c.InstallRoot + " (df -h) or replace a damaged package, then run the command again.", cancellationToken: cancellationToken);
            Exec(c, ShellQuote.Join("test", "-f", scratch + "/hotdb-server/bin/hotdb_server"), "find bin/hotdb_server in the extracted package", cancellationToken: cancellationToken);
            Staged(() => c.Host.Move(scratch + "/hotdb-server", c.InstallPath, $"move the extracted package to {c.InstallPath}", elevate: true, cancellationToken: cancellationToken));
            c.NewInstallInPlace = true;
            Exec(c, ShellQuote.Join("rmdir", "--", scratch), "remove the emptied " + scratch, cancellationToken: cancellationToken);
            Exec(c, ShellQuote.Join("chown", "-R", "--", c.Owner, c.InstallPath), $"chown -R {c.Owner} {c.InstallPath}", "Give -Owner with an existing user:group.", cancellationToken: cancellationToken);
            var selinux = c.Host.Run("command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled", cancellationToken: cancellationToken).Succeeded;
            if (selinux)
            {
                Exec(c, ShellQuote.Join("restorecon", "-R", "--", c.InstallPath), "restorecon -R " + c.InstallPath, cancellationToken: cancellationToken);
                progress.Note("SELinux is enabled: contexts restored");
            }
            else progress.Note("SELinux is not enabled: restorecon not needed");
        }

        // The old install was moved away before this stage, so whatever stands at the install path now came from this run.
        public override void PrepareRollbackAfterInterruption(ComputeNodeUpgradeContext c) => c.NewInstallInPlace = Exists(c, c.InstallPath);

        public override void Rollback(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var scratch = Scratch(c);
            if (Exists(c, scratch))
            {
                // A partial extraction is only the package's own files: removing it frees the space an old version needs to start.
                Staged(() => c.Host.Remove(scratch, recursive: true, what: "remove the partial extraction " + scratch, elevate: true));
                progress.Note($"partial extraction {scratch} removed (it held only package files; the package stays staged)");
            }
            if (!c.NewInstallInPlace || !Exists(c, c.InstallPath)) return;
            var aside = AsidePath(c, c.InstallPath);
            Staged(() => c.Host.Move(c.InstallPath, aside, $"move the new install aside to {aside}", elevate: true));
            c.FailedInstallPath = aside;
            c.NewInstallInPlace = false;
            progress.Note($"new install moved aside to {aside} (kept with its logs for analysis)");
        }
    }

    /// <summary>The manual's "cp -rp hotdb_server_&lt;old&gt;/ndbsql* hotdb-server/" when the old version is 2.5.3 or later.</summary>
    internal sealed class CopyNdbSqlStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "CopyNdbSql";
        public override string Describe(ComputeNodeUpgradeContext c)
        {
            var dirs = c.Before.NdbSqlDirectories;
            if (dirs.Count == 0) return "Copy NDB SQL directories: the old install has none";
            if (c.FromVersion == null || !VersionRules.CarriesNdbSql(c.FromVersion)) return $"Leave {string.Join(", ", dirs)} behind: the manual carries NDB SQL only from {VersionRules.NdbSqlCarryOverFrom}";
            return $"Copy {string.Join(", ", dirs)} from {c.BackupPath} (symlinks kept as links)";
        }

        private static IReadOnlyList<string> ToCopy(ComputeNodeUpgradeContext c) =>
            c.FromVersion != null && VersionRules.CarriesNdbSql(c.FromVersion) ? c.Before.NdbSqlDirectories : Array.Empty<string>();

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var entries = ToCopy(c);
            if (entries.Count == 0)
            {
                progress.Note(Describe(c));
                return;
            }
            foreach (var entry in entries)
            {
                if (Exists(c, c.InstallPath + "/" + entry))
                {
                    progress.Note($"{entry} is already in the new install");
                    continue;
                }
                Exec(c, ShellQuote.Join("cp", "-a", "--", c.BackupPath + "/" + entry, c.InstallPath + "/"), $"copy {entry}", cancellationToken: cancellationToken);
                progress.Note($"{entry} copied");
            }
        }
    }

    /// <summary>Carries the user's server.xml, start-script and (on request) log4j2.xml values into the new install with the carry-over engine.</summary>
    internal sealed class CarryOverConfigStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "CarryOverConfig";
        public override string Describe(ComputeNodeUpgradeContext c) =>
            $"Carry server.xml, bin/hotdb_server{(c.Options.IncludeLog4j ? " and log4j2.xml" : " (log4j2.xml: report only)")} values from {c.BackupPath} into {c.InstallPath}" +
            (c.ToVersion != null && VersionRules.RequiresJdk8(c.ToVersion) ? "; JAVA_BIN/JAVA_VERSION are set by the JDK stage" : "");

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var pristine = ExtractPristine(c, progress, cancellationToken);
            try
            {
                var request = new ConfigCarryOverRequest
                {
                    OldPath = c.BackupPath,
                    NewPath = c.InstallPath,
                    PristinePath = pristine,
                    Options = new ConfigMergeOptions
                    {
                        ExcludeJdk = c.ToVersion != null && VersionRules.RequiresJdk8(c.ToVersion),
                        IncludeLog4j = c.Options.IncludeLog4j,
                        NewVersion = c.ToVersion,
                    },
                };
                var plans = ConfigCarryOver.Plan(c.Host, request);
                var broken = plans.FirstOrDefault(p => p.Error != null);
                if (broken != null)
                    throw new StageFailedException($"{c.Host.ComputerName}: {broken.NewFile} cannot be merged: {broken.Error!.Message}", "Fix the file named (or merge it by hand with Merge-HotDbConfig), then run the command again.");
                foreach (var plan in plans)
                {
                    c.ConfigChanges.AddRange(plan.Result!.Changes);
                    if (!plan.NeedsWrite)
                    {
                        progress.Note($"{plan.Kind}: nothing to carry ({plan.Result.Mode})");
                        continue;
                    }
                    ConfigCarryOver.Apply(c.Host, plan, DateTime.UtcNow);
                    var carried = plan.Result.Changes.Count(ch => ch.Action == ConfigChangeAction.Carried || ch.Action == ConfigChangeAction.Added);
                    progress.Note($"{plan.Kind}: {carried} value(s) carried ({plan.Result.Mode})");
                }
                foreach (var dropped in c.ConfigChanges.Where(ch => ch.Action == ConfigChangeAction.DroppedByNewVersion))
                    progress.Note($"{dropped.File}: {dropped.Key} is not used by {c.ToVersion}; not carried");
            }
            catch (Exception e) when (e is IOException || e is ArgumentException || e is InvalidOperationException)
            {
                throw new StageFailedException($"{c.Host.ComputerName}: the configuration carry-over failed: {e.Message}", "Compare the files with Compare-HotDbConfig, fix the cause, then run the command again.", e);
            }
            finally
            {
                if (pristine != null) c.Host.TryRemove(pristine.Substring(0, pristine.LastIndexOf('/')), recursive: true, elevate: true);
            }
        }

        // The old version's package, when staged, tells the user's changes from the old defaults (three-way merge).
        private static string? ExtractPristine(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var pattern = c.StagingPath + "/hotdb-server-" + c.FromVersion + "-ga-*.tar.gz";
            var found = c.Host.Run("for f in " + ShellQuote.Quote(c.StagingPath) + "/hotdb-server-" + ShellQuote.Quote(c.FromVersion!.ToString()) + "-ga-*.tar.gz; do [ -f \"$f\" ] && echo \"$f\"; done", cancellationToken: cancellationToken);
            var package = found.StandardOutput.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
            if (package == null)
            {
                progress.Note($"no {Path.GetFileName(pattern)} in {c.StagingPath}: two-way merge (every differing value of a shared property is carried)");
                return null;
            }
            var scratch = c.InstallRoot.TrimEnd('/') + "/.hotdb-upgrade-pristine-" + c.Stamp;
            var extract = c.Host.Run(ShellQuote.Join("mkdir", "-m", "700", "--", scratch) + " && " + ShellQuote.Join("tar", "-xzf", package, "-C", scratch, "--no-same-owner",
                "hotdb-server/conf/server.xml", "hotdb-server/bin/hotdb_server", "hotdb-server/conf/log4j2.xml"), elevate: true, cancellationToken: cancellationToken);
            if (!extract.Succeeded)
            {
                c.Host.TryRemove(scratch, recursive: true, elevate: true);
                progress.Note($"{Path.GetFileName(package)} could not be read ({extract.StandardError.Trim()}): two-way merge");
                return null;
            }
            progress.Note($"three-way merge against the pristine {Path.GetFileName(package)}");
            return scratch + "/hotdb-server";
        }
    }

    /// <summary>Installs the JDK 8 package (when given) and points JAVA_BIN/JAVA_VERSION of the new start script at it.</summary>
    internal sealed class InstallJdkStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "InstallJdk";
        public override string Describe(ComputeNodeUpgradeContext c) => c.JdkPackage != null
            ? $"Install {c.JdkPackage.FileName} in {c.Options.JdkRoot} (skipped when it is there) and set JAVA_BIN/JAVA_VERSION in {c.InstallPath}/bin/hotdb_server"
            : $"Set JAVA_BIN/JAVA_VERSION in {c.InstallPath}/bin/hotdb_server to the JDK 8 found by the checks";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (c.TargetJavaBin == null || c.TargetJavaVersion == null)
                throw new StageFailedException("The JDK check did not run or chose no JDK.", "Run the whole upgrade, not single stages.");
            if (c.JdkPackage != null)
            {
                var reported = ComputeNodeReader.JavaVersionOf(c.Host, c.TargetJavaBin, cancellationToken);
                if (reported == c.TargetJavaVersion) progress.Note($"{c.JdkHome} is already installed ({reported})");
                else
                {
                    if (Exists(c, c.JdkHome!))
                        throw new StageFailedException($"{c.Host.ComputerName}: {c.JdkHome} exists but its java reports {reported ?? "nothing"}, not {c.TargetJavaVersion}.",
                            $"Move {c.JdkHome} aside (it is not the JDK the package holds), then run the command again.");
                    Staged(() => c.Host.MakeDirectory(c.Options.JdkRoot, elevate: true, cancellationToken: cancellationToken));
                    c.ExtractedJdk = true;
                    Exec(c, ShellQuote.Join("tar", "-xzf", c.StagedJdkPath!, "-C", c.Options.JdkRoot, "--no-same-owner"), "extract " + c.StagedJdkPath,
                        "Free space in " + c.Options.JdkRoot + " or replace the JDK package.", cancellationToken: cancellationToken);
                    reported = ComputeNodeReader.JavaVersionOf(c.Host, c.TargetJavaBin, cancellationToken);
                    if (reported != c.TargetJavaVersion)
                        throw new StageFailedException($"{c.Host.ComputerName}: {c.TargetJavaBin} from {c.JdkPackage.FileName} reports {reported ?? "nothing (it does not run)"}, not {c.TargetJavaVersion}: the wrong JDK.",
                            "Give the OpenJDK 8 tarball the vendor names (OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz) for this platform.");
                    progress.Note($"{c.JdkPackage.FileName} installed in {c.JdkHome} ({reported})");
                }
            }
            var script = c.InstallPath + "/bin/hotdb_server";
            var plan = ConfigCarryOver.PlanJdk(c.Host, script, c.TargetJavaBin, c.TargetJavaVersion);
            if (plan.Error != null)
                throw new StageFailedException($"{c.Host.ComputerName}: cannot set the JDK in {script}: {plan.Error.Message}", "Set JAVA_BIN and JAVA_VERSION in the script by hand, then start the node.");
            c.ConfigChanges.AddRange(plan.Result!.Changes);
            if (plan.NeedsWrite) ConfigCarryOver.Apply(c.Host, plan, DateTime.UtcNow);
            progress.Note($"JAVA_BIN={c.TargetJavaBin}, JAVA_VERSION={c.TargetJavaVersion}");
        }

        public override void Rollback(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!c.ExtractedJdk || c.JdkHome == null || !Exists(c, c.JdkHome)) return;
            var aside = AsidePath(c, c.JdkHome);
            Staged(() => c.Host.Move(c.JdkHome, aside, "move the JDK this run installed aside to " + aside, elevate: true));
            progress.Note($"the JDK this run installed was moved aside to {aside}, so a new run installs it cleanly");
        }
    }

    /// <summary>Copies the given license file into the new install's keys/.</summary>
    internal sealed class InstallLicenseStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "InstallLicense";
        public override string Describe(ComputeNodeUpgradeContext c) => $"Install {Path.GetFileName(c.Options.LicenseFilePath)} in {c.InstallPath}/keys/";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            var keys = c.InstallPath + "/keys";
            Staged(() => c.Host.MakeDirectory(keys, elevate: true, cancellationToken: cancellationToken));
            try { FileTransfer.Upload(c.Host, c.Options.LicenseFilePath!, keys + "/", UnixMode.GroupReadable, cancellationToken: cancellationToken); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is RemoteConnectionException)
            {
                throw new StageFailedException($"{c.Host.ComputerName}: the license could not be installed: {e.Message}", "Check the network and the permissions of " + keys + ".", e);
            }
            Exec(c, ShellQuote.Join("chown", "-R", "--", c.Owner, keys), "chown " + keys, cancellationToken: cancellationToken);
            progress.Note($"{Path.GetFileName(c.Options.LicenseFilePath)} installed (mode 0640, owner {c.Owner})");
        }
    }

    /// <summary>Starts the new version and verifies it: ports per role, the version it greets with, no [ERROR] in the new log lines.</summary>
    internal sealed class StartNewVersionStage : UpgradeStage<ComputeNodeUpgradeContext>
    {
        public override string Name => "StartNewVersion";
        public override string Describe(ComputeNodeUpgradeContext c) =>
            $"Start HotDB Server {c.ToVersion} and verify: {(c.ExpectedServerPortAfterStart == PortExpectation.Open ? "service and manager ports open" : c.ExpectedServerPortAfterStart == PortExpectation.Closed ? "manager port open, service port closed" : "manager port open")}, version {c.ToVersion}, no [ERROR] in the log";

        public override void Execute(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            c.StartLogOffset = c.Host.FileSize(c.InstallPath + "/logs/hotdb.log");
            var started = StopServiceStage.Service(() => ComputeNodeService.Start(c.Host, c.InstallPath, c.Options.StartTimeout, s => progress.Report(s), cancellationToken,
                c.AllowStartedClusterMember));
            c.After = started.Node;
            progress.Note($"started in {started.Duration.TotalSeconds:0.0} s (server port {(started.ServerPortOpen ? "open" : "closed")}, manager port open)");
            if (c.ServerPortAfterStart is { } wanted && wanted != PortExpectation.Any && started.ServerPortOpen != (wanted == PortExpectation.Open))
                throw new StageFailedException($"{c.Host.ComputerName}: the new version's service port is {(started.ServerPortOpen ? "open" : "closed")}, not {(wanted == PortExpectation.Open ? "open" : "closed")} as this upgrade needs.",
                    "Check haState and haNodeHost in the new server.xml.");
            var greeted = ComputeNodeService.GreetingVersion(c.Host, started.Node.ManagerPort, cancellationToken);
            if (greeted != null && greeted != c.ToVersion)
                throw new StageFailedException($"{c.Host.ComputerName}: the manager port {started.Node.ManagerPort} reports HotDB {greeted}, not {c.ToVersion}.",
                    "Another node may hold the port; check which process listens there.");
            progress.Note(greeted != null ? $"the manager port reports {greeted}" : "the manager port greeting carried no version; the installed jar says " + started.Node.Version);
            var errors = ComputeNodeService.ErrorLinesSince(c.Host, c.InstallPath, c.StartLogOffset);
            if (errors.Count > 0)
                throw new StageFailedException($"{c.Host.ComputerName}: the new version logged errors while starting:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}",
                    "Read logs/hotdb.log of the failed install (kept aside) and fix the cause, then run the command again.");
        }

        public override void Rollback(ComputeNodeUpgradeContext c, IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!c.NewInstallInPlace) return;
            var node = ComputeNodeReader.Read(c.Host, c.InstallPath);
            if (!node.Running)
            {
                progress.Note("the new version is not running");
                return;
            }
            try
            {
                ComputeNodeService.Stop(c.Host, c.InstallPath, c.Options.StopTimeout, s => progress.Report(s));
                progress.Note("the new version was stopped");
            }
            catch (ComputeNodeServiceException e)
            {
                // The old version cannot take the ports while the new one holds them.
                Exec(c, ShellQuote.Join("kill", "-9", node.ProcessId!.Value.ToString(CultureInfo.InvariantCulture)), "kill the new version's process");
                progress.Note($"the new version did not stop ({e.Message.Split('\n')[0]}); its process {node.ProcessId} was killed");
            }
        }
    }
}
