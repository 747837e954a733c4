using System.Globalization;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Values as the format views show them (module/*.format.ps1xml call these by type name).</summary>
    public static class DisplayFormat
    {
        private static readonly string[] Units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

        /// <summary>A byte count in binary units with one decimal: 512 B, 1.2 MiB, 3.0 GiB.</summary>
        public static string Size(long bytes)
        {
            if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + " B";
            double value = bytes;
            var unit = 0;
            while (value >= 1024 && unit < Units.Length - 1)
            {
                value /= 1024;
                unit++;
            }
            return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
        }
    }
}
