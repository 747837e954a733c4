using System;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Lists the SSH sessions opened in this PowerShell process.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbSession", DefaultParameterSetName = AllSet)]
    [OutputType(typeof(SshSession))]
    public sealed class GetHotDbSessionCommand : HotDbCmdlet
    {
        private const string AllSet = "All";
        private const string IdSet = "Id";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
        [Alias("SessionId")]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public int[] Id { get; set; } = Array.Empty<int>();

        /// <summary>Only sessions to these computers (wildcards allowed).</summary>
        [Parameter(ParameterSetName = AllSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ComputerNameCompleter))]
        public string[] ComputerName { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            if (ParameterSetName == IdSet)
            {
                foreach (var id in Id)
                {
                    var session = SshSessionRegistry.Get(id);
                    if (session != null) WriteObject(session);
                    else
                        WriteHotDbError(new ArgumentException($"There is no session with id {id}."), "SessionNotFound", ErrorCategory.ObjectNotFound, id,
                            "Run Get-HotDbSession to list the open sessions.");
                }
                return;
            }
            var patterns = ComputerName.Select(name => new WildcardPattern(name, WildcardOptions.IgnoreCase)).ToList();
            foreach (var session in SshSessionRegistry.All())
                if (patterns.Count == 0 || patterns.Any(p => p.IsMatch(session.ComputerName)))
                    WriteObject(session);
        }
    }
}
