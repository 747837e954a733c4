using System.Linq;

namespace HotDb.Upgrade.Topology
{
    /// <summary>A vrrp_script block: the health check a vrrp_instance tracks.</summary>
    public sealed class VrrpScript
    {
        private static readonly string[] Shells = { "sh", "bash", "dash", "ksh", "zsh" };

        internal VrrpScript(string name, SourceSpan span) { Name = name; Span = span; }

        public string Name { get; }
        /// <summary>The block, from the keyword to its closing brace.</summary>
        public SourceSpan Span { get; }
        /// <summary>The command line keepalived runs.</summary>
        public KeepalivedValue<string>? Script { get; internal set; }
        /// <summary>Seconds between checks.</summary>
        public KeepalivedValue<decimal>? Interval { get; internal set; }
        /// <summary>Priority change while the check fails (negative) or succeeds (positive).</summary>
        public KeepalivedValue<int>? Weight { get; internal set; }
        public KeepalivedValue<int>? Fall { get; internal set; }
        public KeepalivedValue<int>? Rise { get; internal set; }
        public KeepalivedValue<int>? Timeout { get; internal set; }

        /// <summary>The program the command starts (its first word).</summary>
        public string? Program => Words.FirstOrDefault();

        /// <summary>
        /// The script file the check depends on: the file a shell is given ("/bin/bash check.sh process"), else
        /// the program itself.
        /// </summary>
        public string? ScriptFile => RunsThroughShell ? Words[1] : Program;

        /// <summary>True when the program is a shell given the script file, so the file need only be readable.</summary>
        public bool RunsThroughShell
        {
            get
            {
                var words = Words;
                if (words.Length < 2) return false;
                var program = words[0].Substring(words[0].LastIndexOf('/') + 1);
                return Shells.Contains(program) && !words[1].StartsWith("-", System.StringComparison.Ordinal);
            }
        }

        private string[] Words => Script?.Value.Split(new[] { ' ', '\t' }, System.StringSplitOptions.RemoveEmptyEntries) ?? new string[0];

        public override string ToString() => Name;
    }
}
