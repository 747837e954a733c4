using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace HotDb.Upgrade.Remote
{
    /// <summary>
    /// This machine as an <see cref="IRemoteHost"/>: lines run through /bin/sh -c, files are local. Lets every feature
    /// that works on a host (a ConfigDB backup with the admin machine's own mysqldump) run here unchanged.
    /// </summary>
    public sealed class LocalHost : IRemoteHost, IHashingFileWriter
    {
        public string ComputerName => "localhost";

        public string UserName => Environment.UserName;

        /// <inheritdoc />
        /// <remarks>As <see cref="SshSession.Run"/>: stdin at end of file, a <see cref="RemoteTimeoutException"/> on timeout.</remarks>
        public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (commandLine is null) throw new ArgumentNullException(nameof(commandLine));
            if (commandLine.IndexOf('\0') >= 0)
                throw new ArgumentException("The command contains a NUL character, which no shell line can hold; it was not run.", nameof(commandLine));
            var line = elevate && UserName != "root" ? "sudo -n /bin/sh -c " + ShellQuote.Quote(commandLine) : commandLine;
            var clock = Stopwatch.StartNew();
            using (var process = StartShell(line))
            {
                process.StandardInput.Close();
                var output = process.StandardOutput.ReadToEndAsync();
                var error = process.StandardError.ReadToEndAsync();
                var limit = timeout ?? TimeSpan.FromHours(1);
                using (cancellationToken.Register(() => Kill(process)))
                {
                    if (!process.WaitForExit((int)Math.Min(int.MaxValue, limit.TotalMilliseconds)))
                    {
                        Kill(process);
                        process.WaitForExit();
                        throw RemoteTimeoutException.CommandTimedOut($"{ComputerName}: the command did not finish within {limit.TotalSeconds:0.#} s and was stopped: {commandLine}");
                    }
                    process.WaitForExit();
                }
                cancellationToken.ThrowIfCancellationRequested();
                return new CommandResult(ComputerName, commandLine, process.ExitCode, output.Result, error.Result, clock.Elapsed);
            }
        }

        public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default)
        {
            using (var file = CreateWithMode(remotePath, mode))
                Copy(content, file, bytesWritten, cancellationToken);
        }

        /// <inheritdoc />
        /// <remarks>Through the same shell line as over SSH (<see cref="HashedWriteScript"/>), fed on stdin.</remarks>
        public HashedWrite WriteFileHashed(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default)
        {
            if (content is null) throw new ArgumentNullException(nameof(content));
            using (var process = StartShell(HashedWriteScript.Line(remotePath, mode)))
            {
                var output = process.StandardOutput.ReadToEndAsync();
                var error = process.StandardError.ReadToEndAsync();
                using (cancellationToken.Register(() => Kill(process)))
                {
                    try
                    {
                        using (var input = process.StandardInput.BaseStream)
                            Copy(content, input, bytesWritten, cancellationToken);
                    }
                    catch (IOException) when (process.WaitForExit(5000))
                    {
                        // The script ended before taking every byte (a missing folder): its answer follows.
                    }
                    process.WaitForExit();
                }
                cancellationToken.ThrowIfCancellationRequested();
                return HashedWriteScript.Parse(ComputerName, UserName, remotePath, process.ExitCode, output.Result, error.Result);
            }
        }

        public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default)
        {
            using (var file = File.OpenRead(remotePath))
                Copy(file, destination, bytesRead, cancellationToken);
        }

        /// <summary>Creates (or truncates) a file that has <paramref name="mode"/> before any byte is written.</summary>
        public static FileStream CreateWithMode(string path, int mode)
        {
#if NET
            if (!OperatingSystem.IsWindows())
            {
                if (File.Exists(path)) File.Delete(path);
                var options = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = (UnixFileMode)mode,
                };
                var stream = new FileStream(path, options);
                File.SetUnixFileMode(path, (UnixFileMode)mode); // the umask may have removed bits the caller asked for
                return stream;
            }
#endif
            return new FileStream(path, FileMode.Create, FileAccess.Write);
        }

        private static void Copy(Stream from, Stream to, Action<long>? progress, CancellationToken cancellationToken)
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = from.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                to.Write(buffer, 0, read);
                total += read;
                progress?.Invoke(total);
            }
        }

        // /bin/sh -c line, every stream redirected (the caller closes or feeds stdin).
        private static Process StartShell(string line)
        {
            var start = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
#if NET
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(line);
#else
            start.Arguments = "-c \"" + line.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
#endif
            return Process.Start(start) ?? throw new InvalidOperationException("/bin/sh could not be started.");
        }

        private static void Kill(Process process)
        {
            try
            {
#if NET
                // The whole tree: a child left running would hold the output pipes open.
                if (!process.HasExited) process.Kill(entireProcessTree: true);
#else
                if (!process.HasExited) process.Kill();
#endif
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }
}
