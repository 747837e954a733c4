using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>What the work for one host reports; callable from any thread, written by the pipeline thread.</summary>
    internal sealed class HostProgress
    {
        private readonly object _gate = new object();
        private string _status = "Waiting for its turn";
        private int _percent = -1;
        private bool _dirty = true;
        private bool _finished;

        public void Report(string status, int percent = -1)
        {
            lock (_gate)
            {
                if (_finished) return;
                _status = status;
                _percent = percent;
                _dirty = true;
            }
        }

        internal void Finish(string status)
        {
            lock (_gate)
            {
                _status = status;
                _percent = 100;
                _finished = true;
                _dirty = true;
            }
        }

        /// <summary>The state to write when it changed since the last call.</summary>
        internal bool TakeChange(out string status, out int percent, out bool finished)
        {
            lock (_gate)
            {
                status = _status;
                percent = _percent;
                finished = _finished;
                var dirty = _dirty;
                _dirty = false;
                return dirty;
            }
        }
    }

    /// <summary>
    /// The cmdlet side of <see cref="HostFanOut"/>: ShouldProcess, output, errors and progress stay on the pipeline
    /// thread while the per-host work runs concurrently. Output and errors are written in input order (a host's
    /// output waits for the hosts before it); each host's failure is its own non-terminating error. Progress shows
    /// one parent line and one child line per host.
    /// </summary>
    internal sealed class HostFanOutRunner<TItem, TResult>
    {
        private static int _nextActivityId = 41000;

        /// <summary>The parent progress line, e.g. "Running a command".</summary>
        public string Activity { get; set; } = "Working on hosts";

        /// <summary>The host's progress line.</summary>
        public Func<TItem, string> Label { get; set; } = item => item?.ToString() ?? "";

        /// <summary>Asked on the pipeline thread, before anything runs; false leaves the item out.</summary>
        public Func<TItem, bool>? ShouldProcess { get; set; }

        /// <summary>The work for one host, run on a worker thread: no Write* calls here, report through the progress.</summary>
        public Func<TItem, HostProgress, CancellationToken, TResult> Work { get; set; } = (_, _, _) => default!;

        /// <summary>Writes a host's result on the pipeline thread.</summary>
        public Action<TItem, TResult> Write { get; set; } = (_, _) => { };

        /// <summary>The target of a host's error record (default: the item).</summary>
        public Func<TItem, object?>? ErrorTarget { get; set; }

        public void Run(HotDbCmdlet cmdlet, IEnumerable<TItem> items, int throttleLimit, CancellationToken cancellationToken)
        {
            var chosen = items.Where(item => ShouldProcess == null || ShouldProcess(item)).ToList();
            if (chosen.Count == 0 || cancellationToken.IsCancellationRequested) return;

            var progress = chosen.Select(_ => new HostProgress()).ToArray();
            var parentId = Interlocked.Add(ref _nextActivityId, chosen.Count + 1) - chosen.Count;
            using var finished = new BlockingCollection<HostOutcome<int, TResult>>();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var runner = new Thread(() =>
            {
                try
                {
                    HostFanOut.Run(Enumerable.Range(0, chosen.Count).ToList(), throttleLimit,
                        (index, token) => Work(chosen[index], progress[index], token), linked.Token,
                        started: outcome => progress[outcome.Item].Report("Running"),
                        completed: outcome =>
                        {
                            progress[outcome.Item].Finish(outcome.Skipped ? "Not started" : outcome.Succeeded ? "Done" : "Failed");
                            finished.Add(outcome);
                        });
                }
                finally
                {
                    finished.CompleteAdding();
                }
            }) { IsBackground = true, Name = "HotDb fan-out" };

            var done = new HostOutcome<int, TResult>?[chosen.Count];
            var written = 0;
            var count = 0;
            var ok = false;
            runner.Start();
            try
            {
                while (!finished.IsCompleted)
                {
                    if (finished.TryTake(out var outcome, 200))
                    {
                        done[outcome.Index] = outcome;
                        count++;
                    }
                    WriteProgress(cmdlet, parentId, chosen, progress, count);
                    while (written < done.Length && done[written] is { } next)
                    {
                        Emit(cmdlet, chosen[written], next);
                        written++;
                    }
                }
                WriteProgress(cmdlet, parentId, chosen, progress, count);
                cmdlet.WriteProgress(new ProgressRecord(parentId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
                ok = true;
            }
            finally
            {
                // A stopped pipeline or an -ErrorAction Stop error ends the other hosts' work too.
                if (!ok) linked.Cancel();
                runner.Join();
            }
        }

        private void WriteProgress(HotDbCmdlet cmdlet, int parentId, List<TItem> chosen, HostProgress[] progress, int count)
        {
            var any = false;
            for (var i = 0; i < chosen.Count; i++)
            {
                if (!progress[i].TakeChange(out var status, out var percent, out var hostFinished)) continue;
                if (!any)
                {
                    any = true;
                    cmdlet.WriteProgress(new ProgressRecord(parentId, Activity, $"{count} of {chosen.Count} hosts done")
                    {
                        PercentComplete = chosen.Count == 0 ? 100 : count * 100 / chosen.Count,
                    });
                }
                cmdlet.WriteProgress(new ProgressRecord(parentId + 1 + i, Label(chosen[i]), status)
                {
                    ParentActivityId = parentId,
                    PercentComplete = percent,
                    RecordType = hostFinished ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                });
            }
        }

        private void Emit(HotDbCmdlet cmdlet, TItem item, HostOutcome<int, TResult> outcome)
        {
            if (outcome.Skipped || outcome.Error is OperationCanceledException || outcome.Error is PipelineStoppedException) return;
            if (outcome.Error != null)
            {
                cmdlet.WriteHotDbError(outcome.Error, ErrorTarget != null ? ErrorTarget(item) : item);
                return;
            }
            Write(item, outcome.Result);
        }
    }
}
