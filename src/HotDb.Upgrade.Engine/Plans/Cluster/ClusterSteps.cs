using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Plans.Cluster
{
    /// <summary>The cluster's members by the order first read, and fresh reads of the cluster (steps never trust an earlier read).</summary>
    internal sealed class ClusterHosts
    {
        private readonly Func<CancellationToken, IReadOnlyList<ComputeNodeInfo>> _readNodes;

        public ClusterHosts(ClusterState state, IReadOnlyList<ComputeNodeUpgradeContext> members, ClusterPlanOptions options,
            Func<CancellationToken, IReadOnlyList<ComputeNodeInfo>>? readNodes = null)
        {
            State = state;
            Members = members;
            Options = options;
            _readNodes = readNodes ?? (token => HostFanOut.RunAll(members, (m, t) => ComputeNodeReader.Read(m.Host, m.InstallPath, t), token));
        }

        public ClusterState State { get; }
        public IReadOnlyList<ComputeNodeUpgradeContext> Members { get; }
        public ClusterPlanOptions Options { get; }
        public ComputeNodeUpgradeContext Primary => Members.Last();
        public HotDbVersion? ToVersion => Primary.ToVersion;
        /// <summary>Polling interval of the waits (a read of every member at once and show @@cluster); unit tests shorten it.</summary>
        public TimeSpan Poll { get; set; } = TimeSpan.FromMilliseconds(250);

        public HotDbCluster Read(CancellationToken cancellationToken)
        {
            try { return ClusterReader.Build(_readNodes(cancellationToken), Options.Client, cancellationToken); }
            catch (ManagerPortException e)
            {
                throw new StageFailedException($"The manager port refused the login: {e.Message}", "Give -Credential a HotDB user with the SUPER privilege (the manager port admits no other).", e);
            }
        }

        public ClusterMember? MemberOf(HotDbCluster cluster, ComputeNodeUpgradeContext context) =>
            cluster.Members.FirstOrDefault(m => string.Equals(m.ComputerName, context.Host.ComputerName, StringComparison.OrdinalIgnoreCase));

        public static string Describe(HotDbCluster cluster) =>
            cluster.Members.Count == 0 ? "no member" : string.Join(", ", cluster.Members.Select(m => $"{m.DisplayName} {m.Status.ToString().ToUpperInvariant()} {m.Version?.ToString() ?? "(version unknown)"}"));

        /// <summary>Reads the cluster until <paramref name="done"/> holds (true) or the timeout passes (false, with the last read).</summary>
        public bool WaitFor(Func<HotDbCluster, bool> done, TimeSpan timeout, string what, IStageProgress progress, CancellationToken cancellationToken, out HotDbCluster last)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                last = Read(cancellationToken);
                if (done(last)) return true;
                if (watch.Elapsed > timeout) return false;
                progress.Report($"{what} ({watch.Elapsed.TotalSeconds:0} s): {Describe(last)}");
                if (cancellationToken.WaitHandle.WaitOne(Poll)) cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>CL1..CL6 (and CL7, CL8 online) on a fresh read, and the primary is still the one the plan was made for.</summary>
    internal sealed class CheckClusterStep : PlanStep
    {
        private readonly ClusterHosts _cluster;
        private readonly bool _online;

        public CheckClusterStep(ClusterHosts cluster, bool online)
        {
            _cluster = cluster;
            _online = online;
        }

        public override string Name => "CheckCluster";
        public override string Host => _cluster.Primary.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() => _online
            ? "Run the cluster checks CL1..CL8 (every member joined, one PRIMARY, clusterSize, majority, one version, newer target, source version and upgrade SQL allow an online upgrade)"
            : "Run the cluster checks CL1..CL6 (every member joined, one PRIMARY, clusterSize, majority, one version, newer target)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var package = _cluster.Primary.Package ?? throw new StageFailedException($"'{_cluster.Primary.Options.PackagePath}' is not a HotDB package name; nothing was changed.",
                "Give the vendor's package file (hotdb-server-<version>-ga-<date>.tar.gz).");
            var cluster = _cluster.Read(cancellationToken);
            var checks = ClusterUpgradeChecks.Run(cluster, package, _online, _online ? _cluster.Options.Node.ScriptsPath : null);
            foreach (var check in checks) progress.Note($"{check.Id} {check.Name} on {check.Host}: {check.Status} ({check.Actual})");
            var failed = checks.Where(c => c.Status != HaCheckStatus.Passed).ToList();
            if (failed.Count > 0)
                throw new StageFailedException(
                    $"{(_online ? "An upgrade without stopping the service" : "A cluster upgrade")} needs every cluster check to pass: " +
                    string.Join("; ", failed.Select(c => $"{c.Id} {c.Name} on {c.Host}: expected {c.Expected}, found {c.Actual}")) + ". Nothing was changed.",
                    string.Join(" ", failed.Select(c => c.Remedy).Where(r => r != null).Distinct()) +
                    (_online ? " Or upgrade with the service stopped (-Mode ClusterOffline)." : ""));
            if (!string.Equals(cluster.Primary?.ComputerName, _cluster.State.Primary, StringComparison.OrdinalIgnoreCase))
                throw new StageFailedException($"{cluster.Primary?.DisplayName} is the PRIMARY now, not {_cluster.State.Primary} as when the plan was made; nothing was changed.",
                    "Make a new plan (New-HotDbUpgradePlan) so the roles are read again.");
            var unknown = cluster.Members.Where(m => m.ComputerName == null).ToList();
            if (unknown.Count > 0)
                throw new StageFailedException($"The cluster has members without a session: {string.Join(", ", unknown.Select(m => m.Host))}; an upgrade leaves no member behind. Nothing was changed.",
                    "Give -Session a session to every member show @@cluster lists.");
            progress.Note($"PRIMARY {cluster.Primary!.DisplayName}; {HotDbCluster_Summary(cluster)}");
        }

        private static string HotDbCluster_Summary(HotDbCluster cluster) => ClusterHosts.Describe(cluster);
    }

    /// <summary>
    /// Online, before a member stops: every other member is PRIMARY or SECONDARY and this member is in the cluster, so the
    /// cluster keeps a majority (and, for the primary, a member to elect). The rollback, once the member's old install
    /// runs again, waits until it rejoins the cluster on it.
    /// </summary>
    internal sealed class CheckPeersStep : PlanStep
    {
        private readonly ClusterHosts _cluster;
        private readonly ComputeNodeUpgradeContext _member;

        public CheckPeersStep(ClusterHosts cluster, ComputeNodeUpgradeContext member)
        {
            _cluster = cluster;
            _member = member;
        }

        public override string Name => "CheckPeers";
        public override string Host => _member.Host.ComputerName;
        // It only reads; its rollback waits. Both may run again.
        public override bool SafeToRerun => true;
        public override string Describe() => $"Check every other member is PRIMARY or SECONDARY before {Host} stops; on rollback wait until {Host} rejoins on {_member.FromVersion}";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var cluster = _cluster.Read(cancellationToken);
            var self = _cluster.MemberOf(cluster, _member);
            var others = cluster.Members.Where(m => m != self).ToList();
            var down = others.Where(m => !m.Joined).ToList();
            if (self == null || !self.Joined || down.Count > 0 || cluster.Primary == null)
                throw new StageFailedException(
                    $"Before {Host} stops, every member must be in the cluster: {ClusterHosts.Describe(cluster)}.",
                    "Find out why the member left the cluster (Get-HotDbCluster, logs/hotdb.log), start it, then run the upgrade again.");
            progress.Note($"{ClusterHosts.Describe(cluster)}");
        }

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (!_member.WasRunning)
            {
                progress.Note($"{Host} was not running before the upgrade");
                return;
            }
            if (!_cluster.WaitFor(c => _cluster.MemberOf(c, _member) is { Joined: true } m && m.Version == _member.FromVersion,
                    _cluster.Options.RejoinTimeout, $"waiting for {Host} to rejoin on {_member.FromVersion}", progress, cancellationToken, out var last))
                throw new StageFailedException($"{Host} runs its old install again but has not rejoined the cluster {_cluster.Options.RejoinTimeout.TotalSeconds:0} s later: {ClusterHosts.Describe(last)}.",
                    $"Check {Host}'s logs/hotdb.log and the cluster port; Get-HotDbCluster shows when it is back.");
            progress.Note($"{Host} rejoined the cluster on {_member.FromVersion}: {ClusterHosts.Describe(last)}");
        }
    }

    /// <summary>
    /// Online, after the primary stopped: the other members elect a new PRIMARY within the election timeout. When they
    /// do not, the step fails and the runner's rollback starts the old primary again (its stop's rollback).
    /// </summary>
    internal sealed class WaitForElectionStep : PlanStep
    {
        private readonly ClusterHosts _cluster;
        private readonly ComputeNodeUpgradeContext _primary;

        public WaitForElectionStep(ClusterHosts cluster, ComputeNodeUpgradeContext primary)
        {
            _cluster = cluster;
            _primary = primary;
        }

        public override string Name => "WaitForElection";
        public override string Host => _primary.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() => $"Wait until another member is elected PRIMARY once {Host} stopped (at most {_cluster.Options.ElectionTimeout.TotalSeconds:0} s)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            ClusterMember? elected = null;
            bool Elected(HotDbCluster c)
            {
                elected = c.Primary;
                return elected != null && !string.Equals(elected.ComputerName, Host, StringComparison.OrdinalIgnoreCase);
            }
            if (!_cluster.WaitFor(Elected, _cluster.Options.ElectionTimeout, "waiting for a new PRIMARY", progress, cancellationToken, out var last))
                throw new StageFailedException($"No other member became PRIMARY within {_cluster.Options.ElectionTimeout.TotalSeconds:0} s of {Host}'s stop: {ClusterHosts.Describe(last)}.",
                    $"{Host} was started again on its old install. Check the members' clusterNetwork, cluster port and clocks (Get-HotDbCluster, logs/hotdb.log), then run the upgrade again.");
            progress.Note($"{elected!.DisplayName} is PRIMARY now");
        }
    }

    /// <summary>
    /// A started member rejoins: PRIMARY or SECONDARY (a secondary as SECONDARY) at the new version within the rejoin
    /// timeout. Online this commits the member: from then on its upgrade is kept whatever fails later.
    /// </summary>
    internal sealed class WaitForRejoinStep : PlanStep
    {
        private readonly ClusterHosts _cluster;
        private readonly ComputeNodeUpgradeContext _member;
        private readonly bool _anyRole;

        public WaitForRejoinStep(ClusterHosts cluster, ComputeNodeUpgradeContext member, bool anyRole)
        {
            _cluster = cluster;
            _member = member;
            _anyRole = anyRole;
        }

        public override string Name => "WaitForRejoin";
        public override string Host => _member.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() =>
            $"Wait until {Host} is {(_anyRole ? "PRIMARY or SECONDARY" : "SECONDARY")} at {_member.ToVersion} in show @@cluster (at most {_cluster.Options.RejoinTimeout.TotalSeconds:0} s); then it stays upgraded";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            bool Rejoined(HotDbCluster c) => _cluster.MemberOf(c, _member) is { } m && m.Version == _member.ToVersion &&
                                             (_anyRole ? m.Joined : m.Status == ClusterMemberStatus.Secondary) && c.Primary != null;
            if (!_cluster.WaitFor(Rejoined, _cluster.Options.RejoinTimeout, $"waiting for {Host} to rejoin", progress, cancellationToken, out var last))
                throw new StageFailedException($"{Host} runs {_member.ToVersion} but has not rejoined the cluster within {_cluster.Options.RejoinTimeout.TotalSeconds:0} s: {ClusterHosts.Describe(last)}.",
                    $"Read {Host}'s logs/hotdb.log of the failed install (kept aside); check clusterNetwork, clusterPort and the clocks.");
            _cluster.State.Commit(Host);
            progress.Note($"{Host} rejoined at {_member.ToVersion}: {ClusterHosts.Describe(last)}");
        }
    }

    /// <summary>The cluster at the end: every member listed, exactly one PRIMARY, the others SECONDARY, all at the new version.</summary>
    internal sealed class VerifyClusterStep : PlanStep
    {
        private readonly ClusterHosts _cluster;

        public VerifyClusterStep(ClusterHosts cluster) => _cluster = cluster;

        public override string Name => "CheckClusterAfter";
        public override string Host => _cluster.Primary.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() =>
            $"Check show @@cluster lists every member, exactly one PRIMARY and the others SECONDARY, all at {_cluster.ToVersion} (at most {_cluster.Options.RejoinTimeout.TotalSeconds:0} s)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var to = _cluster.ToVersion;
            bool Settled(HotDbCluster c) => c.ReadFrom != null && c.Primaries.Count == 1 && c.Members.Count >= _cluster.Members.Count &&
                                            c.Members.All(m => m.Joined && m.Version == to);
            if (!_cluster.WaitFor(Settled, _cluster.Options.RejoinTimeout, "waiting for the cluster to settle", progress, cancellationToken, out var last))
                throw new StageFailedException($"The cluster has not settled at {to} within {_cluster.Options.RejoinTimeout.TotalSeconds:0} s: {ClusterHosts.Describe(last)}.",
                    "Run Get-HotDbCluster and Test-HotDbClusterUpgrade and fix what they report (logs/hotdb.log of each member).");
            progress.Note($"PRIMARY {last.Primary!.DisplayName}; {ClusterHosts.Describe(last)}");
        }
    }

    /// <summary>
    /// Online: a step of a member (or the ConfigDB) whose rollback is skipped once the member has rejoined at the new
    /// version (committed): a later failure elsewhere leaves it upgraded and serving.
    /// </summary>
    internal sealed class CommittedStep : PlanStep
    {
        private readonly PlanStep _inner;
        private readonly Func<bool> _committed;
        private readonly string _kept;

        public CommittedStep(PlanStep inner, Func<bool> committed, string kept)
        {
            _inner = inner;
            _committed = committed;
            _kept = kept;
        }

        public override string Name => _inner.Name;
        public override string Host => _inner.Host;
        public override bool ChangesState => _inner.ChangesState;
        public override bool SafeToRerun => _inner.SafeToRerun;
        public override string Describe() => _inner.Describe();
        public override bool IsAlreadyDone() => _inner.IsAlreadyDone();
        public override void Execute(IStageProgress progress, CancellationToken cancellationToken) => _inner.Execute(progress, cancellationToken);
        public override void PrepareRollbackAfterInterruption() => _inner.PrepareRollbackAfterInterruption();

        public override void Rollback(IStageProgress progress, CancellationToken cancellationToken)
        {
            if (_committed())
            {
                progress.Note("not undone: " + _kept);
                return;
            }
            _inner.Rollback(progress, cancellationToken);
        }
    }
}
