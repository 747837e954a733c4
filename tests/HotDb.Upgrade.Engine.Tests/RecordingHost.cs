using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Tests
{
    /// <summary>
    /// A fake host for plans and rollbacks without sshd: records every command (and whether it ran as root), answers
    /// from a scripted table (first match wins; anything unscripted succeeds with no output), and keeps written files
    /// in memory with their modes.
    /// </summary>
    internal sealed class RecordingHost : IRemoteHost
    {
        private readonly List<Answer> _answers = new List<Answer>();

        private sealed class Answer
        {
            public Func<string, bool, bool> Matches = (_, _) => false;
            public int ExitCode;
            public string Output = "";
            public string Error = "";
            public Action<string>? Effect;
        }

        public string ComputerName { get; set; } = "recorded";
        public string UserName { get; set; } = "root";
        public List<(string Line, bool Elevated)> Commands { get; } = new List<(string, bool)>();
        public Dictionary<string, byte[]> Files { get; } = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        public Dictionary<string, int> Modes { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

        public IEnumerable<string> Lines => Commands.Select(c => c.Line);

        /// <summary>Answers the exact line.</summary>
        public RecordingHost On(string line, int exitCode = 0, string output = "", string error = "") => When(l => l == line, exitCode, output, error);

        public RecordingHost When(Func<string, bool> matches, int exitCode = 0, string output = "", string error = "") =>
            When((line, _) => matches(line), exitCode, output, error);

        /// <summary>Answers lines that match, given whether they run as root; <paramref name="effect"/> plays what the line would do to <see cref="Files"/>.</summary>
        public RecordingHost When(Func<string, bool, bool> matches, int exitCode = 0, string output = "", string error = "", Action<string>? effect = null)
        {
            _answers.Add(new Answer { Matches = matches, ExitCode = exitCode, Output = output, Error = error, Effect = effect });
            return this;
        }

        public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            if (commandLine.IndexOf('\0') >= 0) throw new ArgumentException("NUL in a command line.", nameof(commandLine));
            Commands.Add((commandLine, elevate));
            var answer = _answers.FirstOrDefault(a => a.Matches(commandLine, elevate));
            if (answer == null) return new CommandResult(ComputerName, commandLine, 0, "", "", TimeSpan.Zero);
            answer.Effect?.Invoke(commandLine);
            return new CommandResult(ComputerName, commandLine, answer.ExitCode, answer.Output, answer.Error, TimeSpan.Zero);
        }

        public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default)
        {
            using var copy = new MemoryStream();
            content.CopyTo(copy);
            Files[remotePath] = copy.ToArray();
            Modes[remotePath] = mode;
            bytesWritten?.Invoke(copy.Length);
        }

        public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default)
        {
            if (!Files.TryGetValue(remotePath, out var bytes)) throw new FileNotFoundException($"{ComputerName}: '{remotePath}' does not exist.", remotePath);
            destination.Write(bytes, 0, bytes.Length);
            bytesRead?.Invoke(bytes.Length);
        }
    }
}
