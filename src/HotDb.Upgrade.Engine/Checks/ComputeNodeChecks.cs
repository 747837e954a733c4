using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.Plans.SingleNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Stages;
using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Checks
{
    /// <summary>
    /// Test-HotDbComputeNode: the read-only stages of an upgrade to a package (those Update-HotDbComputeNode -WhatIf
    /// runs), each as a check, every one run even after a failure (unless it depends on the failed one): CN1 installed
    /// node and version path (with the ConfigDB answering from the node), CN2 package, CN3 JDK, CN4 disk, CN5 license,
    /// and, with a ConfigDB, CN6 its login, ledger and upgrade scripts. Nothing is changed on any host.
    /// </summary>
    public static class ComputeNodeChecks
    {
        private static readonly Dictionary<string, (string Id, string Name)> Known = new Dictionary<string, (string, string)>
        {
            ["CheckNode"] = ("CN1", "Installed node and version path"),
            ["CheckPackage"] = ("CN2", "Compute node package"),
            ["CheckJdk"] = ("CN3", "JDK for the new version"),
            ["CheckDiskSpace"] = ("CN4", "Free disk space"),
            ["CheckLicense"] = ("CN5", "License covers the data nodes"),
        };

        /// <summary>Runs the checks for one node; the ConfigDB (CN6) only when <paramref name="configDb"/> is given, with <paramref name="scriptsPath"/>.</summary>
        public static IReadOnlyList<HotDbCheck> Run(IRemoteHost host, ComputeNodeUpgradeOptions options, ConfigDbTarget? configDb = null, string? scriptsPath = null,
            Action<string>? log = null, CancellationToken cancellationToken = default)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            var checks = new List<HotDbCheck>();
            ComputeNodeUpgradeContext context;
            try
            {
                context = ComputeNodeUpgrade.Prepare(host, options, cancellationToken);
            }
            catch (Exception e) when (!(e is OperationCanceledException) && !(e is ArgumentNullException))
            {
                checks.Add(HotDbCheck.Result("CN1", Known["CheckNode"].Name, host.ComputerName, false, $"a HotDB Server install in {options.InstallPath}",
                    "the node cannot be read: " + e.Message, "Check the session and -InstallPath, then run the test again."));
                return checks;
            }

            // The node first: on a host without HotDB every other check says so instead of passing.
            var stages = ComputeNodeUpgrade.Stages(context).Where(s => !s.ChangesState).OrderBy(s => s.Name == "CheckNode" ? 0 : s.Name == "CheckPackage" ? 1 : 2).ToList();
            string? blockedBy = null;
            foreach (var stage in stages)
            {
                var (id, name) = Known.TryGetValue(stage.Name, out var known) ? known : ("CN?", stage.Name);
                checks.Add(Check(context, stage, id, name, blockedBy, log, cancellationToken));
                if (blockedBy == null && checks.Last().Status != HaCheckStatus.Passed && (stage.Name == "CheckNode" || stage.Name == "CheckPackage"))
                    blockedBy = $"{id} ({name})";
            }

            if (configDb != null)
            {
                const string name = "ConfigDB login, ledger and upgrade scripts";
                var expected = $"{configDb} accepts {configDb.UserName}; {scriptsPath} holds the scripts for ({context.FromVersion}, {context.ToVersion}]";
                if (blockedBy != null)
                    checks.Add(HotDbCheck.NotVerified("CN6", name, host.ComputerName, expected, $"not checked: {blockedBy} did not pass", $"Fix {blockedBy} first."));
                else
                {
                    var part = new ConfigDbPart(configDb, host, scriptsPath ?? "", "/nonexistent", context);
                    var step = new CheckConfigDbStep(part);
                    var progress = new CheckProgress(log);
                    try
                    {
                        step.Execute(progress, cancellationToken);
                        checks.Add(HotDbCheck.Result("CN6", name, host.ComputerName, true, expected, progress.Joined("the ConfigDB answers"), null));
                    }
                    catch (Exception e) when (!(e is OperationCanceledException))
                    {
                        checks.Add(HotDbCheck.Result("CN6", name, host.ComputerName, false, expected, e.Message, RemedyOf(e)));
                    }
                }
            }
            return checks;
        }

        private static HotDbCheck Check(ComputeNodeUpgradeContext context, UpgradeStage<ComputeNodeUpgradeContext> stage, string id, string name, string? blockedBy,
            Action<string>? log, CancellationToken cancellationToken)
        {
            var host = context.Host.ComputerName;
            string expected;
            try { expected = stage.Describe(context); }
            catch (Exception) { expected = stage.Name; }
            if (blockedBy != null)
                return HotDbCheck.NotVerified(id, name, host, expected, $"not checked: {blockedBy} did not pass", $"Fix {blockedBy} first.");
            if (stage.Name == "CheckNode" && context.ToVersion == null)
            {
                // The version path needs the package's version: without it only the install is checked.
                var installed = context.Before.Installed && context.Before.Version != null;
                return installed
                    ? HotDbCheck.NotVerified(id, name, host, expected, $"HotDB Server {context.Before.Version} is installed; the package names no version", "Give the vendor's package (CN2).")
                    : HotDbCheck.Result(id, name, host, false, expected, $"no HotDB Server install in {context.InstallPath}",
                        "Give the install directory with -InstallPath (default /usr/local/hotdb/hotdb-server).");
            }
            var progress = new CheckProgress(log);
            try
            {
                stage.Execute(context, progress, cancellationToken);
                return HotDbCheck.Result(id, name, host, true, expected, progress.Joined("as expected"), null);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return HotDbCheck.Result(id, name, host, false, expected, e.Message, RemedyOf(e));
            }
        }

        private static string RemedyOf(Exception e) =>
            e is IHotDbError known ? known.RecommendedAction : "Read the message, fix its cause and run the test again.";
    }
}
