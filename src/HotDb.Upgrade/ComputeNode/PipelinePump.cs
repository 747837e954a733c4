using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Runs long engine work on a worker thread while the pipeline thread writes what it reports: PowerShell
    /// accepts WriteProgress/WriteVerbose only from the pipeline thread, and uploads report from SSH threads.
    /// </summary>
    internal sealed class PipelinePump : IDisposable
    {
        private readonly BlockingCollection<Action> _queue = new BlockingCollection<Action>();

        /// <summary>Queues an action for the pipeline thread; callable from any thread.</summary>
        public void Post(Action action)
        {
            try { _queue.Add(action); }
            catch (InvalidOperationException) { /* the run is over; late reports are dropped */ }
        }

        /// <summary>Runs <paramref name="work"/> on a worker thread and executes posted actions here until it ends.</summary>
        public T Run<T>(Func<T> work)
        {
            // A thread of its own: the work blocks on SSH for minutes, and would hold one of the pool's few threads.
            var task = Task.Factory.StartNew(() =>
            {
                try { return work(); }
                finally { _queue.CompleteAdding(); }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            foreach (var action in _queue.GetConsumingEnumerable()) action();
            return task.GetAwaiter().GetResult();
        }

        public void Dispose() => _queue.Dispose();
    }
}
