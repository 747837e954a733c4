using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// The state a DR estate must be in before its upgrade: master-centre nodes serving, DR-centre nodes on standby,
    /// ConfigDB replication from the master centre to the DR centre running and caught up, no IDC switch. Changes nothing.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "HotDbDisasterRecovery")]
    [OutputType(typeof(ClusterCheck), typeof(bool))]
    public sealed class TestHotDbDisasterRecoveryCommand : ComputeNodeCmdlet
    {
        private readonly List<SshSession> _sessions = new List<SshSession>();

        /// <summary>Sessions to the DR centre's compute node hosts.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] DrSession { get; set; } = Array.Empty<SshSession>();

        /// <summary>The master centre's ConfigDB (New-HotDbConfigDb); by default the one the master centre's server.xml names.</summary>
        [Parameter]
        public ConfigDbTarget? ConfigDb { get; set; }

        /// <summary>The DR centre's ConfigDB (New-HotDbConfigDb); by default the one the DR centre's server.xml names.</summary>
        [Parameter]
        public ConfigDbTarget? DrConfigDb { get; set; }

        /// <summary>Returns only true (every check passed) or false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord() => _sessions.AddRange(Session);

        protected override void EndProcessing()
        {
            var master = Distinct(_sessions);
            var dr = Distinct(DrSession);
            var both = master.Select(s => s.ComputerName).Intersect(dr.Select(s => s.ComputerName), StringComparer.OrdinalIgnoreCase).ToList();
            if (both.Count > 0)
                ThrowHotDbError(new ArgumentException($"{string.Join(", ", both)} given as both master centre (-Session) and DR centre (-DrSession)."), "IdcOverlap",
                    ErrorCategory.InvalidArgument, both, "Give each IDC's compute node hosts to its own parameter.");
            TryHost(master[0], () =>
            {
                const string activity = "Reading the DR estate";
                try
                {
                    var read = new Func<SshSession, ComputeNodeInfo>(s =>
                    {
                        WriteProgress(new ProgressRecord(1, activity, s.ComputerName));
                        return ComputeNodeReader.Read(s, InstallPath, Cancellation.Token);
                    });
                    var masterNodes = master.Select(read).ToList();
                    var drNodes = dr.Select(read).ToList();
                    var replica = DrConfigDb ?? drNodes.Select(ConfigDbReplication.ConfigDbOf).FirstOrDefault(t => t != null);
                    var source = ConfigDb ?? masterNodes.Select(ConfigDbReplication.ConfigDbOf).FirstOrDefault(t => t != null);
                    ConfigDbReplicationState replication;
                    if (replica == null) replication = ConfigDbReplication.Unknown("no DR-centre server.xml names a ConfigDB url and user; give -DrConfigDb");
                    else
                    {
                        WriteProgress(new ProgressRecord(1, activity, $"ConfigDB replication on {replica}"));
                        replication = ConfigDbReplication.Read(replica, source, Cancellation.Token);
                    }
                    var checks = DisasterRecoveryChecks.Run(masterNodes, drNodes, replication);
                    if (Quiet) WriteObject(checks.All(c => c.Status == HaCheckStatus.Passed));
                    else WriteObject(checks, enumerateCollection: true);
                }
                catch (System.IO.IOException ex)
                {
                    WriteHotDbError(ex, "DisasterRecoveryUnreadable", ErrorCategory.ReadError, master.Concat(dr).ToArray(),
                        "Check that the login user can run sh on every host (Invoke-HotDbCommand), then run the command again.");
                }
                finally
                {
                    WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
                }
            });
        }

        private static List<SshSession> Distinct(IEnumerable<SshSession> sessions) =>
            sessions.GroupBy(s => s.ComputerName, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
    }
}
