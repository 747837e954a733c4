using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// A compute node master/slave pair as read from its two hosts. Which host is the master is decided from what
    /// was read, never from the order the hosts were given (<see cref="RoleBasis"/> says how).
    /// </summary>
    public sealed class HaEnvironment
    {
        private HaEnvironment(HaNode master, HaNode backup, string roleBasis)
        {
            Master = master;
            Backup = backup;
            RoleBasis = roleBasis;
            master.Role = HaRole.Master;
            backup.Role = HaRole.Backup;
        }

        public HaNode Master { get; }
        public HaNode Backup { get; }
        public IReadOnlyList<HaNode> Nodes => new[] { Master, Backup };

        /// <summary>What decided the roles: the serving node, the VIP, server.xml's haState, or nothing (the order given).</summary>
        public string RoleBasis { get; }

        /// <summary>The virtual address of the pair, from the master's keepalived.conf (else the backup's, else server.xml).</summary>
        public IPAddress? Vip
        {
            get
            {
                var configured = Master.Vip ?? Backup.Vip;
                if (configured != null) return configured.Address;
                var fromServerXml = Master.ServerXmlVip ?? Backup.ServerXmlVip;
                return fromServerXml != null && IPAddress.TryParse(fromServerXml.Split('/')[0], out var vip) ? vip : null;
            }
        }

        /// <summary>The hosts that hold the VIP now (normally one).</summary>
        public IReadOnlyList<HaNode> VipHolders => Vip == null ? Array.Empty<HaNode>() : Nodes.Where(n => n.Holds(Vip)).ToList();

        /// <summary>
        /// Decides the master: the only node serving on its service port; else the only node holding the VIP (the
        /// manual's "current master"); else the only node server.xml calls master; else the first given.
        /// </summary>
        public static HaEnvironment Decide(HaNode first, HaNode second)
        {
            if (first is null) throw new ArgumentNullException(nameof(first));
            if (second is null) throw new ArgumentNullException(nameof(second));
            var pair = new[] { first, second };
            HaNode? Only(Func<HaNode, bool> test) => pair.Count(test) == 1 ? pair.Single(test) : null;

            var serving = Only(n => n.Installed && n.Running && n.ServerPortOpen);
            if (serving != null) return new HaEnvironment(serving, Other(serving), "service port open");
            var vip = first.Vip?.Address ?? second.Vip?.Address;
            var holder = vip == null ? null : Only(n => n.Holds(vip));
            if (holder != null) return new HaEnvironment(holder, Other(holder), "holds the VIP");
            var configured = Only(n => n.ConfiguredRole == HaRole.Master);
            if (configured != null) return new HaEnvironment(configured, Other(configured), "haState master");
            return new HaEnvironment(first, second, "undecided (order given)");

            HaNode Other(HaNode node) => ReferenceEquals(node, first) ? second : first;
        }

        public override string ToString() => $"master {Master.ComputerName}, backup {Backup.ComputerName}";
    }
}
