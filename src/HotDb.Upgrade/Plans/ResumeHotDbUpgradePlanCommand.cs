using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.Cluster;
using HotDb.Upgrade.Plans.DataSourceAgents;
using HotDb.Upgrade.Plans.DisasterRecovery;
using HotDb.Upgrade.Plans.MasterSlave;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Continues a plan run whose control process died, from its journal: completes it or rolls it back. The plan is
    /// rebuilt from the journal with new sessions (matched by host name) and the ConfigDB login given again.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Resume, "HotDbUpgradePlan", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(PlanRunResult))]
    public sealed class ResumeHotDbUpgradePlanCommand : HotDbCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new CancellationTokenSource();

        /// <summary>The journal the interrupted run wrote.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string JournalPath { get; set; } = "";

        /// <summary>Sessions to the plan's hosts, matched by computer name.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNull]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        /// <summary>The ConfigDB login the interrupted run used (the journal keeps no password); plans that change no ConfigDB (HotDB Backup, HotDB Listener) need none.</summary>
        [Parameter]
        [Credential]
        public PSCredential ConfigDbCredential { get; set; } = PSCredential.Empty;

        /// <summary>Cluster journals: the manager-port login (SUPER privilege) for show @@cluster (the journal keeps no password).</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        protected override void StopProcessing() => _cancellation.Cancel();

        public void Dispose() => _cancellation.Dispose();

        protected override void ProcessRecord()
        {
            var path = GetUnresolvedProviderPathFromPSPath(JournalPath);
            try
            {
                var journal = PlanJournal.Read(path);
                var missing = journal.Hosts.Where(h => !Session.Any(s => string.Equals(s.ComputerName, h, StringComparison.OrdinalIgnoreCase))).ToList();
                if (missing.Count > 0)
                    ThrowHotDbError(new ArgumentException($"The journal's plan runs on {string.Join(", ", journal.Hosts)}; no session was given for {string.Join(", ", missing)}."),
                        "PlanHostMissing", ErrorCategory.InvalidArgument, path, "Open a session to each host the journal names (New-HotDbSession) and give them all to -Session.");
                UpgradePlan plan;
                var agents = journal.Mode == DataSourceAgentPlan.BackupMode || journal.Mode == DataSourceAgentPlan.ListenerMode;
                if (!agents && ConfigDbCredential == PSCredential.Empty)
                    ThrowHotDbError(new ArgumentException($"A {journal.Mode} plan changes the ConfigDB; -ConfigDbCredential is required to resume it."),
                        "ConfigDbCredentialMissing", ErrorCategory.InvalidArgument, path, "Give -ConfigDbCredential with the ConfigDB login the interrupted run used.");
                if (agents)
                    plan = DataSourceAgentPlan.Rebuild(journal, Session.First(s => string.Equals(s.ComputerName, journal.Hosts[0], StringComparison.OrdinalIgnoreCase)));
                else if (journal.Mode == SingleNodePlan.Mode)
                    plan = SingleNodePlan.Rebuild(journal, Session.First(s => string.Equals(s.ComputerName, journal.Hosts[0], StringComparison.OrdinalIgnoreCase)),
                        ConfigDbCredential.GetNetworkCredential());
                else if (journal.Mode == MasterSlavePlan.OfflineMode || journal.Mode == MasterSlavePlan.OnlineMode)
                    plan = MasterSlavePlan.Rebuild(journal, Session, ConfigDbCredential.GetNetworkCredential());
                else if (journal.Mode == ClusterPlan.OfflineMode || journal.Mode == ClusterPlan.OnlineMode)
                {
                    if (Credential == null || Credential == PSCredential.Empty)
                        ThrowHotDbError(new ArgumentException($"The journal is of a {journal.Mode} plan, which reads show @@cluster: -Credential is required."), "ManagerCredentialRequired",
                            ErrorCategory.InvalidArgument, path, "Give -Credential the manager-port login (a HotDB user with the SUPER privilege) the interrupted run used.");
                    plan = ClusterPlan.Rebuild(journal, Session, ConfigDbCredential.GetNetworkCredential(), Credential!.GetNetworkCredential());
                }
                else if (journal.Mode == Upgrade.Plans.Management.ManagementPlan.Mode)
                    plan = Upgrade.Plans.Management.ManagementPlan.Rebuild(journal, Session.First(s => string.Equals(s.ComputerName, journal.Hosts[0], StringComparison.OrdinalIgnoreCase)),
                        ConfigDbCredential.GetNetworkCredential());
                else if (journal.Mode == DisasterRecoveryPlan.Mode)
                    plan = DisasterRecoveryPlan.Rebuild(journal, Session, ConfigDbCredential.GetNetworkCredential());
                else
                {
                    ThrowHotDbError(new NotSupportedException($"Plans of mode {journal.Mode} cannot be resumed by this module version."), "PlanModeUnsupported",
                        ErrorCategory.NotImplemented, path, "Resume it with the module version that wrote it.");
                    return;
                }
                var left = journal.Finished ? "nothing (it ended " + journal.Status + ")"
                    : string.Join(", ", journal.Steps.Where(s => s.Status != "Succeeded" && s.Status != "Skipped").Select(s => s.Name));
                if (!ShouldProcess(string.Join(", ", journal.Hosts), $"Resume the {journal.Mode} upgrade {journal.FromVersion} -> {journal.ToVersion} ({journal.Status}) from {path}; left: {left}", out var whatIf))
                {
                    if (whatIf) WriteObject(new PlanRunner(plan).WhatIf());
                    return;
                }
                var result = PlanCmdletSupport.RunWithProgress(this, plan, runner => runner.Resume(path, _cancellation.Token));
                PlanCmdletSupport.WriteOutcome(this, result);
            }
            catch (PlanJournalException e)
            {
                ThrowHotDbError(e, "PlanJournalUnusable", ErrorCategory.InvalidOperation, path, e.RecommendedAction);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                ThrowHotDbError(e, "PlanJournalWriteFailed", ErrorCategory.WriteError, path, "Check the journal's folder is writable by this user.");
            }
            catch (RemoteConnectionException e)
            {
                ThrowHotDbError(e, "ConnectionFailed", ErrorCategory.ConnectionError, Session, "Open a new session with New-HotDbSession.");
            }
        }
    }
}
