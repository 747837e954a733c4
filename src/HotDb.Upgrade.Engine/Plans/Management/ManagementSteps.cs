using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Management;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Plans.Management
{
    internal static class ManagementStepHelpers
    {
        public static CommandResult Exec(ManagementUpgradeContext c, string line, string what, string? remedy = null, CancellationToken cancellationToken = default) =>
            c.Host.RunOrFail(line, $"{c.Host.ComputerName}: {what}", remedy, elevate: true, cancellationToken: cancellationToken);

        public static bool Exists(ManagementUpgradeContext c, string path) => c.Host.Exists(path, elevate: true);

        /// <summary>Maps a start/stop failure to a step failure (the plan runner rolls back on it).</summary>
        public static ManagementInfo Service(Func<ManagementInfo> action)
        {
            try { return action(); }
            catch (ManagementServiceException e) { throw new StageFailedException(e.Message, e.RecommendedAction, e); }
        }
    }

    /// <summary>Read-only: the install, the package (name, contents, version) and the free space.</summary>
    internal sealed class CheckManagementPackageStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public CheckManagementPackageStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "CheckPlatform";
        public override string Host => _c.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() => $"Check {_c.InstallPath}, the package {Path.GetFileName(_c.Options.PackagePath)}, the version and the free space in {_c.InstallRoot}";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            var now = ManagementReader.Read(c.Host, c.InstallPath, queryHttp: true, cancellationToken: cancellationToken);
            if (!now.Installed)
                throw new StageFailedException($"{Host}: no management platform at {c.InstallPath} (no {ManagementReader.StartScript}, {ManagementReader.PropertiesFile} or lib/hotdb-management-<version>.jar).",
                    $"Give the install directory with -InstallPath (default {ManagementReader.DefaultInstallPath}).");
            if (c.Package == null || c.Package.Component != HotDbComponent.ManagementPlatform)
                throw new StageFailedException($"{Host}: {Path.GetFileName(c.Options.PackagePath)} is not a management platform package.",
                    "Give the vendor's hotdb-management-<version>-ga-<yyyymmdd>.tar.gz.");
            PackageContents contents;
            try { contents = PackageContents.Read(c.Options.PackagePath); }
            catch (Exception e) when (e is InvalidDataException || e is IOException)
            {
                throw new StageFailedException($"{Host}: the package {c.Options.PackagePath} is unreadable: {e.Message}", "Download the package again and check its checksum.", e);
            }
            if (!contents.Contains("hotdb-management/" + ManagementReader.StartScript))
                throw new StageFailedException($"{Host}: the package {Path.GetFileName(c.Options.PackagePath)} holds no hotdb-management/{ManagementReader.StartScript}.", "Give the vendor's management platform package.");
            c.Contents = contents;
            if (now.Version != null && !c.Options.Force && c.Package.Version.CompareTo(now.Version) <= 0)
                throw new StageFailedException($"{Host}: {c.InstallPath} already holds {now.Version}; the package is {c.Package.Version}.",
                    "Give a newer package, or -Force to install the same or an older version deliberately.");
            progress.Note($"HotDB Management {now.Version?.ToString() ?? "(unknown version)"} ({(now.Running ? "running, pid " + now.ProcessId : "stopped")}, HTTP {now.HttpPort}" +
                          (now.HttpVersion != null ? $" reports {now.HttpVersion}" : "") + $") -> {c.Package.Version}");
            progress.Note(c.SelfUpgradesConfigDb
                ? $"{c.Package.Version} upgrades its own ConfigDB at start: no SQL is run; the start is verified and a rollback restores the backup"
                : $"{c.Package.Version} does not upgrade its own ConfigDB: the vendor's hotdb_cloud_config scripts are run");
            var free = c.Host.FreeSpace(c.InstallRoot, cancellationToken);
            if (free < contents.UnpackedBlocks * 2)
                throw new StageFailedException($"{Host}: {c.InstallRoot} has {free / 1048576} MiB free; the package and its extraction need {contents.UnpackedBlocks * 2 / 1048576 + 1} MiB.",
                    "Free space in " + c.InstallRoot + " (df -h), then run the command again.");
        }
    }

    /// <summary>Read-only: a JDK 8 for 2.5.6 and later (the -JavaBin given, the -JdkPackage to install, or the one the platform runs on).</summary>
    internal sealed class CheckManagementJdkStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public CheckManagementJdkStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "CheckJdk";
        public override string Host => _c.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() => $"Check a JDK 8 is available ({_c.ToVersion} needs Java 1.8)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            var major = VersionRules.RequiredJavaMajor(c.ToVersion!);
            if (c.Options.JavaBin != null)
            {
                var reported = ComputeNodeReader.JavaVersionOf(c.Host, c.Options.JavaBin, cancellationToken);
                if (reported == null || !reported.StartsWith(major + ".", StringComparison.Ordinal))
                    throw new StageFailedException($"{Host}: {c.Options.JavaBin} reports {reported ?? "nothing (it does not run)"}; {c.ToVersion} needs Java {major}.",
                        "Give -JavaBin of a JDK 8 on the host, or -JdkPackage with the OpenJDK 8 tarball.");
                c.TargetJavaBin = c.Options.JavaBin;
                c.TargetJavaVersion = reported;
            }
            else if (c.JdkPackage != null && c.JdkPackage.Component == HotDbComponent.Jdk)
            {
                c.TargetJavaBin = c.JdkHome + "/bin/java";
                c.TargetJavaVersion = c.JdkPackage.JavaVersion;
            }
            else if (c.Before.JavaReportedVersion is { } current && current.StartsWith(major + ".", StringComparison.Ordinal) && c.Before.JavaBin != null)
            {
                c.TargetJavaBin = c.Before.JavaBin;
                c.TargetJavaVersion = current;
            }
            else
                throw new StageFailedException($"{Host}: {c.ToVersion} needs JDK {major}; the platform runs on {c.Before.JavaReportedVersion ?? "an unknown JDK"} and no JDK 8 was given.",
                    "Give -JdkPackage OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz (installed under -JdkRoot) or -JavaBin of a JDK 8 already on the host.");
            progress.Note($"JAVA_BIN will be {c.TargetJavaBin} ({c.TargetJavaVersion})");
        }
    }

    /// <summary>Read-only: the platform's ConfigDB accepts the login (the platform upgrades it itself, or the scripts are checked by <see cref="CheckConfigDbStep"/>).</summary>
    internal sealed class CheckManagementConfigDbStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        private readonly ConfigDbPart _part;
        public CheckManagementConfigDbStep(ManagementUpgradeContext c, ConfigDbPart part) { _c = c; _part = part; }
        public override string Name => "CheckConfigDb";
        public override string Host => _c.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() => $"Check the ConfigDB {_part.Target} accepts {_part.Target.UserName} (the platform {_c.ToVersion} upgrades it at start)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var target = _part.Target;
            var master = MasterDiscovery.Find(target, progress.Note);
            using (target.Open(master.Endpoint, target.Database))
                progress.Note($"ConfigDB master {master.Endpoint} ({master.Version}) accepts {target.UserName} on {target.Database}");
        }
    }

    /// <summary>Uploads the package (and the JDK tarball) while the old version serves; skipped when the same SHA-256 is there.</summary>
    internal sealed class UploadManagementPackageStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public UploadManagementPackageStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "UploadPackage";
        public override string Host => _c.Host.ComputerName;
        public override bool SafeToRerun => true;
        public override string Describe() => $"Upload {Path.GetFileName(_c.Options.PackagePath)}{(_c.NeedsJdk8 && _c.Options.JdkPackagePath != null ? " and " + Path.GetFileName(_c.Options.JdkPackagePath) : "")} to {_c.StagingPath} (skipped when already there)";

        private IEnumerable<string> Files() => _c.NeedsJdk8 && _c.Options.JdkPackagePath != null ? new[] { _c.Options.PackagePath, _c.Options.JdkPackagePath } : new[] { _c.Options.PackagePath };

        public override bool IsAlreadyDone() => Files().All(f => _c.Host.Sha256(_c.StagingPath + "/" + Path.GetFileName(f), elevate: true) == FileTransfer.LocalSha256(f));

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            _c.Host.MakeDirectory(_c.StagingPath, elevate: true, cancellationToken: cancellationToken);
            foreach (var file in Files())
            {
                if (_c.Host.Sha256(_c.StagingPath + "/" + Path.GetFileName(file), elevate: true) == FileTransfer.LocalSha256(file)) continue;
                var length = new FileInfo(file).Length;
                FileTransfer.Upload(_c.Host, file, _c.StagingPath + "/", UnixMode.Readable,
                    sent => progress.Report($"{Path.GetFileName(file)}: {sent / 1024} KiB of {length / 1024} KiB", (int)(sent * 100 / Math.Max(1, length))), cancellationToken, elevate: true);
            }
        }
    }

    /// <summary>The manual's "sh bin/hotdb_management stop"; undone by starting the old version (when it ran).</summary>
    internal sealed class StopPlatformStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public StopPlatformStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "StopPlatform";
        public override string Host => _c.Host.ComputerName;
        public override bool SafeToRerun => true;
        public override string Describe() => $"Stop HotDB Management {_c.FromVersion} with {ManagementReader.StartScript} stop and wait until its HTTP port {_c.Before.HttpPort} closes";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken) =>
            ManagementStepHelpers.Service(() => ManagementService.Stop(_c.Host, _c.InstallPath, _c.Options.StopTimeout, s => progress.Report(s), cancellationToken));

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!_c.WasRunning) { progress.Note("the platform was not running before the upgrade; not started"); return; }
            var now = ManagementReader.Read(_c.Host, _c.InstallPath, queryHttp: true, cancellationToken: cancellationToken);
            if (now.Running && now.HttpVersion != null) { progress.Note($"already running ({now.HttpVersion})"); return; }
            var started = ManagementStepHelpers.Service(() => ManagementService.Start(_c.Host, _c.InstallPath, _c.Options.StartTimeout, s => progress.Report(s), cancellationToken));
            progress.Note($"HotDB Management {started.HttpVersion} started again (pid {started.ProcessId}), HTTP port {started.HttpPort} answers");
        }
    }

    /// <summary>From 2.5.3 the platform upgrades its ConfigDB itself at start: no SQL runs, and the rollback restores the backup.</summary>
    internal sealed class ConfigDbRestorePointStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        private readonly ConfigDbPart _part;
        public ConfigDbRestorePointStep(ManagementUpgradeContext c, ConfigDbPart part) { _c = c; _part = part; }
        public override string Name => "ConfigDbRestorePoint";
        public override string Host => _c.Host.ComputerName;
        public override bool SafeToRerun => true;
        public override string Describe() => $"Run no SQL: HotDB Management {_c.ToVersion} upgrades {_part.Target.Database} itself at start; a rollback restores the backup";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (_part.Backup == null) throw new StageFailedException("No verified ConfigDB backup was taken; the platform is not started on its ConfigDB without one.", "Run the whole plan, not single steps.");
            progress.Note($"no SQL run: the platform upgrades {_part.Target.Database} at start (backup {_part.Backup.Path})");
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            var backup = _part.Backup;
            if (backup == null) { progress.Note("no backup was taken, so the ConfigDB was not changed"); return; }
            progress.Report("restoring " + backup.Path);
            var restore = new ConfigDbBackupService(progress.Note, (status, percent) => progress.Report(status, percent)).Restore(backup, _part.Target, _part.DumpHost);
            progress.Note($"ConfigDB restored and verified against the backup's table checksums ({restore.TablesVerified} tables, {backup.Path})");
        }
    }

    /// <summary>The manual's "mv hotdb-management hotdb_management_&lt;old&gt;"; undone by renaming it back.</summary>
    internal sealed class KeepOldPlatformStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public KeepOldPlatformStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "KeepOldInstall";
        public override string Host => _c.Host.ComputerName;
        public override string Describe() => $"Rename {_c.InstallPath} to {_c.BackupPath}";
        private bool Moved { get; set; }

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (ManagementStepHelpers.Exists(_c, _c.BackupPath))
                throw new StageFailedException($"{Host}: {_c.BackupPath} exists (it was free when the plan was built).", "Run the command again: a free name is chosen.");
            _c.Host.Move(_c.InstallPath, _c.BackupPath, $"rename {_c.InstallPath} to {_c.BackupPath}", elevate: true, cancellationToken: cancellationToken);
            Moved = true;
            progress.Note($"old install kept as {_c.BackupPath}");
        }

        public override void PrepareRollbackAfterInterruption() => Moved = !ManagementStepHelpers.Exists(_c, _c.InstallPath) || ManagementStepHelpers.Exists(_c, _c.BackupPath);

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!Moved || !ManagementStepHelpers.Exists(_c, _c.BackupPath)) { progress.Note("the old install was not moved"); return; }
            if (ManagementStepHelpers.Exists(_c, _c.InstallPath))
                throw new StageFailedException($"{Host}: {_c.InstallPath} exists, so {_c.BackupPath} cannot be renamed back.",
                    $"Move {_c.InstallPath} aside by hand, rename {_c.BackupPath} to {_c.InstallPath} and start it.");
            _c.Host.Move(_c.BackupPath, _c.InstallPath, $"rename {_c.BackupPath} back to {_c.InstallPath}", elevate: true);
            Moved = false;
            progress.Note($"{_c.BackupPath} renamed back to {_c.InstallPath}");
        }
    }

    /// <summary>Extracts into a private folder beside the install, moves hotdb-management into place, chowns, restorecon where SELinux is enabled.</summary>
    internal sealed class ExtractPlatformStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public ExtractPlatformStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "ExtractPackage";
        public override string Host => _c.Host.ComputerName;
        private string Scratch => _c.InstallRoot.TrimEnd('/') + "/.hotdb-upgrade-extract-management-" + _c.Stamp;
        public override string Describe() => $"Extract {Path.GetFileName(_c.Options.PackagePath)} to {_c.InstallPath}, chown -R {_c.Owner}, restorecon -R where SELinux is enabled";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            if (ManagementStepHelpers.Exists(c, c.InstallPath))
                throw new StageFailedException($"{Host}: {c.InstallPath} exists although the old install was moved.", "Find out what created it; nothing was extracted.");
            c.Host.MakeDirectory(Scratch, UnixMode.PrivateFolder, parents: false, elevate: true, cancellationToken: cancellationToken);
            progress.Report("tar -xzf " + c.StagedPackagePath);
            ManagementStepHelpers.Exec(c, ShellQuote.Join("tar", "-xzf", c.StagedPackagePath, "-C", Scratch, "--no-same-owner"), "extract " + c.StagedPackagePath,
                "Free space in " + c.InstallRoot + " (df -h) or replace a damaged package, then run the command again.", cancellationToken);
            ManagementStepHelpers.Exec(c, ShellQuote.Join("test", "-f", Scratch + "/hotdb-management/" + ManagementReader.StartScript), "find hotdb-management/" + ManagementReader.StartScript + " in the extracted package", cancellationToken: cancellationToken);
            c.Host.Move(Scratch + "/hotdb-management", c.InstallPath, $"move the extracted package to {c.InstallPath}", elevate: true, cancellationToken: cancellationToken);
            c.NewInstallInPlace = true;
            ManagementStepHelpers.Exec(c, ShellQuote.Join("rm", "-rf", "--", Scratch), "remove " + Scratch, cancellationToken: cancellationToken);
            ManagementStepHelpers.Exec(c, ShellQuote.Join("chown", "-R", "--", c.Owner, c.InstallPath), $"chown -R {c.Owner} {c.InstallPath}", "Give -Owner with an existing user:group.", cancellationToken);
            if (c.Host.Run("command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled", cancellationToken: cancellationToken).Succeeded)
            {
                ManagementStepHelpers.Exec(c, ShellQuote.Join("restorecon", "-R", "--", c.InstallPath), "restorecon -R " + c.InstallPath, cancellationToken: cancellationToken);
                progress.Note("SELinux is enabled: contexts restored");
            }
            else progress.Note("SELinux is not enabled: restorecon not needed");
        }

        // The old install was moved before this step, so whatever stands at the install path now came from this run.
        public override void PrepareRollbackAfterInterruption() => _c.NewInstallInPlace = ManagementStepHelpers.Exists(_c, _c.InstallPath);

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            _c.Host.TryRemove(Scratch, recursive: true, elevate: true);
            if (!_c.NewInstallInPlace || !ManagementStepHelpers.Exists(_c, _c.InstallPath)) return;
            var failed = _c.Host.FreeName(new NamePattern(_c.InstallPath + "_failed_" + (_c.ToVersion?.ToString() ?? "new"), "_", 1), elevate: true);
            _c.Host.Move(_c.InstallPath, failed, $"move the new install aside to {failed}", elevate: true);
            _c.FailedInstallPath = failed;
            _c.NewInstallInPlace = false;
            progress.Note($"the new install was moved aside to {failed} (evidence)");
        }
    }

    /// <summary>Carries conf/application.properties: the old values of keys the user set, new keys of the release kept; secrets masked in the changes.</summary>
    internal sealed class CarryOverPropertiesStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public CarryOverPropertiesStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "CarryOverProperties";
        public override string Host => _c.Host.ComputerName;
        public override string Describe() => $"Carry {ManagementReader.PropertiesFile} from {_c.BackupPath} into the new install (new keys kept, secrets masked)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var plans = ConfigCarryOver.Plan(_c.Host, new ConfigCarryOverRequest
            {
                OldPath = _c.BackupPath,
                NewPath = _c.InstallPath,
                Files = new[] { ConfigFileKind.Properties },
                PropertiesFiles = new[] { ManagementReader.PropertiesFile },
            });
            foreach (var plan in plans)
            {
                if (plan.Error != null)
                    throw new StageFailedException($"{Host}: {plan.NewFile} cannot be carried over: {plan.Error.Message}", $"Compare {plan.OldFile} and {plan.NewFile} by hand.", plan.Error);
                _c.ConfigChanges.AddRange(plan.Result!.Changes);
                if (plan.NeedsWrite) ConfigCarryOver.Apply(_c.Host, plan, DateTime.UtcNow);
                foreach (var change in plan.Result.Changes) progress.Note($"{ManagementReader.PropertiesFile}: {change}");
                if (!plan.NeedsWrite) progress.Note($"{ManagementReader.PropertiesFile}: nothing to carry");
            }
        }

        // The new install is moved aside by the extraction's rollback.
        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken) { }
    }

    /// <summary>2.5.6 and later: the JDK 8 (installed from -JdkPackage when given) and JAVA_BIN/JAVA_VERSION in bin/hotdb_management.</summary>
    internal sealed class InstallManagementJdkStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public InstallManagementJdkStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "SetJdk";
        public override string Host => _c.Host.ComputerName;
        public override string Describe() => (_c.JdkPackage != null ? $"Install {_c.JdkPackage.FileName} in {_c.Options.JdkRoot} (skipped when there) and s" : "S") +
                                             $"et JAVA_BIN/JAVA_VERSION in {_c.InstallPath}/{ManagementReader.StartScript}";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            if (c.TargetJavaBin == null || c.TargetJavaVersion == null)
                throw new StageFailedException("The JDK check did not run or chose no JDK.", "Run the whole plan, not single steps.");
            if (c.JdkPackage != null && c.Options.JavaBin == null)
            {
                var reported = ComputeNodeReader.JavaVersionOf(c.Host, c.TargetJavaBin, cancellationToken);
                if (reported == c.TargetJavaVersion) progress.Note($"{c.JdkHome} is already installed ({reported})");
                else
                {
                    if (ManagementStepHelpers.Exists(c, c.JdkHome!))
                        throw new StageFailedException($"{Host}: {c.JdkHome} exists but its java reports {reported ?? "nothing"}, not {c.TargetJavaVersion}.",
                            $"Move {c.JdkHome} aside (it is not the JDK the package holds), then run the command again.");
                    c.Host.MakeDirectory(c.Options.JdkRoot, elevate: true, cancellationToken: cancellationToken);
                    c.ExtractedJdk = true;
                    ManagementStepHelpers.Exec(c, ShellQuote.Join("tar", "-xzf", c.StagedJdkPath!, "-C", c.Options.JdkRoot, "--no-same-owner"), "extract " + c.StagedJdkPath,
                        "Free space in " + c.Options.JdkRoot + " or replace the JDK package.", cancellationToken);
                    reported = ComputeNodeReader.JavaVersionOf(c.Host, c.TargetJavaBin, cancellationToken);
                    if (reported != c.TargetJavaVersion)
                        throw new StageFailedException($"{Host}: {c.TargetJavaBin} reports {reported ?? "nothing (it does not run)"}, not {c.TargetJavaVersion}: the wrong JDK.",
                            "Give the OpenJDK 8 tarball the vendor names (OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz).");
                    progress.Note($"{c.JdkPackage.FileName} installed in {c.JdkHome} ({reported})");
                }
            }
            var script = c.InstallPath + "/" + ManagementReader.StartScript;
            var plan = ConfigCarryOver.PlanJdk(c.Host, script, c.TargetJavaBin, c.TargetJavaVersion);
            if (plan.Error != null)
                throw new StageFailedException($"{Host}: cannot set the JDK in {script}: {plan.Error.Message}", "Set JAVA_BIN and JAVA_VERSION in the script by hand, then start the platform.");
            c.ConfigChanges.AddRange(plan.Result!.Changes);
            if (plan.NeedsWrite) ConfigCarryOver.Apply(c.Host, plan, DateTime.UtcNow);
            progress.Note($"JAVA_BIN={c.TargetJavaBin}, JAVA_VERSION={c.TargetJavaVersion}");
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!_c.ExtractedJdk || _c.JdkHome == null || !ManagementStepHelpers.Exists(_c, _c.JdkHome)) return;
            var aside = _c.Host.FreeName(new NamePattern(_c.JdkHome + "_failed", "_", 1), elevate: true);
            _c.Host.Move(_c.JdkHome, aside, "move the JDK this run installed aside to " + aside, elevate: true);
            progress.Note($"the JDK this run installed was moved aside to {aside}");
        }
    }

    /// <summary>Starts the new version and verifies its HTTP port reports it; for a self-upgrading target, notes the ConfigDB upgrade it logged.</summary>
    internal sealed class StartPlatformStep : PlanStep
    {
        private readonly ManagementUpgradeContext _c;
        public StartPlatformStep(ManagementUpgradeContext c) => _c = c;
        public override string Name => "StartPlatform";
        public override string Host => _c.Host.ComputerName;
        public override string Describe() => $"Start HotDB Management {_c.ToVersion} and verify the HTTP port {_c.Before.HttpPort} reports {_c.ToVersion}" +
                                             (_c.SelfUpgradesConfigDb ? " (the platform upgrades its ConfigDB first)" : "");

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var c = _c;
            var log = c.InstallPath + "/logs/hotdb-management.log";
            var offset = c.Host.FileSize(log, cancellationToken);
            var now = ManagementStepHelpers.Service(() => ManagementService.Start(c.Host, c.InstallPath, c.Options.StartTimeout, s => progress.Report(s), cancellationToken));
            if (c.ToVersion != null && now.HttpVersion != c.ToVersion)
                throw new StageFailedException($"{Host}: the platform started but its HTTP port {now.HttpPort} reports {now.HttpVersion}, not {c.ToVersion}.",
                    $"Check that nothing else serves port {now.HttpPort} and that {c.InstallPath} holds the new version.");
            c.After = now;
            progress.Note($"HotDB Management {now.HttpVersion} runs (pid {now.ProcessId}); HTTP port {now.HttpPort} answers");
            if (!c.SelfUpgradesConfigDb) return;
            var lines = c.Host.Run(ShellQuote.Join("tail", "-c", "+" + (Math.Max(0, offset) + 1).ToString(CultureInfo.InvariantCulture), "--", log) + " 2>/dev/null | " +
                                   ShellQuote.Join("grep", "-iE", "ConfigDB .* upgrading|executed .*\\.sql"), elevate: true, cancellationToken: cancellationToken).StandardOutput
                .Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            c.ConfigDbSelfUpgradeLog = lines;
            progress.Note(lines.Count > 0
                ? $"the platform upgraded its ConfigDB at start ({lines.Count} log line(s)): {string.Join(" | ", lines.Select(l => l.Length > 120 ? l.Substring(l.Length - 120) : l))}"
                : "the platform found its ConfigDB already usable (no upgrade logged) and started on it");
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!ManagementStepHelpers.Exists(_c, _c.InstallPath + "/" + ManagementReader.StartScript)) return;
            var now = ManagementReader.Read(_c.Host, _c.InstallPath, queryHttp: false, cancellationToken: cancellationToken);
            if (!now.Running) return;
            try { ManagementService.Stop(_c.Host, _c.InstallPath, _c.Options.StopTimeout, s => progress.Report(s), cancellationToken); }
            catch (ManagementServiceException)
            {
                var pid = ManagementReader.Read(_c.Host, _c.InstallPath, queryHttp: false, cancellationToken: cancellationToken).ProcessId;
                if (pid != null) _c.Host.Run(ShellQuote.Join("kill", "-9", pid.Value.ToString(CultureInfo.InvariantCulture)), elevate: true);
                progress.Note($"the new platform did not stop; pid {pid} killed");
            }
        }
    }
}
