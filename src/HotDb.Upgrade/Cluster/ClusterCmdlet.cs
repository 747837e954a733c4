using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// A multi-node cluster's cmdlets: sessions (given or piped) to any members are gathered and the cluster is read
    /// once at the end of the pipeline, through the installs and the members' manager ports.
    /// </summary>
    public abstract class ClusterCmdlet : ComputeNodeCmdlet
    {
        private readonly List<SshSession> _sessions = new List<SshSession>();

        /// <summary>A manager-port login with the SUPER privilege (HotDB's own user), for show @@cluster and show @@version.</summary>
        [Parameter(Mandatory = true)]
        [Credential]
        [ValidateNotNull]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>Seconds a manager port may take to answer.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int Timeout { get; set; } = 30;

        protected override void ProcessRecord() => _sessions.AddRange(Session);

        protected override void EndProcessing()
        {
            var members = _sessions.GroupBy(s => s.ComputerName, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
            if (members.Count == 0) return;
            TryHost(members[0], () =>
            {
                WriteProgress(new ProgressRecord(1, "Reading the multi-node cluster", string.Join(", ", members.Select(m => m.ComputerName))));
                try
                {
                    var client = new ManagerPortClient(Credential.GetNetworkCredential(), TimeSpan.FromSeconds(Timeout));
                    var cluster = ClusterReader.Read(members, client, InstallPath, Cancellation.Token);
                    if (cluster.ReadFrom == null)
                        WriteWarning("No member's manager port answered show @@cluster; every member is shown as Absent. " +
                                     string.Join(" ", cluster.Members.Where(m => m.Problem != null).Select(m => m.Problem)));
                    Process(cluster);
                }
                catch (ManagerPortException ex)
                {
                    WriteHotDbError(ex, "ManagerPortLoginFailed", ErrorCategory.AuthenticationError, members.ToArray(),
                        "Give -Credential a HotDB user with the SUPER privilege (the manager port admits no other).");
                }
                catch (System.IO.IOException ex)
                {
                    WriteHotDbError(ex, "ClusterUnreadable", ErrorCategory.ReadError, members.ToArray(),
                        "Check that the login user can run sh on every host (Invoke-HotDbCommand), then run the command again.");
                }
                finally
                {
                    WriteProgress(new ProgressRecord(1, "Reading the multi-node cluster", "Done") { RecordType = ProgressRecordType.Completed });
                }
            });
        }

        /// <summary>What the cmdlet does with the cluster once read.</summary>
        protected abstract void Process(HotDbCluster cluster);
    }
}
