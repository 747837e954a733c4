using System;

namespace HotDb.Upgrade
{
    /// <summary>
    /// What PowerShell needs to report an engine failure the engine knows: the cmdlets map every exception in one place
    /// and take these facts from the exception when it has them. An interface, so that a failure can keep the base type
    /// callers already catch (a TimeoutException, an IOException).
    /// </summary>
    public interface IHotDbError
    {
        /// <summary>A stable identifier, e.g. "ConnectionFailed".</summary>
        string ErrorId { get; }

        /// <summary>The name of a PowerShell ErrorCategory (the engine does not reference PowerShell).</summary>
        string Category { get; }

        /// <summary>What the failure is about; null lets the cmdlet name its own target.</summary>
        object? Target { get; }

        /// <summary>What the user should do next.</summary>
        string RecommendedAction { get; }
    }

    /// <summary>An engine failure with its error id, category, target and remedy.</summary>
    public class HotDbException : Exception, IHotDbError
    {
        public HotDbException(string errorId, string category, string message, string recommendedAction, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Category = category;
            RecommendedAction = recommendedAction;
            Target = target;
        }

        public string ErrorId { get; }
        public string Category { get; }
        public object? Target { get; }
        public string RecommendedAction { get; }
    }
}
