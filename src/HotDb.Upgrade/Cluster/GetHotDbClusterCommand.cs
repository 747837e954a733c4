using System.Management.Automation;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Reads a multi-node cluster: each member's show @@cluster status, ports and version. Changes nothing.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbCluster")]
    [OutputType(typeof(ClusterMember))]
    public sealed class GetHotDbClusterCommand : ClusterCmdlet
    {
        protected override void Process(HotDbCluster cluster) => WriteObject(cluster.Members, enumerateCollection: true);
    }
}
