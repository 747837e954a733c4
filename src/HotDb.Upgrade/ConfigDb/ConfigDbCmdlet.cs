using System;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// What the ConfigDB cmdlets share: engine messages as verbose output and progress that a stop cannot break, and Ctrl+C
    /// (StopProcessing) as the cancellation token every engine call takes.
    /// </summary>
    public abstract class ConfigDbCmdlet : HotDbCmdlet
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        /// <summary>Cancelled when the pipeline is stopped.</summary>
        internal CancellationToken Cancellation => _stop.Token;

        protected override void StopProcessing() => _stop.Cancel();

        // Once the pipeline is stopping every Write* throws; the engine may still be restoring a backup, which must not be cut short by a message.
        internal void Verbose(string message) => WhileRunning(() => WriteVerbose(message));

        internal void Progress(ProgressRecord record) => WhileRunning(() => WriteProgress(record));

        private void WhileRunning(Action write)
        {
            if (Stopping) return;
            try
            {
                write();
            }
            catch (PipelineStoppedException)
            {
            }
        }

        internal HotDbVersion ParseVersion(string text, string parameter)
        {
            if (HotDbVersion.TryParse(text, out var version)) return version!;
            ThrowHotDbError(new FormatException($"-{parameter} '{text}' is not a HotDB version."), "InvalidVersion", ErrorCategory.InvalidArgument, text,
                "Give the version as dotted numbers, such as 2.5.4 or 2.5.3.1.");
            throw new InvalidOperationException(); // not reached: ThrowTerminatingError throws
        }
    }

    /// <summary>Stage events as Write-Progress and Write-Verbose.</summary>
    internal sealed class ProgressObserver : IStageObserver
    {
        private readonly ConfigDbCmdlet _cmdlet;
        private readonly string _activity;
        private int _count = 1;
        private int _index;

        public ProgressObserver(ConfigDbCmdlet cmdlet, string activity)
        {
            _cmdlet = cmdlet;
            _activity = activity;
        }

        public void StageStarting(string target, int index, int count, string stage, string description)
        {
            _index = index;
            _count = count;
            _cmdlet.Progress(new ProgressRecord(1, _activity, $"{stage}: {description}") { PercentComplete = (index - 1) * 100 / Math.Max(1, count) });
            _cmdlet.Verbose($"[{index}/{count}] {stage}: {description}");
        }

        public void StageProgress(string target, string stage, string status, int percent)
        {
            var record = new ProgressRecord(2, stage, status) { ParentActivityId = 1 };
            if (percent >= 0) record.PercentComplete = Math.Min(100, percent);
            _cmdlet.Progress(record);
        }

        public void StageNote(string target, string stage, string message) => _cmdlet.Verbose($"{stage}: {message}");

        public void StageFinished(StageResult result)
        {
            _cmdlet.Verbose($"{result.Stage}: {result.Status}{(result.Error != null ? " - " + result.Error : "")}");
            if (_index >= _count)
                _cmdlet.Progress(new ProgressRecord(1, _activity, "done") { RecordType = ProgressRecordType.Completed });
        }
    }

    internal static class BackupProgress
    {
        public static Action<string, int> For(ConfigDbCmdlet cmdlet, string activity) =>
            (status, percent) => cmdlet.Progress(new ProgressRecord(3, activity, status)
            {
                PercentComplete = percent,
                RecordType = percent >= 100 ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            });
    }
}
