using System;
using System.IO;
using System.Management.Automation;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Opens SSH sessions (one per computer) with host key verification against known_hosts.</summary>
    [Cmdlet(VerbsCommon.New, "HotDbSession", SupportsShouldProcess = true, DefaultParameterSetName = PasswordSet)]
    [OutputType(typeof(SshSession))]
    public sealed class NewHotDbSessionCommand : HotDbCmdlet
    {
        private const string PasswordSet = "Password";
        private const string KeyFileSet = "KeyFile";
        private const string KeyStringSet = "KeyString";

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("HostName", "IPAddress")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ComputerNameCompleter))]
        public string[] ComputerName { get; set; } = Array.Empty<string>();

        /// <summary>The login user; its password is the login password, or the key's passphrase with -KeyFile/-KeyString.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [Credential]
        [ValidateNotNull]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = 22;

        [Parameter(Mandatory = true, ParameterSetName = KeyFileSet)]
        [ValidateNotNullOrEmpty]
        public string KeyFile { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = KeyStringSet)]
        [ValidateNotNullOrEmpty]
        public string[] KeyString { get; set; } = Array.Empty<string>();

        /// <summary>Record an unknown host key in known_hosts. A changed key is refused all the same.</summary>
        [Parameter]
        public SwitchParameter AcceptKey { get; set; }

        /// <summary>Trust an unknown host key for this session only, without recording it. A changed or revoked key is refused all the same.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string KnownHostsPath { get; set; } = KnownHostsFile.DefaultPath;

        /// <summary>Seconds to wait for the connection and login.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int ConnectionTimeout { get; set; } = 10;

        /// <summary>Seconds between SSH keep-alive messages; 0 turns them off.</summary>
        [Parameter]
        [ValidateRange(0, 3600)]
        public int KeepAliveInterval { get; set; } = 10;

        /// <summary>How privileged steps run when the login user is not root: None or Sudo.</summary>
        /// <remarks>A string, not the engine's enum: a value-type field would load the engine before the module's load context exists.</remarks>
        [Parameter]
        [ValidateSet("None", "Sudo", IgnoreCase = true)]
        public string Elevation { get; set; } = "None";

        private bool UseSudo => string.Equals(Elevation, "Sudo", StringComparison.OrdinalIgnoreCase);

        /// <summary>The sudo password (the user name is ignored). Without it, sudo must not ask for one (NOPASSWD).</summary>
        [Parameter]
        [Credential]
        public PSCredential? SudoCredential { get; set; }

        protected override void BeginProcessing()
        {
            if (SudoCredential != null && !UseSudo)
                ThrowHotDbError(new ArgumentException("-SudoCredential is only used with -Elevation Sudo."), "SudoCredentialWithoutSudo",
                    ErrorCategory.InvalidArgument, SudoCredential.UserName, "Add -Elevation Sudo, or drop -SudoCredential.");
            if (ParameterSetName == KeyFileSet)
            {
                KeyFile = SessionState.Path.GetUnresolvedProviderPathFromPSPath(KeyFile);
                if (!File.Exists(KeyFile))
                    ThrowHotDbError(new FileNotFoundException($"The key file '{KeyFile}' does not exist.", KeyFile), "KeyFileNotFound",
                        ErrorCategory.ObjectNotFound, KeyFile, "Give the path of the private key (not the .pub file).");
            }
            KnownHostsPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(KnownHostsPath);
        }

        protected override void ProcessRecord()
        {
            foreach (var computer in ComputerName)
            {
                var target = $"{Credential.UserName}@{computer}:{Port}";
                var action = AcceptKey ? $"Open an SSH session, recording an unknown host key in {KnownHostsPath}" : "Open an SSH session";
                if (!ShouldProcess(target, action)) continue;
                var options = new SshSessionOptions
                {
                    ComputerName = computer,
                    Port = Port,
                    UserName = Credential.UserName,
                    Password = Credential.GetNetworkCredential().Password,
                    KeyFile = ParameterSetName == KeyFileSet ? KeyFile : null,
                    KeyString = ParameterSetName == KeyStringSet ? string.Join("\n", KeyString) : null,
                    KnownHostsPath = KnownHostsPath,
                    AcceptKey = AcceptKey,
                    TrustUnknownKey = Force,
                    ConnectionTimeout = TimeSpan.FromSeconds(ConnectionTimeout),
                    KeepAliveInterval = TimeSpan.FromSeconds(KeepAliveInterval),
                    Elevation = UseSudo ? ElevationMethod.Sudo : ElevationMethod.None,
                    SudoPassword = SudoCredential?.GetNetworkCredential().Password is { Length: > 0 } sudo ? sudo : null,
                };
                if (options.Password?.Length == 0) options.Password = null;
                if (options.Password == null && options.KeyFile == null && options.KeyString == null)
                {
                    WriteHotDbError(new ArgumentException($"{target}: the credential has no password and no key was given."), "NoLoginSecret",
                        ErrorCategory.InvalidArgument, computer, "Give a credential with the password, or -KeyFile / -KeyString.");
                    continue;
                }
                try
                {
                    var session = SshSession.Open(options);
                    SshSessionRegistry.Add(session);
                    WriteVerbose($"{session}: {session.HostKeyType} host key {session.HostKeyFingerprint} ({session.HostKeyStatus}).");
                    WriteObject(session);
                }
                catch (Exception ex) when (IsReportable(ex))
                {
                    WriteHotDbError(ex, computer);
                }
            }
        }
    }
}
