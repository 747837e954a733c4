using System;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Configuration;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Carries the user's configuration from an old install into a new install's files. Each edited file is first
    /// saved as a mode 0600 backup; only values change, the new files' layout, comments and encoding stay.
    /// </summary>
    [Cmdlet(VerbsData.Merge, "HotDbConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ConfigChange))]
    public sealed class MergeHotDbConfigCommand : ConfigCarryOverCommandBase
    {
        protected override void ProcessRecord()
        {
            var host = ResolveHost();
            var plans = PlanFiles(host, "Merge-HotDbConfig");
            if (plans is null) return;
            var index = 0;
            foreach (var plan in plans)
            {
                index++;
                if (plan.Error != null)
                {
                    WritePlanError(plan);
                    continue;
                }
                var result = plan.Result!;
                if (result.Mode == ConfigMergeMode.TwoWay)
                    WriteWarning($"{plan.NewFile}: no pristine file of the old version; every value that differs is carried (two-way). Give -PristinePath to carry only user changes.");
                if (plan.NeedsWrite)
                {
                    var edits = result.Changes.Where(c => c.Action == ConfigChangeAction.Carried || c.Action == ConfigChangeAction.Added)
                        .Select(c => $"{c.Key}: {c.NewValue ?? "(absent)"} -> {c.MergedValue}");
                    var description = $"Back up and write {plan.NewFile} on {host.ComputerName}: " + string.Join("; ", edits);
                    if (ShouldProcess(description, description, "Merge-HotDbConfig"))
                    {
                        WriteProgress(new ProgressRecord(2, "Merge-HotDbConfig", $"Writing {plan.NewFile}")
                            { PercentComplete = 100 * (index - 1) / plans.Count });
                        try
                        {
                            ConfigCarryOver.Apply(host, plan, DateTime.UtcNow);
                        }
                        catch (Exception e) when (IsReportable(e))
                        {
                            WriteHotDbError(e, host);
                            continue;
                        }
                    }
                }
                foreach (var change in result.Changes) WriteObject(change);
            }
            WriteProgress(new ProgressRecord(2, "Merge-HotDbConfig", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
