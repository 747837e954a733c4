using System;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// The manual's six checks before a master/slave switch. Only -Reload changes anything (reload @@config on the
    /// master's manager port); without it HA4 is NotVerified.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "HotDbHaSwitch", SupportsShouldProcess = true)]
    [OutputType(typeof(HaSwitchCheck), typeof(bool))]
    public sealed class TestHotDbHaSwitchCommand : HaCmdlet
    {
        /// <summary>Runs reload @@config on the master's manager port for HA4.</summary>
        [Parameter]
        public SwitchParameter Reload { get; set; }

        /// <summary>A manager-port login with the SUPER privilege (HotDB's own user), for -Reload.</summary>
        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>Seconds reload @@config may take.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int Timeout { get; set; } = 60;

        /// <summary>Returns only true (every check passed, HA4 included) or false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void BeginProcessing()
        {
            if (Reload && (Credential == null || Credential == PSCredential.Empty))
                ThrowHotDbError(new ArgumentException("-Reload needs -Credential: a manager-port login with the SUPER privilege."), "CredentialRequired",
                    ErrorCategory.InvalidArgument, null, "Add -Credential (Get-Credential) for the compute node's manager port.");
        }

        protected override void Process(HaEnvironment environment)
        {
            var master = environment.Master;
            // -WhatIf, or "no" at -Confirm, leaves HA4 NotVerified as without -Reload.
            Action<HaNode>? reload = null;
            if (Reload && ShouldProcess($"{master.ComputerName}:{master.ManagerPort}", "reload @@config (the master re-reads its configuration from the ConfigDB)"))
                reload = node => ManagerPort.ReloadConfig(node.ComputerName, node.ManagerPort, Credential.GetNetworkCredential(), TimeSpan.FromSeconds(Timeout), Cancellation.Token);
            var checks = HaSwitchChecks.Run(environment, reload);
            if (Quiet) WriteObject(checks.All(c => c.Status == HaCheckStatus.Passed));
            else WriteObject(checks, enumerateCollection: true);
        }
    }
}
