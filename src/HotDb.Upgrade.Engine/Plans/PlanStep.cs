using System.Threading;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Plans
{
    /// <summary>
    /// One step of a plan on one host. The <see cref="PlanRunner"/> alone decides when a step runs and when it is
    /// undone; a step only knows how to do and undo its own effect.
    /// </summary>
    public abstract class PlanStep
    {
        /// <summary>Short stable name, e.g. "KeepOldInstall"; with <see cref="Host"/> it identifies the step in journals.</summary>
        public abstract string Name { get; }

        /// <summary>The host the step works on (its session's computer name).</summary>
        public abstract string Host { get; }

        /// <summary>False for read-only checks: nothing is rolled back for them.</summary>
        public virtual bool ChangesState => true;

        /// <summary>
        /// True when a run of this step that a dead control process left unfinished may simply run again on resume
        /// (idempotent, e.g. a checked upload, a stop, a read-only dump). False: the interrupted step counts as failed
        /// and the plan is rolled back, this step's rollback coping with a partial run.
        /// </summary>
        public virtual bool SafeToRerun => !ChangesState;

        /// <summary>One line for a human: what this step will do.</summary>
        public abstract string Describe();

        /// <summary>True when the host already shows this step's effect: reported as Skipped and not executed.</summary>
        public virtual bool IsAlreadyDone() => false;

        public abstract void Execute(IStageProgress progress, CancellationToken cancellationToken);

        /// <summary>Undoes this step; called for the failing step too, so it must cope with a partial run.</summary>
        public virtual void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
        }

        /// <summary>
        /// Called on resume before <see cref="Rollback"/> for a step the journal shows started but not finished: the
        /// in-memory facts the step records as it goes were lost with the process, so it re-learns them from the host.
        /// </summary>
        public virtual void PrepareRollbackAfterInterruption()
        {
        }

        internal string Id => Host + "/" + Name;

        public override string ToString() => Id;
    }
}
