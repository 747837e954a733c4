using System;
using System.Globalization;

namespace HotDb.Upgrade.Topology
{
    /// <summary>keepalived.conf could not be understood; the message names the file and the line.</summary>
    public sealed class KeepalivedConfigException : FormatException
    {
        public KeepalivedConfigException(string? path, int line, string problem)
            : base(string.Format(CultureInfo.InvariantCulture, "{0}, line {1}: {2}", path ?? "keepalived.conf", line, problem))
        {
            Path = path;
            Line = line;
        }

        public string? Path { get; }
        public int Line { get; }
    }
}
