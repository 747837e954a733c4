using System;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Describes a ConfigDB to back up, restore or upgrade; connects to nothing.</summary>
    [Cmdlet(VerbsCommon.New, "HotDbConfigDb")]
    [OutputType(typeof(ConfigDbTarget))]
    public sealed class NewHotDbConfigDbCommand : ConfigDbCmdlet
    {
        /// <summary>The ConfigDB servers, the configured master first: host, host:port or [IPv6]:port.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ComputerNameCompleter))]
        public string[] ComputerName { get; set; } = Array.Empty<string>();

        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = 3306;

        // A string, not the engine's enum: a value-type field from the engine would be loaded before the module's
        // load context exists, while PowerShell reads this assembly's types.
        [Parameter]
        [ValidateSet(nameof(ConfigDbKind.ComputeNode), nameof(ConfigDbKind.ManagementPlatform))]
        public string Kind { get; set; } = nameof(ConfigDbKind.ComputeNode);

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Database { get; set; }

        [Parameter(Mandatory = true)]
        [Credential]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>A session on the ConfigDB's own host, where mysqldump runs by default.</summary>
        [Parameter]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public IRemoteHost? Session { get; set; }

        [Parameter]
        [ValidateRange(1, 600)]
        public int ConnectTimeoutSeconds { get; set; } = 10;

        /// <summary>How long each statement waits for a lock another session holds before it fails.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int LockWaitTimeoutSeconds { get; set; } = (int)ConfigDbTarget.DefaultLockWaitTimeout.TotalSeconds;

        protected override void ProcessRecord()
        {
            try
            {
                var endpoints = ComputerName.Select(c => ConfigDbEndpoint.Parse(c, Port)).ToList();
                var kind = (ConfigDbKind)Enum.Parse(typeof(ConfigDbKind), Kind, ignoreCase: true);
                WriteObject(new ConfigDbTarget(endpoints, kind, Database, Credential.GetNetworkCredential(), Session,
                    TimeSpan.FromSeconds(ConnectTimeoutSeconds), TimeSpan.FromSeconds(LockWaitTimeoutSeconds)));
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException)
            {
                ThrowHotDbError(e, "InvalidConfigDb", ErrorCategory.InvalidArgument, ComputerName,
                    "Give each server as host or host:port and a credential with a user name.");
            }
        }
    }
}
