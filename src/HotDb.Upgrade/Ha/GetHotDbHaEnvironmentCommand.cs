using System.Management.Automation;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Reads a compute node master/slave pair: roles, VIP and its holder, keepalived, server.xml HA settings. Changes nothing.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbHaEnvironment")]
    [OutputType(typeof(HaEnvironment))]
    public sealed class GetHotDbHaEnvironmentCommand : HaCmdlet
    {
        protected override void Process(HaEnvironment environment) => WriteObject(environment);
    }
}
