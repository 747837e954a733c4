using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace HotDb.Upgrade.Plans
{
    /// <summary>Steps that run together: one after the other, or (Parallel) at the same time, at most one per host.</summary>
    public sealed class PlanPhase
    {
        public PlanPhase(string name, IEnumerable<PlanStep> steps, bool parallel = false)
        {
            Name = name;
            Steps = steps.ToList();
            Parallel = parallel;
            if (parallel && Steps.GroupBy(s => s.Host, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1))
                throw new ArgumentException($"Phase '{name}' runs in parallel, so it may hold one step per host only.");
        }

        public string Name { get; }
        public bool Parallel { get; }
        public IReadOnlyList<PlanStep> Steps { get; }
        public IEnumerable<string> Hosts => Steps.Select(s => s.Host).Distinct(StringComparer.OrdinalIgnoreCase);
        public override string ToString() => $"{Name} ({Steps.Count} steps{(Parallel ? ", parallel" : "")})";
    }

    /// <summary>
    /// State a step learns while it runs and later steps (or their rollback) need: written to the journal after every
    /// step, read back on resume instead of from the hosts (after a kill the node is stopped and its directory moved).
    /// Never a secret.
    /// </summary>
    public interface IPlanState
    {
        /// <summary>Unique in the plan, e.g. "node:host1".</summary>
        string Key { get; }
        IDictionary<string, string?> Save();
        void Load(IReadOnlyDictionary<string, string?> values);
    }

    /// <summary>
    /// An upgrade as ordered phases of steps on hosts. Its identity (mode, hosts, package, versions, step names) is
    /// fingerprinted: a journal is only resumed by the plan it was written for.
    /// </summary>
    public sealed class UpgradePlan
    {
        public UpgradePlan(string mode, string package, string? fromVersion, string? toVersion, IEnumerable<PlanPhase> phases,
            IEnumerable<IPlanState>? states = null, IReadOnlyDictionary<string, string?>? parameters = null)
        {
            Mode = mode;
            Package = package;
            FromVersion = fromVersion;
            ToVersion = toVersion;
            Phases = phases.ToList();
            States = (states ?? Enumerable.Empty<IPlanState>()).ToList();
            Parameters = parameters ?? new Dictionary<string, string?>();
            var duplicate = Steps.GroupBy(s => s.Id, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null) throw new ArgumentException($"Step '{duplicate.Key}' is in the plan twice; host and name identify a step in the journal.");
        }

        /// <summary>SingleNode, MasterSlave, ...: which factory built the plan (and rebuilds it on resume).</summary>
        public string Mode { get; }
        /// <summary>The package file name the plan installs.</summary>
        public string Package { get; }
        public string? FromVersion { get; }
        public string? ToVersion { get; }
        public IReadOnlyList<PlanPhase> Phases { get; }
        public IReadOnlyList<IPlanState> States { get; }
        /// <summary>What the factory needs to rebuild this plan in a later process (paths, options; never a secret).</summary>
        public IReadOnlyDictionary<string, string?> Parameters { get; }
        /// <summary>The compute node install the plan upgrades (single node), for display.</summary>
        public string? InstallPath { get; internal set; }
        /// <summary>What the read-only checks found when the plan was made (New-HotDbUpgradePlan); empty before.</summary>
        public IReadOnlyList<PlanStepResult> Checks { get; internal set; } = Array.Empty<PlanStepResult>();
        /// <summary>True when every check passed; null before the checks ran.</summary>
        public bool? ChecksPassed { get; internal set; }
        /// <summary>Called when a run ends: what the plan adds to the result (<see cref="PlanRunResult.Outcome"/>); null for most plans.</summary>
        internal Func<string?>? Outcome { get; set; }
        public IReadOnlyList<string> Hosts => Phases.SelectMany(p => p.Hosts).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        public IEnumerable<PlanStep> Steps => Phases.SelectMany(p => p.Steps);

        /// <summary>SHA-256 of the identity: mode, hosts, package, versions and every phase/host/step in order.</summary>
        public string Fingerprint
        {
            get
            {
                var text = new StringBuilder();
                text.Append(Mode).Append('\n').Append(string.Join(",", Hosts)).Append('\n').Append(Package).Append('\n')
                    .Append(FromVersion).Append("->").Append(ToVersion).Append('\n');
                foreach (var phase in Phases)
                    foreach (var step in phase.Steps)
                        text.Append(phase.Name).Append('/').Append(step.Id).Append('\n');
                using var sha = SHA256.Create();
                return string.Concat(sha.ComputeHash(Encoding.UTF8.GetBytes(text.ToString())).Select(b => b.ToString("x2")));
            }
        }

        public override string ToString() => $"{Mode} {string.Join(",", Hosts)} {FromVersion}->{ToVersion} ({Steps.Count()} steps)";
    }
}
