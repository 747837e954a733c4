using System;
using System.Collections.Generic;
using System.Threading;

namespace HotDb.Upgrade.Remote
{
    /// <summary>What the work for one host (one item of a fan-out) did.</summary>
    public sealed class HostOutcome<TItem, TResult>
    {
        internal HostOutcome(int index, TItem item)
        {
            Index = index;
            Item = item;
        }

        /// <summary>The item's position in the input: outcomes are returned in input order.</summary>
        public int Index { get; }

        public TItem Item { get; }

        /// <summary>The work's result; default when it failed or never ran.</summary>
        public TResult Result { get; internal set; } = default!;

        /// <summary>Why the work failed; an OperationCanceledException when it was cancelled or never started.</summary>
        public Exception? Error { get; internal set; }

        /// <summary>True when the work never started (cancelled before its turn).</summary>
        public bool Skipped { get; internal set; }

        public bool Succeeded => Error == null;

        public DateTime StartedUtc { get; internal set; }
        public DateTime EndedUtc { get; internal set; }
    }

    /// <summary>
    /// Runs per-host work concurrently, at most <c>throttleLimit</c> at a time, each on a dedicated thread (the work
    /// blocks on SSH, and pool threads would be added one by one). A failure stays with its host: the other hosts go
    /// on. Cancellation is passed to the running work and stops the hosts whose turn has not come.
    /// </summary>
    public static class HostFanOut
    {
        public const int DefaultThrottleLimit = 16;

        /// <summary>
        /// Runs <paramref name="work"/> for every item and returns the outcomes in input order. <paramref name="started"/>
        /// and <paramref name="completed"/> are called on the worker threads (they must be thread-safe and not throw).
        /// </summary>
        public static IReadOnlyList<HostOutcome<TItem, TResult>> Run<TItem, TResult>(
            IReadOnlyList<TItem> items,
            int throttleLimit,
            Func<TItem, CancellationToken, TResult> work,
            CancellationToken cancellationToken = default,
            Action<HostOutcome<TItem, TResult>>? started = null,
            Action<HostOutcome<TItem, TResult>>? completed = null)
        {
            if (items is null) throw new ArgumentNullException(nameof(items));
            if (work is null) throw new ArgumentNullException(nameof(work));
            if (throttleLimit < 1) throw new ArgumentOutOfRangeException(nameof(throttleLimit), throttleLimit, "The throttle limit must be at least 1.");

            var outcomes = new HostOutcome<TItem, TResult>[items.Count];
            for (var i = 0; i < items.Count; i++) outcomes[i] = new HostOutcome<TItem, TResult>(i, items[i]);
            if (items.Count == 0) return outcomes;

            var next = -1;
            void Worker()
            {
                while (true)
                {
                    var index = Interlocked.Increment(ref next);
                    if (index >= outcomes.Length) return;
                    var outcome = outcomes[index];
                    if (cancellationToken.IsCancellationRequested)
                    {
                        outcome.Skipped = true;
                        outcome.Error = new OperationCanceledException(cancellationToken);
                        outcome.StartedUtc = outcome.EndedUtc = DateTime.UtcNow;
                        completed?.Invoke(outcome);
                        continue;
                    }
                    outcome.StartedUtc = DateTime.UtcNow;
                    started?.Invoke(outcome);
                    try
                    {
                        outcome.Result = work(outcome.Item, cancellationToken);
                    }
                    catch (Exception ex)
                    {
                        outcome.Error = ex;
                    }
                    outcome.EndedUtc = DateTime.UtcNow;
                    completed?.Invoke(outcome);
                }
            }

            var count = Math.Min(throttleLimit, items.Count);
            if (count == 1)
            {
                Worker();
                return outcomes;
            }
            var threads = new Thread[count];
            for (var t = 0; t < count; t++)
            {
                threads[t] = new Thread(Worker) { IsBackground = true, Name = "HotDb fan-out " + (t + 1) };
                threads[t].Start();
            }
            foreach (var thread in threads) thread.Join();
            return outcomes;
        }

        /// <summary>
        /// Runs <paramref name="work"/> for every item at the same time and returns the results in input order; when any
        /// failed, the first failure in input order is thrown (for reads that are worthless unless every host answered).
        /// </summary>
        public static IReadOnlyList<TResult> RunAll<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, CancellationToken, TResult> work, CancellationToken cancellationToken = default)
        {
            var outcomes = Run(items, DefaultThrottleLimit, work, cancellationToken);
            foreach (var outcome in outcomes)
                if (!outcome.Succeeded) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(outcome.Error!).Throw();
            var results = new List<TResult>(outcomes.Count);
            foreach (var outcome in outcomes) results.Add(outcome.Result);
            return results;
        }
    }
}
