using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HotDb.Upgrade.Completion;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>What the completers share: the open sessions, bound values and paths resolved as the user sees them.</summary>
    internal static class CompleterSupport
    {
        public static IEnumerable<SessionSummary> OpenSessions() => SshSessionRegistry.All().Select(SessionSummary.Of);

        public static IEnumerable<CompletionResult> ToResults(IEnumerable<CompletionCandidate> candidates) =>
            candidates.Select(c => new CompletionResult(c.Text, c.ListItemText, CompletionResultType.ParameterValue, c.ToolTip));

        /// <summary>The string values already typed for a parameter (a literal or a list of them); none for other values.</summary>
        public static IEnumerable<string> BoundStrings(IDictionary fakeBoundParameters, string name)
        {
            if (fakeBoundParameters == null || !fakeBoundParameters.Contains(name)) yield break;
            var value = fakeBoundParameters[name];
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            if (value is string single) { yield return single; yield break; }
            if (!(value is IEnumerable many)) yield break;
            foreach (var item in many)
                if ((item is PSObject p ? p.BaseObject : item) is string text) yield return text;
        }

        /// <summary>
        /// File-system paths of <paramref name="paths"/> against the current PowerShell location (which is not the
        /// process's), with ~ expanded; a path that cannot be resolved is passed on as it is.
        /// </summary>
        public static IReadOnlyList<string> ProviderPaths(IEnumerable<string> paths)
        {
            var given = paths.ToList();
            if (given.Count == 0 || Runspace.DefaultRunspace == null) return given;
            using (var ps = PowerShell.Create(RunspaceMode.CurrentRunspace))
            {
                ps.AddScript("param([string[]] $p) foreach ($one in $p) { try { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($one) } catch { $one } }")
                  .AddArgument(given.ToArray());
                try { return ps.Invoke().Select(o => o?.BaseObject as string).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList(); }
                catch (RuntimeException) { return given; }
            }
        }
    }
}
