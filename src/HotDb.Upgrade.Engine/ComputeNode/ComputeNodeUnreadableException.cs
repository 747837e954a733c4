using System;

namespace HotDb.Upgrade.ComputeNode
{
    /// <summary>A compute node file (such as conf/server.xml) that cannot be parsed.</summary>
    public sealed class ComputeNodeUnreadableException : Exception, IHotDbError
    {
        public ComputeNodeUnreadableException(string message, Exception? inner = null) : base(message, inner) { }

        public string ErrorId => "ComputeNodeUnreadable";
        public string Category => "ReadError";
        public object? Target => null;
        public string RecommendedAction => "Repair the file named in the message (compare it with the package's copy), then run the command again.";
    }
}
