using System;
using System.Collections.Generic;
using System.Linq;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Plans
{
    /// <summary>How a plan run ended.</summary>
    public enum PlanRunStatus
    {
        /// <summary>-WhatIf: nothing ran.</summary>
        Planned,
        Succeeded,
        /// <summary>A check failed before any step that changes a host ran: nothing was changed.</summary>
        Refused,
        /// <summary>A step failed (or the run was cancelled) and every step that changed a host was undone.</summary>
        RolledBack,
        /// <summary>A step failed and at least one rollback failed: the estate needs a hand.</summary>
        RollbackFailed,
    }

    /// <summary>What one step did.</summary>
    public sealed class PlanStepResult
    {
        internal PlanStepResult(int index, string phase, PlanStep step)
        {
            Index = index;
            Phase = phase;
            Host = step.Host;
            Step = step.Name;
            Description = step.Describe();
            ChangesState = step.ChangesState;
        }

        public int Index { get; }
        public string Phase { get; }
        public string Host { get; }
        public string Step { get; }
        public string Description { get; }
        public bool ChangesState { get; }
        public StageStatus Status { get; internal set; } = StageStatus.NotRun;
        public DateTimeOffset? StartTime { get; internal set; }
        public TimeSpan Duration { get; internal set; }
        public string? Error { get; internal set; }
        public string? RecommendedAction { get; internal set; }
        public string? RollbackError { get; internal set; }
        /// <summary>Ran in an earlier process (per the journal); not executed again by this one.</summary>
        public bool FromJournal { get; internal set; }
        public IReadOnlyList<string> Notes => _notes;

        internal readonly List<string> _notes = new List<string>();
        /// <summary>Failed because the run was cancelled (by the caller, or by a parallel sibling's failure).</summary>
        internal bool Cancelled { get; set; }
        /// <summary>Started: execution began (the journal's "Running"), so the rollback must undo it.</summary>
        internal bool Started { get; set; }
        /// <summary>Its rollback ran to the end (a resume does not repeat it).</summary>
        internal bool RollbackDone { get; set; }

        public override string ToString() => $"{Host} {Step}: {Status}";
    }

    /// <summary>The outcome of a plan run (or its -WhatIf listing).</summary>
    public sealed class PlanRunResult
    {
        internal PlanRunResult(UpgradePlan plan, PlanRunStatus status, IReadOnlyList<PlanStepResult> steps, string? journalPath)
        {
            Mode = plan.Mode;
            Hosts = plan.Hosts;
            InstallPath = plan.InstallPath;
            FromVersion = plan.FromVersion;
            ToVersion = plan.ToVersion;
            Status = status;
            Steps = steps;
            JournalPath = journalPath;
            Outcome = status == PlanRunStatus.Planned ? null : plan.Outcome?.Invoke();
            // The cause, not a parallel sibling the runner cancelled because of it.
            var failed = steps.FirstOrDefault(s => s.Status == StageStatus.Failed && !s.Cancelled) ?? steps.FirstOrDefault(s => s.Status == StageStatus.Failed);
            FailedStep = failed?.Step;
            FailedHost = failed?.Host;
            Error = failed?.Error;
            var rollbackErrors = steps.Where(s => s.RollbackError != null).Select(s => $"{s.Host} {s.Step}: {s.RollbackError}").ToList();
            RecommendedAction = status switch
            {
                PlanRunStatus.Succeeded => null,
                PlanRunStatus.Planned => null,
                PlanRunStatus.RollbackFailed => "The estate needs a hand: " + string.Join("; ", rollbackErrors) +
                    ". Fix what is named, then run Resume-HotDbUpgradePlan with the journal to finish the rollback.",
                _ => failed?.RecommendedAction ?? "Read the step results (.Steps), fix the cause and run the upgrade again.",
            };
        }

        public string Mode { get; }
        public IReadOnlyList<string> Hosts { get; }
        /// <summary>The compute node install the plan upgraded (single node).</summary>
        public string? InstallPath { get; }
        public string? FromVersion { get; }
        public string? ToVersion { get; }
        public PlanRunStatus Status { get; }
        public bool Succeeded => Status == PlanRunStatus.Succeeded;
        public IReadOnlyList<PlanStepResult> Steps { get; }
        public string? FailedStep { get; }
        public string? FailedHost { get; }
        public string? Error { get; }
        public string? RecommendedAction { get; }
        public string? JournalPath { get; }
        /// <summary>
        /// What the plan says about the estate after the run, beyond the step results: a cluster upgrade stopped part-way
        /// names the members that stay on the new version. Null when the plan has nothing to add.
        /// </summary>
        public string? Outcome { get; }
        public TimeSpan Duration => TimeSpan.FromTicks(Steps.Sum(s => s.Duration.Ticks));
    }

    /// <summary>Hears about steps as they run: the cmdlets map this to Write-Progress and Write-Verbose.</summary>
    public interface IPlanObserver
    {
        void StepStarting(PlanStepResult step, int count);
        void StepProgress(PlanStepResult step, string status, int percent);
        void StepNote(PlanStepResult step, string message);
        void StepFinished(PlanStepResult step);
    }

    /// <summary>A journal that cannot be used: missing, unreadable, written for another plan, or one a fresh run must not overwrite.</summary>
    public sealed class PlanJournalException : Exception
    {
        public PlanJournalException(string message, string recommendedAction, Exception? inner = null) : base(message, inner)
        {
            RecommendedAction = recommendedAction;
        }

        public string RecommendedAction { get; }
    }
}
