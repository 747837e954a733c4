using System;
using System.Management.Automation;

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
    }
}
