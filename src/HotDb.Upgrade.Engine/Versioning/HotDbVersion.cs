using System;
using System.Globalization;
using System.Linq;

namespace HotDb.Upgrade.Versioning
{
    /// <summary>A dotted HotDB version such as 2.5.3 or 2.5.3.1; missing parts compare as zero.</summary>
    public sealed class HotDbVersion : IComparable<HotDbVersion>, IEquatable<HotDbVersion>
    {
        private readonly int[] _parts;

        private HotDbVersion(int[] parts) => _parts = parts;

        public int Major => _parts[0];
        public int Minor => Part(1);
        public int Patch => Part(2);
        public int Revision => Part(3);

        public static HotDbVersion Parse(string text)
        {
            if (TryParse(text, out var version)) return version!;
            throw new FormatException($"'{text}' is not a HotDB version; expected digits separated by dots, such as 2.5.4 or 2.5.3.1.");
        }

        public static bool TryParse(string? text, out HotDbVersion? version)
        {
            version = null;
            if (string.IsNullOrWhiteSpace(text)) return false;
            var pieces = text!.Trim().Split('.');
            if (pieces.Length > 4) return false;
            var parts = new int[pieces.Length];
            for (var i = 0; i < pieces.Length; i++)
            {
                if (pieces[i].Length == 0 || pieces[i].Length > 6 || !pieces[i].All(c => c >= '0' && c <= '9')) return false;
                parts[i] = int.Parse(pieces[i], CultureInfo.InvariantCulture);
            }
            version = new HotDbVersion(parts);
            return true;
        }

        private int Part(int index) => index < _parts.Length ? _parts[index] : 0;

        public int CompareTo(HotDbVersion? other)
        {
            if (other is null) return 1;
            for (var i = 0; i < 4; i++)
            {
                var c = Part(i).CompareTo(other.Part(i));
                if (c != 0) return c;
            }
            return 0;
        }

        public bool Equals(HotDbVersion? other) => CompareTo(other) == 0;
        public override bool Equals(object? obj) => obj is HotDbVersion v && Equals(v);
        public override int GetHashCode() => ((Major * 397 ^ Minor) * 397 ^ Patch) * 397 ^ Revision;
        public override string ToString() => string.Join(".", _parts.Select(p => p.ToString(CultureInfo.InvariantCulture)));

        public static bool operator <(HotDbVersion a, HotDbVersion b) => a.CompareTo(b) < 0;
        public static bool operator >(HotDbVersion a, HotDbVersion b) => a.CompareTo(b) > 0;
        public static bool operator <=(HotDbVersion a, HotDbVersion b) => a.CompareTo(b) <= 0;
        public static bool operator >=(HotDbVersion a, HotDbVersion b) => a.CompareTo(b) >= 0;
        public static bool operator ==(HotDbVersion? a, HotDbVersion? b) => a is null ? b is null : a.Equals(b);
        public static bool operator !=(HotDbVersion? a, HotDbVersion? b) => !(a == b);
    }
}
