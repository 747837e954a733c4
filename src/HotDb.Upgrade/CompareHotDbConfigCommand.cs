using System.Management.Automation;
using HotDb.Upgrade.Configuration;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Compares an old install's configuration with a new install's: what a merge would carry, keep, add or drop.</summary>
    [Cmdlet(VerbsData.Compare, "HotDbConfig")]
    [OutputType(typeof(ConfigChange))]
    public sealed class CompareHotDbConfigCommand : ConfigCarryOverCommandBase
    {
        protected override void ProcessRecord()
        {
            var plans = PlanFiles(ResolveHost(), "Compare-HotDbConfig");
            if (plans is null) return;
            foreach (var plan in plans)
            {
                if (plan.Error != null)
                {
                    WritePlanError(plan);
                    continue;
                }
                if (plan.Result!.Mode == ConfigMergeMode.TwoWay)
                    WriteVerbose($"{plan.NewFile}: no pristine file of the old version, so the comparison is two-way: every differing value counts as a user change.");
                foreach (var change in plan.Result.Changes) WriteObject(change);
            }
        }
    }
}
