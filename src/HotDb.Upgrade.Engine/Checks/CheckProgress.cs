using System.Collections.Generic;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Checks
{
    /// <summary>Collects what a read-only stage notes, which becomes the check's Actual.</summary>
    internal sealed class CheckProgress : IStageProgress
    {
        private readonly System.Action<string>? _log;

        public CheckProgress(System.Action<string>? log) => _log = log;

        public List<string> Notes { get; } = new List<string>();

        public void Report(string status, int percent = -1)
        {
        }

        public void Note(string message)
        {
            Notes.Add(message);
            _log?.Invoke(message);
        }

        public string Joined(string whenEmpty) => Notes.Count == 0 ? whenEmpty : string.Join("; ", Notes);
    }
}
