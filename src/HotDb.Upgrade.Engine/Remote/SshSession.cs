using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
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

    /// <summary>An SSH session to one host, over SSH.NET; exposes no SSH.NET type.</summary>
    public sealed class SshSession : IRemoteHost, IHashingFileWriter, IDisposable
    {
        private static int _lastId;
        private readonly SshClient _ssh;
        private readonly ConnectionInfo _connection;
        private readonly string? _sudoPassword;
        private readonly object _sideGate = new object();
        private SftpClient? _sftp;
        private SshClient? _transfer;
        private volatile bool _closed;

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
            PreferHardwareCiphers(connection);

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
                    throw new HotDbException("KnownHostsNotWritable", "WriteError",
                        $"Could not record the host key of {options.ComputerName} in {options.KnownHostsPath}: {recordFailure.Message}",
                        "Check that the known_hosts file and its folder can be written by this user, or give another -KnownHostsPath.", options.KnownHostsPath, recordFailure);
                if (check != null && (check.Status == HostKeyStatus.Changed || check.Status == HostKeyStatus.Revoked ||
                                      (check.Status == HostKeyStatus.Unknown && !options.AcceptKey && !options.TrustUnknownKey)))
                    throw new HostKeyVerificationException(check);
                throw Translate(ex, options);
            }
            if (check == null)
            {
                ssh.Dispose();
                throw new RemoteConnectionException($"{options.ComputerName} did not present a host key.", null, ConnectAdvice(options));
            }
            return new SshSession(options, connection, ssh, check);
        }

        private static void Validate(SshSessionOptions options)
        {
            if (string.IsNullOrWhiteSpace(options.ComputerName)) throw new ArgumentException("A computer name is required.", nameof(options));
            if (string.IsNullOrWhiteSpace(options.UserName)) throw new ArgumentException("A user name is required.", nameof(options));
            if (options.Port < 1 || options.Port > 65535) throw new ArgumentOutOfRangeException(nameof(options), options.Port, "The port must be between 1 and 65535.");
            if (options.KeyFile != null && options.KeyString != null) throw new ArgumentException("Give a key file or a key string, not both.", nameof(options));
            if (options.KeyFile != null && Directory.Exists(options.KeyFile)) throw KeyFileProblems.Directory(options.KeyFile);
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
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    string text;
                    try { text = options.KeyFile != null ? File.ReadAllText(options.KeyFile) : options.KeyString!; }
                    catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { text = ""; }
                    throw KeyFileProblems.Unreadable(text, options.KeyFile, !string.IsNullOrEmpty(options.Password), ex);
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

        /// <summary>
        /// Puts AES-GCM first where .NET runs it on the processor's AES instructions: it moves packages about twice as
        /// fast as SSH.NET's default AES-CTR with a separate HMAC. Every other cipher the server may ask for stays offered.
        /// </summary>
        internal static void PreferHardwareCiphers(ConnectionInfo connection)
        {
#if NET
            if (!System.Security.Cryptography.AesGcm.IsSupported) return;
            var preferred = new[] { "aes128-gcm@openssh.com", "aes256-gcm@openssh.com" };
            var rest = connection.Encryptions.Where(c => !preferred.Contains(c.Key)).ToList();
            var first = connection.Encryptions.Where(c => preferred.Contains(c.Key)).OrderBy(c => Array.IndexOf(preferred, c.Key)).ToList();
            if (first.Count == 0) return;
            connection.Encryptions.Clear();
            foreach (var cipher in first.Concat(rest)) connection.Encryptions.Add(cipher.Key, cipher.Value);
#endif
        }

        private static Exception Translate(Exception ex, SshSessionOptions options)
        {
            var target = $"{options.UserName}@{options.ComputerName}:{options.Port}";
            switch (ex)
            {
                case SshAuthenticationException:
                    return new RemoteAuthenticationException(
                        $"{target}: login refused ({ex.Message.TrimEnd('.')}). Check the user name and password or key, and that the server allows this login method.", options.ComputerName, ex);
                case SshOperationTimeoutException:
                    return new RemoteConnectionException($"{target}: no SSH answer within {options.ConnectionTimeout.TotalSeconds:0.#} s.", ex, ConnectAdvice(options));
                case SocketException socket:
                    return new RemoteConnectionException($"{target}: cannot connect ({socket.SocketErrorCode}: {socket.Message}).", ex, ConnectAdvice(options));
                case SshException:
                    return new RemoteConnectionException($"{target}: SSH connection failed: {ex.Message}", ex, ConnectAdvice(options));
                default:
                    return ex;
            }
        }

        private static string ConnectAdvice(SshSessionOptions options) =>
            $"Check that sshd listens on {options.ComputerName}:{options.Port} and that nothing blocks it; raise -ConnectionTimeout for slow links.";

        /// <summary>The longest command line SSH.NET sends in one request (its packet limit is 68536 bytes, headers included).</summary>
        internal const int MaxCommandBytes = 65536;

        // Runs the line ($2, with the shell $1) in its own process group, its stdin at end of file (/dev/null). The
        // channel's stdin stays open to a watchdog: when the channel closes (a timeout, Ctrl+C, a lost link) that stdin
        // ends and the watchdog kills the whole group, so nothing the line started keeps running on the host (and the
        // line's first process itself, should the channel close before it has made its group).
        internal const string Guard =
            "exec 3<&0 </dev/null; " +
            "setsid \"${1:-/bin/sh}\" -c \"$2\" hotdb-command 3<&- & pid=$!; " +
            "{ while read -r line; do :; done <&3; kill -s KILL -- -$pid $pid; } >/dev/null 2>&1 & watchdog=$!; " +
            "exec 3<&-; wait $pid; status=$?; kill $watchdog 2>/dev/null; exit $status";

        /// <inheritdoc />
        /// <remarks>
        /// The line cannot read stdin (it gets end of file). On a timeout a <see cref="RemoteTimeoutException"/> is thrown,
        /// on cancellation an <see cref="OperationCanceledException"/>; in both cases every process of the line is killed.
        /// </remarks>
        public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (commandLine is null) throw new ArgumentNullException(nameof(commandLine));
            var (wireCommand, sudoPassword) = Wrap(commandLine, elevate);
            EnsureOpen();
            var watch = Stopwatch.StartNew();
            using var deadline = new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            if (timeout.HasValue && timeout.Value > TimeSpan.Zero) deadline.CancelAfter(timeout.Value);
            try
            {
                if (sudoPassword != null)
                {
                    // sudo asks again after a wrong password, and the guarded line's stdin stays open: it would wait for
                    // ever. The password is checked first on its own channel, whose stdin ends after it.
                    var check = Execute("sudo -S -p '' -v", sudoPassword, endInput: true, stop.Token);
                    if (check.ExitCode != 0)
                        return new CommandResult(ComputerName, commandLine, check.ExitCode, "", check.Error, watch.Elapsed);
                }
                var result = Execute(wireCommand, sudoPassword, endInput: false, stop.Token);
                return new CommandResult(ComputerName, commandLine, result.ExitCode, result.Output, result.Error, watch.Elapsed);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw RemoteTimeoutException.CommandTimedOut($"{this}: the command did not finish within {timeout!.Value.TotalSeconds:0.#} s and was stopped: {commandLine}");
            }
            catch (Exception ex) when (IsTransportFailure(ex))
            {
                throw Translate(ex, "running a command");
            }
        }

        // Cancelling closes the channel (disposing the command) instead of asking sshd for a signal: sshd refuses
        // signals on root logins, and a closed channel is what the guard's watchdog waits for.
        private (int ExitCode, string Output, string Error) Execute(string wireCommand, string? input, bool endInput, CancellationToken cancellationToken)
        {
            using var command = _ssh.CreateCommand(wireCommand);
            var execution = command.ExecuteAsync(CancellationToken.None);
            Stream? stdin = null;
            try
            {
                if (input != null)
                {
                    try
                    {
                        stdin = command.CreateInputStream();
                        var bytes = Encoding.UTF8.GetBytes(input + "\n");
                        stdin.Write(bytes, 0, bytes.Length);
                        if (endInput) stdin.Dispose();
                    }
                    catch (InvalidOperationException) when (execution.IsCompleted)
                    {
                        // A quick command can finish before its input is opened; it read nothing, so nothing is lost.
                    }
                }
                execution.Wait(cancellationToken);
            }
            catch (AggregateException wrapped) when (wrapped.InnerExceptions.Count == 1)
            {
                ExceptionDispatchInfo.Capture(wrapped.InnerException!).Throw();
            }
            finally
            {
                if (!execution.IsCompleted) execution.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                stdin?.Dispose();
            }
            var exitCode = command.ExitStatus ?? (command.ExitSignal != null ? 128 + SignalNumber(command.ExitSignal) : -1);
            return (exitCode, command.Result, command.Error);
        }

        /// <summary>
        /// The line sent to the host: the guard runs it (see <see cref="Guard"/>) with the login shell, or as root with
        /// <c>sudo -S -p '' -- sh -c GUARD</c>. The sudo password travels on stdin (never the command line) and the line's
        /// own stdin is /dev/null, so it cannot read the password. Refuses, before anything is sent, a line with a NUL
        /// character (SSH would drop the connection) or one too long for one SSH request.
        /// </summary>
        internal (string Command, string? SudoPassword) Wrap(string commandLine, bool elevate)
        {
            if (commandLine.IndexOf('\0') >= 0)
                throw new ArgumentException($"{this}: the command contains a NUL character, which no shell line can hold; it was not sent.", nameof(commandLine));
            string wire;
            string? password = null;
            if (!elevate || IsRoot)
                wire = ShellQuote.Join("sh", "-c", Guard, "hotdb-guard") + " \"$SHELL\" " + ShellQuote.Quote(commandLine);
            else if (Elevation != ElevationMethod.Sudo)
                throw new ElevationUnavailableException($"{this}: this step needs root, and the session logs in as '{UserName}' without elevation.");
            else
            {
                var guarded = ShellQuote.Join("sh", "-c", Guard, "hotdb-guard", "/bin/sh", commandLine);
                wire = (_sudoPassword == null ? "sudo -n -- " : "sudo -S -p '' -- ") + guarded;
                password = _sudoPassword;
            }
            var length = Encoding.UTF8.GetByteCount(wire);
            if (length > MaxCommandBytes)
                throw new ArgumentException($"{this}: the command is {length} bytes once wrapped; one SSH request holds at most {MaxCommandBytes}. It was not sent. " +
                                            "Put long input in a file (Send-HotDbFile) and run a short command that reads it.", nameof(commandLine));
            return (wire, password);
        }

        private static int SignalNumber(string signal) => signal switch
        {
            "HUP" => 1, "INT" => 2, "QUIT" => 3, "KILL" => 9, "PIPE" => 13, "ALRM" => 14, "TERM" => 15, _ => 0,
        };

        /// <inheritdoc />
        public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default)
        {
            if (content is null) throw new ArgumentNullException(nameof(content));
            try
            {
                var sftp = Sftp();
                try
                {
                    // Create (or truncate) empty, set the mode, and only then write: no byte is ever readable under a wider mode.
                    using (sftp.Open(remotePath, FileMode.Create, FileAccess.Write)) { }
                    // SSH.NET takes the mode as the octal digits written in decimal (0600 -> 600).
                    sftp.ChangePermissions(remotePath, short.Parse(UnixMode.Octal(mode), System.Globalization.CultureInfo.InvariantCulture));
                    sftp.UploadFileAsync(content, remotePath, canOverride: true, new ProgressRelay(bytesWritten), cancellationToken).GetAwaiter().GetResult();
                }
                catch
                {
                    // SSH.NET leaves the remote file open when a write fails or is cancelled; only closing the SFTP channel
                    // closes it, and frees the space the removed partial file would otherwise hold on a full disk.
                    DropSftp(sftp);
                    throw;
                }
            }
            catch (SftpPathNotFoundException ex) { throw new DirectoryNotFoundException($"{this}: the folder of '{remotePath}' does not exist.", ex); }
            catch (SftpPermissionDeniedException ex) { throw new UnauthorizedAccessException($"{this}: '{UserName}' may not write '{remotePath}'.", ex); }
            catch (Exception ex) when (IsTransportFailure(ex)) { throw Translate(ex, $"writing '{remotePath}'"); }
        }

        /// <summary>Longest wait for the host to take more bytes before an upload is given up as a broken link.</summary>
        private static readonly TimeSpan WriteStallTimeout = TimeSpan.FromSeconds(60);

        /// <inheritdoc />
        /// <remarks>
        /// Over one exec channel of a second connection kept for transfers (no SFTP round trip per block): the bytes are
        /// piped through <c>tee</c> into the file and a SHA-256 digest. A host that takes no byte for 60 s ends the upload
        /// with a timeout. A transfer that stalls or is cancelled abandons that connection: a send stuck on a dead link
        /// cannot be interrupted, and on its own connection it never holds up this session's commands.
        /// </remarks>
        public HashedWrite WriteFileHashed(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default)
        {
            if (content is null) throw new ArgumentNullException(nameof(content));
            if (string.IsNullOrEmpty(remotePath)) throw new ArgumentException("A remote path is required.", nameof(remotePath));
            var line = HashedWriteScript.Line(remotePath, mode);
            var transfer = Side(ref _transfer, c => new SshClient(c), "open a connection for the transfer");
            SshCommand command;
            try { command = transfer.CreateCommand(line); }
            catch (Exception ex) when (IsTransportFailure(ex)) { Abandon(ref _transfer, transfer, null); throw Translate(ex, $"writing '{remotePath}'"); }
            long sent = 0;
            var lastProgress = Stopwatch.StartNew();
            try
            {
                var execution = command.ExecuteAsync(CancellationToken.None);
                // On a thread of its own (not the pool, which parallel uploads would exhaust): a send stuck on a dead
                // link blocks it, and the caller must still be able to give up.
                var copy = Task.Factory.StartNew(() =>
                {
                    using var input = command.CreateInputStream();
                    var buffer = new byte[256 * 1024];
                    int read;
                    while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        input.Write(buffer, 0, read);
                        Interlocked.Add(ref sent, read);
                        lock (lastProgress) lastProgress.Restart();
                        bytesWritten?.Invoke(Interlocked.Read(ref sent));
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                // Waits for the copy, then the script; gives up when the host stops taking bytes, or on Ctrl+C.
                WaitWhileProgressing(copy, lastProgress, () => Interlocked.Read(ref sent), remotePath, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                if (copy.IsFaulted)
                {
                    // A closed channel: the script may have ended first (a missing folder, a full disk), and its answer
                    // says more. Any other failure (the local file unreadable) is the answer itself.
                    var failure = copy.Exception!.InnerException!;
                    if (!IsTransportFailure(failure) || !execution.Wait(TimeSpan.FromSeconds(5))) ExceptionDispatchInfo.Capture(failure).Throw();
                }
                else WaitWhileProgressing(execution, lastProgress, () => Interlocked.Read(ref sent), remotePath, cancellationToken);
                if (execution.IsFaulted) ExceptionDispatchInfo.Capture(execution.Exception!.InnerException!).Throw();
            }
            catch (Exception ex)
            {
                // The channel may be stuck mid-send: the connection is left to end on its own, off this thread.
                Abandon(ref _transfer, transfer, command);
                if (ex is AggregateException wrapped && wrapped.InnerExceptions.Count == 1 && IsTransportFailure(wrapped.InnerException!))
                    throw Translate(wrapped.InnerException!, $"writing '{remotePath}'");
                if (IsTransportFailure(ex)) throw Translate(ex, $"writing '{remotePath}'");
                throw;
            }
            using (command)
                return HashedWriteScript.Parse(ToString(), UserName, remotePath, command.ExitStatus ?? -1, command.Result, command.Error);
        }

        private void WaitWhileProgressing(Task step, Stopwatch lastProgress, Func<long> sent, string remotePath, CancellationToken cancellationToken)
        {
            while (!((IAsyncResult)step).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                TimeSpan idle;
                lock (lastProgress) idle = lastProgress.Elapsed;
                if (idle > WriteStallTimeout)
                    throw RemoteTimeoutException.HostNotAnswering(
                        $"{this}: writing '{remotePath}' got no answer for {WriteStallTimeout.TotalSeconds:0} s after {sent()} bytes; the connection may be broken.");
            }
        }

        /// <inheritdoc />
        public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default)
        {
            if (destination is null) throw new ArgumentNullException(nameof(destination));
            try
            {
                Sftp().DownloadFileAsync(remotePath, destination, cancellationToken).GetAwaiter().GetResult();
                bytesRead?.Invoke(destination.CanSeek ? destination.Length : 0);
            }
            catch (SftpPathNotFoundException ex) { throw new FileNotFoundException($"{this}: '{remotePath}' does not exist.", remotePath, ex); }
            catch (SftpPermissionDeniedException ex) { throw new UnauthorizedAccessException($"{this}: '{UserName}' may not read '{remotePath}'.", ex); }
            catch (Exception ex) when (IsTransportFailure(ex)) { throw Translate(ex, $"reading '{remotePath}'"); }
        }

        private static readonly TimeSpan SftpOperationTimeout = TimeSpan.FromSeconds(60);

        private static bool IsTransportFailure(Exception ex) => ex is SshException || ex is SocketException || ex is ObjectDisposedException;

        /// <summary>The one translation of SSH.NET's failures: no SSH.NET type leaves the session.</summary>
        private Exception Translate(Exception ex, string doing)
        {
            switch (ex)
            {
                case ObjectDisposedException _:
                    return RemoteConnectionException.SessionClosed(ToString(), ex);
                case SshOperationTimeoutException _:
                    return RemoteTimeoutException.HostNotAnswering($"{this}: {doing} got no answer in time ({ex.Message.TrimEnd('.')}); the connection may be broken.", ex);
                case SftpException sftp:
                    // SFTP version 3 reports a full disk, a quota and most other refusals as one "Failure" status.
                    return new RemoteFileException("RemoteFileFailed", "WriteError", $"{this}: {doing} failed: the server answered {sftp.StatusCode} ({sftp.Message}).",
                        "Check the free space (df) and quotas of the remote folder and that the login user may write it, then run the command again.", ex);
                default:
                    return ClosedOr(new RemoteConnectionException($"{this}: the connection broke while {doing}: {ex.Message}", ex), ex);
            }
        }

        private Exception ClosedOr(Exception broken, Exception cause) => _closed ? RemoteConnectionException.SessionClosed(ToString(), cause) : broken;

        private SftpClient Sftp() => Side(ref _sftp, c => new SftpClient(c) { OperationTimeout = SftpOperationTimeout }, "open SFTP");

        private void DropSftp(SftpClient sftp)
        {
            lock (_sideGate)
            {
                if (!ReferenceEquals(_sftp, sftp)) return;
                _sftp = null;
            }
            sftp.Dispose();
        }

        /// <summary>
        /// A second connection of this session (SFTP, or one for transfers), opened on first use and kept: a transfer
        /// on it never waits behind, nor holds up, this session's commands.
        /// </summary>
        private T Side<T>(ref T? client, Func<ConnectionInfo, T> create, string doing) where T : BaseClient
        {
            EnsureOpen();
            lock (_sideGate)
            {
                if (client != null && client.IsConnected) return client;
                client?.Dispose();
                client = null;
                var side = create(_connection);
                // The same host key was verified for this session moments ago; a different one now is refused.
                side.HostKeyReceived += (_, e) => e.CanTrust = SshFingerprint.Sha256(e.HostKey) == HostKeyFingerprint;
                try { side.Connect(); }
                catch (SshException ex)
                {
                    side.Dispose();
                    throw new RemoteConnectionException($"{this}: cannot {doing}: {ex.Message}", ex);
                }
                return client = side;
            }
        }

        /// <summary>Forgets a side connection and disposes it (and a command on it) in the background: its socket may be stuck.</summary>
        private void Abandon<T>(ref T? slot, T client, SshCommand? command) where T : BaseClient
        {
            lock (_sideGate)
            {
                if (ReferenceEquals(slot, client)) slot = null;
            }
            Task.Run(() =>
            {
                try { command?.Dispose(); } catch (Exception) { /* the connection is being abandoned */ }
                try { client.Dispose(); } catch (Exception) { /* the connection is being abandoned */ }
            });
        }

        private void EnsureOpen()
        {
            if (_closed) throw RemoteConnectionException.SessionClosed(ToString());
            if (!_ssh.IsConnected) throw new RemoteConnectionException($"{this}: the connection is lost.");
        }

        public void Dispose()
        {
            _closed = true;
            lock (_sideGate)
            {
                _sftp?.Dispose();
                _sftp = null;
                _transfer?.Dispose();
                _transfer = null;
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
