using System;
using System.IO;
using System.Management.Automation;
using System.Net.Sockets;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Shared error reporting: every error names its category, its target and what to do next.</summary>
    public abstract class HotDbCmdlet : PSCmdlet
    {
        protected ErrorRecord NewError(Exception exception, string errorId, ErrorCategory category, object? target, string? recommendedAction = null)
        {
            var record = new ErrorRecord(exception, errorId, category, target);
            if (!string.IsNullOrEmpty(recommendedAction))
                record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = recommendedAction };
            return record;
        }

        protected void WriteHotDbError(Exception exception, string errorId, ErrorCategory category, object? target, string? recommendedAction = null) =>
            WriteError(NewError(exception, errorId, category, target, recommendedAction));

        protected void ThrowHotDbError(Exception exception, string errorId, ErrorCategory category, object? target, string? recommendedAction = null) =>
            ThrowTerminatingError(NewError(exception, errorId, category, target, recommendedAction));

        /// <summary>
        /// The one mapping from a failure to an error record: an engine failure brings its own id, category, target and
        /// remedy (<see cref="IHotDbError"/>); any other exception is mapped by its type. <paramref name="target"/> is
        /// used when the failure names none.
        /// </summary>
        protected internal ErrorRecord ErrorRecordFor(Exception exception, object? target)
        {
            if (exception is IHotDbError known)
                return NewError(exception, known.ErrorId, CategoryNamed(known.Category), known.Target ?? target, known.RecommendedAction);
            var (errorId, category, action) = exception switch
            {
                ObjectDisposedException _ => ("SessionClosed", ErrorCategory.ResourceUnavailable, "The session is closed; open a new one with New-HotDbSession."),
                SocketException _ => ("ConnectionFailed", ErrorCategory.ConnectionError, "Check the network to the host, then open a new session with New-HotDbSession."),
                TimeoutException _ => ("OperationTimedOut", ErrorCategory.OperationTimeout, "Check the network to the host and its load, then run the command again."),
                UnauthorizedAccessException _ => ("AccessDenied", ErrorCategory.PermissionDenied, "Check that the user may access the path named in the message."),
                FileNotFoundException _ => ("PathNotFound", ErrorCategory.ObjectNotFound, "Check the path named in the message."),
                DirectoryNotFoundException _ => ("PathNotFound", ErrorCategory.ObjectNotFound, "Check the path named in the message."),
                InvalidDataException _ => ("InvalidData", ErrorCategory.InvalidData, "Check the data named in the message."),
                IOException _ => ("IOFailed", ErrorCategory.WriteError, "Read the message, fix its cause (free space, permissions), then run the command again."),
                ArgumentException _ => ("InvalidArgument", ErrorCategory.InvalidArgument, "Correct the value named in the message."),
                _ => ("UnexpectedError", ErrorCategory.NotSpecified, "Read the message, fix its cause and run the command again."),
            };
            return NewError(exception, errorId, category, target, action);
        }

        /// <summary>Writes a failure as a non-terminating error through <see cref="ErrorRecordFor"/>.</summary>
        protected internal void WriteHotDbError(Exception exception, object? target) => WriteError(ErrorRecordFor(exception, target));

        /// <summary>A failure worth a per-item error; cancellation and pipeline stops are left to PowerShell.</summary>
        protected static bool IsReportable(Exception exception) => !(exception is OperationCanceledException || exception is PipelineStoppedException);

        /// <summary>
        /// ShouldProcess that also says whether -WhatIf (or $WhatIfPreference) declined it: a declined -WhatIf returns the
        /// plan, a "no" at -Confirm returns nothing. -Force never takes part: it is not a ShouldProcess bypass.
        /// </summary>
        protected bool ShouldProcess(string target, string action, out bool whatIf)
        {
            var description = $"Performing the operation \"{action}\" on target \"{target}\".";
            var proceed = ShouldProcess(description, $"Are you sure you want to perform this action?{Environment.NewLine}{description}", "Confirm", out ShouldProcessReason reason);
            whatIf = !proceed && (reason & ShouldProcessReason.WhatIf) != 0;
            return proceed;
        }

        /// <summary>True under -WhatIf or $WhatIfPreference (an explicit -WhatIf:$false wins over the preference).</summary>
        protected internal bool IsWhatIf()
        {
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var value)) return ((SwitchParameter)value).IsPresent;
            return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
        }

        private static ErrorCategory CategoryNamed(string name) =>
            Enum.TryParse<ErrorCategory>(name, out var category) ? category : ErrorCategory.NotSpecified;
    }
}
