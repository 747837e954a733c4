using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.ComputeNode
{
    /// <summary>What Update-HotDbComputeNode is asked to do on one host.</summary>
    public sealed class ComputeNodeUpgradeOptions
    {
        public string InstallPath { get; set; } = ComputeNodeReader.DefaultInstallPath;
        /// <summary>The local hotdb-server-&lt;version&gt;-ga-&lt;date&gt;.tar.gz.</summary>
        public string PackagePath { get; set; } = "";
        /// <summary>Remote folder for uploads; default &lt;install root&gt;/Install_Package.</summary>
        public string? StagingPath { get; set; }
        /// <summary>A local OpenJDK8U-jdk_x64_linux_hotspot_8u&lt;u&gt;b&lt;b&gt;.tar.gz, installed under <see cref="JdkRoot"/> when the target needs JDK 8.</summary>
        public string? JdkPackagePath { get; set; }
        /// <summary>A JDK 8 java already on the host, used instead of a JDK package.</summary>
        public string? JavaBin { get; set; }
        public string JdkRoot { get; set; } = "/usr/local/jdk8";
        /// <summary>A local license file installed into the new install's keys/.</summary>
        public string? LicenseFilePath { get; set; }
        /// <summary>owner:group for the new install; default: the old install's.</summary>
        public string? Owner { get; set; }
        /// <summary>Allow installing the same or an older version.</summary>
        public bool Force { get; set; }
        /// <summary>Carry log4j2.xml differences instead of only reporting them.</summary>
        public bool IncludeLog4j { get; set; }
        public TimeSpan StartTimeout { get; set; } = ComputeNodeService.DefaultStartTimeout;
        public TimeSpan StopTimeout { get; set; } = ComputeNodeService.DefaultStopTimeout;
        /// <summary>An upload that makes no progress this long is given up (a cut link does not fail by itself).</summary>
        public TimeSpan UploadStallTimeout { get; set; } = TimeSpan.FromSeconds(60);
    }

    /// <summary>State shared by the stages of one node's upgrade.</summary>
    public sealed class ComputeNodeUpgradeContext
    {
        internal ComputeNodeUpgradeContext(IRemoteHost host, ComputeNodeUpgradeOptions options, ComputeNodeInfo before, DateTime startedUtc)
        {
            Host = host;
            Options = options;
            Before = before;
            InstallPath = before.InstallPath;
            InstallRoot = InstallPath.Substring(0, InstallPath.LastIndexOf('/')) is { Length: > 0 } root ? root : "/";
            StagingPath = (options.StagingPath ?? InstallRoot.TrimEnd('/') + "/Install_Package").TrimEnd('/');
            StartedUtc = startedUtc;
            Stamp = startedUtc.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            HotDbPackage.TryParse(options.PackagePath, out var package);
            Package = package;
            if (options.JdkPackagePath != null && HotDbPackage.TryParse(options.JdkPackagePath, out var jdk)) JdkPackage = jdk;
        }

        public IRemoteHost Host { get; }
        public ComputeNodeUpgradeOptions Options { get; }
        public ComputeNodeInfo Before { get; }
        public string InstallPath { get; }
        public string InstallRoot { get; }
        public string StagingPath { get; }
        public DateTime StartedUtc { get; }
        internal string Stamp { get; }
        public HotDbPackage? Package { get; }
        public HotDbPackage? JdkPackage { get; }
        public PackageContents? Contents { get; internal set; }
        public PackageContents? JdkContents { get; internal set; }
        public HotDbVersion? FromVersion => Before.Version;
        public HotDbVersion? ToVersion => Package?.Version;
        /// <summary>
        /// The service port the new version must show after its start; null: as before the upgrade. A master/slave
        /// online upgrade starts the old master as backup (manager port only).
        /// </summary>
        public PortExpectation? ServerPortAfterStart { get; internal set; }
        internal PortExpectation ExpectedServerPortAfterStart => ServerPortAfterStart ?? Before.ExpectedServerPort;
        /// <summary>
        /// A multi-node cluster member's start (the new version's, or the old one's in a rollback) is also done in state
        /// Started (manager port answering, service port closed): alone it cannot open the service port until a majority is up.
        /// </summary>
        public bool AllowStartedClusterMember { get; internal set; }
        /// <summary>Where the old install is kept: the manual's hotdb_server_&lt;version digits&gt;, with _2, _3... when that exists.</summary>
        public string BackupPath { get; internal set; } = "";
        public string StagedPackagePath => StagingPath + "/" + Path.GetFileName(Options.PackagePath);
        public string? StagedJdkPath => Options.JdkPackagePath == null ? null : StagingPath + "/" + Path.GetFileName(Options.JdkPackagePath);
        public string Owner => Options.Owner ?? Before.Owner ?? "hotdb:hotdb";
        public bool WasRunning => Before.Running;
        /// <summary>JAVA_BIN / JAVA_VERSION the new start script gets; null when the JDK stays as it is.</summary>
        public string? TargetJavaBin { get; internal set; }
        public string? TargetJavaVersion { get; internal set; }
        internal string? JdkHome => JdkPackage?.TopDirectory == null ? null : Options.JdkRoot.TrimEnd('/') + "/" + JdkPackage.TopDirectory;
        internal bool ExtractedJdk { get; set; }
        internal bool NewInstallInPlace { get; set; }
        internal long StartLogOffset { get; set; } = -1;
        /// <summary>The failed new install, moved aside for analysis during a rollback.</summary>
        public string? FailedInstallPath { get; internal set; }
        public List<ConfigChange> ConfigChanges { get; } = new List<ConfigChange>();
        public ComputeNodeInfo? After { get; internal set; }
    }

    /// <summary>The outcome of one node's upgrade (or its -WhatIf plan).</summary>
    public sealed class ComputeNodeUpgradeResult
    {
        internal ComputeNodeUpgradeResult(ComputeNodeUpgradeContext context, StageRunResult run, IReadOnlyList<UpgradeStage<ComputeNodeUpgradeContext>> stages)
        {
            ComputerName = context.Host.ComputerName;
            InstallPath = context.InstallPath;
            FromVersion = context.FromVersion;
            ToVersion = context.ToVersion;
            PlanOnly = run.PlanOnly;
            Stages = run.Stages;
            Succeeded = run.Succeeded;
            var failed = run.FailedStage;
            FailedStage = failed?.Stage;
            Error = failed?.Error;
            RecommendedAction = failed?.RecommendedAction;
            RolledBack = failed != null && run.RolledBack;
            BackupPath = context.BackupPath;
            EvidencePath = context.FailedInstallPath;
            ConfigChanges = context.ConfigChanges.ToList();
            After = context.After;
            Duration = run.Duration;
            // Refused: a pre-check failed before any stage that changes the host ran.
            Changed = !run.PlanOnly && run.Stages.Zip(stages, (r, s) => s.ChangesState && r.Status != StageStatus.NotRun && r.Status != StageStatus.Skipped).Any(x => x);
            Status = run.PlanOnly ? (failed != null ? "Refused" : "Planned")
                : Succeeded ? "Succeeded" : !Changed ? "Refused" : RolledBack ? "RolledBack" : "RollbackFailed";
        }

        public string ComputerName { get; }
        public string InstallPath { get; }
        public HotDbVersion? FromVersion { get; }
        public HotDbVersion? ToVersion { get; }
        /// <summary>
        /// Planned (-WhatIf, the checks passed), Succeeded, Refused (a check failed, nothing changed; also under -WhatIf),
        /// RolledBack (failed, host restored) or RollbackFailed (failed, host needs a hand).
        /// </summary>
        public string Status { get; }
        /// <summary>False when nothing on the host was changed (a plan, or a refusal by the checks).</summary>
        public bool Changed { get; }
        public bool PlanOnly { get; }
        public bool Succeeded { get; }
        public bool RolledBack { get; }
        public string? FailedStage { get; }
        public string? Error { get; }
        public string? RecommendedAction { get; }
        /// <summary>The old install after a successful upgrade (the manual's hotdb_server_&lt;version&gt;).</summary>
        public string BackupPath { get; }
        /// <summary>After a rollback: the failed new install, kept with its logs for analysis.</summary>
        public string? EvidencePath { get; }
        public IReadOnlyList<StageResult> Stages { get; }
        public IReadOnlyList<ConfigChange> ConfigChanges { get; }
        /// <summary>The node as read after the upgrade (or after the rollback).</summary>
        public ComputeNodeInfo? After { get; }
        public TimeSpan Duration { get; }
    }

    /// <summary>
    /// The manual's single-node compute node upgrade (section 3.2) as an ordered list of stages run by
    /// <see cref="StageRunner{TContext}"/>: pre-checks, upload, stop, keep the old install, extract, NDB SQL,
    /// configuration carry-over, JDK, license, start and verify. A failure after the stop rolls everything back
    /// and starts the old version again.
    /// </summary>
    public static class ComputeNodeUpgrade
    {
        /// <summary>Reads the node (nothing changes) and builds the context every stage shares.</summary>
        public static ComputeNodeUpgradeContext Prepare(IRemoteHost host, ComputeNodeUpgradeOptions options, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            if (string.IsNullOrWhiteSpace(options.PackagePath)) throw new ArgumentException("A package path is required.", nameof(options));
            var before = ComputeNodeReader.Read(host, options.InstallPath, cancellationToken);
            var context = new ComputeNodeUpgradeContext(host, options, before, DateTime.UtcNow);
            context.BackupPath = ChooseBackupPath(host, context.InstallRoot, before.Version);
            return context;
        }

        /// <summary>The stages for this node, in order; stages that do not apply (JDK, license) are left out.</summary>
        public static IReadOnlyList<UpgradeStage<ComputeNodeUpgradeContext>> Stages(ComputeNodeUpgradeContext context)
        {
            var stages = new List<UpgradeStage<ComputeNodeUpgradeContext>>
            {
                new CheckPackageStage(),
                new CheckNodeStage(),
            };
            var target = context.ToVersion;
            if (target != null && VersionRules.RequiresJdk8(target)) stages.Add(new CheckJdkStage());
            stages.Add(new CheckDiskSpaceStage());
            if (target != null && context.FromVersion != null && VersionRules.RequiresNewLicense(context.FromVersion, target)) stages.Add(new CheckLicenseStage());
            stages.Add(new UploadPackageStage());
            stages.Add(new StopServiceStage());
            stages.Add(new KeepOldInstallStage());
            stages.Add(new ExtractPackageStage());
            stages.Add(new CopyNdbSqlStage());
            stages.Add(new CarryOverConfigStage());
            if (target != null && VersionRules.RequiresJdk8(target)) stages.Add(new InstallJdkStage());
            if (context.Options.LicenseFilePath != null) stages.Add(new InstallLicenseStage());
            stages.Add(new StartNewVersionStage());
            return stages;
        }

        /// <summary>
        /// The -WhatIf plan. The pre-checks run (they only read), so a plan the real run would refuse says so: Status
        /// Refused with FailedStage and Error; otherwise Planned.
        /// </summary>
        public static ComputeNodeUpgradeResult Plan(ComputeNodeUpgradeContext context, IStageObserver? observer = null, CancellationToken cancellationToken = default)
        {
            var stages = Stages(context);
            var plan = new StageRunner<ComputeNodeUpgradeContext>(stages, observer).PlanWithChecks(context.Host.ComputerName, context, cancellationToken);
            return new ComputeNodeUpgradeResult(context, plan, stages);
        }

        public static ComputeNodeUpgradeResult Run(ComputeNodeUpgradeContext context, IStageObserver? observer = null, CancellationToken cancellationToken = default)
        {
            var stages = Stages(context);
            var run = new StageRunner<ComputeNodeUpgradeContext>(stages, observer).Run(context.Host.ComputerName, context, cancellationToken);
            if (!run.Succeeded)
            {
                // Best effort: after a broken link the node cannot be read, and the result must still come back.
                try { context.After = ComputeNodeReader.Read(context.Host, context.InstallPath); }
                catch (Exception) { /* the result still says what failed */ }
            }
            return new ComputeNodeUpgradeResult(context, run, stages);
        }

        /// <summary>The manual's backup name (hotdb_server_253 for 2.5.3); never an existing path: _2, _3... are appended.</summary>
        internal static string ChooseBackupPath(IRemoteHost host, string installRoot, HotDbVersion? version)
        {
            var digits = version == null ? "unknown" : version.ToString().Replace(".", "");
            return host.FreeName(new NamePattern(installRoot.TrimEnd('/') + "/hotdb_server_" + digits, "_", 2));
        }

        /// <summary>Runs a line as root; a non-zero exit becomes a stage failure naming what was attempted.</summary>
        internal static CommandResult Exec(ComputeNodeUpgradeContext context, string line, string what, string? recommendedAction = null, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default) =>
            Staged(() => context.Host.RunOrFail(line, what, recommendedAction, elevate: true, timeout, cancellationToken), recommendedAction);

        /// <summary>Runs host operations for a stage: a failed command becomes a stage failure naming what was attempted.</summary>
        internal static T Staged<T>(Func<T> operation, string? recommendedAction = null)
        {
            try { return operation(); }
            catch (RemoteCommandException e) { throw new StageFailedException(e.Message, recommendedAction, e); }
        }

        internal static void Staged(Action operation, string? recommendedAction = null) => Staged(() => { operation(); return true; }, recommendedAction);

        internal static bool Exists(ComputeNodeUpgradeContext context, string path) => context.Host.Exists(path);

        /// <summary>A path beside <paramref name="path"/> that does not exist yet: path.failed-&lt;stamp&gt;[-n].</summary>
        internal static string AsidePath(ComputeNodeUpgradeContext context, string path) =>
            Staged(() => context.Host.FreeName(new NamePattern(path + ".failed-" + context.Stamp, "-", 2)));
    }
}
