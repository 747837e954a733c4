using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace HotDb.Upgrade.Plans
{
    /// <summary>One step as the journal records it.</summary>
    public sealed class PlanJournalStep
    {
        internal PlanJournalStep(string phase, string host, string name)
        {
            Phase = phase;
            Host = host;
            Name = name;
        }

        public string Phase { get; }
        public string Host { get; }
        public string Name { get; }
        /// <summary>NotRun, Running (started, not finished), or a final status (Succeeded, Skipped, Failed, RolledBack, RollbackFailed).</summary>
        public string Status { get; internal set; } = "NotRun";
        public string? Error { get; internal set; }
        public string? RecommendedAction { get; internal set; }
        public string? RollbackError { get; internal set; }
        /// <summary>The step's rollback ran to the end.</summary>
        public bool RollbackDone { get; internal set; }
        public string? StartTime { get; internal set; }
        public string? EndTime { get; internal set; }
        internal string Id => Host + "/" + Name;
    }

    /// <summary>
    /// A plan run's journal: the plan's identity and fingerprint, the parameters to rebuild it, each step's status and the
    /// state later steps need. Mode 0600 from its creation, replaced atomically (temp file + rename) on every change, so a
    /// killed process leaves either the previous or the next version, never half of one. Never a secret.
    /// </summary>
    public sealed class PlanJournal
    {
        internal const int FormatVersion = 1;
        internal const string Running = "Running";
        internal const string RollingBack = "RollingBack";

        private PlanJournal(string path) => Path = path;

        public string Path { get; }
        public string Mode { get; private set; } = "";
        public string Fingerprint { get; private set; } = "";
        public string Package { get; private set; } = "";
        public string? FromVersion { get; private set; }
        public string? ToVersion { get; private set; }
        public IReadOnlyList<string> Hosts { get; private set; } = Array.Empty<string>();
        public IReadOnlyDictionary<string, string?> Parameters { get; private set; } = new Dictionary<string, string?>();
        /// <summary>Running, RollingBack, or how the run ended (Succeeded, Refused, RolledBack, RollbackFailed).</summary>
        public string Status { get; internal set; } = Running;
        public IReadOnlyList<PlanJournalStep> Steps => _steps;
        internal Dictionary<string, Dictionary<string, string?>> State { get; } = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        /// <summary>A run that ended (successfully or rolled back) has nothing left to resume.</summary>
        public bool Finished => Status == nameof(PlanRunStatus.Succeeded) || Status == nameof(PlanRunStatus.Refused) || Status == nameof(PlanRunStatus.RolledBack);

        private readonly List<PlanJournalStep> _steps = new List<PlanJournalStep>();
        private readonly object _gate = new object();

        internal PlanJournalStep Step(PlanStep step) => _steps.First(s => s.Id == step.Id);

        internal static PlanJournal Create(string path, UpgradePlan plan)
        {
            var journal = new PlanJournal(path)
            {
                Mode = plan.Mode,
                Fingerprint = plan.Fingerprint,
                Package = plan.Package,
                FromVersion = plan.FromVersion,
                ToVersion = plan.ToVersion,
                Hosts = plan.Hosts,
                Parameters = plan.Parameters,
            };
            foreach (var phase in plan.Phases)
                foreach (var step in phase.Steps)
                    journal._steps.Add(new PlanJournalStep(phase.Name, step.Host, step.Name));
            return journal;
        }

        /// <summary>Writes the journal and the plan's state: a new file with mode 0600, renamed over the old one.</summary>
        internal void Save(IEnumerable<IPlanState> states)
        {
            lock (_gate)
            {
                foreach (var state in states) State[state.Key] = new Dictionary<string, string?>(state.Save(), StringComparer.Ordinal);
                var text = JournalJson.Write(ToJson());
                var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
                Directory.CreateDirectory(directory);
                var temp = System.IO.Path.Combine(directory, "." + System.IO.Path.GetFileName(Path) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp");
                try
                {
                    using (var stream = CreatePrivate(temp))
                    {
                        var bytes = new UTF8Encoding(false).GetBytes(text);
                        stream.Write(bytes, 0, bytes.Length);
                        stream.Flush(flushToDisk: true);
                    }
                    Replace(temp, Path);
                }
                catch
                {
                    try { File.Delete(temp); } catch (IOException) { /* the original error matters */ }
                    throw;
                }
            }
        }

        // The mode is set at creation, so no reader ever sees the state with wider permissions.
        private static FileStream CreatePrivate(string path)
        {
#if NET8_0_OR_GREATER
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            return new FileStream(path, options);
#else
            // Windows PowerShell 5.1: Windows only, where the profile folder's ACL keeps the file private.
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
#endif
        }

        private static void Replace(string temp, string path)
        {
#if NET8_0_OR_GREATER
            File.Move(temp, path, overwrite: true);
#else
            if (File.Exists(path)) File.Replace(temp, path, null);
            else File.Move(temp, path);
#endif
        }

        private Dictionary<string, object?> ToJson() => new Dictionary<string, object?>
        {
            ["format"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["mode"] = Mode,
            ["fingerprint"] = Fingerprint,
            ["package"] = Package,
            ["fromVersion"] = FromVersion,
            ["toVersion"] = ToVersion,
            ["hosts"] = Hosts.Cast<object?>().ToList(),
            ["status"] = Status,
            ["updated"] = DateTimeOffset.Now.ToString("o", CultureInfo.InvariantCulture),
            ["parameters"] = Parameters.ToDictionary(p => p.Key, p => (object?)p.Value),
            ["steps"] = _steps.Select(s => (object?)new Dictionary<string, object?>
            {
                ["phase"] = s.Phase,
                ["host"] = s.Host,
                ["name"] = s.Name,
                ["status"] = s.Status,
                ["startTime"] = s.StartTime,
                ["endTime"] = s.EndTime,
                ["error"] = s.Error,
                ["recommendedAction"] = s.RecommendedAction,
                ["rollbackError"] = s.RollbackError,
                ["rollbackDone"] = s.RollbackDone,
            }).ToList(),
            ["state"] = State.ToDictionary(s => s.Key, s => (object?)s.Value.ToDictionary(v => v.Key, v => (object?)v.Value)),
        };

        /// <summary>Reads a journal written by <see cref="PlanRunner"/>.</summary>
        public static PlanJournal Read(string path)
        {
            string text;
            try { text = File.ReadAllText(path); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new PlanJournalException($"The journal '{path}' cannot be read: {e.Message}", "Give the -JournalPath the interrupted run wrote.", e);
            }
            try
            {
                var root = (Dictionary<string, object?>)JournalJson.Read(text)!;
                if (Str(root, "format") != FormatVersion.ToString(CultureInfo.InvariantCulture))
                    throw new FormatException($"format {Str(root, "format")} is not {FormatVersion}");
                var journal = new PlanJournal(path)
                {
                    Mode = Str(root, "mode") ?? "",
                    Fingerprint = Str(root, "fingerprint") ?? "",
                    Package = Str(root, "package") ?? "",
                    FromVersion = Str(root, "fromVersion"),
                    ToVersion = Str(root, "toVersion"),
                    Hosts = ((List<object?>)root["hosts"]!).Cast<string>().ToList(),
                    Status = Str(root, "status") ?? Running,
                    Parameters = Map(root["parameters"]),
                };
                foreach (var s in ((List<object?>)root["steps"]!).Cast<Dictionary<string, object?>>())
                {
                    journal._steps.Add(new PlanJournalStep(Str(s, "phase")!, Str(s, "host")!, Str(s, "name")!)
                    {
                        Status = Str(s, "status") ?? "NotRun",
                        StartTime = Str(s, "startTime"),
                        EndTime = Str(s, "endTime"),
                        Error = Str(s, "error"),
                        RecommendedAction = Str(s, "recommendedAction"),
                        RollbackError = Str(s, "rollbackError"),
                        RollbackDone = s.TryGetValue("rollbackDone", out var done) && done is true,
                    });
                }
                foreach (var state in (Dictionary<string, object?>)root["state"]!)
                    journal.State[state.Key] = Map(state.Value);
                return journal;
            }
            catch (Exception e) when (e is FormatException || e is InvalidCastException || e is KeyNotFoundException || e is NullReferenceException)
            {
                throw new PlanJournalException($"'{path}' is not a plan journal this module wrote: {e.Message}", "Give the -JournalPath the interrupted run wrote; it is never edited by hand.", e);
            }
        }

        private static string? Str(Dictionary<string, object?> map, string key) => map.TryGetValue(key, out var value) ? (string?)value : null;

        private static Dictionary<string, string?> Map(object? value) =>
            ((Dictionary<string, object?>)value!).ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal);
    }
}
