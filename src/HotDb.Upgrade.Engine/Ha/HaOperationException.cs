using System;

namespace HotDb.Upgrade.Ha
{
    /// <summary>An HA operation refused before changing anything, or failed (and was undone as far as it says).</summary>
    public sealed class HaOperationException : Exception
    {
        public HaOperationException(string errorId, string message, string recommendedAction, object? result = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            RecommendedAction = recommendedAction;
            Result = result;
        }

        /// <summary>Stable id for the error record (HaVipHolderUnknown, HaSwitchFailed...).</summary>
        public string ErrorId { get; }
        public string RecommendedAction { get; }
        /// <summary>True when nothing was changed: the operation refused after reading.</summary>
        public bool Refused { get; internal set; }
        /// <summary>The operation's result so far (what was done, rolled back, the checks), when it got that far.</summary>
        public object? Result { get; }
    }
}
