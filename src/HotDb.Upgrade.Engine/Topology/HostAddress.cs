using System;
using System.Globalization;
using System.Linq;
using System.Net;

namespace HotDb.Upgrade.Topology
{
    /// <summary>An address a host holds on one of its interfaces (a line of "ip -o addr").</summary>
    public sealed class HostAddress
    {
        internal HostAddress(string device, IPAddress address, int prefixLength, string? label)
        {
            Device = device;
            Address = address;
            PrefixLength = prefixLength;
            Label = label;
        }

        public string Device { get; }
        public IPAddress Address { get; }
        public int PrefixLength { get; }
        /// <summary>The address label (eth0:1 for a keepalived VIP in the vendor's template); null when none.</summary>
        public string? Label { get; }

        /// <summary>Reads one line of "ip -o addr show"; null for a line that carries no address.</summary>
        internal static HostAddress? ParseIpLine(string line)
        {
            var words = line.Split(new[] { '\\' }, 2)[0].Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 4 || (words[2] != "inet" && words[2] != "inet6")) return null;
            var device = words[1].Split('@')[0];
            var pieces = words[3].Split('/');
            if (!IPAddress.TryParse(pieces[0], out var address)) return null;
            var prefix = pieces.Length > 1 && int.TryParse(pieces[1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            var last = words.Last();
            var label = words[2] == "inet" && last.StartsWith(device + ":", StringComparison.Ordinal) ? last : null;
            return new HostAddress(device, address, prefix, label);
        }

        public override string ToString() => Address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture) + " " + (Label ?? Device);
    }
}
