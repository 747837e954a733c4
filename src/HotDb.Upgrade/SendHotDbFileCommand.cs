using System;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
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

        protected override void ProcessRecord()
        {
            var mode = Convert.ToInt32(Mode, 8);
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
                foreach (var session in Session)
                {
                    if (!ShouldProcess(session.ToString(), $"Upload '{local}' to '{Destination}'{(Elevate ? " as root" : "")}")) continue;
                    if (_stop.IsCancellationRequested) return;
                    try
                    {
                        WriteObject(Upload(session, local, mode));
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    catch (Exception ex) when (IsReportable(ex))
                    {
                        WriteHotDbError(ex, session);
                    }
                }
            }
        }

        // SFTP reports progress on its own threads; the pipeline thread polls and writes the records.
        private TransferResult Upload(SshSession session, string local, int mode)
        {
            var total = new FileInfo(local).Length;
            long sent = 0;
            var activity = $"Sending {System.IO.Path.GetFileName(local)} to {session.ComputerName}";
            var activityId = Math.Abs(activity.GetHashCode() % 100000);
            // A new record each time: hosts may keep the records they were given.
            void Report(string status, int percent, ProgressRecordType type = ProgressRecordType.Processing) =>
                WriteProgress(new ProgressRecord(activityId, activity, status) { PercentComplete = percent, RecordType = type });

            void ReportBytes(long done) =>
                Report(done < total ? $"{done / 1048576.0:0.0} of {total / 1048576.0:0.0} MiB" : "Verifying SHA-256", total == 0 ? 100 : (int)(done * 100 / total));

            Report("Comparing SHA-256 with the remote file", 0);
            var upload = Task.Run(() => FileTransfer.Upload(session, local, Destination, mode, bytes => Interlocked.Exchange(ref sent, bytes), _stop.Token, Elevate));
            try
            {
                long reported = 0;
                while (Task.WaitAny(new Task[] { upload }, 200) < 0)
                {
                    var done = Interlocked.Read(ref sent);
                    if (done == reported) continue;
                    reported = done;
                    ReportBytes(done);
                }
                // A fast upload can finish between polls: its final count is still reported.
                if (Interlocked.Read(ref sent) != reported) ReportBytes(Interlocked.Read(ref sent));
                return upload.GetAwaiter().GetResult();
            }
            finally
            {
                Report("Done", 100, ProgressRecordType.Completed);
            }
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();
    }
}
