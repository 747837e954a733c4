using System.Threading;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Plans
{
    /// <summary>An existing <see cref="UpgradeStage{TContext}"/> as a plan step: the stage keeps its logic, the plan runner owns order and undo.</summary>
    internal sealed class StageStep<TContext> : PlanStep
    {
        private readonly UpgradeStage<TContext> _stage;
        private readonly TContext _context;
        private readonly string _host;
        private readonly bool _safeToRerun;

        public StageStep(UpgradeStage<TContext> stage, TContext context, string host, bool safeToRerun)
        {
            _stage = stage;
            _context = context;
            _host = host;
            _safeToRerun = safeToRerun;
        }

        public override string Name => _stage.Name;
        public override string Host => _host;
        public override bool ChangesState => _stage.ChangesState;
        public override bool SafeToRerun => _safeToRerun || !ChangesState;
        public override string Describe() => _stage.Describe(_context);
        public override bool IsAlreadyDone() => _stage.IsAlreadyDone(_context);
        public override void Execute(IStageProgress progress, CancellationToken cancellationToken) => _stage.Execute(_context, progress, cancellationToken);
        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken) => _stage.Rollback(_context, progress, cancellationToken);
        public override void PrepareRollbackAfterInterruption() => _stage.PrepareRollbackAfterInterruption(_context);
    }

    /// <summary>Passes a nested stage runner's events (the ConfigDB upgrader's scripts) on as the plan step's progress and notes.</summary>
    internal sealed class NestedStageProgress : IStageObserver
    {
        private readonly IStageProgress _progress;

        public NestedStageProgress(IStageProgress progress) => _progress = progress;

        public void StageStarting(string target, int index, int count, string stage, string description) =>
            _progress.Report($"{index}/{count} {stage}: {description}", count == 0 ? -1 : (index - 1) * 100 / count);

        public void StageProgress(string target, string stage, string status, int percent) => _progress.Report($"{stage}: {status}", percent);

        public void StageNote(string target, string stage, string message) => _progress.Note($"{stage}: {message}");

        public void StageFinished(StageResult result) =>
            _progress.Note($"{result.Stage}: {result.Status}" + (result.Error != null ? " - " + result.Error : ""));
    }
}
