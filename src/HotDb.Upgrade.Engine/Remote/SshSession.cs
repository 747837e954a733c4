using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace HotDb.Upgrade.Remote
{
    /// <summary>How privileged steps run when the login user is not root.</summary>
    public enum ElevationMethod
    {
        /// <summary>No elevation: privileged steps need a root login.</summary>
        None,
        /// <summary>Privileged steps run through sudo; a sudo password, when given, is sent on stdin.</summary>
        Sudo,
    }

    /// <summary>Everything needed to open one SSH session.</summary>
    public sealed class SshSessionOptions
    {
        public string ComputerName { get; set; } = "";
        public int Port { get; set; } = 22;
        public string UserName { get; set; } = "";

        /// <summary>The login password, or the key's passphrase when a key is given.</summary>
        public string? Password { get; set; }

        public string? KeyFile { get; set; }

        /// <summary>A private key's text (OpenSSH or PEM format).</summary>
        public string? KeyString { get; set; }

        public string KnownHostsPath { get; set; } = KnownHostsFile.DefaultPath;

        /// <summary>Record an unknown host key in known_hosts and trust it.</summary>
        public bool AcceptKey { get; set; }

        /// <summary>Trust an unknown host key for this session only, without recording it.</summary>
        public bool TrustUnknownKey { get; set; }

        public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Interval of SSH keep-alive messages; zero or negative turns them off.</summary>
        public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.Zero;

        public ElevationMethod Elevation { get; set; }

        /// <summary>The sudo password; null when sudo needs none (NOPASSWD).</summary>
        public string? SudoPassword { get; set; }
    }

    /// <summary>The host presented a key that is not trusted: unknown, changed or revoked.</summary>
    public sealed class HostKeyVerificationException : Exception
    {
        public HostKeyVerificationException(HostKeyCheck check) : base(Describe(check)) => Check = check;

        public HostKeyCheck Check { get; }

        private static string Describe(HostKeyCheck check)
        {
            var file = check.KnownHostsPath ?? "known_hosts";
            switch (check.Status)
            {
                case HostKeyStatus.Changed:
                    return $"SECURITY: the {check.KeyType} host key of {check.HostToken} has CHANGED. Expected {string.Join(" or ", check.ExpectedFingerprints)} " +
                           $"(recorded in {file}), the host presented {check.Fingerprint}. Someone may be intercepting the connection (man-in-the-middle), " +
                           "or the host was reinstalled. The connection was refused.";
                case HostKeyStatus.Revoked:
                    return $"SECURITY: {check.HostToken} presented the {check.KeyType} key {check.Fingerprint}, which {file} marks @revoked. The connection was refused.";
                default:
                    return $"The {check.KeyType} host key of {check.HostToken} ({check.Fingerprint}) is not in {file}. The connection was refused.";
            }
        }
    }

    /// <summary>Login to the host failed (wrong password or key, or the user may not log in).</summary>
    public sealed class RemoteAuthenticationException : Exception
    {
        public RemoteAuthenticationException(string message, Exception inner) : base(message, inner) { }
    }

    /// <summary>The host could not be reached or the SSH connection broke.</summary>
    public sealed class RemoteConnectionException : Exception
    {
        public RemoteConnectionException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>An SSH session to one host, over SSH.NET; exposes no SSH.NET type.</summary>
    public sealed class SshSession : IRemoteHost, IDisposable
    {
        private static int _lastId;
        private readonly SshClient _ssh;
        private readonly ConnectionInfo _connection;
        private readonly string? _sudoPassword;
        private readonly object _sftpGate = new object();
        private SftpClient? _sftp;

        private SshSession(SshSessionOptions options, ConnectionInfo connection, SshClient ssh, HostKeyCheck hostKey)
        {
            Id = Interlocked.Increment(ref _lastId);
            ComputerName = options.ComputerName;
            Port = options.Port;
            UserName = options.UserName;
            Elevation = options.Elevation;
            _sudoPassword = options.SudoPassword;
            _connection = connection;
            _ssh = ssh;
            HostKeyType = hostKey.KeyType;
            HostKeyFingerprint = hostKey.Fingerprint;
            HostKeyStatus = hostKey.Status;
        }

        public int Id { get; }
        public string ComputerName { get; }
        public int Port { get; }
        public string UserName { get; }
        public ElevationMethod Elevation { get; }
        public bool Connected => _ssh.IsConnected;
        public string HostKeyType { get; }
        public string HostKeyFingerprint { get; }

        /// <summary>Trusted, or Unknown when the key was accepted (recorded with AcceptKey, or for this session only).</summary>
        public HostKeyStatus HostKeyStatus { get; }

        /// <summary>True when the login user is root, so privileged steps need no elevation.</summary>
        public bool IsRoot => string.Equals(UserName, "root", StringComparison.Ordinal);

        public override string ToString() => $"{UserName}@{ComputerName}:{Port}";

        /// <summary>Connects, checks the host key against known_hosts and logs in.</summary>
        public static SshSession Open(SshSessionOptions options)
        {
            Validate(options);
            var methods = AuthenticationMethods(options);
            var connection = new ConnectionInfo(options.ComputerName, options.Port, options.UserName, methods.ToArray())
            {
                Timeout = options.ConnectionTimeout,
            };
            var knownHosts = KnownHostsFile.Load(options.KnownHostsPath);
            PreferKnownHostKeyTypes(connection, knownHosts.KnownKeyTypes(options.ComputerName, options.Port));

            HostKeyCheck? check = null;
            Exception? recordFailure = null;
            var ssh = new SshClient(connection);
            ssh.HostKeyReceived += (_, e) =>
            {
                check = knownHosts.Verify(options.ComputerName, options.Port, e.HostKey);
                var trust = check.Status == HostKeyStatus.Trusted ||
                            (check.Status == HostKeyStatus.Unknown && (options.AcceptKey || options.TrustUnknownKey));
                if (trust && check.Status == HostKeyStatus.Unknown && options.AcceptKey)
                {
                    try { KnownHostsFile.Append(options.KnownHostsPath, options.ComputerName, options.Port, e.HostKey); }
                    catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { recordFailure = ex; trust = false; }
                }
                e.CanTrust = trust;
            };
            if (options.KeepAliveInterval > TimeSpan.Zero) ssh.KeepAliveInterval = options.KeepAliveInterval;

            try
            {
                ssh.Connect();
            }
            catch (Exception ex)
            {
                ssh.Dispose();
                if (recordFailure != null)
                    throw new IOException($"Could not record the host key of {options.ComputerName} in {options.KnownHostsPath}: {recordFailure.Message}", recordFailure);
                if (check != null && (check.Status == HostKeyStatus.Changed || check.Status == HostKeyStatus.Revoked ||
                                      (check.Status == HostKeyStatus.Unknown && !options.AcceptKey && !options.TrustUnknownKey)))
                    throw new HostKeyVerificationException(check);
                throw Translate(ex, options);
            }
            if (check == null)
            {
                ssh.Dispose();
                throw new RemoteConnectionException($"{options.ComputerName} did not present a host key.");
            }
            return new SshSession(options, connection, ssh, check);
        }

        private static void Validate(SshSessionOptions options)
        {
            if (string.IsNullOrWhiteSpace(options.ComputerName)) throw new ArgumentException("A computer name is required.", nameof(options));
            if (string.IsNullOrWhiteSpace(options.UserName)) throw new ArgumentException("A user name is required.", nameof(options));
            if (options.Port < 1 || options.Port > 65535) throw new ArgumentOutOfRangeException(nameof(options), options.Port, "The port must be between 1 and 65535.");
            if (options.KeyFile != null && options.KeyString != null) throw new ArgumentException("Give a key file or a key string, not both.", nameof(options));
            if (options.KeyFile != null && !File.Exists(options.KeyFile)) throw new FileNotFoundException($"The key file '{options.KeyFile}' does not exist.", options.KeyFile);
        }

        private static List<AuthenticationMethod> AuthenticationMethods(SshSessionOptions options)
        {
            var methods = new List<AuthenticationMethod>();
            if (options.KeyFile != null || options.KeyString != null)
            {
                PrivateKeyFile key;
                try
                {
                    if (options.KeyFile != null)
                        key = string.IsNullOrEmpty(options.Password) ? new PrivateKeyFile(options.KeyFile) : new PrivateKeyFile(options.KeyFile, options.Password);
                    else
                    {
                        using var text = new MemoryStream(Encoding.UTF8.GetBytes(options.KeyString!));
                        key = string.IsNullOrEmpty(options.Password) ? new PrivateKeyFile(text) : new PrivateKeyFile(text, options.Password);
                    }
                }
                catch (SshException ex)
                {
                    throw new ArgumentException($"The private key could not be read: {ex.Message} A key protected by a passphrase needs the passphrase as the credential's password.", nameof(options), ex);
                }
                methods.Add(new PrivateKeyAuthenticationMethod(options.UserName, key));
                return methods;
            }
            if (options.Password == null) throw new ArgumentException("Give a password, a key file or a key string.", nameof(options));
            methods.Add(new PasswordAuthenticationMethod(options.UserName, options.Password));
            var interactive = new KeyboardInteractiveAuthenticationMethod(options.UserName);
            interactive.AuthenticationPrompt += (_, e) =>
            {
                foreach (var prompt in e.Prompts) prompt.Response = options.Password;
            };
            methods.Add(interactive);
            return methods;
        }

        // When known_hosts already has keys for the host, ask only for those key types (as OpenSSH does),
        // so the host cannot switch to an unrecorded type; certificates are not used.
        private static void PreferKnownHostKeyTypes(ConnectionInfo connection, IReadOnlyCollection<string> knownTypes)
        {
            if (knownTypes.Count == 0) return;
            foreach (var algorithm in connection.HostKeyAlgorithms.Keys.ToList())
            {
                var keyType = algorithm.StartsWith("rsa-sha2-", StringComparison.Ordinal) ? "ssh-rsa" : algorithm;
                if (!knownTypes.Contains(keyType)) connection.HostKeyAlgorithms.Remove(algorithm);
            }
        }

        private static Exception Translate(Exception ex, SshSessionOptions options)
        {
            var target = $"{options.UserName}@{options.ComputerName}:{options.Port}";
            switch (ex)
            {
                case SshAuthenticationException:
                    return new RemoteAuthenticationException(
                        $"{target}: login refused ({ex.Message.TrimEnd('.')}). Check the user name and password or key, and that the server allows this login method.", ex);
                case SshOperationTimeoutException:
                    return new RemoteConnectionException($"{target}: no SSH answer within {options.ConnectionTimeout.TotalSeconds:0.#} s.", ex);
                case SocketException socket:
                    return new RemoteConnectionException($"{target}: cannot connect ({socket.SocketErrorCode}: {socket.Message}).", ex);
                case SshException:
                    return new RemoteConnectionException($"{target}: SSH connection failed: {ex.Message}", ex);
                default:
                    return ex;
            }
        }

        /// <inheritdoc />
        public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (commandLine is null) throw new ArgumentNullException(nameof(commandLine));
            var (wireCommand, stdin) = Wrap(commandLine, elevate);
            EnsureConnected();
            var watch = Stopwatch.StartNew();
            using var command = _ssh.CreateCommand(wireCommand);
            using var timeoutSource = new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
            if (timeout.HasValue && timeout.Value > TimeSpan.Zero) timeoutSource.CancelAfter(timeout.Value);
            var execution = command.ExecuteAsync(linked.Token);
            try
            {
                using (var input = command.CreateInputStream())
                {
                    if (stdin != null)
                    {
                        var bytes = Encoding.UTF8.GetBytes(stdin + "\n");
                        input.Write(bytes, 0, bytes.Length);
                    }
                }
            }
            catch (InvalidOperationException) when (execution.IsCompleted)
            {
                // A quick command can finish before its input is opened; it read nothing, so nothing is lost.
            }
            try
            {
                execution.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{this}: the command did not finish within {timeout!.Value.TotalSeconds:0.#} s and was stopped: {commandLine}");
            }
            catch (SshConnectionException ex)
            {
                throw new RemoteConnectionException($"{this}: the connection broke while running a command: {ex.Message}", ex);
            }
            catch (SshOperationTimeoutException ex)
            {
                throw new TimeoutException($"{this}: the host did not answer within the connection timeout; the connection may be broken: {commandLine}", ex);
            }
            watch.Stop();
            var exitCode = command.ExitStatus ?? (command.ExitSignal != null ? 128 + SignalNumber(command.ExitSignal) : -1);
            return new CommandResult(ComputerName, commandLine, exitCode, command.Result, command.Error, watch.Elapsed);
        }

        /// <summary>
        /// The line sent to the host. Elevated lines run as <c>sudo -S -p '' -- sh -c LINE</c>; the password travels on
        /// stdin (never the command line) and the command's own stdin is /dev/null, so it cannot read the password.
        /// </summary>
        internal (string Command, string? Stdin) Wrap(string commandLine, bool elevate)
        {
            if (!elevate || IsRoot) return (commandLine, null);
            if (Elevation != ElevationMethod.Sudo)
                throw new InvalidOperationException($"{this}: this step needs root, and the session logs in as '{UserName}' without elevation. Open the session as root, or with sudo elevation.");
            var inner = ShellQuote.Join("sh", "-c", "exec </dev/null\n" + commandLine);
            return _sudoPassword == null
                ? ("sudo -n -- " + inner, null)
                : ("sudo -S -p '' -- " + inner, _sudoPassword);
        }

        private static int SignalNumber(string signal) => signal switch
        {
            "HUP" => 1, "INT" => 2, "QUIT" => 3, "KILL" => 9, "PIPE" => 13, "ALRM" => 14, "TERM" => 15, _ => 0,
        };

        /// <inheritdoc />
        public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default)
        {
            if (content is null) throw new ArgumentNullException(nameof(content));
            var sftp = Sftp();
            try
            {
                // Create (or truncate) empty, set the mode, and only then write: no byte is ever readable under a wider mode.
                using (sftp.Open(remotePath, FileMode.Create, FileAccess.Write)) { }
                // SSH.NET takes the mode as the octal digits written in decimal (0600 -> 600).
                sftp.ChangePermissions(remotePath, short.Parse(Convert.ToString(mode & 0xFFF, 8), System.Globalization.CultureInfo.InvariantCulture));
                sftp.UploadFileAsync(content, remotePath, canOverride: true, new ProgressRelay(bytesWritten), cancellationToken).GetAwaiter().GetResult();
            }
            catch (SftpPathNotFoundException ex) { throw new DirectoryNotFoundException($"{this}: the folder of '{remotePath}' does not exist.", ex); }
            catch (SshOperationTimeoutException ex) { throw new TimeoutException($"{this}: writing '{remotePath}' got no answer within {SftpOperationTimeout.TotalSeconds:0} s; the connection may be broken.", ex); }
            catch (SshConnectionException ex) { throw new RemoteConnectionException($"{this}: the connection broke while writing '{remotePath}': {ex.Message}", ex); }
            catch (SftpPermissionDeniedException ex) { throw new UnauthorizedAccessException($"{this}: '{UserName}' may not write '{remotePath}'.", ex); }
        }

        /// <inheritdoc />
        public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default)
        {
            if (destination is null) throw new ArgumentNullException(nameof(destination));
            var sftp = Sftp();
            try
            {
                sftp.DownloadFileAsync(remotePath, destination, cancellationToken).GetAwaiter().GetResult();
                bytesRead?.Invoke(destination.CanSeek ? destination.Length : 0);
            }
            catch (SftpPathNotFoundException ex) { throw new FileNotFoundException($"{this}: '{remotePath}' does not exist.", remotePath, ex); }
            catch (SshOperationTimeoutException ex) { throw new TimeoutException($"{this}: reading '{remotePath}' got no answer within {SftpOperationTimeout.TotalSeconds:0} s; the connection may be broken.", ex); }
            catch (SshConnectionException ex) { throw new RemoteConnectionException($"{this}: the connection broke while reading '{remotePath}': {ex.Message}", ex); }
            catch (SftpPermissionDeniedException ex) { throw new UnauthorizedAccessException($"{this}: '{UserName}' may not read '{remotePath}'.", ex); }
        }

        private static readonly TimeSpan SftpOperationTimeout = TimeSpan.FromSeconds(60);

        private SftpClient Sftp()
        {
            EnsureConnected();
            lock (_sftpGate)
            {
                if (_sftp != null && _sftp.IsConnected) return _sftp;
                _sftp?.Dispose();
                // Bounds every single SFTP request (open, chmod, stat...): on a cut link they would otherwise wait forever.
                var sftp = new SftpClient(_connection) { OperationTimeout = SftpOperationTimeout };
                // The same host key was verified for this session moments ago; a different one now is refused.
                sftp.HostKeyReceived += (_, e) => e.CanTrust = SshFingerprint.Sha256(e.HostKey) == HostKeyFingerprint;
                try { sftp.Connect(); }
                catch (SshException ex)
                {
                    sftp.Dispose();
                    throw new RemoteConnectionException($"{this}: cannot open SFTP: {ex.Message}", ex);
                }
                return _sftp = sftp;
            }
        }

        private void EnsureConnected()
        {
            if (!_ssh.IsConnected) throw new RemoteConnectionException($"{this}: the session is closed. Open a new one with New-HotDbSession.");
        }

        public void Dispose()
        {
            lock (_sftpGate)
            {
                _sftp?.Dispose();
                _sftp = null;
            }
            _ssh.Dispose();
        }

        private sealed class ProgressRelay : IProgress<UploadFileProgressReport>
        {
            private readonly Action<long>? _report;
            public ProgressRelay(Action<long>? report) => _report = report;
            public void Report(UploadFileProgressReport value) => _report?.Invoke((long)value.TotalBytesUploaded);
        }
    }
}
