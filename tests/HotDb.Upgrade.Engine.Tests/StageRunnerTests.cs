using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.Stages;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class StageRunnerTests
    {
        /// <summary>A target whose state is a list of applied stage names, so rollback can be checked exactly.</summary>
        private sealed class FakeHost
        {
            public List<string> Applied { get; } = new List<string>();
            public List<string> Log { get; } = new List<string>();
        }

        private sealed class RecordingStage : UpgradeStage<FakeHost>
        {
            private readonly string _name;
            private readonly bool _fail;
            private readonly bool _failRollback;
            private readonly bool _changesState;

            public RecordingStage(string name, bool fail = false, bool failRollback = false, bool changesState = true)
            {
                _name = name;
                _fail = fail;
                _failRollback = failRollback;
                _changesState = changesState;
            }

            public override string Name => _name;
            public override bool ChangesState => _changesState;
            public override string Describe(FakeHost context) => "do " + _name;
            public override bool IsAlreadyDone(FakeHost context) => context.Applied.Contains(_name);

            public override void Execute(FakeHost context, IStageProgress progress, CancellationToken cancellationToken)
            {
                context.Log.Add("run " + _name);
                progress.Report("working", 50);
                if (_changesState) context.Applied.Add(_name);
                if (_fail) throw new StageFailedException(_name + " broke", "fix " + _name);
            }

            public override void Rollback(FakeHost context, IStageProgress progress, CancellationToken cancellationToken)
            {
                context.Log.Add("undo " + _name);
                if (_failRollback) throw new InvalidOperationException("cannot undo " + _name);
                context.Applied.Remove(_name);
            }
        }

        /// <summary>A stage that fails with a given engine exception, as a lost session or a timeout would.</summary>
        private sealed class ThrowingStage : UpgradeStage<FakeHost>
        {
            private readonly Exception _error;

            public ThrowingStage(Exception error) => _error = error;

            public override string Name => "throws";
            public override bool ChangesState => false;
            public override string Describe(FakeHost context) => "throw " + _error.GetType().Name;
            public override bool IsAlreadyDone(FakeHost context) => false;
            public override void Execute(FakeHost context, IStageProgress progress, CancellationToken cancellationToken) => throw _error;
            public override void Rollback(FakeHost context, IStageProgress progress, CancellationToken cancellationToken) { }
        }

        private sealed class Observer : IStageObserver
        {
            public List<string> Events { get; } = new List<string>();
            public void StageStarting(string target, int index, int count, string stage, string description) => Events.Add($"start {index}/{count} {stage}");
            public void StageProgress(string target, string stage, string status, int percent) => Events.Add($"progress {stage} {status} {percent}");
            public void StageNote(string target, string stage, string message) => Events.Add($"note {stage} {message}");
            public void StageFinished(StageResult result) => Events.Add($"finish {result.Stage} {result.Status}");
        }

        [Fact]
        public void Plan_with_checks_runs_only_the_leading_read_only_stages()
        {
            var host = new FakeHost();
            var stages = new[]
            {
                new RecordingStage("check1", changesState: false), new RecordingStage("check2", changesState: false),
                new RecordingStage("change"), new RecordingStage("verify", changesState: false),
            };
            var result = new StageRunner<FakeHost>(stages).PlanWithChecks("h1", host);

            Assert.True(result.PlanOnly);
            Assert.False(result.Succeeded);
            Assert.Null(result.FailedStage);
            Assert.Equal(new[] { "run check1", "run check2" }, host.Log);
            Assert.Empty(host.Applied);
            Assert.Equal(new[] { StageStatus.Succeeded, StageStatus.Succeeded, StageStatus.Planned, StageStatus.Planned }, result.Stages.Select(s => s.Status));
        }

        [Fact]
        public void Plan_with_checks_stops_at_a_failing_check_as_the_run_would()
        {
            var host = new FakeHost();
            var stages = new[]
            {
                new RecordingStage("check1", changesState: false), new RecordingStage("check2", fail: true, changesState: false),
                new RecordingStage("check3", changesState: false), new RecordingStage("change"),
            };
            var result = new StageRunner<FakeHost>(stages).PlanWithChecks("h1", host);

            Assert.True(result.PlanOnly);
            Assert.Equal("check2", result.FailedStage?.Stage);
            Assert.Equal("check2 broke", result.FailedStage?.Error);
            Assert.Equal("fix check2", result.FailedStage?.RecommendedAction);
            Assert.False(result.RolledBack);
            Assert.Equal(new[] { "run check1", "run check2" }, host.Log);
            Assert.Equal(new[] { StageStatus.Succeeded, StageStatus.Failed, StageStatus.NotRun, StageStatus.NotRun }, result.Stages.Select(s => s.Status));
        }

        [Fact]
        public void Without_rollback_a_failure_is_left_in_place_and_no_stage_claims_a_rollback()
        {
            var host = new FakeHost();
            var observer = new Observer();
            var stages = new[] { new RecordingStage("check", changesState: false), new RecordingStage("a"), new RecordingStage("b", fail: true), new RecordingStage("c") };
            var result = new StageRunner<FakeHost>(stages, observer).Run("h1", host, rollBack: false);

            Assert.False(result.Succeeded);
            Assert.False(result.RolledBack);
            Assert.Equal("b", result.FailedStage?.Stage);
            Assert.Equal(new[] { "a", "b" }, host.Applied);
            Assert.DoesNotContain(host.Log, l => l.StartsWith("undo", StringComparison.Ordinal));
            Assert.Equal(new[] { StageStatus.Succeeded, StageStatus.NotRolledBack, StageStatus.Failed, StageStatus.NotRun }, result.Stages.Select(s => s.Status));
            Assert.Contains(result.Stages[1].Notes, n => n.Contains("not rolled back"));
            Assert.Contains(result.Stages[2].Notes, n => n.Contains("not rolled back"));
            Assert.Contains("finish a NotRolledBack", observer.Events);
        }

        [Fact]
        public void A_failure_from_any_engine_error_carries_its_error_id_and_remedy()
        {
            var closed = HotDb.Upgrade.Remote.RemoteConnectionException.SessionClosed("h1");
            var timedOut = HotDb.Upgrade.Remote.RemoteTimeoutException.CommandTimedOut("h1: the command ran past 5 s.");
            foreach (var error in new Exception[] { closed, timedOut })
            {
                var result = new StageRunner<FakeHost>(new[] { new ThrowingStage(error) }).Run("h1", new FakeHost());

                var failed = result.FailedStage!;
                Assert.Equal(error.Message, failed.Error);
                Assert.Equal(((IHotDbError)error).ErrorId, failed.ErrorId);
                Assert.Equal(((IHotDbError)error).RecommendedAction, failed.RecommendedAction);
                Assert.False(string.IsNullOrEmpty(failed.RecommendedAction));
            }
        }

        [Fact]
        public void A_stage_failure_is_an_engine_error_with_its_own_remedy_or_a_general_one()
        {
            IHotDbError withRemedy = new StageFailedException("broke", "fix it");
            IHotDbError without = new StageFailedException("broke");

            Assert.Equal("StageFailed", withRemedy.ErrorId);
            Assert.Equal("fix it", withRemedy.RecommendedAction);
            Assert.False(string.IsNullOrEmpty(without.RecommendedAction));
            var result = new StageRunner<FakeHost>(new[] { new RecordingStage("b", fail: true) }).Run("h1", new FakeHost());
            Assert.Equal("StageFailed", result.FailedStage!.ErrorId);
        }

        [Fact]
        public void Runs_every_stage_in_order_and_reports_each()
        {
            var host = new FakeHost();
            var observer = new Observer();
            var result = new StageRunner<FakeHost>(new[] { new RecordingStage("a"), new RecordingStage("b") }, observer).Run("h1", host);

            Assert.True(result.Succeeded);
            Assert.Equal(new[] { "a", "b" }, host.Applied);
            Assert.Equal(new[] { StageStatus.Succeeded, StageStatus.Succeeded }, result.Stages.Select(s => s.Status));
            Assert.Equal(new[] { 1, 2 }, result.Stages.Select(s => s.Index));
            Assert.Contains("start 2/2 b", observer.Events);
            Assert.Contains("progress a working 50", observer.Events);
            Assert.All(result.Stages, s => Assert.Equal("h1", s.Target));
        }

        [Fact]
        public void A_failure_rolls_back_every_stage_that_ran_in_reverse_including_the_failing_one()
        {
            var host = new FakeHost();
            var stages = new[] { new RecordingStage("check", changesState: false), new RecordingStage("a"), new RecordingStage("b", fail: true), new RecordingStage("c") };
            var result = new StageRunner<FakeHost>(stages).Run("h1", host);

            Assert.False(result.Succeeded);
            Assert.True(result.RolledBack);
            Assert.Empty(host.Applied);
            Assert.Equal(new[] { "run check", "run a", "run b", "undo b", "undo a" }, host.Log);
            Assert.Equal(new[] { StageStatus.Succeeded, StageStatus.RolledBack, StageStatus.Failed, StageStatus.NotRun }, result.Stages.Select(s => s.Status));
            Assert.Equal("b", result.FailedStage!.Stage);
            Assert.Equal("b broke", result.FailedStage.Error);
            Assert.Equal("fix b", result.FailedStage.RecommendedAction);
        }

        [Fact]
        public void A_failed_rollback_is_reported_and_does_not_stop_the_other_rollbacks()
        {
            var host = new FakeHost();
            var stages = new[] { new RecordingStage("a"), new RecordingStage("b", failRollback: true), new RecordingStage("c", fail: true) };
            var result = new StageRunner<FakeHost>(stages).Run("h1", host);

            Assert.False(result.RolledBack);
            Assert.Equal(StageStatus.RollbackFailed, result.Stages[1].Status);
            Assert.Equal("cannot undo b", result.Stages[1].RollbackError);
            Assert.Equal(new[] { "b" }, host.Applied);
            Assert.Contains("undo a", host.Log);
        }

        [Fact]
        public void A_rerun_skips_stages_already_done_and_continues()
        {
            var host = new FakeHost();
            host.Applied.Add("a");
            var result = new StageRunner<FakeHost>(new[] { new RecordingStage("a"), new RecordingStage("b") }).Run("h1", host);

            Assert.True(result.Succeeded);
            Assert.Equal(StageStatus.Skipped, result.Stages[0].Status);
            Assert.NotEmpty(result.Stages[0].Notes);
            Assert.Equal(new[] { "run b" }, host.Log);
        }

        [Fact]
        public void Plan_describes_every_stage_and_executes_nothing()
        {
            var host = new FakeHost();
            var plan = new StageRunner<FakeHost>(new[] { new RecordingStage("a"), new RecordingStage("b") }).Plan("h1", host);

            Assert.True(plan.PlanOnly);
            Assert.False(plan.Succeeded);
            Assert.Equal(new[] { "do a", "do b" }, plan.Stages.Select(s => s.Description));
            Assert.All(plan.Stages, s => Assert.Equal(StageStatus.Planned, s.Status));
            Assert.Empty(host.Log);
        }

        [Fact]
        public void Cancellation_before_a_stage_rolls_back_what_ran()
        {
            var host = new FakeHost();
            using var cancel = new CancellationTokenSource();
            var stages = new UpgradeStage<FakeHost>[] { new RecordingStage("a"), new CancellingStage(cancel), new RecordingStage("c") };
            var result = new StageRunner<FakeHost>(stages).Run("h1", host, cancel.Token);

            Assert.Equal(StageStatus.Failed, result.Stages[2].Status);
            Assert.Empty(host.Applied);
        }

        [Fact]
        public void Duplicate_stage_names_are_refused()
        {
            Assert.Throws<ArgumentException>(() => new StageRunner<FakeHost>(new[] { new RecordingStage("a"), new RecordingStage("a") }));
        }

        private sealed class CancellingStage : UpgradeStage<FakeHost>
        {
            private readonly CancellationTokenSource _source;
            public CancellingStage(CancellationTokenSource source) => _source = source;
            public override string Name => "cancel";
            public override string Describe(FakeHost context) => "cancel the run";
            public override bool ChangesState => false;
            public override void Execute(FakeHost context, IStageProgress progress, CancellationToken cancellationToken) => _source.Cancel();
        }
    }
}
