using System;
using System.IO;

namespace HotDb.Upgrade.Remote
{
    /// <summary>The host presented a key that is not trusted: unknown, changed or revoked.</summary>
    public sealed class HostKeyVerificationException : HotDbException
    {
        public HostKeyVerificationException(HostKeyCheck check)
            : base("HostKey" + check.Status, "SecurityError", Describe(check), Advice(check), check.HostToken) => Check = check;

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

        private static string Advice(HostKeyCheck check)
        {
            var file = check.KnownHostsPath ?? "known_hosts";
            var keyFile = $"/etc/ssh/ssh_host_{KeyFileStem(check.KeyType)}_key.pub";
            switch (check.Status)
            {
                case HostKeyStatus.Changed:
                    return $"Do not connect until the host's administrator confirms {check.Fingerprint} (on the host: ssh-keygen -lf {keyFile}). " +
                           $"Only if the host was rebuilt, remove the old entry with: ssh-keygen -R '{check.HostToken}' -f '{file}', then connect with -AcceptKey.";
                case HostKeyStatus.Revoked:
                    return $"Never trust this key. Ask the host's administrator to replace it, then update {file}.";
                default:
                    return $"Confirm {check.Fingerprint} with the host's administrator (on the host: ssh-keygen -lf {keyFile}), then connect with -AcceptKey to record it.";
            }
        }

        private static string KeyFileStem(string keyType) =>
            keyType == "ssh-ed25519" ? "ed25519" : keyType.StartsWith("ecdsa", StringComparison.Ordinal) ? "ecdsa" : keyType == "ssh-rsa" ? "rsa" : "*";
    }

    /// <summary>Login to the host failed (wrong password or key, or the user may not log in).</summary>
    public sealed class RemoteAuthenticationException : HotDbException
    {
        public RemoteAuthenticationException(string message, string target, Exception inner)
            : base("LoginRefused", "AuthenticationError", message,
                "Check the credential's user name and password (or the key and its passphrase), and that sshd allows this login method for the user.", target, inner) { }
    }

    /// <summary>The host could not be reached, the SSH connection broke, or the session was closed.</summary>
    public sealed class RemoteConnectionException : HotDbException
    {
        private const string Reconnect = "Open a new session with New-HotDbSession.";

        public RemoteConnectionException(string message, Exception? inner = null, string recommendedAction = Reconnect)
            : base("ConnectionFailed", "ConnectionError", message, recommendedAction, null, inner) { }

        private RemoteConnectionException(string errorId, string category, string message, Exception? inner)
            : base(errorId, category, message, Reconnect, null, inner) { }

        /// <summary>The session was removed (Remove-HotDbSession) or disposed: nothing can run on it any more.</summary>
        public static RemoteConnectionException SessionClosed(string session, Exception? inner = null) =>
            new RemoteConnectionException("SessionClosed", "ResourceUnavailable", $"{session}: the session is closed.", inner);
    }

    /// <summary>A step needs root and the session has no way to get it.</summary>
    /// <remarks>An InvalidOperationException, as before, so callers that fall back to an unelevated attempt keep working.</remarks>
    public sealed class ElevationUnavailableException : InvalidOperationException, IHotDbError
    {
        public ElevationUnavailableException(string message) : base(message) { }

        public string ErrorId => "ElevationUnavailable";
        public string Category => "PermissionDenied";
        public object? Target => null;
        public string RecommendedAction => "Open the session as root, or with -Elevation Sudo (and -SudoCredential when sudo asks for a password).";
    }

    /// <summary>A command ran past its time limit (and was stopped), or the host stopped answering.</summary>
    public sealed class RemoteTimeoutException : TimeoutException, IHotDbError
    {
        private RemoteTimeoutException(string errorId, string message, string recommendedAction, Exception? inner) : base(message, inner)
        {
            ErrorId = errorId;
            RecommendedAction = recommendedAction;
        }

        /// <summary>The command's own time limit passed; its processes were stopped.</summary>
        public static RemoteTimeoutException CommandTimedOut(string message) =>
            new RemoteTimeoutException("CommandTimedOut", message, "Raise the time limit (-Timeout), or check why the command hangs on the host.", null);

        /// <summary>The host did not answer an SSH or SFTP request: the link may be broken.</summary>
        public static RemoteTimeoutException HostNotAnswering(string message, Exception? inner = null) =>
            new RemoteTimeoutException("HostNotAnswering", message, "Check the network to the host, then open a new session with New-HotDbSession and run the command again.", inner);

        public string ErrorId { get; }
        public string Category => "OperationTimeout";
        public object? Target => null;
        public string RecommendedAction { get; }
    }

    /// <summary>A remote file could not be written, read or verified.</summary>
    /// <remarks>An IOException, so callers that handle I/O failures of a transfer keep handling it.</remarks>
    public sealed class RemoteFileException : IOException, IHotDbError
    {
        public RemoteFileException(string errorId, string category, string message, string recommendedAction, Exception? inner = null) : base(message, inner)
        {
            ErrorId = errorId;
            Category = category;
            RecommendedAction = recommendedAction;
        }

        public string ErrorId { get; }
        public string Category { get; }
        public object? Target => null;
        public string RecommendedAction { get; }
    }
}
