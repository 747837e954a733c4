using System;
using System.Management.Automation;
using HotDb.Upgrade.Ha;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// A controlled master/slave switchover: hands the VIP to the slave (the master's keepalived stops first when
    /// keepalived runs on both), stops the master's compute node and waits for the slave to take the VIP and open its
    /// service port; when it does not within the timeout, the old master gets the VIP back and serves again.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "HotDbHaSwitch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(HaSwitchoverResult))]
    public sealed class InvokeHotDbHaSwitchCommand : HaCmdlet
    {
        /// <summary>Seconds the slave may take, after the master stopped, to hold the VIP and open its service port.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSeconds { get; set; } = 60;

        protected override void Process(HaEnvironment environment)
        {
            HaSwitchover operation;
            try { operation = HaSwitchover.Plan(environment, TimeSpan.FromSeconds(TimeoutSeconds)); }
            catch (HaOperationException ex) { WriteHaError(ex, environment); return; }

            if (!ShouldProcess($"{operation.OldMaster.ComputerName} -> {operation.NewMaster.ComputerName}",
                    $"Switch over: {operation.Describe()} (clients are cut off until {operation.NewMaster.ComputerName} serves)")) return;
            var progress = new CmdletStageProgress(this, $"Switching {operation.OldMaster.ComputerName} over to {operation.NewMaster.ComputerName}");
            try
            {
                var result = operation.Execute(progress, Cancellation.Token);
                WriteVerbose($"{result.NewMaster} holds VIP {result.Vip} and serves; the outage lasted {result.Outage?.TotalSeconds:0.0} s. Run Restore-HotDbHaEnvironment next.");
                WriteObject(result);
            }
            catch (HaOperationException ex) { WriteHaError(ex, operation); }
            finally { progress.Complete(); }
        }
    }
}
