using System.Globalization;
using System.Net;

namespace HotDb.Upgrade.Topology
{
    /// <summary>One line of a vrrp_instance's virtual_ipaddress block: 192.168.200.140/24 dev eth1 label eth1:1.</summary>
    public sealed class VirtualIpAddress
    {
        internal VirtualIpAddress(IPAddress address, int? prefixLength, string? device, string? label, SourceSpan span)
        {
            Address = address;
            PrefixLength = prefixLength;
            Device = device;
            Label = label;
            Span = span;
        }

        public IPAddress Address { get; }
        /// <summary>The /prefix written after the address; null when none is written (keepalived then uses /32).</summary>
        public int? PrefixLength { get; }
        public string? Device { get; }
        public string? Label { get; }
        /// <summary>The whole line, address to last option.</summary>
        public SourceSpan Span { get; }

        public override string ToString() =>
            Address + (PrefixLength.HasValue ? "/" + PrefixLength.Value.ToString(CultureInfo.InvariantCulture) : "") +
            (Device != null ? " dev " + Device : "") + (Label != null ? " label " + Label : "");
    }
}
