namespace HotDb.Upgrade.Topology
{
    /// <summary>A keepalived.conf value and where it is written.</summary>
    public sealed class KeepalivedValue<T>
    {
        internal KeepalivedValue(T value, SourceSpan span)
        {
            Value = value;
            Span = span;
        }

        public T Value { get; }

        /// <summary>The value's text in the file (a quoted value's span includes its quotes).</summary>
        public SourceSpan Span { get; }

        public override string ToString() => Value?.ToString() ?? "";
    }
}
