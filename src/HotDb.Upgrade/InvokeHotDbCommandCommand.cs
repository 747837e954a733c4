using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Runs a shell command on hosts and returns what it did; a non-zero exit is an error unless -AllowFailure.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "HotDbCommand", SupportsShouldProcess = true)]
    [OutputType(typeof(CommandResult))]
    public sealed class InvokeHotDbCommandCommand : HotDbCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNull]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        /// <summary>The shell line, run by the login user's shell. Put untrusted values in -ArgumentList, not here.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Command { get; set; } = "";

        /// <summary>Arguments appended to -Command, each quoted for the shell so it arrives as one literal word.</summary>
        [Parameter(Position = 1)]
        [AllowEmptyString]
        [ValidateNotNull]
        public string[] ArgumentList { get; set; } = Array.Empty<string>();

        /// <summary>Run as root (through the session's sudo elevation when the login user is not root).</summary>
        [Parameter]
        public SwitchParameter Elevate { get; set; }

        /// <summary>Seconds before the command and every process it started are stopped; 0 waits without limit.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int Timeout { get; set; }

        /// <summary>Return the result without writing an error when the exit code is not 0.</summary>
        [Parameter]
        public SwitchParameter AllowFailure { get; set; }

        private string _line = "";

        protected override void BeginProcessing()
        {
            // Built once, before any host is touched: a value no shell line can hold (a NUL character) is refused here.
            try
            {
                if (Command.IndexOf('\0') >= 0) throw new ArgumentException("-Command contains a NUL character, which no shell line can hold.", nameof(Command));
                _line = ArgumentList.Length == 0 ? Command : Command + " " + ShellQuote.Join(ArgumentList);
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecordFor(ex, Command));
            }
        }

        /// <summary>How many hosts run the command at the same time.</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = HostFanOut.DefaultThrottleLimit;

        private readonly List<SshSession> _sessions = new List<SshSession>();

        // Sessions from the pipeline are collected: every host runs at once in EndProcessing.
        protected override void ProcessRecord() => _sessions.AddRange(Session);

        protected override void EndProcessing()
        {
            var timeout = Timeout > 0 ? TimeSpan.FromSeconds(Timeout) : (TimeSpan?)null;
            new HostFanOutRunner<SshSession, CommandResult>
            {
                Activity = "Running: " + _line,
                Label = session => session.ToString(),
                ShouldProcess = session => ShouldProcess(session.ToString(), (Elevate ? "Run as root: " : "Run: ") + _line),
                Work = (session, progress, token) => session.Run(_line, Elevate, timeout, token),
                Write = (session, result) =>
                {
                    WriteVerbose($"{session}: exit code {result.ExitCode} after {result.Duration.TotalSeconds:0.0} s" + (Elevate ? " (run as root)" : "") +
                        (result.Succeeded || !AllowFailure ? "." : "; no error written because of -AllowFailure."));
                    WriteObject(result);
                    if (!result.Succeeded && !AllowFailure)
                        WriteHotDbError(new RemoteCommandFailedException(result), "RemoteCommandFailed", ErrorCategory.InvalidResult, result,
                            "Read the result's StandardError. Add -AllowFailure when a non-zero exit code is expected.");
                },
            }.Run(this, _sessions, ThrottleLimit, _stop.Token);
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();
    }

    /// <summary>A remote command exited with a non-zero code.</summary>
    public sealed class RemoteCommandFailedException : IOException
    {
        public RemoteCommandFailedException(CommandResult result)
            : base($"{result.ComputerName}: '{result.Command}' exited with code {result.ExitCode}{FirstLine(result.StandardError)}") => Result = result;

        public CommandResult Result { get; }

        private static string FirstLine(string text)
        {
            var line = text.Trim().Split('\n')[0].Trim();
            return line.Length == 0 ? "." : ": " + line;
        }
    }
}
