using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Upgrades compute nodes with the manual's single-node procedure, stage by stage; a failure after the stop
    /// rolls the node back to its old version. -WhatIf returns the plan.
    /// </summary>
    [Cmdlet(VerbsData.Update, "HotDbComputeNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ComputeNodeUpgradeResult))]
    public sealed class UpdateHotDbComputeNodeCommand : ComputeNodeInstallCmdlet
    {
        /// <summary>The local compute node package, hotdb-server-&lt;version&gt;-ga-&lt;yyyymmdd&gt;.tar.gz.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("PackagePath", "FullName")]
        [ValidateNotNullOrEmpty]
        public string Package { get; set; } = "";

        protected override void BeginProcessing()
        {
            if (JdkPackage != null) JdkPackage = Local(JdkPackage, "JdkPackage", "Give the path of the OpenJDK 8 tarball.");
            if (LicenseFile != null) LicenseFile = Local(LicenseFile, "LicenseFile", "Give the path of the license file the vendor issued.");
            RefuseTwoJdks();
        }

        private string Local(string path, string parameter, string action)
        {
            var full = GetUnresolvedProviderPathFromPSPath(path);
            if (!File.Exists(full))
                ThrowHotDbError(new FileNotFoundException($"-{parameter}: the local file '{full}' does not exist.", full), parameter + "NotFound", ErrorCategory.ObjectNotFound, full, action);
            return full;
        }

        protected override void ProcessRecord()
        {
            // Here, not in BeginProcessing: a package object from Get-HotDbPackage binds -Package (FullName) per record.
            Package = Local(Package, "Package", "Give the path of the vendor's hotdb-server-<version>-ga-<date>.tar.gz.");
            foreach (var session in Session)
            {
                if (Cancellation.IsCancellationRequested) return;
                TryHost(session, () => Upgrade(session));
            }
        }

        private void Upgrade(SshSession session)
        {
            var options = new ComputeNodeUpgradeOptions
            {
                InstallPath = InstallPath,
                PackagePath = Package,
                JdkPackagePath = JdkPackage,
                JavaBin = JavaBin,
                JdkRoot = JdkRoot,
                LicenseFilePath = LicenseFile,
                StagingPath = StagingPath,
                Owner = Owner,
                Force = Force,
                IncludeLog4j = IncludeLog4j,
                StartTimeout = TimeSpan.FromSeconds(StartTimeout),
                StopTimeout = TimeSpan.FromSeconds(StopTimeout),
            };
            var context = ComputeNodeUpgrade.Prepare(session, options, Cancellation.Token);
            var stages = ComputeNodeUpgrade.Stages(context);
            var target = $"{session.ComputerName}:{context.InstallPath}";
            var summary = $"Upgrade HotDB Server {context.FromVersion?.ToString() ?? "(unknown)"} to {context.ToVersion?.ToString() ?? "(unknown)"} in {stages.Count} stages " +
                          $"({string.Join(", ", stages.Select(s => s.Name))}); with -WhatIf the checks run and the plan is returned";
            if (!ShouldProcess(target, summary, out var whatIf))
            {
                if (!whatIf) return;
                // The checks only read; running them makes -WhatIf refuse what the real run would refuse.
                var plan = WithProgress(session.ComputerName, observer => ComputeNodeUpgrade.Plan(context, observer, Cancellation.Token));
                WriteObject(plan);
                if (plan.FailedStage != null) WriteFailure(session, plan);
                return;
            }

            var result = WithProgress(session.ComputerName, observer => ComputeNodeUpgrade.Run(context, observer, Cancellation.Token));
            WriteObject(result);
            if (!result.Succeeded) WriteFailure(session, result);
        }

        private ComputeNodeUpgradeResult WithProgress(string computerName, Func<IStageObserver, ComputeNodeUpgradeResult> work)
        {
            using var pump = new PipelinePump();
            var observer = new ProgressObserver(this, pump, computerName);
            var result = pump.Run(() => work(observer));
            WriteProgress(new ProgressRecord(observer.ActivityId, observer.Activity, "Done") { RecordType = ProgressRecordType.Completed });
            return result;
        }

        private void WriteFailure(SshSession session, ComputeNodeUpgradeResult result)
        {
            var failed = result.Stages.First(s => s.Status == StageStatus.Failed);
            var refused = result.Status == "Refused";
            var message = (result.PlanOnly ? $"{session.ComputerName}: -WhatIf: the upgrade to {result.ToVersion?.ToString() ?? "(unknown)"} would be refused at {failed.Stage}: {failed.Error}"
                              : $"{session.ComputerName}: the upgrade to {result.ToVersion} failed at {failed.Stage}: {failed.Error}") +
                          (refused ? " Nothing was changed." : result.RolledBack
                              ? $" Rolled back: {result.InstallPath} holds {result.After?.Version?.ToString() ?? "the old version"} again" + (result.EvidencePath != null ? $"; the failed install is kept in {result.EvidencePath}." : ".")
                              : " The rollback did not complete: " + string.Join("; ", result.Stages.Where(s => s.RollbackError != null).Select(s => $"{s.Stage}: {s.RollbackError}")));
            var action = failed.RecommendedAction ?? "Read the stage results (.Stages) and the node's logs, fix the cause and run the same command again.";
            if (!result.RolledBack && !refused) action = "The host needs a hand: " + action;
            WriteHotDbError(new InvalidOperationException(message), refused ? "UpgradeRefused" : result.RolledBack ? "UpgradeRolledBack" : "UpgradeRollbackFailed",
                refused ? ErrorCategory.InvalidArgument : ErrorCategory.InvalidResult, result, action);
        }

        /// <summary>Stage events, posted to the pipeline thread as Write-Progress and Write-Verbose.</summary>
        private sealed class ProgressObserver : IStageObserver
        {
            private readonly UpdateHotDbComputeNodeCommand _cmdlet;
            private readonly PipelinePump _pump;
            private readonly string _computer;

            public ProgressObserver(UpdateHotDbComputeNodeCommand cmdlet, PipelinePump pump, string computer)
            {
                _cmdlet = cmdlet;
                _pump = pump;
                _computer = computer;
                Activity = $"Upgrading HotDB Server on {computer}";
                ActivityId = Math.Abs(Activity.GetHashCode() % 100000) + 1;
            }

            public string Activity { get; }
            public int ActivityId { get; }
            private string _stageStatus = "";

            public void StageStarting(string target, int index, int count, string stage, string description) => _pump.Post(() =>
            {
                _stageStatus = $"{index}/{count} {stage}: {description}";
                _cmdlet.WriteProgress(new ProgressRecord(ActivityId, Activity, _stageStatus) { PercentComplete = (index - 1) * 100 / count });
                _cmdlet.WriteVerbose($"{_computer} [{stage}] {description}");
            });

            public void StageProgress(string target, string stage, string status, int percent) => _pump.Post(() =>
                _cmdlet.WriteProgress(new ProgressRecord(ActivityId + 1, stage, status) { ParentActivityId = ActivityId, PercentComplete = percent }));

            public void StageNote(string target, string stage, string message) => _pump.Post(() => _cmdlet.WriteVerbose($"{_computer} [{stage}] {message}"));

            public void StageFinished(StageResult result) => _pump.Post(() =>
            {
                _cmdlet.WriteProgress(new ProgressRecord(ActivityId + 1, result.Stage, "Done") { ParentActivityId = ActivityId, RecordType = ProgressRecordType.Completed });
                _cmdlet.WriteVerbose($"{_computer} [{result.Stage}] {result.Status} in {result.Duration.TotalSeconds:0.0} s" +
                                     (result.Error != null ? ": " + result.Error : "") + (result.RollbackError != null ? "; rollback failed: " + result.RollbackError : ""));
            });
        }
    }
}
