using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Ha;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// A master/slave pair's cmdlets: they need both hosts at once, so sessions (given or piped) are gathered and the
    /// pair is read once at the end of the pipeline.
    /// </summary>
    public abstract class HaCmdlet : ComputeNodeCmdlet
    {
        private readonly List<SshSession> _sessions = new List<SshSession>();

        /// <summary>keepalived.conf's path on both hosts.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string KeepalivedConfigPath { get; set; } = HaEnvironmentReader.DefaultKeepalivedConfigPath;

        protected override void ProcessRecord() => _sessions.AddRange(Session);

        protected override void EndProcessing()
        {
            var pair = _sessions.GroupBy(s => s.ComputerName, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
            if (pair.Count != 2)
                ThrowHotDbError(new ArgumentException($"A master/slave pair needs sessions to exactly two hosts; got {pair.Count} ({string.Join(", ", pair.Select(s => s.ComputerName))})."),
                    "HaPairRequired", ErrorCategory.InvalidArgument, _sessions.ToArray(), "Give -Session the master's and the slave's sessions (in any order).");
            TryHost(pair[0], () =>
            {
                WriteProgress(new ProgressRecord(1, "Reading the master/slave pair", $"{pair[0].ComputerName} and {pair[1].ComputerName}"));
                try
                {
                    var environment = HaEnvironmentReader.Read(pair[0], pair[1], InstallPath, KeepalivedConfigPath, Cancellation.Token);
                    Process(environment);
                }
                catch (System.IO.IOException ex)
                {
                    // The message names the host whose probe gave no complete answer.
                    WriteHotDbError(ex, "HaEnvironmentUnreadable", ErrorCategory.ReadError, pair.ToArray(),
                        "Check that the login user can run sh, base64 and ip on both hosts (Invoke-HotDbCommand), then run the command again.");
                }
                finally
                {
                    WriteProgress(new ProgressRecord(1, "Reading the master/slave pair", "Done") { RecordType = ProgressRecordType.Completed });
                }
            });
        }

        /// <summary>What the cmdlet does with the pair once read.</summary>
        protected abstract void Process(HaEnvironment environment);

        /// <summary>A refused or failed HA operation; its target is the operation's result when it got that far.</summary>
        protected void WriteHaError(HaOperationException ex, object target) =>
            WriteHotDbError(ex, ex.ErrorId, ex.Refused ? ErrorCategory.InvalidOperation : ErrorCategory.InvalidResult, ex.Result ?? target, ex.RecommendedAction);

        /// <summary>reload @@config on a node's manager port, for HA4.</summary>
        protected Action<HaNode> ReloadWith(PSCredential credential, TimeSpan timeout) =>
            node => ManagerPort.ReloadConfig(node.ComputerName, node.ManagerPort, credential.GetNetworkCredential(), timeout, Cancellation.Token);
    }

    /// <summary>An engine operation's progress as Write-Progress, its notes as Write-Verbose.</summary>
    internal sealed class CmdletStageProgress : IStageProgress
    {
        private readonly Cmdlet _cmdlet;
        private readonly ProgressRecord _record;

        public CmdletStageProgress(Cmdlet cmdlet, string activity)
        {
            _cmdlet = cmdlet;
            _record = new ProgressRecord(Math.Abs(activity.GetHashCode() % 100000) + 1, activity, "Starting");
        }

        public void Report(string status, int percent = -1)
        {
            _record.StatusDescription = status;
            _record.PercentComplete = Math.Min(100, percent);
            _cmdlet.WriteProgress(_record);
        }

        public void Note(string message) => _cmdlet.WriteVerbose(message);

        public void Complete()
        {
            _record.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(_record);
        }
    }
}
