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
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        /// <summary>The compute node's install directory on the host.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidatePattern("^/.+")]
        public string InstallPath { get; set; } = ComputeNodeReader.DefaultInstallPath;

        protected override void StopProcessing() => Cancellation.Cancel();

        public void Dispose() => Cancellation.Dispose();

        /// <summary>Maps engine failures that are not the node's fault (connection, elevation, timeouts) to error records.</summary>
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
            catch (Exception ex) when (ex is IHotDbError || ex is ObjectDisposedException || ex is TimeoutException)
            {
                WriteHotDbError(ex, session);
            }
            catch (System.IO.InvalidDataException ex)
            {
                WriteHotDbError(ex, "ComputeNodeUnreadable", ErrorCategory.ReadError, session, "Repair the file named in the message (compare it with the package's copy), then run the command again.");
            }
            catch (ArgumentException ex)
            {
                WriteHotDbError(ex, "InvalidArgument", ErrorCategory.InvalidArgument, session, "Correct the parameter named in the message.");
            }
        }
    }
}
