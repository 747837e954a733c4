using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Plans
{
    /// <summary>
    /// Runs a plan phase by phase and is the only owner of undo, of the journal and of progress. On a failure or a
    /// cancellation it rolls back every state-changing step that ran, in reverse order across phases, to the end even
    /// when cancelled. With a journal, a later process resumes a run whose control machine died: steps the journal shows
    /// done are not repeated (their state comes from the journal), a step found started but unfinished is re-run when it
    /// is <see cref="PlanStep.SafeToRerun"/> and otherwise treated as failed, and the plan is completed or rolled back.
    /// </summary>
    public sealed class PlanRunner
    {
        /// <summary>
        /// Fault injection for tests: the process is killed right after the journal records the end of the named step.
        /// </summary>
        public const string KillAfterStepVariable = "HOTDB_UPGRADE_KILL_AFTER_STEP";

        /// <summary>Fault injection for tests: the process is killed right after the journal records the start of the named step.</summary>
        public const string KillInStepVariable = "HOTDB_UPGRADE_KILL_IN_STEP";

        private readonly UpgradePlan _plan;
        private readonly IPlanObserver? _observer;
        private readonly int _count;

        public PlanRunner(UpgradePlan plan, IPlanObserver? observer = null)
        {
            _plan = plan;
            _observer = observer;
            _count = plan.Steps.Count();
        }

        /// <summary>Called after each journal write with ("in" | "after", step name); xunit replaces the default, which reads the kill variables.</summary>
        internal Action<string, string> Fault { get; set; } = KillWhenAsked;

        /// <summary>The -WhatIf listing: every step with what it would do, nothing executed.</summary>
        public PlanRunResult WhatIf()
        {
            var results = NewResults();
            foreach (var result in results) result.Status = StageStatus.Planned;
            return new PlanRunResult(_plan, PlanRunStatus.Planned, results, null);
        }

        /// <summary>
        /// Runs the plan's leading read-only checks (all of them, to report every problem at once), changes nothing and
        /// records their results on the plan: Planned when they all pass, Refused otherwise.
        /// </summary>
        public PlanRunResult Check(CancellationToken cancellationToken = default)
        {
            var results = NewResults();
            var steps = _plan.Steps.ToList();
            var checks = steps.TakeWhile(s => !s.ChangesState).Count();
            var passed = true;
            for (var i = 0; i < checks; i++) passed &= RunStep(steps[i], results[i], null, cancellationToken);
            foreach (var result in results.Skip(checks)) result.Status = StageStatus.Planned;
            _plan.Checks = results.Take(checks).ToList();
            _plan.ChecksPassed = passed;
            return new PlanRunResult(_plan, passed ? PlanRunStatus.Planned : PlanRunStatus.Refused, results, null);
        }

        /// <summary>Runs the plan from the start, journaling to <paramref name="journalPath"/> (none when null).</summary>
        public PlanRunResult Run(string? journalPath, CancellationToken cancellationToken = default)
        {
            PlanJournal? journal = null;
            if (journalPath != null)
            {
                if (File.Exists(journalPath))
                {
                    var old = PlanJournal.Read(journalPath);
                    if (!old.Finished)
                        throw new PlanJournalException($"'{journalPath}' is the journal of an unfinished run ({old.Status}); a new run would lose what it knows.",
                            "Resume it with Resume-HotDbUpgradePlan -JournalPath (or the runbook's -Resume), or give another -JournalPath.");
                }
                journal = PlanJournal.Create(journalPath, _plan);
                journal.Save(_plan.States);
            }
            return Drive(NewResults(), journal, cancellationToken);
        }

        /// <summary>Continues (or finishes rolling back) the run the journal describes; the plan must be the one it was written for.</summary>
        public PlanRunResult Resume(string journalPath, CancellationToken cancellationToken = default)
        {
            var journal = PlanJournal.Read(journalPath);
            if (!string.Equals(journal.Fingerprint, _plan.Fingerprint, StringComparison.OrdinalIgnoreCase))
                throw new PlanJournalException(
                    $"The journal '{journalPath}' was written for another plan ({journal.Mode} {string.Join(",", journal.Hosts)} {journal.Package} {journal.FromVersion}->{journal.ToVersion}, " +
                    $"{journal.Steps.Count} steps) than this one ({_plan.Mode} {string.Join(",", _plan.Hosts)} {_plan.Package} {_plan.FromVersion}->{_plan.ToVersion}, {_plan.Steps.Count()} steps); nothing was run.",
                    "Resume with the sessions and parameters of the interrupted run (the journal names them), or give the journal of this plan.");
            foreach (var state in _plan.States)
                if (journal.State.TryGetValue(state.Key, out var values)) state.Load(values);

            var results = NewResults();
            var steps = _plan.Steps.ToList();
            for (var i = 0; i < steps.Count; i++)
            {
                var entry = journal.Step(steps[i]);
                var result = results[i];
                result.StartTime = entry.StartTime == null ? (DateTimeOffset?)null : DateTimeOffset.Parse(entry.StartTime, CultureInfo.InvariantCulture);
                result.Error = entry.Error;
                result.RecommendedAction = entry.RecommendedAction;
                result.RollbackError = entry.RollbackError;
                result.RollbackDone = entry.RollbackDone;
                if (entry.Status == "NotRun") continue;
                result.FromJournal = true;
                result.Started = entry.Status != nameof(StageStatus.Skipped);
                if (entry.Status == PlanJournal.Running) continue;
                result.Status = (StageStatus)Enum.Parse(typeof(StageStatus), entry.Status);
            }
            if (journal.Finished)
                return new PlanRunResult(_plan, (PlanRunStatus)Enum.Parse(typeof(PlanRunStatus), journal.Status), results, journalPath);

            var rollBack = journal.Status == PlanJournal.RollingBack || journal.Status == nameof(PlanRunStatus.RollbackFailed) ||
                           results.Any(r => r.Status == StageStatus.Failed);
            for (var i = 0; i < steps.Count; i++)
            {
                if (journal.Step(steps[i]).Status != PlanJournal.Running) continue;
                var result = results[i];
                if (steps[i].SafeToRerun && !rollBack)
                {
                    result.Started = false;
                    result.FromJournal = false;
                    result._notes.Add("interrupted by the end of the process that ran it; safe to run again, so it runs again");
                    continue;
                }
                result.Status = StageStatus.Failed;
                result.Error ??= "Interrupted: the process running the plan ended during this step, which is not safe to run again.";
                result.RecommendedAction ??= "The plan was rolled back; find out why the control process ended, then run the upgrade again.";
                if (steps[i].ChangesState) steps[i].PrepareRollbackAfterInterruption();
                journal.Step(steps[i]).Status = nameof(StageStatus.Failed);
                journal.Step(steps[i]).Error = result.Error;
                journal.Step(steps[i]).RecommendedAction = result.RecommendedAction;
                rollBack = true;
            }
            if (rollBack) return RollBack(results, journal);
            return Drive(results, journal, cancellationToken);
        }

        private List<PlanStepResult> NewResults()
        {
            var results = new List<PlanStepResult>();
            foreach (var phase in _plan.Phases)
                foreach (var step in phase.Steps)
                    results.Add(new PlanStepResult(results.Count + 1, phase.Name, step));
            return results;
        }

        private PlanRunResult Drive(List<PlanStepResult> results, PlanJournal? journal, CancellationToken cancellationToken)
        {
            var steps = _plan.Steps.ToList();
            foreach (var phase in _plan.Phases)
            {
                var pending = phase.Steps.Where(s => results[steps.IndexOf(s)].Status == StageStatus.NotRun).ToList();
                if (pending.Count == 0) continue;
                bool ok;
                if (phase.Parallel && pending.Count > 1)
                {
                    using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    // Each step on a thread of its own: steps block on SSH, and pool threads would be added one by one.
                    var tasks = pending.Select(step => Task.Factory.StartNew(() =>
                    {
                        var done = RunStep(step, results[steps.IndexOf(step)], journal, failFast.Token);
                        if (!done) failFast.Cancel();
                        return done;
                    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
                    try { Task.WaitAll(tasks); }
                    catch (AggregateException e) { ExceptionDispatchInfo.Capture(e.InnerException!).Throw(); }
                    ok = tasks.All(t => t.Result);
                }
                else ok = pending.All(step => RunStep(step, results[steps.IndexOf(step)], journal, cancellationToken));
                if (!ok) return RollBack(results, journal);
            }
            if (journal != null)
            {
                journal.Status = nameof(PlanRunStatus.Succeeded);
                journal.Save(_plan.States);
            }
            return new PlanRunResult(_plan, PlanRunStatus.Succeeded, results, journal?.Path);
        }

        /// <summary>Runs one step; false when it failed (or the run was cancelled before it).</summary>
        private bool RunStep(PlanStep step, PlanStepResult result, PlanJournal? journal, CancellationToken cancellationToken)
        {
            var entry = journal?.Step(step);
            if (cancellationToken.IsCancellationRequested)
            {
                // Not started: nothing of it to undo.
                result.Status = StageStatus.Failed;
                result.Cancelled = true;
                result.Error = "Cancelled before this step started.";
                result.RecommendedAction = "Run the upgrade again when it may go ahead.";
                if (entry != null)
                {
                    entry.Status = nameof(StageStatus.Failed);
                    entry.Error = result.Error;
                    journal!.Save(_plan.States);
                }
                _observer?.StepFinished(result);
                return false;
            }
            _observer?.StepStarting(result, _count);
            result.StartTime = DateTimeOffset.Now;
            result.Started = true;
            if (entry != null)
            {
                entry.Status = PlanJournal.Running;
                entry.StartTime = result.StartTime.Value.ToString("o", CultureInfo.InvariantCulture);
                journal!.Save(_plan.States);
                Fault("in", step.Name);
            }
            var progress = new Progress(this, result);
            var clock = Stopwatch.StartNew();
            try
            {
                if (step.IsAlreadyDone())
                {
                    result.Status = StageStatus.Skipped;
                    result.Started = false;
                    progress.Note("already done on the host; not repeated");
                }
                else
                {
                    step.Execute(progress, cancellationToken);
                    result.Status = StageStatus.Succeeded;
                }
            }
            catch (Exception error)
            {
                result.Status = StageStatus.Failed;
                result.Cancelled = error is OperationCanceledException && cancellationToken.IsCancellationRequested;
                result.Error = result.Cancelled ? "Cancelled during this step." : error.Message;
                result.RecommendedAction = RecommendedActionOf(error);
            }
            result.Duration = clock.Elapsed;
            if (entry != null)
            {
                entry.Status = result.Status.ToString();
                entry.EndTime = DateTimeOffset.Now.ToString("o", CultureInfo.InvariantCulture);
                entry.Error = result.Error;
                entry.RecommendedAction = result.RecommendedAction;
                journal!.Save(_plan.States);
            }
            _observer?.StepFinished(result);
            if (entry != null) Fault("after", step.Name);
            return result.Status != StageStatus.Failed;
        }

        private PlanRunResult RollBack(List<PlanStepResult> results, PlanJournal? journal)
        {
            var steps = _plan.Steps.ToList();
            if (journal != null)
            {
                journal.Status = PlanJournal.RollingBack;
                journal.Save(_plan.States);
            }
            var changed = false;
            // Rollback runs to the end even when the caller has cancelled: a half-restored estate is the worst state.
            for (var i = steps.Count - 1; i >= 0; i--)
            {
                var step = steps[i];
                var result = results[i];
                if (!step.ChangesState || !result.Started) continue;
                changed = true;
                if (result.RollbackDone || (result.Status != StageStatus.Succeeded && result.Status != StageStatus.Failed && result.Status != StageStatus.RollbackFailed)) continue;
                var progress = new Progress(this, result);
                var clock = Stopwatch.StartNew();
                _observer?.StepProgress(result, "rolling back", -1);
                try
                {
                    step.Rollback(progress, CancellationToken.None);
                    result.RollbackError = null;
                    result.RollbackDone = true;
                    if (result.Status == StageStatus.Failed) progress.Note("rolled back");
                    else result.Status = StageStatus.RolledBack;
                }
                catch (Exception error)
                {
                    result.RollbackError = error.Message;
                    if (result.Status == StageStatus.Failed) progress.Note("rollback failed: " + error.Message);
                    else result.Status = StageStatus.RollbackFailed;
                }
                result.Duration += clock.Elapsed;
                if (journal != null)
                {
                    var entry = journal.Step(step);
                    entry.Status = result.Status.ToString();
                    entry.RollbackError = result.RollbackError;
                    entry.RollbackDone = result.RollbackDone;
                    journal.Save(_plan.States);
                }
                _observer?.StepFinished(result);
            }
            var status = !changed ? PlanRunStatus.Refused
                : results.Any(r => r.RollbackError != null) ? PlanRunStatus.RollbackFailed : PlanRunStatus.RolledBack;
            if (journal != null)
            {
                journal.Status = status.ToString();
                journal.Save(_plan.States);
            }
            return new PlanRunResult(_plan, status, results, journal?.Path);
        }

        internal static string? RecommendedActionOf(Exception error) => error switch
        {
            StageFailedException e => e.RecommendedAction,
            ConfigDbException e => e.RecommendedAction,
            PlanJournalException e => e.RecommendedAction,
            _ => null,
        };

        private static void KillWhenAsked(string when, string step)
        {
            var asked = Environment.GetEnvironmentVariable(when == "in" ? KillInStepVariable : KillAfterStepVariable);
            if (!string.Equals(asked, step, StringComparison.Ordinal)) return;
            // As abrupt as a dead control machine: no finally blocks, no rollback, no journal update.
            Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }

        private sealed class Progress : IStageProgress
        {
            private readonly PlanRunner _runner;
            private readonly PlanStepResult _result;

            public Progress(PlanRunner runner, PlanStepResult result)
            {
                _runner = runner;
                _result = result;
            }

            public void Report(string status, int percent = -1) => _runner._observer?.StepProgress(_result, status, percent);

            public void Note(string message)
            {
                lock (_result._notes) _result._notes.Add(message);
                _runner._observer?.StepNote(_result, message);
            }
        }
    }
}
