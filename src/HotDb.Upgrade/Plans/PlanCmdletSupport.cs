using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.Remote;
using System.Management.Automation;
using HotDb.Upgrade.Plans;

namespace HotDb.Upgrade.Commands
{
    /// <summary>What the plan cmdlets share: the runner on a worker thread with its progress, the -WhatIf listing, the outcome as an error.</summary>
    internal static class PlanCmdletSupport
    {
        /// <summary>Runs <paramref name="work"/> with the plan's events written as Write-Progress and Write-Verbose.</summary>
        public static PlanRunResult RunWithProgress(PSCmdlet cmdlet, UpgradePlan plan, Func<PlanRunner, PlanRunResult> work)
        {
            using var pump = new PipelinePump();
            var observer = new PlanProgressObserver(cmdlet, pump, plan);
            var result = pump.Run(() => work(new PlanRunner(plan, observer)));
            cmdlet.WriteProgress(new ProgressRecord(observer.ActivityId, observer.Activity, "Done") { RecordType = ProgressRecordType.Completed });
            return result;
        }

        /// <summary>One line per step for ShouldProcess, so -WhatIf lists the whole plan.</summary>
        public static string Listing(UpgradePlan plan) =>
            string.Join(Environment.NewLine, plan.Phases.SelectMany(p => p.Steps.Select(s => (Phase: p.Name, Step: s)))
                .Select((x, i) => $"  {i + 1,2}. [{x.Phase}] {x.Step.Host} {x.Step.Name}: {x.Step.Describe()}"));

        /// <summary>Writes the result, and an error when the plan did not succeed.</summary>
        public static void WriteOutcome(PSCmdlet cmdlet, PlanRunResult result)
        {
            cmdlet.WriteObject(result);
            if (result.Status == PlanRunStatus.Succeeded || result.Status == PlanRunStatus.Planned) return;
            var where = $"{result.FailedHost} {result.FailedStep}";
            var message = result.Status switch
            {
                PlanRunStatus.Refused => $"The upgrade was refused at {where}: {result.Error} Nothing was changed.",
                PlanRunStatus.RolledBack => $"The upgrade failed at {where}: {result.Error} " +
                    (result.Outcome == null ? "Every step that changed a host was rolled back." : "What was not yet done was rolled back."),
                _ => $"The upgrade failed at {where}: {result.Error} The rollback did not complete: " +
                     string.Join("; ", result.Steps.Where(s => s.RollbackError != null).Select(s => $"{s.Host} {s.Step}: {s.RollbackError}")),
            };
            if (result.Outcome != null) message += " " + result.Outcome;
            var id = result.Status == PlanRunStatus.Refused ? "UpgradeRefused" : result.Status == PlanRunStatus.RolledBack ? "UpgradeRolledBack" : "UpgradeRollbackFailed";
            cmdlet.WriteError(Error(new InvalidOperationException(message), id,
                result.Status == PlanRunStatus.Refused ? ErrorCategory.InvalidArgument : ErrorCategory.InvalidResult, result, result.RecommendedAction));
        }

        /// <summary>
        /// One host's plan of an Update-* cmdlet: names its journal, lists it for ShouldProcess (-WhatIf runs its read-only
        /// checks), runs it and writes the outcome; a journal that cannot be used or written is a non-terminating error.
        /// </summary>
        public static void RunHostPlan(PSCmdlet cmdlet, UpgradePlan plan, string component, string computerName, string? journalDirectory, CancellationToken cancellationToken)
        {
            var journal = Path.Combine(cmdlet.GetUnresolvedProviderPathFromPSPath(journalDirectory ?? "."), string.Format(CultureInfo.InvariantCulture,
                "HotDbUpgrade-{0}-{1}-{2:yyyyMMdd-HHmmss}.journal.json", plan.Mode, computerName, DateTime.Now));
            if (!cmdlet.ShouldProcess($"{computerName}:{plan.InstallPath}",
                    $"Upgrade {component} {plan.FromVersion ?? "(unknown)"} -> {plan.ToVersion ?? "(unknown)"}, journal {journal}:{Environment.NewLine}{Listing(plan)}"))
            {
                if (!cmdlet.MyInvocation.BoundParameters.ContainsKey("WhatIf")) return;
                // The checks only read: -WhatIf refuses what the run would refuse.
                WriteOutcome(cmdlet, RunWithProgress(cmdlet, plan, runner => runner.Check(cancellationToken)));
                return;
            }
            PlanRunResult result;
            try
            {
                result = RunWithProgress(cmdlet, plan, runner => runner.Run(journal, cancellationToken));
            }
            catch (PlanJournalException e)
            {
                cmdlet.WriteError(Error(e, "PlanJournalUnusable", ErrorCategory.InvalidOperation, journal, e.RecommendedAction));
                return;
            }
            catch (Exception e) when (e is IOException && !(e is RemoteCommandException) || e is UnauthorizedAccessException)
            {
                cmdlet.WriteError(Error(e, "PlanJournalWriteFailed", ErrorCategory.WriteError, journal, "Give a -JournalDirectory this user may write."));
                return;
            }
            WriteOutcome(cmdlet, result);
        }

        public static ErrorRecord Error(Exception exception, string errorId, ErrorCategory category, object? target, string? recommendedAction) =>
            new ErrorRecord(exception, errorId, category, target)
            {
                ErrorDetails = recommendedAction == null ? null : new ErrorDetails(exception.Message) { RecommendedAction = recommendedAction },
            };
    }

    /// <summary>Plan events, posted to the pipeline thread as Write-Progress and Write-Verbose.</summary>
    internal sealed class PlanProgressObserver : IPlanObserver
    {
        private readonly PSCmdlet _cmdlet;
        private readonly PipelinePump _pump;

        public PlanProgressObserver(PSCmdlet cmdlet, PipelinePump pump, UpgradePlan plan)
        {
            _cmdlet = cmdlet;
            _pump = pump;
            Activity = $"HotDB {plan.Mode} upgrade of {string.Join(", ", plan.Hosts)} to {plan.ToVersion}";
            ActivityId = Math.Abs(Activity.GetHashCode() % 100000) + 1;
        }

        public string Activity { get; }
        public int ActivityId { get; }

        public void StepStarting(PlanStepResult step, int count) => _pump.Post(() =>
        {
            _cmdlet.WriteProgress(new ProgressRecord(ActivityId, Activity, $"{step.Index}/{count} {step.Host} {step.Step}: {step.Description}")
            { PercentComplete = (step.Index - 1) * 100 / Math.Max(1, count) });
            _cmdlet.WriteVerbose($"{step.Host} [{step.Step}] {step.Description}");
        });

        public void StepProgress(PlanStepResult step, string status, int percent) => _pump.Post(() =>
            _cmdlet.WriteProgress(new ProgressRecord(ActivityId + step.Index, $"{step.Host} {step.Step}", status)
            { ParentActivityId = ActivityId, PercentComplete = Math.Min(100, percent) }));

        public void StepNote(PlanStepResult step, string message) => _pump.Post(() => _cmdlet.WriteVerbose($"{step.Host} [{step.Step}] {message}"));

        public void StepFinished(PlanStepResult step) => _pump.Post(() =>
        {
            _cmdlet.WriteProgress(new ProgressRecord(ActivityId + step.Index, $"{step.Host} {step.Step}", "Done") { ParentActivityId = ActivityId, RecordType = ProgressRecordType.Completed });
            _cmdlet.WriteVerbose($"{step.Host} [{step.Step}] {step.Status} in {step.Duration.TotalSeconds:0.0} s" +
                                 (step.Error != null ? ": " + step.Error : "") + (step.RollbackError != null ? "; rollback failed: " + step.RollbackError : ""));
        });
    }
}
