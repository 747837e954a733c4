using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Stages;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class PlanRunnerTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "hotdb-plan-tests-" + Guid.NewGuid().ToString("N"));
        private string JournalPath => Path.Combine(_dir, "plan.journal.json");

        public PlanRunnerTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        /// <summary>What every fake step did, in order, across hosts: the "estate" rollback must restore.</summary>
        private sealed class Estate
        {
            private readonly object _gate = new object();
            public List<string> Log { get; } = new List<string>();
            public HashSet<string> Applied { get; } = new HashSet<string>();
            public void Record(string line) { lock (_gate) Log.Add(line); }
            public void Apply(string id) { lock (_gate) Applied.Add(id); }
            public void Remove(string id) { lock (_gate) Applied.Remove(id); }
            public int Runs(string id) { lock (_gate) return Log.Count(l => l == "run " + id); }
        }

        /// <summary>A value the first state-changing step learns and the last one needs (like the old install's backup path).</summary>
        private sealed class Memo : IPlanState
        {
            public string? Learned { get; set; }
            public string Key => "memo";
            public IDictionary<string, string?> Save() => new Dictionary<string, string?> { ["learned"] = Learned };
            public void Load(IReadOnlyDictionary<string, string?> values) => Learned = values["learned"];
        }

        private sealed class FakeStep : PlanStep
        {
            private readonly Estate _estate;
            private readonly string _name;
            private readonly string _host;

            public FakeStep(Estate estate, string name, string host = "h1")
            {
                _estate = estate;
                _name = name;
                _host = host;
            }

            public override string Name => _name;
            public override string Host => _host;
            public bool Changes { get; set; } = true;
            public bool Rerunnable { get; set; }
            public bool Fail { get; set; }
            public bool FailRollback { get; set; }
            public Action<CancellationToken>? During { get; set; }
            public Action? OnExecute { get; set; }
            public bool PreparedAfterInterruption { get; private set; }
            public CancellationToken RollbackToken { get; private set; } = new CancellationToken(true);
            public override bool ChangesState => Changes;
            public override bool SafeToRerun => Rerunnable || !Changes;
            public override string Describe() => "do " + _name;

            public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
            {
                _estate.Record("run " + Id);
                progress.Note("running " + _name);
                OnExecute?.Invoke();
                During?.Invoke(cancellationToken);
                if (Changes) _estate.Apply(Id);
                if (Fail) throw new StageFailedException(_name + " broke", "fix " + _name);
            }

            public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
            {
                RollbackToken = cancellationToken;
                _estate.Record("undo " + Id);
                if (FailRollback) throw new InvalidOperationException("cannot undo " + _name);
                _estate.Remove(Id);
            }

            public override void PrepareRollbackAfterInterruption() => PreparedAfterInterruption = true;
        }

        private sealed class Crash : Exception
        {
        }

        private sealed class Observer : IPlanObserver
        {
            public List<string> Events { get; } = new List<string>();
            public void StepStarting(PlanStepResult step, int count) { lock (Events) Events.Add($"start {step.Index}/{count} {step.Step}"); }
            public void StepProgress(PlanStepResult step, string status, int percent) { lock (Events) Events.Add($"progress {step.Step} {status}"); }
            public void StepNote(PlanStepResult step, string message) { lock (Events) Events.Add($"note {step.Step} {message}"); }
            public void StepFinished(PlanStepResult step) { lock (Events) Events.Add($"finished {step.Step} {step.Status}"); }
        }

        /// <summary>Checks (read-only), Prepare (a, b: a learns the memo), Switch (c, d: d needs the memo).</summary>
        private static (UpgradePlan Plan, Dictionary<string, FakeStep> Steps, Memo Memo) ThreePhases(Estate estate, Action<Dictionary<string, FakeStep>>? tweak = null)
        {
            var memo = new Memo();
            var steps = new Dictionary<string, FakeStep>
            {
                ["check"] = new FakeStep(estate, "check") { Changes = false },
                ["a"] = new FakeStep(estate, "a"),
                ["b"] = new FakeStep(estate, "b") { Rerunnable = true },
                ["c"] = new FakeStep(estate, "c"),
                ["d"] = new FakeStep(estate, "d"),
            };
            steps["a"].OnExecute = () => memo.Learned = "kept-at-/old";
            steps["d"].OnExecute = () =>
            {
                if (memo.Learned != "kept-at-/old") throw new StageFailedException("the memo was lost: " + (memo.Learned ?? "null"));
            };
            tweak?.Invoke(steps);
            var plan = new UpgradePlan("Fake", "pkg-1.tar.gz", "1.0", "2.0", new[]
            {
                new PlanPhase("Checks", new[] { steps["check"] }),
                new PlanPhase("Prepare", new[] { steps["a"], steps["b"] }),
                new PlanPhase("Switch", new[] { steps["c"], steps["d"] }),
            }, new[] { memo }, new Dictionary<string, string?> { ["package"] = "/tmp/pkg-1.tar.gz" });
            return (plan, steps, memo);
        }

        [Fact]
        public void RunsEveryPhaseInOrderAndJournalsSuccess()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var observer = new Observer();
            var result = new PlanRunner(plan, observer).Run(JournalPath);
            Assert.Equal(PlanRunStatus.Succeeded, result.Status);
            Assert.Equal(new[] { "run h1/check", "run h1/a", "run h1/b", "run h1/c", "run h1/d" }, estate.Log);
            Assert.All(result.Steps, s => Assert.Equal(StageStatus.Succeeded, s.Status));
            Assert.Contains("start 1/5 check", observer.Events);
            Assert.Contains("finished d Succeeded", observer.Events);
            var journal = PlanJournal.Read(JournalPath);
            Assert.Equal("Succeeded", journal.Status);
            Assert.All(journal.Steps, s => Assert.Equal("Succeeded", s.Status));
            Assert.Equal(plan.Fingerprint, journal.Fingerprint);
            Assert.Equal("/tmp/pkg-1.tar.gz", journal.Parameters["package"]);
        }

        [Fact]
        public void FailureRollsBackEveryStateChangingStepInReverseAcrossPhases()
        {
            var estate = new Estate();
            var (plan, steps, _) = ThreePhases(estate, s => s["d"].Fail = true);
            var result = new PlanRunner(plan).Run(JournalPath);
            Assert.Equal(PlanRunStatus.RolledBack, result.Status);
            Assert.Equal(new[] { "run h1/check", "run h1/a", "run h1/b", "run h1/c", "run h1/d", "undo h1/d", "undo h1/c", "undo h1/b", "undo h1/a" }, estate.Log);
            Assert.Empty(estate.Applied);
            Assert.Equal("d", result.FailedStep);
            Assert.Equal("d broke", result.Error);
            Assert.Equal("fix d", result.RecommendedAction);
            Assert.Equal(new[] { StageStatus.Succeeded, StageStatus.RolledBack, StageStatus.RolledBack, StageStatus.RolledBack, StageStatus.Failed }, result.Steps.Select(s => s.Status));
            Assert.Contains("rolled back", result.Steps[4].Notes);
            Assert.Equal("RolledBack", PlanJournal.Read(JournalPath).Status);
        }

        [Fact]
        public void FailedCheckRefusesWithoutChangingOrUndoingAnything()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate, s => s["check"].Fail = true);
            var result = new PlanRunner(plan).Run(JournalPath);
            Assert.Equal(PlanRunStatus.Refused, result.Status);
            Assert.Equal(new[] { "run h1/check" }, estate.Log);
            Assert.Equal(StageStatus.NotRun, result.Steps[1].Status);
        }

        [Fact]
        public void RollbackFailureIsReportedAndTheRestIsStillUndone()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate, s => { s["d"].Fail = true; s["b"].FailRollback = true; });
            var result = new PlanRunner(plan).Run(JournalPath);
            Assert.Equal(PlanRunStatus.RollbackFailed, result.Status);
            Assert.Contains("undo h1/a", estate.Log);
            Assert.Equal(StageStatus.RollbackFailed, result.Steps[2].Status);
            Assert.Equal("cannot undo b", result.Steps[2].RollbackError);
            Assert.Contains("cannot undo b", result.RecommendedAction);
            Assert.Equal("RollbackFailed", PlanJournal.Read(JournalPath).Status);
        }

        [Fact]
        public void ParallelPhaseRunsOneStepPerHostAtTheSameTime()
        {
            var estate = new Estate();
            // Each step waits for the other to arrive: run one after the other, both would time out and fail.
            using var meet = new Barrier(2);
            Action<CancellationToken> together = _ =>
            {
                if (!meet.SignalAndWait(TimeSpan.FromSeconds(20))) throw new StageFailedException("the other host's step never ran alongside");
            };
            var s1 = new FakeStep(estate, "stop", "h1") { During = together };
            var s2 = new FakeStep(estate, "stop", "h2") { During = together };
            var plan = new UpgradePlan("Fake", "p", "1", "2", new[] { new PlanPhase("Stop", new[] { s1, s2 }, parallel: true) });
            var result = new PlanRunner(plan).Run(JournalPath);
            Assert.Equal(PlanRunStatus.Succeeded, result.Status);
            Assert.Equal(new[] { "h1", "h2" }, plan.Hosts);
            Assert.Equal(2, estate.Applied.Count);
        }

        [Fact]
        public void ParallelPhaseFailureOnOneHostRollsBackBothHosts()
        {
            var estate = new Estate();
            var first = new FakeStep(estate, "prepare", "h1");
            var s1 = new FakeStep(estate, "start", "h1");
            var s2 = new FakeStep(estate, "start", "h2") { Fail = true };
            var plan = new UpgradePlan("Fake", "p", "1", "2", new[]
            {
                new PlanPhase("Prepare", new[] { first }),
                new PlanPhase("Start", new[] { s1, s2 }, parallel: true),
            });
            var result = new PlanRunner(plan).Run(JournalPath);
            Assert.Equal(PlanRunStatus.RolledBack, result.Status);
            Assert.Empty(estate.Applied);
            Assert.Equal("undo h1/prepare", estate.Log.Last());
            Assert.Equal("h2", result.FailedHost);
        }

        [Fact]
        public void ParallelPhaseRefusesTwoStepsOnOneHost()
        {
            var estate = new Estate();
            Assert.Throws<ArgumentException>(() => new PlanPhase("P", new[] { new FakeStep(estate, "x"), new FakeStep(estate, "y") }, parallel: true));
        }

        [Fact]
        public void CancellationMidStepRollsBackToTheEndWithAnUncancelledToken()
        {
            var estate = new Estate();
            using var cancel = new CancellationTokenSource();
            var (plan, steps, _) = ThreePhases(estate, s => s["c"].During = token =>
            {
                cancel.Cancel();
                token.ThrowIfCancellationRequested();
            });
            var result = new PlanRunner(plan).Run(JournalPath, cancel.Token);
            Assert.Equal(PlanRunStatus.RolledBack, result.Status);
            Assert.Equal("Cancelled during this step.", result.Error);
            Assert.Equal(new[] { "undo h1/c", "undo h1/b", "undo h1/a" }, estate.Log.Where(l => l.StartsWith("undo", StringComparison.Ordinal)));
            Assert.False(steps["a"].RollbackToken.IsCancellationRequested);
            Assert.Equal(0, estate.Runs("h1/d"));
        }

        [Fact]
        public void JournalIsPrivateCompleteAtEveryWriteAndLeavesNoTemporaryFile()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var runner = new PlanRunner(plan);
            var seen = new List<string>();
            runner.Fault = (when, step) =>
            {
                // Every write is a whole journal (the rename is atomic), and no temporary copy stays behind.
                var journal = PlanJournal.Read(JournalPath);
                seen.Add($"{when} {step} {journal.Steps.First(s => s.Name == step).Status}");
                Assert.Equal(new[] { JournalPath }, Directory.GetFiles(_dir));
                if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(JournalPath));
            };
            runner.Run(JournalPath);
            Assert.Equal("in check Running", seen[0]);
            Assert.Equal("after check Succeeded", seen[1]);
            Assert.Equal(10, seen.Count);
            var text = File.ReadAllText(JournalPath);
            Assert.Contains("\"learned\": \"kept-at-/old\"", text);
        }

        [Theory]
        [InlineData("check")]
        [InlineData("a")]
        [InlineData("b")]
        [InlineData("c")]
        [InlineData("d")]
        public void ResumeAfterAKillAtAStepBoundaryCompletesWithoutRepeatingDoneSteps(string killedAfter)
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var runner = new PlanRunner(plan) { Fault = (when, step) => { if (when == "after" && step == killedAfter) throw new Crash(); } };
            Assert.Throws<Crash>(() => runner.Run(JournalPath));

            // A new process: new steps and a new, empty memo; the estate is what the dead run left.
            var (again, _, memo) = ThreePhases(estate);
            var result = new PlanRunner(again).Resume(JournalPath);
            Assert.Equal(PlanRunStatus.Succeeded, result.Status);
            foreach (var id in new[] { "h1/check", "h1/a", "h1/b", "h1/c", "h1/d" }) Assert.Equal(1, estate.Runs(id));
            Assert.Equal("kept-at-/old", memo.Learned);
            Assert.True(result.Steps.First(s => s.Step == killedAfter).FromJournal);
            Assert.Equal("Succeeded", PlanJournal.Read(JournalPath).Status);
        }

        [Fact]
        public void ResumeAfterAKillInsideAStepThatIsNotSafeToRerunRollsBackIncludingThatStep()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var runner = new PlanRunner(plan) { Fault = (when, step) => { if (when == "in" && step == "c") throw new Crash(); } };
            Assert.Throws<Crash>(() => runner.Run(JournalPath));
            Assert.Equal("Running", PlanJournal.Read(JournalPath).Steps.First(s => s.Name == "c").Status);

            var (again, steps, _) = ThreePhases(estate);
            var result = new PlanRunner(again).Resume(JournalPath);
            Assert.Equal(PlanRunStatus.RolledBack, result.Status);
            Assert.Equal("c", result.FailedStep);
            Assert.Contains("Interrupted", result.Error);
            Assert.True(steps["c"].PreparedAfterInterruption);
            Assert.Equal(new[] { "undo h1/c", "undo h1/b", "undo h1/a" }, estate.Log.Where(l => l.StartsWith("undo", StringComparison.Ordinal)));
            Assert.Equal(0, estate.Runs("h1/d"));
            Assert.Empty(estate.Applied);
        }

        [Fact]
        public void ResumeAfterAKillInsideASafeToRerunStepRunsItAgainAndCompletes()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var runner = new PlanRunner(plan) { Fault = (when, step) => { if (when == "in" && step == "b") throw new Crash(); } };
            Assert.Throws<Crash>(() => runner.Run(JournalPath));
            var (again, _, _) = ThreePhases(estate);
            var result = new PlanRunner(again).Resume(JournalPath);
            Assert.Equal(PlanRunStatus.Succeeded, result.Status);
            Assert.Equal(1, estate.Runs("h1/b"));
            Assert.Equal(1, estate.Runs("h1/a"));
        }

        [Fact]
        public void ResumeOfAFinishedJournalRunsNothing()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            new PlanRunner(plan).Run(JournalPath);
            var (again, _, _) = ThreePhases(estate);
            var result = new PlanRunner(again).Resume(JournalPath);
            Assert.Equal(PlanRunStatus.Succeeded, result.Status);
            Assert.Equal(1, estate.Runs("h1/d"));
        }

        [Fact]
        public void ResumeRefusesAJournalOfAnotherPlan()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var runner = new PlanRunner(plan) { Fault = (when, step) => { if (when == "after" && step == "a") throw new Crash(); } };
            Assert.Throws<Crash>(() => runner.Run(JournalPath));
            var other = new UpgradePlan("Fake", "pkg-1.tar.gz", "1.0", "2.0", new[] { new PlanPhase("Prepare", new[] { new FakeStep(estate, "a") }) });
            var error = Assert.Throws<PlanJournalException>(() => new PlanRunner(other).Resume(JournalPath));
            Assert.Contains("another plan", error.Message);
            Assert.Equal(1, estate.Runs("h1/a"));
        }

        [Fact]
        public void NewRunRefusesToOverwriteAnUnfinishedJournal()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var runner = new PlanRunner(plan) { Fault = (when, step) => { if (when == "after" && step == "a") throw new Crash(); } };
            Assert.Throws<Crash>(() => runner.Run(JournalPath));
            var (again, _, _) = ThreePhases(estate);
            var error = Assert.Throws<PlanJournalException>(() => new PlanRunner(again).Run(JournalPath));
            Assert.Contains("unfinished", error.Message);
        }

        [Fact]
        public void WhatIfListsEveryStepAndRunsNothing()
        {
            var estate = new Estate();
            var (plan, _, _) = ThreePhases(estate);
            var result = new PlanRunner(plan).WhatIf();
            Assert.Equal(PlanRunStatus.Planned, result.Status);
            Assert.Equal(new[] { "check", "a", "b", "c", "d" }, result.Steps.Select(s => s.Step));
            Assert.All(result.Steps, s => Assert.Equal(StageStatus.Planned, s.Status));
            Assert.Empty(estate.Log);
        }

        [Fact]
        public void JournalTextRoundTripsEscapes()
        {
            var text = JournalJson.Write(new Dictionary<string, object?> { ["a"] = "quote \" back \\ line\n tab\t \u0001", ["b"] = null, ["c"] = true, ["d"] = new List<object?> { "x" } });
            var back = (Dictionary<string, object?>)JournalJson.Read(text)!;
            Assert.Equal("quote \" back \\ line\n tab\t \u0001", back["a"]);
            Assert.Null(back["b"]);
            Assert.Equal(true, back["c"]);
            Assert.Equal(new object?[] { "x" }, (List<object?>)back["d"]!);
            Assert.Throws<FormatException>(() => JournalJson.Read("{\"a\": }"));
        }
    }
}
