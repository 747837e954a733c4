using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using HotDb.Upgrade.Completion;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Completes -Session and -Id with the ids of the open sessions (Get-HotDbSession); the tooltip names the host.</summary>
    public sealed class SessionCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompleterSupport.ToResults(CompletionCandidates.SessionIds(CompleterSupport.OpenSessions(), wordToComplete));
    }
}
