using System;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// A secret of keepalived.conf (auth_pass). Its text never leaves the engine: it prints masked and is only
    /// compared, equal or not, with another secret.
    /// </summary>
    public sealed class KeepalivedSecret
    {
        private readonly string _value;

        internal KeepalivedSecret(string value, SourceSpan span)
        {
            _value = value;
            Span = span;
        }

        /// <summary>Where the secret is written, for a writer that replaces it.</summary>
        public SourceSpan Span { get; }

        public bool IsEmpty => _value.Length == 0;

        /// <summary>Whether two secrets are the same text (constant time, so timing tells nothing about it).</summary>
        public bool Matches(KeepalivedSecret? other)
        {
            if (other is null) return false;
            var diff = _value.Length ^ other._value.Length;
            for (var i = 0; i < Math.Max(_value.Length, other._value.Length); i++)
                diff |= (i < _value.Length ? _value[i] : 0) ^ (i < other._value.Length ? other._value[i] : 0);
            return diff == 0;
        }

        public override string ToString() => "********";
    }
}
