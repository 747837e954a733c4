using System;
using System.Diagnostics;
using System.Net;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Ha
{
    /// <summary>What a controlled switchover did.</summary>
    public sealed class HaSwitchoverResult
    {
        internal HaSwitchoverResult(string oldMaster, string newMaster, IPAddress vip)
        {
            OldMaster = oldMaster;
            NewMaster = newMaster;
            Vip = vip;
        }

        public string OldMaster { get; }
        /// <summary>The slave that was to take over.</summary>
        public string NewMaster { get; }
        public IPAddress Vip { get; }
        /// <summary>The host holding the VIP at the end; null when none does.</summary>
        public string? VipHolder { get; internal set; }
        public bool Succeeded { get; internal set; }
        /// <summary>From the first change on the old master to the new master's service port open; null when it never opened.</summary>
        public TimeSpan? Outage { get; internal set; }
        /// <summary>True when the switch failed and the old master was brought back (its compute node, and its keepalived when the switch had stopped it).</summary>
        public bool OldMasterRestarted { get; internal set; }

        public override string ToString() => Succeeded ? $"{OldMaster} -> {NewMaster} in {Outage?.TotalSeconds:0.0} s" : $"{OldMaster} -> {NewMaster} failed";
    }

    /// <summary>
    /// A controlled master/slave switchover. When keepalived runs on both hosts it is planned: keepalived stops on the
    /// master first (the manual's HA reconstruction stops it there anyway), so VRRP hands the VIP to the slave at once
    /// instead of after the track script failed twice and the backup's master-down timer ran out; the slave sees the
    /// VIP and opens its service port, the old master closes its own; then the old master's compute node stops.
    /// Otherwise the master's compute node stops and keepalived's checks move the VIP. When the slave does not hold the
    /// VIP with its service port open within the timeout, the old master gets the VIP and serves again. After a switch
    /// the manual's HA environment reconstruction (<see cref="HaReconstruction"/>) is due.
    /// </summary>
    public sealed class HaSwitchover
    {
        private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
        // The planned hand-over takes about a second: a shorter poll does not add half a second to what it measures.
        private static readonly TimeSpan PlannedPoll = TimeSpan.FromMilliseconds(100);
        private bool _stoppedOldMaster, _stoppedOldKeepalived;

        private HaSwitchover(HaEnvironment environment, IPAddress vip, TimeSpan timeout)
        {
            Environment = environment;
            OldMaster = environment.Master;
            NewMaster = environment.Backup;
            Vip = vip;
            Timeout = timeout;
        }

        public HaEnvironment Environment { get; }
        public HaNode OldMaster { get; }
        public HaNode NewMaster { get; }
        public IPAddress Vip { get; }
        /// <summary>How long the slave may take to hold the VIP and open its service port.</summary>
        public TimeSpan Timeout { get; }
        public TimeSpan? StartTimeout { get; set; }

        /// <summary>Refuses (nothing changed) unless the master serves and alone holds the VIP and the slave runs.</summary>
        public static HaSwitchover Plan(HaEnvironment environment, TimeSpan timeout)
        {
            if (environment is null) throw new ArgumentNullException(nameof(environment));
            if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
            var master = environment.Master;
            var slave = environment.Backup;
            var vip = environment.Vip ?? throw Refuse("HaVipUnknown", "Neither keepalived.conf nor server.xml names the pair's VIP.", "Check both hosts' keepalived.conf virtual_ipaddress.");
            if (!master.Installed || !slave.Installed)
                throw Refuse("HaNodeNotInstalled", $"{(master.Installed ? slave : master).ComputerName}: there is no compute node in {master.InstallPath}.", "Give the compute node's directory with -InstallPath.");
            if (!master.Running || !master.ServerPortOpen)
                throw Refuse("HaNoServingMaster", $"Neither host serves on its service port ({master.ComputerName}:{master.ServerPort} is closed): there is no master to switch from.",
                    "Run Test-HotDbHaSwitch and fix what it reports first.");
            if (environment.VipHolders.Count != 1 || !ReferenceEquals(environment.VipHolders[0], master))
                throw Refuse("HaVipNotOnMaster", $"The VIP {vip} is on {(environment.VipHolders.Count == 0 ? "no host" : string.Join(" and ", environment.VipHolders))}, not on the serving master {master.ComputerName} only.",
                    "Run Test-HotDbHaSwitch (HA6) and fix the VIP first.");
            if (!slave.Running || !slave.ManagerPortOpen)
                throw Refuse("HaSlaveNotReady", $"The slave {slave.ComputerName} {(slave.Running ? "has its manager port " + slave.ManagerPort + " closed" : "does not run")}: it cannot take over.",
                    $"Start the slave's compute node (Start-HotDbComputeNode on {slave.ComputerName}) and run Test-HotDbHaSwitch.");
            return new HaSwitchover(environment, vip, timeout);
        }

        /// <summary>True when keepalived runs on both hosts: the VIP is handed over by stopping the master's keepalived first.</summary>
        public bool Planned => OldMaster.KeepalivedRunning && NewMaster.KeepalivedRunning;

        public string Describe() => Planned
            ? $"switch over: stop keepalived on {OldMaster.ComputerName}; {NewMaster.ComputerName} must take VIP {Vip} and open port {NewMaster.ServerPort} within {Timeout.TotalSeconds:0} s; then stop {OldMaster.ComputerName}'s compute node"
            : $"switch over: stop {OldMaster.ComputerName}'s compute node; {NewMaster.ComputerName} must take VIP {Vip} and open port {NewMaster.ServerPort} within {Timeout.TotalSeconds:0} s";

        /// <summary>
        /// Hands the VIP over (see the class) and waits for the slave to take over. On failure the old master serves
        /// again and an <see cref="HaOperationException"/> (HaSwitchFailed) carries the result.
        /// </summary>
        public HaSwitchoverResult Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (progress is null) throw new ArgumentNullException(nameof(progress));
            var result = new HaSwitchoverResult(OldMaster.ComputerName, NewMaster.ComputerName, Vip);
            var outage = Stopwatch.StartNew();
            var planned = Planned;
            string? failure = null;
            try
            {
                if (planned)
                {
                    progress.Report($"{OldMaster.ComputerName}: stopping keepalived, so that VIP {Vip} moves to {NewMaster.ComputerName} now");
                    _stoppedOldKeepalived = true;
                    KeepalivedService.Run(OldMaster.Session, "stop", cancellationToken);
                }
                else StopOldMaster(progress, cancellationToken);
                if (!WaitUntilServing(NewMaster, planned ? PlannedPoll : Poll, progress, cancellationToken, out var slave))
                    failure = $"{Timeout.TotalSeconds:0} s after {(planned ? "keepalived stopped on " + OldMaster.ComputerName : "the stop")}, {NewMaster.ComputerName} {(slave.Holds(Vip) ? "holds" : "does not hold")} the VIP {Vip} and its service port {slave.ServerPort} is {(slave.ServerPortOpen ? "open" : "closed")}" +
                              (slave.KeepalivedRunning ? "." : "; its keepalived does not run.");
                if (failure == null)
                {
                    result.Outage = outage.Elapsed;
                    // The old master lost the VIP and closed its service port; now its compute node stops, as the manual's does.
                    if (planned) StopOldMaster(progress, cancellationToken);
                    result.Succeeded = true;
                    result.VipHolder = NewMaster.ComputerName;
                    return result;
                }
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                // A stop that hung or a host that stopped answering: the old master must come back all the same.
                failure = e.Message;
            }

            progress.Report($"{OldMaster.ComputerName}: the switch failed; starting the old master again");
            string? restartProblem = null;
            try { Rollback(progress, cancellationToken); result.OldMasterRestarted = true; }
            catch (Exception e) when (!(e is OperationCanceledException)) { restartProblem = e.Message; }
            var oldMaster = HaEnvironmentReader.ReadNode(OldMaster.Session, OldMaster.InstallPath, OldMaster.KeepalivedConfigPath, cancellationToken);
            var newMaster = HaEnvironmentReader.ReadNode(NewMaster.Session, NewMaster.InstallPath, NewMaster.KeepalivedConfigPath, cancellationToken);
            result.VipHolder = oldMaster.Holds(Vip) && !newMaster.Holds(Vip) ? OldMaster.ComputerName : newMaster.Holds(Vip) && !oldMaster.Holds(Vip) ? NewMaster.ComputerName : null;
            throw new HaOperationException("HaSwitchFailed",
                $"The switch from {OldMaster.ComputerName} to {NewMaster.ComputerName} failed: {failure} " +
                (restartProblem != null ? $"Bringing {OldMaster.ComputerName} back failed too: {restartProblem}"
                    : planned ? $"{OldMaster.ComputerName}'s keepalived was started again{(result.VipHolder == OldMaster.ComputerName ? "; it holds the VIP and serves" : "")}."
                    : $"{OldMaster.ComputerName}'s compute node was started again{(result.VipHolder == OldMaster.ComputerName ? " and holds the VIP" : "")}."),
                $"Check keepalived on {NewMaster.ComputerName} (service keepalived status, its log, its track scripts) and run Test-HotDbHaSwitch until every check passes; if the switch cannot work, upgrade with the service stopped.",
                result);
        }

        /// <summary>Reads <paramref name="node"/> until it holds the VIP with its service port open (true) or the timeout passes (false, with the last read).</summary>
        private bool WaitUntilServing(HaNode node, TimeSpan poll, IStageProgress progress, CancellationToken cancellationToken, out HaNode last)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                last = HaEnvironmentReader.ReadNode(node.Session, node.InstallPath, node.KeepalivedConfigPath, cancellationToken);
                if (last.Holds(Vip) && last.ServerPortOpen) return true;
                if (watch.Elapsed > Timeout) return false;
                progress.Report($"waiting for {node.ComputerName} to hold VIP {Vip} and open port {node.ServerPort} ({watch.Elapsed.TotalSeconds:0} s)");
                if (cancellationToken.WaitHandle.WaitOne(poll)) cancellationToken.ThrowIfCancellationRequested();
            }
        }

        private void StopOldMaster(IStageProgress progress, CancellationToken cancellationToken)
        {
            progress.Report($"{OldMaster.ComputerName}: stopping the compute node");
            _stoppedOldMaster = true;
            ComputeNodeService.Stop(OldMaster.Session, OldMaster.InstallPath, null, s => progress.Report($"{OldMaster.ComputerName}: {s}"), cancellationToken);
        }

        /// <summary>
        /// Undoes what this switchover changed: the old master's compute node starts again when it stopped it; when it
        /// stopped the old master's keepalived, that starts again too and gets the VIP back (the slave's keepalived, while
        /// it holds the VIP, stops until then: the old master's has nopreempt), and the old master serves again.
        /// </summary>
        public void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (progress is null) throw new ArgumentNullException(nameof(progress));
            if (_stoppedOldMaster)
            {
                progress.Report($"{OldMaster.ComputerName}: starting the compute node");
                ComputeNodeService.Start(OldMaster.Session, OldMaster.InstallPath, StartTimeout, s => progress.Report($"{OldMaster.ComputerName}: {s}"), cancellationToken);
                _stoppedOldMaster = false;
            }
            if (!_stoppedOldKeepalived) return;
            var stoppedSlaveKeepalived = false;
            var slave = HaEnvironmentReader.ReadNode(NewMaster.Session, NewMaster.InstallPath, NewMaster.KeepalivedConfigPath, cancellationToken);
            if (slave.Holds(Vip) && slave.KeepalivedRunning)
            {
                progress.Report($"{NewMaster.ComputerName}: stopping keepalived, so that the VIP returns to {OldMaster.ComputerName}");
                KeepalivedService.Run(NewMaster.Session, "stop", cancellationToken);
                stoppedSlaveKeepalived = true;
            }
            progress.Report($"{OldMaster.ComputerName}: starting keepalived");
            KeepalivedService.Run(OldMaster.Session, "start", cancellationToken);
            _stoppedOldKeepalived = false;
            if (!WaitUntilServing(OldMaster, Poll, progress, cancellationToken, out var master))
                throw new HaOperationException("HaSwitchBackFailed",
                    $"{OldMaster.ComputerName} {(master.Holds(Vip) ? "holds" : "does not hold")} the VIP {Vip} and its service port is {(master.ServerPortOpen ? "open" : "closed")} {Timeout.TotalSeconds:0} s after its keepalived started again" +
                    (stoppedSlaveKeepalived ? $"; keepalived on {NewMaster.ComputerName} stays stopped." : "."),
                    $"Check keepalived on {OldMaster.ComputerName} (its log, its track scripts) until it holds the VIP, then start keepalived on {NewMaster.ComputerName} and run Test-HotDbHaSwitch.");
            if (stoppedSlaveKeepalived)
            {
                progress.Report($"{NewMaster.ComputerName}: starting keepalived");
                KeepalivedService.Run(NewMaster.Session, "start", cancellationToken);
            }
        }

        private static HaOperationException Refuse(string errorId, string message, string remedy) =>
            new HaOperationException(errorId, message, remedy) { Refused = true };
    }
}
