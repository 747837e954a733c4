using System;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Parameters every compute-node cmdlet shares: the session (or a node from Get-HotDbComputeNode) and the install directory.</summary>
    public abstract class ComputeNodeCmdlet : HotDbCmdlet, IDisposable
    {
        protected readonly CancellationTokenSource Cancellation = new CancellationTokenSource();

        /// <summary>SSH sessions to the compute node hosts; a node from Get-HotDbComputeNode brings its own.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        /// <summary>The compute node's install directory on the host.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidatePattern("^/.+")]
        public string InstallPath { get; set; } = ComputeNodeReader.DefaultInstallPath;

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
