using System.Collections.Generic;
using System.Management.Automation;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Reads compute node installs: version, server.xml, process, ports, JDK, NDB SQL, license. Changes nothing.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbComputeNode")]
    [OutputType(typeof(ComputeNodeInfo))]
    public sealed class GetHotDbComputeNodeCommand : ComputeNodeCmdlet
    {
        /// <summary>How many hosts are read at the same time.</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = HostFanOut.DefaultThrottleLimit;

        private readonly List<(SshSession Session, string InstallPath)> _hosts = new List<(SshSession, string)>();

        // Sessions (and nodes) from the pipeline are collected; every host is read at once in EndProcessing, output in input order.
        protected override void ProcessRecord()
        {
            foreach (var session in Session) _hosts.Add((session, InstallPath));
        }

        protected override void EndProcessing() =>
            new HostFanOutRunner<(SshSession Session, string InstallPath), ComputeNodeInfo>
            {
                Activity = "Reading compute nodes",
                Label = host => $"{host.Session} {host.InstallPath}",
                Work = (host, progress, token) => ComputeNodeReader.Read(host.Session, host.InstallPath, token),
                Write = (host, node) =>
                {
                    if (!node.Installed)
                        WriteHotDbError(new ItemNotFoundException($"{host.Session.ComputerName}: no HotDB Server install at {node.InstallPath} (no conf/server.xml, bin/hotdb_server or lib/hotdb-server-<version>.jar)."), "ComputeNodeNotFound",
                            ErrorCategory.ObjectNotFound, node, "Give the install directory with -InstallPath (default /usr/local/hotdb/hotdb-server).");
                    else WriteObject(node);
                },
                ErrorTarget = host => host.Session,
            }.Run(this, _hosts, ThrottleLimit, Cancellation.Token);
    }
}
