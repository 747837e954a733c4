using System;
using System.Threading;

namespace HotDb.Upgrade.Stages
{
    /// <summary>
    /// One named step of an upgrade (stop service, keep old install, upload, ...). Every component's
    /// upgrade is an ordered list of these, run by <see cref="StageRunner{TContext}"/>, so pre-checks,
    /// progress, rollback and results work the same for compute nodes, the platform, Backup and Listener.
    /// </summary>
    public abstract class UpgradeStage<TContext>
    {
        /// <summary>Short stable name, e.g. "KeepOldInstall"; used in results, journals and -WhatIf plans.</summary>
        public abstract string Name { get; }

        /// <summary>One line for a human: what this stage will do on this target.</summary>
        public abstract string Describe(TContext context);

        /// <summary>False for pre-checks: they change nothing, so nothing is rolled back for them.</summary>
        public virtual bool ChangesState => true;

        /// <summary>
        /// True when the target already shows this stage's effect (a re-run after a fix): the stage is
        /// reported as skipped and not executed again. Stages that cannot tell return false.
        /// </summary>
        public virtual bool IsAlreadyDone(TContext context) => false;

        public abstract void Execute(TContext context, IStageProgress progress, CancellationToken cancellationToken);

        /// <summary>Undoes this stage's effect; called for the failing stage too, so it must cope with a partial run.</summary>
        public virtual void Rollback(TContext context, IStageProgress progress, CancellationToken cancellationToken)
        {
        }

        /// <summary>
        /// Before <see cref="Rollback"/> of a run a killed process left unfinished (plan resume): re-learns from the target
        /// what the stage records in the context as it goes, since that part of the context died with the process.
        /// </summary>
        public virtual void PrepareRollbackAfterInterruption(TContext context)
        {
        }
    }

    /// <summary>How a running stage reports what it is doing.</summary>
    public interface IStageProgress
    {
        /// <param name="status">What the stage is doing now.</param>
        /// <param name="percent">0..100, or -1 when unknown.</param>
        void Report(string status, int percent = -1);

        /// <summary>A detail worth keeping in the result and the log (never a secret).</summary>
        void Note(string message);
    }

    /// <summary>Hears about stages as they run: the cmdlet maps this to Write-Progress and Write-Verbose.</summary>
    public interface IStageObserver
    {
        void StageStarting(string target, int index, int count, string stage, string description);
        void StageProgress(string target, string stage, string status, int percent);
        void StageNote(string target, string stage, string message);
        void StageFinished(StageResult result);
    }

    /// <summary>A stage failure that carries what an administrator should do next.</summary>
    public class StageFailedException : Exception, IHotDbError
    {
        private const string ReadTheStages = "Read the stage results and the message, fix the cause and run the command again.";

        public StageFailedException(string message, string? recommendedAction = null, Exception? inner = null) : base(message, inner)
        {
            RecommendedAction = recommendedAction;
        }

        public string? RecommendedAction { get; }

        public string ErrorId => "StageFailed";
        public string Category => "InvalidResult";
        public object? Target => null;
        string IHotDbError.RecommendedAction => RecommendedAction ?? ReadTheStages;
    }
}
