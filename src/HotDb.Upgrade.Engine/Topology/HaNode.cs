using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Topology
{
    /// <summary>One host of a master/slave pair as read: its compute node's HA settings, ports, keepalived and addresses.</summary>
    public sealed class HaNode
    {
        internal HaNode(IRemoteHost session, string installPath, string keepalivedConfigPath)
        {
            Session = session;
            ComputerName = session.ComputerName;
            InstallPath = installPath;
            KeepalivedConfigPath = keepalivedConfigPath;
        }

        public IRemoteHost Session { get; }
        public string ComputerName { get; }

        /// <summary>Master or Backup as decided for the pair (<see cref="HaEnvironment.RoleBasis"/>), not as server.xml says.</summary>
        public HaRole Role { get; internal set; }

        public string InstallPath { get; }
        public string ServerXmlPath => InstallPath + "/conf/server.xml";
        /// <summary>True when the install directory holds conf/server.xml.</summary>
        public bool Installed { get; internal set; }
        public HotDbVersion? Version { get; internal set; }

        public int? HaMode { get; internal set; }
        /// <summary>haState as written; null when server.xml does not set it (the vendor default is master).</summary>
        public string? HaState { get; internal set; }
        /// <summary>The role server.xml gives the node: haState master (or unset) or backup.</summary>
        public HaRole ConfiguredRole => !Installed ? HaRole.None
            : HaState == null || string.Equals(HaState, "master", StringComparison.OrdinalIgnoreCase) ? HaRole.Master
            : string.Equals(HaState, "backup", StringComparison.OrdinalIgnoreCase) ? HaRole.Backup : HaRole.None;
        public string? HaNodeHost { get; internal set; }
        /// <summary>server.xml's VIP (the compute node's own VIP watch), when set.</summary>
        public string? ServerXmlVip { get; internal set; }
        public int ServerPort { get; internal set; } = 3323;
        public int ManagerPort { get; internal set; } = 3325;

        /// <summary>True when a HotdbStartup process of this install runs.</summary>
        public bool Running { get; internal set; }
        public IReadOnlyList<int> ListeningPorts { get; internal set; } = Array.Empty<int>();
        public bool ServerPortOpen => ListeningPorts.Contains(ServerPort);
        public bool ManagerPortOpen => ListeningPorts.Contains(ManagerPort);

        public string KeepalivedConfigPath { get; }
        /// <summary>The parsed keepalived.conf; null when it is missing, unreadable or malformed (<see cref="KeepalivedConfigProblem"/>).</summary>
        public KeepalivedConfig? KeepalivedConfig { get; internal set; }
        public string? KeepalivedConfigProblem { get; internal set; }
        public bool KeepalivedRunning => KeepalivedProcessIds.Count > 0;
        public IReadOnlyList<int> KeepalivedProcessIds { get; internal set; } = Array.Empty<int>();

        public IReadOnlyList<HostAddress> Addresses { get; internal set; } = Array.Empty<HostAddress>();

        /// <summary>Track-script files and whether they are usable (executable, or readable when a shell runs them).</summary>
        public IReadOnlyDictionary<string, bool> ScriptFilesUsable { get; internal set; } = new Dictionary<string, bool>();

        /// <summary>server.xml and keepalived.conf as read (they hold secrets): a writer edits them and checks nothing changed since.</summary>
        internal byte[]? ServerXmlBytes { get; set; }
        internal byte[]? KeepalivedConfigBytes { get; set; }

        public bool Holds(IPAddress address) => Addresses.Any(a => a.Address.Equals(address));

        /// <summary>
        /// The vrrp_instance of this pair: the one carrying server.xml's VIP, else the only one. Null when there is
        /// none or several without a way to choose.
        /// </summary>
        public VrrpInstance? HotDbInstance
        {
            get
            {
                var instances = KeepalivedConfig?.Instances ?? Array.Empty<VrrpInstance>();
                if (ServerXmlVip != null && IPAddress.TryParse(ServerXmlVip.Split('/')[0], out var vip))
                {
                    var carrying = instances.FirstOrDefault(i => i.HasVirtualAddress(vip));
                    if (carrying != null) return carrying;
                }
                return instances.Count == 1 ? instances[0] : null;
            }
        }

        /// <summary>The first virtual address of <see cref="HotDbInstance"/>.</summary>
        public VirtualIpAddress? Vip => HotDbInstance?.VirtualIpAddresses.FirstOrDefault();

        public override string ToString() => ComputerName;
    }
}
