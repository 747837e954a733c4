using System.Globalization;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// Where a piece of text sits in the file it was read from, so a writer can replace exactly that text and
    /// keep the rest of the layout (indentation, comments, order).
    /// </summary>
    public readonly struct SourceSpan
    {
        public SourceSpan(int line, int column, int offset, int length)
        {
            Line = line;
            Column = column;
            Offset = offset;
            Length = length;
        }

        /// <summary>1-based line.</summary>
        public int Line { get; }
        /// <summary>1-based column (characters).</summary>
        public int Column { get; }
        /// <summary>0-based character offset in the file.</summary>
        public int Offset { get; }
        /// <summary>Characters covered, quotes included for a quoted value.</summary>
        public int Length { get; }

        /// <summary>The span from the start of this one to the end of <paramref name="other"/>.</summary>
        public SourceSpan Through(SourceSpan other) => new SourceSpan(Line, Column, Offset, other.Offset + other.Length - Offset);

        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "line {0}, column {1}", Line, Column);
    }
}
