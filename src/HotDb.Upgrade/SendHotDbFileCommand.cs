using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Uploads files over SFTP, verified by SHA-256; an identical remote file is left alone.</summary>
    [Cmdlet(VerbsCommunications.Send, "HotDbFile", SupportsShouldProcess = true)]
    [OutputType(typeof(TransferResult))]
    public sealed class SendHotDbFileCommand : HotDbCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNull]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        /// <summary>Local files to send.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>The remote file, or a remote folder (existing, or written with a trailing '/').</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; } = "";

        /// <summary>The remote file's mode, octal (e.g. 0600), set before any byte is written; also set on an identical file that is not sent again.</summary>
        [Parameter]
        [ValidatePattern("^0?[0-7]{3}$")]
        public string Mode { get; set; } = "0644";

        /// <summary>Write as root (through the session's sudo elevation when the login user is not root), e.g. into a root-owned folder.</summary>
        [Parameter]
        public SwitchParameter Elevate { get; set; }

        /// <summary>How many hosts receive files at the same time; each host receives its files one after another.</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = HostFanOut.DefaultThrottleLimit;

        private readonly List<(SshSession Session, string Local)> _uploads = new List<(SshSession, string)>();

        // Files and sessions from the pipeline are collected; the hosts are served at once in EndProcessing.
        protected override void ProcessRecord()
        {
            foreach (var path in Path)
            {
                var local = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                try
                {
                    // Before any host: a missing file, a folder, a device or a FIFO (which would never end) is refused.
                    FileTransfer.RequireRegularFile(local);
                }
                catch (Exception ex) when (IsReportable(ex))
                {
                    WriteHotDbError(ex, local);
                    continue;
                }
                foreach (var session in Session) _uploads.Add((session, local));
            }
        }

        /// <summary>Output comes host by host, in the order the sessions were first given; each host's files in their order.</summary>
        protected override void EndProcessing()
        {
            var mode = Convert.ToInt32(Mode, 8);
            var hosts = new List<HostUploads>();
            foreach (var (session, local) in _uploads)
            {
                if (!ShouldProcess(session.ToString(), $"Upload '{local}' to '{Destination}'{(Elevate ? " as root" : "")}")) continue;
                var host = hosts.Find(h => ReferenceEquals(h.Session, session));
                if (host == null) hosts.Add(host = new HostUploads(session));
                host.Files.Add(local);
            }
            new HostFanOutRunner<HostUploads, List<(TransferResult? Result, Exception? Error)>>
            {
                Activity = $"Sending files to {hosts.Count} host(s)",
                Label = host => "Sending to " + host.Session,
                Work = (host, progress, token) => UploadAll(host, mode, progress, token),
                Write = (host, results) =>
                {
                    foreach (var (result, error) in results)
                    {
                        if (error != null) WriteHotDbError(error, host.Session);
                        else
                        {
                            WriteVerbose(Explain(result!));
                            WriteObject(result);
                        }
                    }
                },
                ErrorTarget = host => host.Session,
            }.Run(this, hosts, ThrottleLimit, _stop.Token);
        }

        internal static string Explain(TransferResult result) => result.Status == TransferStatus.Skipped
            ? $"{result.ComputerName}: skipped {result.RemotePath}: the remote file already has the same SHA-256 ({result.Sha256.Substring(0, Math.Min(12, result.Sha256.Length))}...); only its mode was set."
            : $"{result.ComputerName}: sent {result.RemotePath} ({result.Length} bytes in {result.Duration.TotalSeconds:0.0} s); the remote SHA-256 matches the local file.";

        private sealed class HostUploads
        {
            public HostUploads(SshSession session) => Session = session;
            public SshSession Session { get; }
            public List<string> Files { get; } = new List<string>();
        }

        // Runs on a worker thread: every file for one host, one after another; a failed file does not stop the next.
        private List<(TransferResult?, Exception?)> UploadAll(HostUploads host, int mode, HostProgress progress, CancellationToken token)
        {
            var results = new List<(TransferResult?, Exception?)>();
            foreach (var local in host.Files)
            {
                token.ThrowIfCancellationRequested();
                var name = System.IO.Path.GetFileName(local);
                var total = new FileInfo(local).Length;
                progress.Report($"{name}: comparing SHA-256 with the remote file", 0);
                void Sent(long done) =>
                    progress.Report(done < total ? $"{name}: {done / 1048576.0:0.0} of {total / 1048576.0:0.0} MiB" : $"{name}: verifying SHA-256",
                        total == 0 ? 100 : (int)(done * 100 / total));
                try
                {
                    results.Add((FileTransfer.Upload(host.Session, local, Destination, mode, Sent, token, Elevate), null));
                }
                catch (Exception ex) when (IsReportable(ex))
                {
                    results.Add((null, ex));
                }
            }
            return results;
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();
    }
}
