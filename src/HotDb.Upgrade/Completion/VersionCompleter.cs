using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using HotDb.Upgrade.Completion;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Completes -Version, -From and -To with the versions of the HotDB packages and ConfigDB upgrade scripts in the
    /// folder the command already names (-Path, -LiteralPath, -ScriptsPath, or -Package's folder), else the current folder.
    /// </summary>
    public sealed class VersionCompleter : IArgumentCompleter
    {
        private static readonly string[] FolderParameters = { "Path", "LiteralPath", "ScriptsPath", "Package" };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var typed = FolderParameters.SelectMany(name => CompleterSupport.BoundStrings(fakeBoundParameters, name)).ToList();
            var paths = CompleterSupport.ProviderPaths(typed.Count > 0 ? typed : new List<string> { "." });
            return CompleterSupport.ToResults(CompletionCandidates.Versions(paths, wordToComplete));
        }
    }
}
