using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace HotDb.Upgrade.Stages
{
    /// <summary>
    /// Runs stages in order on one target. When a stage fails (or is cancelled), every stage that ran,
    /// the failing one included, is rolled back in reverse order, and the result says what happened.
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
            var results = _stages.Select((s, i) => new StageResult(target, i + 1, s.Name, s.Describe(context)) { Status = StageStatus.Planned }).ToList();
            return new StageRunResult(target, results, planOnly: true);
        }

        public StageRunResult Run(string target, TContext context, CancellationToken cancellationToken = default)
        {
            var results = _stages.Select((s, i) => new StageResult(target, i + 1, s.Name, s.Describe(context))).ToList();
            var ran = new List<int>();
            for (var i = 0; i < _stages.Count; i++)
            {
                var stage = _stages[i];
                var result = results[i];
                _observer?.StageStarting(target, i + 1, _stages.Count, stage.Name, result.Description);
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
                        if (stage.ChangesState) ran.Add(i);
                        stage.Execute(context, progress, cancellationToken);
                        result.Status = StageStatus.Succeeded;
                    }
                }
                catch (Exception error)
                {
                    result.Status = StageStatus.Failed;
                    result.Error = error.Message;
                    result.RecommendedAction = (error as StageFailedException)?.RecommendedAction;
                    result.Duration = clock.Elapsed;
                    _observer?.StageFinished(result);
                    RollBack(context, results, ran);
                    return new StageRunResult(target, results, planOnly: false);
                }
                result.Duration = clock.Elapsed;
                _observer?.StageFinished(result);
            }
            return new StageRunResult(target, results, planOnly: false);
        }

        private void RollBack(TContext context, List<StageResult> results, List<int> ran)
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
