using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Opens SSH sessions (one per computer) with host key verification against known_hosts.</summary>
    [Cmdlet(VerbsCommon.New, "HotDbSession", SupportsShouldProcess = true, DefaultParameterSetName = PasswordSet)]
    [OutputType(typeof(SshSession))]
    public sealed class NewHotDbSessionCommand : HotDbCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private const string PasswordSet = "Password";
        private const string KeyFileSet = "KeyFile";
        private const string KeyStringSet = "KeyString";

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("HostName", "IPAddress", "Computer", "Host")]
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
        [Alias("KnownHost")]
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
                if (Directory.Exists(KeyFile)) ThrowTerminatingError(ErrorRecordFor(KeyFileProblems.Directory(KeyFile), KeyFile));
                if (!File.Exists(KeyFile))
                    ThrowHotDbError(new FileNotFoundException($"The key file '{KeyFile}' does not exist.", KeyFile), "KeyFileNotFound",
                        ErrorCategory.ObjectNotFound, KeyFile, "Give the path of the private key (not the .pub file).");
            }
            KnownHostsPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(KnownHostsPath);
        }

        /// <summary>How many sessions are opened at the same time.</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = HostFanOut.DefaultThrottleLimit;

        private readonly List<(string Computer, int Port)> _computers = new List<(string, int)>();

        // Names from the pipeline are collected; the sessions open at once in EndProcessing, output in input order.
        protected override void ProcessRecord()
        {
            foreach (var computer in ComputerName)
            {
                try
                {
                    // host, host:port or [v6]:port; a bare IPv6 address keeps -Port.
                    var endpoint = ConfigDbEndpoint.Parse(computer, Port);
                    _computers.Add((endpoint.Host, endpoint.Port));
                }
                catch (Exception ex) when (ex is FormatException || ex is ArgumentException)
                {
                    WriteHotDbError(ex, "ComputerNameInvalid", ErrorCategory.InvalidArgument, computer, "Give host, host:port or [IPv6]:port.");
                }
            }
        }

        protected override void EndProcessing()
        {
            var password = Credential.GetNetworkCredential().Password;
            if (password?.Length == 0) password = null;
            var keyString = ParameterSetName == KeyStringSet ? string.Join("\n", KeyString) : null;
            var keyFile = ParameterSetName == KeyFileSet ? KeyFile : null;
            var sudo = SudoCredential?.GetNetworkCredential().Password is { Length: > 0 } given ? given : null;
            string Target((string Computer, int Port) c) => $"{Credential.UserName}@{(c.Computer.Contains(":") ? "[" + c.Computer + "]" : c.Computer)}:{c.Port}";
            if (password == null && keyFile == null && keyString == null)
            {
                foreach (var c in _computers)
                    WriteHotDbError(new ArgumentException($"{Target(c)}: the credential has no password and no key was given."), "NoLoginSecret",
                        ErrorCategory.InvalidArgument, c.Computer, "Give a credential with the password, or -KeyFile / -KeyString.");
                return;
            }
            var action = AcceptKey ? $"Open an SSH session, recording an unknown host key in {KnownHostsPath}" : "Open an SSH session";
            new HostFanOutRunner<(string Computer, int Port), SshSession>
            {
                Activity = "Opening SSH sessions",
                Label = c => Target(c),
                ShouldProcess = c => ShouldProcess(Target(c), action),
                Work = (c, progress, token) =>
                {
                    var session = SshSession.Open(new SshSessionOptions
                    {
                        ComputerName = c.Computer,
                        Port = c.Port,
                        UserName = Credential.UserName,
                        Password = password,
                        KeyFile = keyFile,
                        KeyString = keyString,
                        KnownHostsPath = KnownHostsPath,
                        AcceptKey = AcceptKey,
                        TrustUnknownKey = Force,
                        ConnectionTimeout = TimeSpan.FromSeconds(ConnectionTimeout),
                        KeepAliveInterval = TimeSpan.FromSeconds(KeepAliveInterval),
                        Elevation = UseSudo ? ElevationMethod.Sudo : ElevationMethod.None,
                        SudoPassword = sudo,
                    });
                    // Registered at once, so a stopped pipeline leaves no session unlisted.
                    SshSessionRegistry.Add(session);
                    return session;
                },
                Write = (c, session) =>
                {
                    WriteVerbose($"{session}: {session.HostKeyType} host key {session.HostKeyFingerprint} ({session.HostKeyStatus}).");
                    WriteObject(session);
                },
                ErrorTarget = c => c.Computer,
            }.Run(this, _computers, ThrottleLimit, _stop.Token);
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();
    }
}
