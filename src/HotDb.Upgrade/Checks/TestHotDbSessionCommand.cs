using System;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Checks;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Read-only checks of SSH sessions for an upgrade: connected, host key verified, elevation, required tools and a
    /// HotDB Server install (SS1..SS5). -Quiet returns one Boolean for all sessions.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "HotDbSession")]
    [OutputType(typeof(HotDbCheck), typeof(bool))]
    public sealed class TestHotDbSessionCommand : HotDbCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new CancellationTokenSource();
        private bool _allPassed = true;

        /// <summary>SSH sessions from New-HotDbSession.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        /// <summary>The compute node's install directory, for SS5.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string InstallPath { get; set; } = ComputeNodeReader.DefaultInstallPath;

        /// <summary>Returns only true (every check of every session passed) or false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var session in Session)
            {
                var checks = SessionChecks.Run(session, InstallPath, _cancellation.Token);
                _allPassed &= checks.All(c => c.Status == HaCheckStatus.Passed);
                if (!Quiet) WriteObject(checks, enumerateCollection: true);
            }
        }

        protected override void EndProcessing()
        {
            if (Quiet) WriteObject(_allPassed);
        }

        protected override void StopProcessing() => _cancellation.Cancel();

        public void Dispose() => _cancellation.Dispose();
    }
}
