using System;
using System.Management.Automation;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Closes SSH sessions and forgets them.</summary>
    [Cmdlet(VerbsCommon.Remove, "HotDbSession", SupportsShouldProcess = true, DefaultParameterSetName = SessionSet)]
    public sealed class RemoveHotDbSessionCommand : HotDbCmdlet
    {
        private const string SessionSet = "Session";
        private const string IdSet = "Id";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = SessionSet, ValueFromPipeline = true)]
        [ValidateNotNull]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession[] Session { get; set; } = Array.Empty<SshSession>();

        [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
        [Alias("SessionId")]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public int[] Id { get; set; } = Array.Empty<int>();

        protected override void ProcessRecord()
        {
            if (ParameterSetName == SessionSet)
            {
                foreach (var session in Session) Close(session);
                return;
            }
            foreach (var id in Id)
            {
                var session = SshSessionRegistry.Get(id);
                if (session != null) Close(session);
                else
                    WriteHotDbError(new ArgumentException($"There is no session with id {id}."), "SessionNotFound", ErrorCategory.ObjectNotFound, id,
                        "Run Get-HotDbSession to list the open sessions.");
            }
        }

        private void Close(SshSession session)
        {
            if (ShouldProcess(session.ToString(), "Close the SSH session")) SshSessionRegistry.Remove(session);
        }
    }
}
