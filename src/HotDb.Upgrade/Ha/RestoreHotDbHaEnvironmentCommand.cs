using System;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Ha;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// The manual's HA environment reconstruction after a master/slave switch: the VIP holder becomes master and
    /// the other host backup in server.xml and keepalived.conf (each file backed up first), keepalived reloaded on
    /// the master, the backup's compute node and keepalived started; then the six HA checks.
    /// </summary>
    [Cmdlet(VerbsData.Restore, "HotDbHaEnvironment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(HaReconstructionResult))]
    public sealed class RestoreHotDbHaEnvironmentCommand : HaCmdlet
    {
        /// <summary>Runs reload @@config on the new master's manager port for HA4 at the end.</summary>
        [Parameter]
        public SwitchParameter Reload { get; set; }

        /// <summary>A manager-port login with the SUPER privilege (HotDB's own user), for -Reload.</summary>
        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        protected override void BeginProcessing()
        {
            if (Reload && (Credential == null || Credential == PSCredential.Empty))
                ThrowHotDbError(new ArgumentException("-Reload needs -Credential: a manager-port login with the SUPER privilege."), "CredentialRequired",
                    ErrorCategory.InvalidArgument, null, "Add -Credential (Get-Credential) for the compute node's manager port.");
        }

        protected override void Process(HaEnvironment environment)
        {
            HaReconstruction operation;
            try { operation = HaReconstruction.Plan(environment); }
            catch (HaOperationException ex) { WriteHaError(ex, environment); return; }

            var target = $"{operation.Master.ComputerName} (master) and {operation.Backup.ComputerName} (backup)";
            if (operation.IsAlreadyDone())
                WriteVerbose($"{target}: the files already match the roles and every node and keepalived runs; nothing will change.");
            else
            {
                // One confirmation listing every file value and every action, so -WhatIf shows the whole edit.
                var lines = operation.Changes.Select(c => $"  {c}").Concat(operation.PlannedActions.Select(a => $"  {a}"));
                var description = $"HA environment reconstruction of {target}:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
                if (!ShouldProcess(description, $"Reconstruct the HA environment of {target}: {operation.Changes.Count} file values and {operation.PlannedActions.Count} actions (stops and starts keepalived and the backup's compute node)?",
                        "Restore-HotDbHaEnvironment")) return;
            }
            if (Reload && ShouldProcess($"{operation.Master.ComputerName}:{operation.Master.ManagerPort}", "reload @@config (the master re-reads its configuration from the ConfigDB)"))
                operation.ReloadConfig = ReloadWith(Credential, TimeSpan.FromSeconds(60));

            var progress = new CmdletStageProgress(this, $"Reconstructing the HA environment of {target}");
            try
            {
                var result = operation.Execute(progress, Cancellation.Token);
                if (!result.Changed) WriteVerbose($"{target}: already reconstructed; nothing was changed.");
                WriteObject(result);
                var failed = result.Checks.Where(c => c.Status == HaCheckStatus.Failed).ToList();
                if (failed.Count > 0)
                    WriteHotDbError(new InvalidOperationException($"After the reconstruction {failed.Count} HA checks fail: {string.Join("; ", failed.Select(c => $"{c.Id} {c.Host}: {c.Actual}"))}"),
                        "HaChecksFailed", ErrorCategory.InvalidResult, result, failed[0].Remedy);
            }
            catch (HaOperationException ex) { WriteHaError(ex, operation); }
            finally { progress.Complete(); }
        }
    }
}
