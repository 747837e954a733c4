using System;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// What the compute-node, management-platform and data-source agent cmdlets share: the sessions (from the pipeline
    /// too), Ctrl+C, and one host's failure reported as that host's error record while the next host goes on.
    /// </summary>
    public abstract class HostSessionCmdlet : HotDbCmdlet, IDisposable
    {
        protected readonly CancellationTokenSource Cancellation = new CancellationTokenSource();

        /// <summary>SSH sessions to the hosts (New-HotDbSession); from the pipeline too.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        protected override void StopProcessing() => Cancellation.Cancel();

        public void Dispose() => Cancellation.Dispose();

        /// <summary>Runs the work for one host; a failure becomes that host's error record (through the one mapping) and the next host goes on.</summary>
        protected void TryHost(SshSession session, Action action)
        {
            try
            {
                action();
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: PowerShell stops the pipeline itself.
            }
            catch (Exception ex) when (IsReportable(ex))
            {
                WriteHotDbError(ex, session);
            }
        }
    }
}
