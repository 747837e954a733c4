using System;
using System.IO;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>The paths given to a carry-over do not fit together (a directory and a file, files of different kinds).</summary>
    /// <remarks>An ArgumentException, as before, so callers that treat a bad request as bad input keep doing so.</remarks>
    public sealed class ConfigPathException : ArgumentException, IHotDbError
    {
        public ConfigPathException(string message, string? target) : base(message, "request") => Target = target;

        public string ErrorId => "ConfigPathMismatch";
        public string Category => "InvalidArgument";
        public object? Target { get; }
        public string RecommendedAction => "Give two install directories, or two files of the same kind (add -File when the names do not tell).";
    }

    /// <summary>A path given to a carry-over does not exist on the host.</summary>
    public sealed class ConfigPathNotFoundException : FileNotFoundException, IHotDbError
    {
        public ConfigPathNotFoundException(string message, string path) : base(message, path) { }

        public string ErrorId => "ConfigPathNotFound";
        public string Category => "ObjectNotFound";
        public object? Target => FileName;
        public string RecommendedAction => "Check -Path and -Destination: each must be an install directory or one of its configuration files.";
    }

    /// <summary>A merged file could not be backed up, written or verified.</summary>
    /// <remarks>An IOException carrying the cause's message, so callers that handle I/O failures keep handling it.</remarks>
    public sealed class ConfigWriteException : IOException, IHotDbError
    {
        public ConfigWriteException(string file, Exception inner) : base(inner.Message, inner) => Target = file;

        public string ErrorId => "ConfigWriteFailed";
        public string Category => "WriteError";
        public object? Target { get; }
        public string RecommendedAction => "Nothing was changed unless the message names a backup; check permissions on the install directory and run the merge again.";
    }
}
