using System;
using System.Collections.Generic;
using System.Linq;

namespace HotDb.Upgrade.Topology
{
    /// <summary>A vrrp_instance block: one VRRP router (state, priority, VIPs, tracked checks, notify scripts).</summary>
    public sealed class VrrpInstance
    {
        internal VrrpInstance(string name, SourceSpan span) { Name = name; Span = span; }

        public string Name { get; }
        /// <summary>The block, from the keyword to its closing brace (a writer inserts new lines inside it).</summary>
        public SourceSpan Span { get; }
        /// <summary>MASTER or BACKUP: the state keepalived starts in (the vendor's templates start both as BACKUP).</summary>
        public KeepalivedValue<string>? State { get; internal set; }
        public KeepalivedValue<string>? Interface { get; internal set; }
        public KeepalivedValue<int>? VirtualRouterId { get; internal set; }
        public KeepalivedValue<int>? Priority { get; internal set; }
        public KeepalivedValue<decimal>? AdvertInt { get; internal set; }
        /// <summary>Where the nopreempt keyword is written; null when the instance preempts.</summary>
        public SourceSpan? NopreemptSpan { get; internal set; }
        public bool Nopreempt => NopreemptSpan.HasValue;
        public KeepalivedValue<string>? AuthType { get; internal set; }
        /// <summary>auth_pass: masked, compared only with <see cref="KeepalivedSecret.Matches"/>.</summary>
        public KeepalivedSecret? AuthPass { get; internal set; }
        public IReadOnlyList<VirtualIpAddress> VirtualIpAddresses { get; internal set; } = Array.Empty<VirtualIpAddress>();
        /// <summary>Names in the track_script block (vrrp_script names).</summary>
        public IReadOnlyList<KeepalivedValue<string>> TrackScripts { get; internal set; } = Array.Empty<KeepalivedValue<string>>();
        public KeepalivedValue<string>? NotifyMaster { get; internal set; }
        public KeepalivedValue<string>? NotifyBackup { get; internal set; }
        public KeepalivedValue<string>? NotifyFault { get; internal set; }

        /// <summary>Whether the instance carries <paramref name="address"/> as a virtual address.</summary>
        public bool HasVirtualAddress(System.Net.IPAddress address) => VirtualIpAddresses.Any(v => v.Address.Equals(address));

        public override string ToString() => Name;
    }
}
