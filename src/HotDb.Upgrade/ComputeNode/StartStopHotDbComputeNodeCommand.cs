using System;
using System.Management.Automation;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Start and Stop share everything but the direction.</summary>
    public abstract class ComputeNodeServiceCommand : ComputeNodeCmdlet
    {
        /// <summary>Seconds to wait for the ports to reach the state the node's role implies.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int Timeout { get; set; }

        protected abstract string Verb { get; }
        protected abstract ComputeNodeServiceResult Invoke(SshSession session, TimeSpan? timeout, Action<string> status);

        protected override void ProcessRecord()
        {
            foreach (var session in Session)
            {
                if (!ShouldProcess($"{session.ComputerName}:{InstallPath}", $"{Verb} the compute node (sh bin/hotdb_server {Verb.ToLowerInvariant()}) and wait for its ports")) continue;
                var activity = $"{Verb} HotDB Server on {session.ComputerName}";
                var id = Math.Abs(activity.GetHashCode() % 100000);
                TryHost(session, () =>
                {
                    try
                    {
                        var result = Invoke(session, Timeout > 0 ? TimeSpan.FromSeconds(Timeout) : (TimeSpan?)null,
                            s => WriteProgress(new ProgressRecord(id, activity, s)));
                        if (!result.Changed) WriteVerbose($"{session.ComputerName}: {InstallPath} was already {(Verb == "Start" ? "running with its ports open" : "stopped")}.");
                        WriteObject(result);
                    }
                    finally
                    {
                        WriteProgress(new ProgressRecord(id, activity, "Done") { RecordType = ProgressRecordType.Completed });
                    }
                });
            }
        }
    }

    /// <summary>Starts compute nodes with the vendor's start script and waits until the ports match the node's role.</summary>
    [Cmdlet(VerbsLifecycle.Start, "HotDbComputeNode", SupportsShouldProcess = true)]
    [OutputType(typeof(ComputeNodeServiceResult))]
    public sealed class StartHotDbComputeNodeCommand : ComputeNodeServiceCommand
    {
        /// <summary>
        /// Also done when a multi-node cluster member's manager port answers with the service port closed (Started):
        /// a member started alone waits for a majority, so an offline cluster upgrade starts members one by one.
        /// </summary>
        [Parameter]
        public SwitchParameter AllowStartedClusterMember { get; set; }

        protected override string Verb => "Start";
        protected override ComputeNodeServiceResult Invoke(SshSession session, TimeSpan? timeout, Action<string> status) =>
            ComputeNodeService.Start(session, InstallPath, timeout, status, Cancellation.Token, AllowStartedClusterMember);
    }

    /// <summary>Stops compute nodes with the vendor's start script and waits until the process is gone and the ports are closed.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "HotDbComputeNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ComputeNodeServiceResult))]
    public sealed class StopHotDbComputeNodeCommand : ComputeNodeServiceCommand
    {
        protected override string Verb => "Stop";
        protected override ComputeNodeServiceResult Invoke(SshSession session, TimeSpan? timeout, Action<string> status) =>
            ComputeNodeService.Stop(session, InstallPath, timeout, status, Cancellation.Token);
    }
}
