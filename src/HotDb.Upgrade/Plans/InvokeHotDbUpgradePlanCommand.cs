using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Plans;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Runs an upgrade plan with a journal; on failure the plan runner rolls back every step that changed a host.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "HotDbUpgradePlan", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(PlanRunResult))]
    public sealed class InvokeHotDbUpgradePlanCommand : HotDbCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new CancellationTokenSource();

        /// <summary>A plan from New-HotDbUpgradePlan.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNull]
        public UpgradePlan? Plan { get; set; }

        /// <summary>The journal file (mode 0600) Resume-HotDbUpgradePlan continues from; default: ./HotDbUpgrade-&lt;mode&gt;-&lt;host&gt;-&lt;time&gt;.journal.json.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? JournalPath { get; set; }

        protected override void StopProcessing() => _cancellation.Cancel();

        public void Dispose() => _cancellation.Dispose();

        protected override void ProcessRecord()
        {
            var plan = Plan!;
            var journal = GetUnresolvedProviderPathFromPSPath(JournalPath ?? string.Format(CultureInfo.InvariantCulture,
                "HotDbUpgrade-{0}-{1}-{2:yyyyMMdd-HHmmss}.journal.json", plan.Mode, string.Join("_", plan.Hosts), DateTime.Now));
            if (!ShouldProcess(string.Join(", ", plan.Hosts), $"Upgrade ({plan.Mode}) {plan.FromVersion} -> {plan.ToVersion}, journal {journal}:{Environment.NewLine}{PlanCmdletSupport.Listing(plan)}", out var whatIf))
            {
                if (whatIf) WriteObject(new PlanRunner(plan).WhatIf());
                return;
            }
            PlanRunResult result;
            try
            {
                result = PlanCmdletSupport.RunWithProgress(this, plan, runner => runner.Run(journal, _cancellation.Token));
            }
            catch (PlanJournalException e)
            {
                ThrowHotDbError(e, "PlanJournalUnusable", ErrorCategory.InvalidOperation, journal, e.RecommendedAction);
                return;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                ThrowHotDbError(e, "PlanJournalWriteFailed", ErrorCategory.WriteError, journal, "Give a -JournalPath in a folder this user may write.");
                return;
            }
            PlanCmdletSupport.WriteOutcome(this, result);
        }
    }
}
