using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using HotDb.Upgrade.Completion;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Completes -ComputerName with the hosts of the open sessions, then the names in known_hosts: the -KnownHostsPath
    /// already typed, else ~/.ssh/known_hosts.
    /// </summary>
    public sealed class ComputerNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var typed = CompleterSupport.BoundStrings(fakeBoundParameters, "KnownHostsPath").Take(1).ToList();
            var knownHosts = typed.Count == 1 ? CompleterSupport.ProviderPaths(typed).FirstOrDefault() : KnownHostsFile.DefaultPath;
            return CompleterSupport.ToResults(CompletionCandidates.HostNames(CompleterSupport.OpenSessions(), knownHosts, wordToComplete));
        }
    }
}
