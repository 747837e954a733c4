using System.Management.Automation;
using HotDb.Upgrade.ComputeNode;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Reads compute node installs: version, server.xml, process, ports, JDK, NDB SQL, license. Changes nothing.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbComputeNode")]
    [OutputType(typeof(ComputeNodeInfo))]
    public sealed class GetHotDbComputeNodeCommand : ComputeNodeCmdlet
    {
        protected override void ProcessRecord()
        {
            foreach (var session in Session)
            {
                TryHost(session, () =>
                {
                    var node = ComputeNodeReader.Read(session, InstallPath, Cancellation.Token);
                    if (!node.Installed)
                        WriteHotDbError(new ItemNotFoundException($"{session.ComputerName}: no HotDB Server install at {node.InstallPath} (no conf/server.xml, bin/hotdb_server or lib/hotdb-server-<version>.jar)."), "ComputeNodeNotFound",
                            ErrorCategory.ObjectNotFound, node, "Give the install directory with -InstallPath (default /usr/local/hotdb/hotdb-server).");
                    else WriteObject(node);
                });
            }
        }
    }
}
