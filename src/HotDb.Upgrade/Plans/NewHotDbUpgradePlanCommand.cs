using System;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Plans;
using HotDb.Upgrade.Plans.Cluster;
using HotDb.Upgrade.Plans.DisasterRecovery;
using HotDb.Upgrade.Plans.MasterSlave;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Builds an upgrade plan and runs its read-only checks (nothing changes): the plan says whether it would go ahead,
    /// and every failed check is also a non-terminating error.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "HotDbUpgradePlan")]
    [OutputType(typeof(UpgradePlan))]
    public sealed class NewHotDbUpgradePlanCommand : ComputeNodeInstallCmdlet
    {
        /// <summary>
        /// The estate's mode: SingleNode (the manual's 3.2, one session), MasterSlaveOffline (3.3, service stopped) or
        /// MasterSlaveOnline (3.4, without stopping the service); the master/slave modes take the pair's two sessions.
        /// DisasterRecovery (3.7.2) upgrades the DR centre's nodes (one or more sessions) without any ConfigDB SQL.
        /// ClusterOffline (3.5) and ClusterOnline (3.6) upgrade a multi-node cluster: a session to every member, and -Credential.
        /// </summary>
        [Parameter]
        [ValidateSet(SingleNodePlan.Mode, MasterSlavePlan.OfflineMode, MasterSlavePlan.OnlineMode, DisasterRecoveryPlan.Mode, ClusterPlan.OfflineMode, ClusterPlan.OnlineMode)]
        public string Mode { get; set; } = SingleNodePlan.Mode;

        /// <summary>The local compute node package, hotdb-server-&lt;version&gt;-ga-&lt;yyyymmdd&gt;.tar.gz.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Package { get; set; } = "";

        /// <summary>The local folder of ConfigDB upgrade scripts (hotdb_config_&lt;version&gt;.sql); every mode but DisasterRecovery needs it.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ScriptsPath { get; set; }

        /// <summary>DisasterRecovery: the master centre's ConfigDB (host or host:port), the replication source the DR ConfigDB is compared with.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? MasterConfigDb { get; set; }

        /// <summary>DisasterRecovery: seconds the DR ConfigDB may take to show the master centre's upgrade.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int ReplicationTimeout { get; set; } = 300;

        /// <summary>The ConfigDB's servers, host or host:port; default: the url in the node's server.xml.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? ConfigDb { get; set; }

        /// <summary>The ConfigDB login, allowed to dump and alter the node's ConfigDB.</summary>
        [Parameter(Mandatory = true)]
        [Credential]
        public PSCredential ConfigDbCredential { get; set; } = PSCredential.Empty;

        /// <summary>Folder on the node's host for the ConfigDB dump.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string BackupDirectory { get; set; } = SingleNodePlanOptions.DefaultBackupDirectory;

        /// <summary>keepalived.conf on both hosts of a master/slave pair.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string KeepalivedConfigPath { get; set; } = Topology.HaEnvironmentReader.DefaultKeepalivedConfigPath;

        /// <summary>ClusterOffline, ClusterOnline: a manager-port login with the SUPER privilege (HotDB's own user), for show @@cluster.</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>ClusterOnline: seconds the other members may take to elect a new PRIMARY once the primary stops.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int ElectionTimeout { get; set; } = 60;

        /// <summary>ClusterOffline, ClusterOnline: seconds a started member may take to show as PRIMARY or SECONDARY again (and the cluster to settle at the end).</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int RejoinTimeout { get; set; } = 120;

        protected override void ProcessRecord()
        {
            var dr = Mode == DisasterRecoveryPlan.Mode;
            if (dr && MasterConfigDb == null)
                ThrowHotDbError(new ArgumentException("A DisasterRecovery plan compares the DR ConfigDB with the master centre's: -MasterConfigDb is required."), "MasterConfigDbRequired",
                    ErrorCategory.InvalidArgument, Mode, "Give -MasterConfigDb the master centre's ConfigDB host:port (the url in a master-centre node's server.xml).");
            if (!dr && ScriptsPath == null)
                ThrowHotDbError(new ArgumentException($"A {Mode} plan upgrades the ConfigDB: -ScriptsPath is required."), "ScriptsPathRequired",
                    ErrorCategory.InvalidArgument, Mode, "Give -ScriptsPath the folder of the vendor's ConfigDB upgrade scripts.");
            var pair = Mode == MasterSlavePlan.OfflineMode || Mode == MasterSlavePlan.OnlineMode;
            var cluster = Mode == ClusterPlan.OfflineMode || Mode == ClusterPlan.OnlineMode;
            if (cluster && (Credential == null || Credential == PSCredential.Empty))
                ThrowHotDbError(new ArgumentException($"A {Mode} plan reads show @@cluster on the members' manager ports: -Credential is required."), "ManagerCredentialRequired",
                    ErrorCategory.InvalidArgument, Mode, "Give -Credential a HotDB user with the SUPER privilege (the manager port admits no other).");
            if (cluster && Session.Length < 2)
                ThrowHotDbError(new ArgumentException($"A {Mode} plan upgrades every member of the cluster; {Session.Length} session was given."), "SessionCountMismatch",
                    ErrorCategory.InvalidArgument, Session, "Give -Session a session to every member of the cluster (any order).");
            if (!cluster && (dr ? Session.Length == 0 : Session.Length != (pair ? 2 : 1)))
                ThrowHotDbError(new ArgumentException($"A {Mode} plan upgrades {(pair ? "two hosts" : "one host")}; {Session.Length} sessions were given."), "SessionCountMismatch",
                    ErrorCategory.InvalidArgument, Session, pair ? "Give -Session the sessions of both compute nodes of the pair (any order)." : "Give -Session the one compute node's session.");
            RefuseTwoJdks();
            var session = Session[0];
            var options = new SingleNodePlanOptions
            {
                Node = new ComputeNodeUpgradeOptions
                {
                    InstallPath = InstallPath,
                    PackagePath = Local(Package),
                    JdkPackagePath = JdkPackage == null ? null : Local(JdkPackage),
                    JavaBin = JavaBin,
                    JdkRoot = JdkRoot,
                    LicenseFilePath = LicenseFile == null ? null : Local(LicenseFile),
                    StagingPath = StagingPath,
                    Owner = Owner,
                    Force = Force,
                    IncludeLog4j = IncludeLog4j,
                    StartTimeout = TimeSpan.FromSeconds(StartTimeout),
                    StopTimeout = TimeSpan.FromSeconds(StopTimeout),
                },
                ScriptsPath = ScriptsPath == null ? "" : Local(ScriptsPath),
                ConfigDbServers = ConfigDb ?? Array.Empty<string>(),
                ConfigDbCredential = ConfigDbCredential.GetNetworkCredential(),
                BackupDirectory = BackupDirectory,
            };
            TryHost(session, () =>
            {
                UpgradePlan plan;
                try
                {
                plan = cluster
                    ? ClusterPlan.Build(Mode, Session, new ClusterPlanOptions
                    {
                        Node = options, ManagerCredential = Credential!.GetNetworkCredential(),
                        ElectionTimeout = TimeSpan.FromSeconds(ElectionTimeout), RejoinTimeout = TimeSpan.FromSeconds(RejoinTimeout),
                    }, Cancellation.Token)
                    : dr
                    ? DisasterRecoveryPlan.Build(Session, new DisasterRecoveryPlanOptions
                    {
                        Node = options, MasterConfigDbServers = MasterConfigDb!, ReplicationTimeout = TimeSpan.FromSeconds(ReplicationTimeout),
                    }, Cancellation.Token)
                    : pair
                    ? MasterSlavePlan.Build(Mode, Session[0], Session[1], new MasterSlavePlanOptions { Node = options, KeepalivedConfigPath = KeepalivedConfigPath }, Cancellation.Token)
                    : SingleNodePlan.Build(session, options, Cancellation.Token);
                }
                catch (Topology.ManagerPortException ex)
                {
                    WriteHotDbError(ex, "ManagerPortLoginFailed", ErrorCategory.AuthenticationError, Session,
                        "Give -Credential a HotDB user with the SUPER privilege (the manager port admits no other).");
                    return;
                }
                PlanCmdletSupport.RunWithProgress(this, plan, runner => runner.Check(Cancellation.Token));
                foreach (var failed in plan.Checks.Where(c => c.Status == StageStatus.Failed))
                    WriteHotDbError(new InvalidOperationException($"{failed.Host}: the check {failed.Step} failed: {failed.Error} Nothing was changed."),
                        "UpgradeCheckFailed", ErrorCategory.InvalidArgument, plan, failed.RecommendedAction);
                WriteObject(plan);
            });
        }

        private string Local(string path) => GetUnresolvedProviderPathFromPSPath(path);
    }
}
