using System;
using System.Collections.Generic;
using System.Linq;

namespace HotDb.Upgrade.Stages
{
    public enum StageStatus
    {
        /// <summary>Listed in a -WhatIf plan; nothing ran (a plan runs only its read-only pre-checks).</summary>
        Planned,
        Succeeded,
        /// <summary>Already done on the target (a re-run); not executed again.</summary>
        Skipped,
        Failed,
        /// <summary>Ran (fully or partly) and was undone after a later failure.</summary>
        RolledBack,
        RollbackFailed,
        /// <summary>Not reached because an earlier stage failed.</summary>
        NotRun,
        /// <summary>Ran and was left in place after a later failure: rollback was turned off (e.g. -NoAutoRestore).</summary>
        NotRolledBack,
    }

    /// <summary>What one stage did on one target.</summary>
    public sealed class StageResult
    {
        public StageResult(string target, int index, string stage, string description)
        {
            Target = target;
            Index = index;
            Stage = stage;
            Description = description;
        }

        public string Target { get; }
        public int Index { get; }
        public string Stage { get; }
        public string Description { get; }
        public StageStatus Status { get; internal set; } = StageStatus.NotRun;
        public DateTimeOffset? StartTime { get; internal set; }
        public TimeSpan Duration { get; internal set; }
        public string? Error { get; internal set; }
        /// <summary>The failure's error id when the engine knows it (e.g. SessionClosed, CommandTimedOut).</summary>
        public string? ErrorId { get; internal set; }
        public string? RecommendedAction { get; internal set; }
        public string? RollbackError { get; internal set; }
        public IReadOnlyList<string> Notes => _notes;

        internal readonly List<string> _notes = new List<string>();

        public override string ToString() => $"{Target} {Stage}: {Status}";
    }

    /// <summary>The outcome of a whole stage list on one target.</summary>
    public sealed class StageRunResult
    {
        internal StageRunResult(string target, IReadOnlyList<StageResult> stages, bool planOnly, bool rolledBack)
        {
            Target = target;
            Stages = stages;
            PlanOnly = planOnly;
            RolledBack = rolledBack;
        }

        public string Target { get; }
        public bool PlanOnly { get; }
        public IReadOnlyList<StageResult> Stages { get; }
        public bool Succeeded => !PlanOnly && Stages.All(s => s.Status == StageStatus.Succeeded || s.Status == StageStatus.Skipped);
        /// <summary>The stage that failed: in a run, or a pre-check in a plan with checks (the real run would be refused there).</summary>
        public StageResult? FailedStage => Stages.FirstOrDefault(s => s.Status == StageStatus.Failed);
        /// <summary>A stage failed and every stage that ran was rolled back without error.</summary>
        public bool RolledBack { get; }
        public TimeSpan Duration => TimeSpan.FromTicks(Stages.Sum(s => s.Duration.Ticks));
    }
}
