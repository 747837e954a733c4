using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace HotDb.Upgrade.Stages
{
    /// <summary>
    /// Runs stages in order on one target. When a stage fails (or is cancelled), every stage that ran,
    /// the failing one included, is rolled back in reverse order (unless the caller turns rollback off),
    /// and the result says what happened.
    /// </summary>
    public sealed class StageRunner<TContext>
    {
        private readonly IReadOnlyList<UpgradeStage<TContext>> _stages;
        private readonly IStageObserver? _observer;

        public StageRunner(IEnumerable<UpgradeStage<TContext>> stages, IStageObserver? observer = null)
        {
            _stages = stages.ToList();
            var duplicate = _stages.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null) throw new ArgumentException($"Stage name '{duplicate.Key}' is used twice; names identify stages in results and journals.");
            _observer = observer;
        }

        /// <summary>The -WhatIf plan: every stage with what it would do, nothing executed.</summary>
        public StageRunResult Plan(string target, TContext context)
        {
            var results = NewResults(target, context);
            foreach (var result in results) result.Status = StageStatus.Planned;
            return new StageRunResult(target, results, planOnly: true, rolledBack: false);
        }

        /// <summary>
        /// The -WhatIf plan with its pre-checks run: the read-only stages (<see cref="UpgradeStage{TContext}.ChangesState"/>
        /// false) before the first stage that changes state are executed, since they change nothing and tell whether the
        /// real run would be refused; the stages after them are Planned. A failing check ends the plan as it would end the
        /// run: that stage is Failed, the later ones NotRun, and <see cref="StageRunResult.FailedStage"/> names it.
        /// </summary>
        public StageRunResult PlanWithChecks(string target, TContext context, CancellationToken cancellationToken = default)
        {
            var results = NewResults(target, context);
            var checking = true;
            for (var i = 0; i < _stages.Count; i++)
            {
                checking = checking && !_stages[i].ChangesState;
                if (!checking) results[i].Status = StageStatus.Planned;
                else if (!Execute(i, results[i], context, null, cancellationToken)) break;
            }
            return new StageRunResult(target, results, planOnly: true, rolledBack: false);
        }

        /// <summary>
        /// Runs the stages. With <paramref name="rollBack"/> false a failure is left as it is (the caller undoes it by
        /// other means): the stages that ran keep status NotRolledBack and the result does not claim a rollback.
        /// </summary>
        public StageRunResult Run(string target, TContext context, CancellationToken cancellationToken = default, bool rollBack = true)
        {
            var results = NewResults(target, context);
            var ran = new List<int>();
            for (var i = 0; i < _stages.Count; i++)
            {
                if (Execute(i, results[i], context, ran, cancellationToken)) continue;
                var rolledBack = rollBack ? RollBack(context, results, ran) : LeaveAsIs(results, ran);
                return new StageRunResult(target, results, planOnly: false, rolledBack);
            }
            return new StageRunResult(target, results, planOnly: false, rolledBack: false);
        }

        private bool LeaveAsIs(List<StageResult> results, List<int> ran)
        {
            foreach (var i in ran)
            {
                var result = results[i];
                if (result.Status == StageStatus.Succeeded) result.Status = StageStatus.NotRolledBack;
                new Progress(this, result).Note("not rolled back: rollback was turned off for this run");
                _observer?.StageFinished(result);
            }
            return false;
        }

        private List<StageResult> NewResults(string target, TContext context) =>
            _stages.Select((s, i) => new StageResult(target, i + 1, s.Name, s.Describe(context))).ToList();

        /// <summary>Runs stage <paramref name="i"/> into <paramref name="result"/>; false when it failed (or was cancelled).</summary>
        private bool Execute(int i, StageResult result, TContext context, List<int>? ran, CancellationToken cancellationToken)
        {
            var stage = _stages[i];
            _observer?.StageStarting(result.Target, i + 1, _stages.Count, stage.Name, result.Description);
            var progress = new Progress(this, result);
            var clock = Stopwatch.StartNew();
            result.StartTime = DateTimeOffset.Now;
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (stage.IsAlreadyDone(context))
                {
                    result.Status = StageStatus.Skipped;
                    progress.Note("already done on the target; not repeated");
                }
                else
                {
                    if (stage.ChangesState) ran?.Add(i);
                    stage.Execute(context, progress, cancellationToken);
                    result.Status = StageStatus.Succeeded;
                }
            }
            catch (Exception error)
            {
                result.Status = StageStatus.Failed;
                result.Error = error.Message;
                // Any engine failure knows its id and remedy, not only a StageFailedException (a lost session, a timeout).
                if (error is StageFailedException stageFailure) result.RecommendedAction = stageFailure.RecommendedAction;
                else if (error is IHotDbError known) result.RecommendedAction = known.RecommendedAction;
                result.ErrorId = (error as IHotDbError)?.ErrorId;
            }
            result.Duration = clock.Elapsed;
            _observer?.StageFinished(result);
            return result.Status != StageStatus.Failed;
        }

        /// <summary>Rolls back the stages that ran, last first; true when every rollback succeeded.</summary>
        private bool RollBack(TContext context, List<StageResult> results, List<int> ran)
        {
            // Rollback must run to the end even when the caller has cancelled: a half-restored host is the worst state.
            foreach (var i in Enumerable.Reverse(ran))
            {
                var result = results[i];
                var progress = new Progress(this, result);
                var clock = Stopwatch.StartNew();
                try
                {
                    _observer?.StageProgress(result.Target, result.Stage, "rolling back", -1);
                    _stages[i].Rollback(context, progress, CancellationToken.None);
                    if (result.Status == StageStatus.Succeeded) result.Status = StageStatus.RolledBack;
                    else progress.Note("rolled back");
                }
                catch (Exception error)
                {
                    result.RollbackError = error.Message;
                    if (result.Status == StageStatus.Succeeded) result.Status = StageStatus.RollbackFailed;
                    else progress.Note("rollback failed: " + error.Message);
                }
                result.Duration += clock.Elapsed;
                _observer?.StageFinished(result);
            }
            return ran.All(i => results[i].RollbackError == null);
        }

        private sealed class Progress : IStageProgress
        {
            private readonly StageRunner<TContext> _runner;
            private readonly StageResult _result;

            public Progress(StageRunner<TContext> runner, StageResult result)
            {
                _runner = runner;
                _result = result;
            }

            public void Report(string status, int percent = -1) =>
                _runner._observer?.StageProgress(_result.Target, _result.Stage, status, percent);

            public void Note(string message)
            {
                _result._notes.Add(message);
                _runner._observer?.StageNote(_result.Target, _result.Stage, message);
            }
        }
    }
}
