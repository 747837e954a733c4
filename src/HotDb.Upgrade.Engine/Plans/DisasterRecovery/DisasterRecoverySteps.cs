using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;
using MySqlConnector;

namespace HotDb.Upgrade.Plans.DisasterRecovery
{
    /// <summary>The DR centre's nodes and the two ConfigDBs: only ever read, never written.</summary>
    internal sealed class DrCentre
    {
        public DrCentre(IReadOnlyList<ComputeNodeUpgradeContext> nodes, ConfigDbTarget replica, ConfigDbTarget source, TimeSpan replicationTimeout)
        {
            Nodes = nodes;
            Replica = replica;
            Source = source;
            ReplicationTimeout = replicationTimeout;
        }

        public IReadOnlyList<ComputeNodeUpgradeContext> Nodes { get; }
        public ConfigDbTarget Replica { get; }
        public ConfigDbTarget Source { get; }
        public TimeSpan ReplicationTimeout { get; }
        public string Host => Nodes[0].Host.ComputerName;

        public ConfigDbReplicationState ReadReplication(CancellationToken cancellationToken) => ConfigDbReplication.Read(Replica, Source, cancellationToken);

        public static string Failures(IEnumerable<ClusterCheck> checks) =>
            string.Join("; ", checks.Where(c => c.Status == HaCheckStatus.Failed).Select(c => $"{c.Id} {c.Host}: {c.Actual}"));

        /// <summary>The upgrade ledger's applied entries for the database (version and script SHA-256), in order; empty without a ledger.</summary>
        public static IReadOnlyList<string> Ledger(ConfigDbTarget target, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var connection = target.Open(target.Endpoints[0], null);
            return new UpgradeLedger(connection).Entries(target.Database).Where(e => e.IsApplied).Select(e => $"{e.Version} {e.ScriptName} {e.Sha256}").ToList();
        }

        public static IReadOnlyList<TableChecksum> Checksums(ConfigDbTarget target, CancellationToken cancellationToken) =>
            ConfigDbBackupService.Checksums(target, new ConfigDbServer(target.Endpoints[0], "", false, false, null, false), cancellationToken);
    }

    /// <summary>DR2..DR4 from the DR centre's side: nodes stopped or manager port only, replication running and caught up, no IDC switch.</summary>
    internal sealed class CheckDrCentreStep : PlanStep
    {
        private readonly DrCentre _centre;

        public CheckDrCentreStep(DrCentre centre) => _centre = centre;

        public override string Name => "CheckDisasterRecovery";
        public override string Host => _centre.Host;
        public override bool ChangesState => false;

        public override string Describe() =>
            $"Check the DR centre: {string.Join(", ", _centre.Nodes.Select(n => n.Host.ComputerName))} stopped or manager port only, {_centre.Replica} replicates from {_centre.Source} (IO and SQL running, no lag), no IDC switch";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var replication = _centre.ReadReplication(cancellationToken);
            var checks = DisasterRecoveryChecks.RunForDrCentre(_centre.Nodes.Select(n => n.Before).ToList(), replication, _centre.Source.Endpoints[0].Host);
            foreach (var check in checks) progress.Note($"{check.Id} {check.Host}: {check.Status} ({check.Actual})");
            var failed = checks.Where(c => c.Status == HaCheckStatus.Failed).ToList();
            if (failed.Count > 0)
                throw new StageFailedException($"The DR centre is not ready for its upgrade: {DrCentre.Failures(failed)}. Nothing was changed.", failed[0].Remedy);
        }
    }

    /// <summary>
    /// Waits until the DR ConfigDB shows the master centre's upgrade: the same applied upgrade-ledger entries and the
    /// same table checksums of the database, with replication running throughout. Reads only.
    /// </summary>
    internal sealed class WaitForReplicatedUpgradeStep : PlanStep
    {
        private readonly DrCentre _centre;

        public WaitForReplicatedUpgradeStep(DrCentre centre) => _centre = centre;

        public override string Name => "WaitForReplicatedUpgrade";
        public override string Host => _centre.Host;
        public override bool ChangesState => false;

        public override string Describe() =>
            $"Wait up to {_centre.ReplicationTimeout.TotalSeconds:0} s until {_centre.Replica} has the upgrade ledger and table checksums of {_centre.Source} (no SQL is run on either)";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var replication = _centre.ReadReplication(cancellationToken);
                if (replication.Problem != null || !replication.IsReplica || !replication.ThreadsRunning)
                    throw new StageFailedException(
                        $"The DR ConfigDB {_centre.Replica} does not replicate: {replication.Problem ?? (replication.IsReplica ? $"IO thread {replication.IoRunning}, SQL thread {replication.SqlRunning} {replication.LastError}" : "no replication status")}. No DR node was changed.",
                        "Repair the replication (SHOW SLAVE STATUS names the error; START SLAVE once fixed); the DR centre receives the upgrade only through it.");
                var difference = Difference(cancellationToken);
                if (difference == null)
                {
                    progress.Note($"{_centre.Replica} has the master centre's upgrade (ledger and {_centre.Source.Database} table checksums equal) after {watch.Elapsed.TotalSeconds:0} s");
                    return;
                }
                if (watch.Elapsed > _centre.ReplicationTimeout)
                    throw new StageFailedException($"After {watch.Elapsed.TotalSeconds:0} s the DR ConfigDB still differs from the master centre's: {difference}. No DR node was changed.",
                        "Check the replication's lag (SHOW SLAVE STATUS on the DR ConfigDB) and that the master centre's ConfigDB was upgraded, then run the DR plan again.");
                progress.Report($"waiting for replication: {difference} ({watch.Elapsed.TotalSeconds:0} s)");
                if (cancellationToken.WaitHandle.WaitOne(2000)) cancellationToken.ThrowIfCancellationRequested();
            }
        }

        /// <summary>Null when the replica equals the source; else what differs.</summary>
        private string? Difference(CancellationToken cancellationToken)
        {
            var sourceLedger = DrCentre.Ledger(_centre.Source, cancellationToken);
            var replicaLedger = DrCentre.Ledger(_centre.Replica, cancellationToken);
            if (!sourceLedger.SequenceEqual(replicaLedger))
                return $"upgrade ledger: {replicaLedger.Count} applied script(s) on the DR ConfigDB, {sourceLedger.Count} on the master's";
            var expected = DrCentre.Checksums(_centre.Source, cancellationToken);
            var actual = DrCentre.Checksums(_centre.Replica, cancellationToken);
            return ConfigDbBackupService.SameChecksums(expected, actual, out var tables) ? null : tables;
        }
    }

    /// <summary>In place of the start for a DR node that was stopped: the new install is the new version, and nothing runs.</summary>
    internal sealed class CheckStoppedInstallStep : PlanStep
    {
        private readonly ComputeNodeUpgradeContext _node;

        public CheckStoppedInstallStep(ComputeNodeUpgradeContext node) => _node = node;

        public override string Name => "KeepStopped";
        public override string Host => _node.Host.ComputerName;
        public override bool ChangesState => false;
        public override string Describe() => $"Leave HotDB Server {_node.ToVersion} stopped, as the old version was; check the install reads {_node.ToVersion}";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var node = ComputeNodeReader.Read(_node.Host, _node.InstallPath, cancellationToken);
            if (node.Version != _node.ToVersion || node.Running)
                throw new StageFailedException($"{Host}: {_node.InstallPath} holds {node.Version?.ToString() ?? "no readable version"}{(node.Running ? ", running" : "")}; expected {_node.ToVersion}, stopped.",
                    "Read the stage results above; the rollback puts the old install back.");
            progress.Note($"{_node.InstallPath} holds {node.Version}, not started (the node was stopped before the upgrade)");
        }
    }

    /// <summary>The end state: every DR node at the new version in its previous state (stopped, or manager port only), replication running.</summary>
    internal sealed class CheckDrCentreAfterStep : PlanStep
    {
        private readonly DrCentre _centre;

        public CheckDrCentreAfterStep(DrCentre centre) => _centre = centre;

        public override string Name => "CheckDisasterRecoveryAfter";
        public override string Host => _centre.Host;
        public override bool ChangesState => false;
        public override string Describe() => "Check every DR node runs the new version in its previous state and the DR ConfigDB still replicates";

        public override void Execute(IStageProgress progress, CancellationToken cancellationToken)
        {
            var problems = new List<string>();
            foreach (var context in _centre.Nodes)
            {
                var node = ComputeNodeReader.Read(context.Host, context.InstallPath, cancellationToken);
                var was = context.Before.Running ? "manager port only" : "stopped";
                var now = !node.Running ? "stopped" : node.ManagerPortOpen && !node.ServerPortOpen ? "manager port only" : $"server port {(node.ServerPortOpen ? "open" : "closed")}, manager port {(node.ManagerPortOpen ? "open" : "closed")}";
                if (node.Version != context.ToVersion || now != was) problems.Add($"{context.Host.ComputerName} holds {node.Version}, {now} (expected {context.ToVersion}, {was})");
                else progress.Note($"{context.Host.ComputerName}: {node.Version}, {now}, as before");
            }
            var replication = _centre.ReadReplication(cancellationToken);
            if (!replication.ThreadsRunning) problems.Add($"the DR ConfigDB's replication stopped (IO {replication.IoRunning}, SQL {replication.SqlRunning}) {replication.Problem ?? replication.LastError}");
            else progress.Note($"{_centre.Replica} still replicates from {replication.SourceHost}:{replication.SourcePort}");
            if (problems.Count > 0)
                throw new StageFailedException("The DR centre is not as expected after its upgrade: " + string.Join("; ", problems) + ".",
                    "Run Test-HotDbDisasterRecovery and Get-HotDbComputeNode on the DR centre and fix what they report.");
        }
    }
}
