using System;
using System.Globalization;
using System.Linq;

namespace HotDb.Upgrade.Versioning
{
    /// <summary>
    /// A dotted HotDB version such as 2.5.3 or 2.5.3.1; missing parts compare as zero. Comparable with another
    /// version or with its text (PowerShell's Sort-Object, -lt and -eq then order numerically: 2.5.9 before 10.0.0).
    /// </summary>
    public sealed class HotDbVersion : IComparable<HotDbVersion>, IComparable, IEquatable<HotDbVersion>
    {
        /// <summary>Digits a part may have: keeps every part an int and refuses a date or build number taken for a version.</summary>
        public const int MaxPartDigits = 6;

        private readonly int[] _parts;

        private HotDbVersion(int[] parts) => _parts = parts;

        public int Major => _parts[0];
        public int Minor => Part(1);
        public int Patch => Part(2);
        public int Revision => Part(3);

        public static HotDbVersion Parse(string text)
        {
            if (TryParse(text, out var version, out var problem)) return version!;
            throw new FormatException(problem);
        }

        public static bool TryParse(string? text, out HotDbVersion? version) => TryParse(text, out version, out _);

        /// <summary>Like <see cref="TryParse(string, out HotDbVersion)"/>; <paramref name="problem"/> says what is wrong.</summary>
        public static bool TryParse(string? text, out HotDbVersion? version, out string? problem)
        {
            version = null;
            problem = null;
            const string expected = "expected 1 to 4 numbers separated by dots, such as 2.5.4 or 2.5.3.1";
            if (string.IsNullOrWhiteSpace(text))
            {
                problem = $"The version is empty; {expected}.";
                return false;
            }
            var pieces = text!.Trim().Split('.');
            if (pieces.Length > 4)
            {
                problem = $"'{text}' is not a HotDB version: it has {pieces.Length} parts; {expected}.";
                return false;
            }
            var parts = new int[pieces.Length];
            for (var i = 0; i < pieces.Length; i++)
            {
                if (pieces[i].Length == 0 || !pieces[i].All(c => c >= '0' && c <= '9'))
                {
                    problem = $"'{text}' is not a HotDB version: '{pieces[i]}' is not a number; {expected}.";
                    return false;
                }
                if (pieces[i].Length > MaxPartDigits)
                {
                    problem = $"'{text}' is not a HotDB version: the part {pieces[i]} is too large (at most {MaxPartDigits} digits).";
                    return false;
                }
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

        /// <summary>Compares with a version or a version's text; anything else is refused.</summary>
        public int CompareTo(object? obj) => obj switch
        {
            null => 1,
            HotDbVersion version => CompareTo(version),
            string text => CompareTo(Parse(text)),
            _ => throw new ArgumentException($"A HotDB version cannot be compared with a {obj.GetType().Name}.", nameof(obj)),
        };

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
