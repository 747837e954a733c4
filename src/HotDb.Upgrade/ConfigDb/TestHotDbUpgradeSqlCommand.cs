using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.ConfigDb;
using HotDb.Upgrade.ConfigDb.Sql;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Says whether upgrade SQL may run without stopping service, with every finding located.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "HotDbUpgradeSql")]
    [OutputType(typeof(UpgradeSqlReport), typeof(string))]
    public sealed class TestHotDbUpgradeSqlCommand : ConfigDbCmdlet
    {
        private readonly List<string> _files = new List<string>();

        /// <summary>Script files or folders of scripts (their *.sql files).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>Write the report as one JSON string (for CI systems) instead of an object.</summary>
        [Parameter]
        public SwitchParameter AsJson { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var item in Path)
            {
                var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(item);
                if (System.IO.Directory.Exists(full))
                {
                    var files = ScriptFiles.InFolder(full, out var refused);
                    foreach (var link in refused) WriteHotDbError(link, link.File);
                    if (files.Count == 0 && refused.Count == 0) WriteWarning($"The folder '{item}' holds no .sql file; nothing was checked there.");
                    foreach (var file in files) AddRegularFile(file);
                }
                else if (File.Exists(full)) AddRegularFile(full);
                else
                    WriteHotDbError(new FileNotFoundException($"'{item}' is neither a file nor a folder.", full), "UpgradeSqlNotFound",
                        ErrorCategory.ObjectNotFound, item, "Give the path of a script or of a folder of scripts.");
            }
        }

        protected override void EndProcessing()
        {
            // Each file is checked whole first (size, encoding), a chunk at a time, so that a refused file is left out of
            // the report entirely; then the analysis streams it statement by statement. No script is held in memory.
            var readable = new List<string>();
            foreach (var file in _files.Distinct(StringComparer.Ordinal))
            {
                try
                {
                    ScriptFiles.Check(file, file, ScriptFiles.MaxAnalysisBytes);
                    readable.Add(file);
                }
                catch (ScriptFileException e)
                {
                    WriteHotDbError(e, file);
                }
            }
            if (readable.Count == 0) return;
            // Each upgrade chain (compute node, management platform) is read in version order, so that a column the
            // chain added earlier is known when a later script widens it; other files follow by name.
            var chains = readable
                .Select(f => (File: f, Named: UpgradeScriptCatalog.TryParseName(f, out var kind, out var version, out _), Kind: kind, Version: version))
                .GroupBy(f => f.Named ? f.Kind.ToString() : "other")
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.OrderBy(f => f.Version).ThenBy(f => f.File, StringComparer.Ordinal).Select(f => f.File).ToList())
                .ToList();
            var progress = new ProgressRecord(1, "Test-HotDbUpgradeSql", "Reading statements");
            var statements = 0;
            var sinceCollected = 0L;
            var reports = new List<UpgradeSqlReport>();
            try
            {
                foreach (var chain in chains)
                    reports.Add(UpgradeSqlAnalyzer.Analyze(chain.Select(f => SqlScriptSource.FromFile(f, f)), null, statement =>
                    {
                        ++statements;
                        // Each statement leaves only garbage (its tokens and text, a few times its length). Collected
                        // after every half million characters of statements, it never piles up to the GC's
                        // first-generation budget (tens of MB, set by the CPU's cache size), which would otherwise be
                        // most of what the check adds to the process's memory.
                        sinceCollected += statement.Text.Length;
                        if (sinceCollected >= 512 * 1024)
                        {
                            sinceCollected = 0;
                            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                        }
                        if (statements % 10000 != 0) return;
                        progress.StatusDescription = $"{statements} statements read; {System.IO.Path.GetFileName(statement.File)} line {statement.Line}";
                        WriteProgress(progress);
                    }));
            }
            catch (ScriptFileException e)
            {
                // Changed after its check (now unreadable or too big): nothing is reported rather than half a file.
                WriteHotDbError(e, e.File);
                return;
            }
            finally
            {
                if (statements >= 10000)
                {
                    progress.RecordType = ProgressRecordType.Completed;
                    WriteProgress(progress);
                }
            }
            var report = new UpgradeSqlReport(reports.SelectMany(r => r.Files).ToList(), reports.Sum(r => r.StatementCount),
                reports.SelectMany(r => r.Findings).ToList());
            foreach (var finding in report.Findings) WriteVerbose(finding.ToString());
            if (AsJson) WriteObject(report.ToJson());
            else WriteObject(report);
        }

        /// <summary>Refuses a device, pipe or socket before it is opened: /dev/zero never ends, a pipe blocks.</summary>
        private void AddRegularFile(string path)
        {
            var kind = FileKind(path);
            if (kind is null || kind == "File") _files.Add(path);
            else
                WriteHotDbError(new IOException($"'{path}' is a {kind}, not a regular file."), "UpgradeSqlNotAFile", ErrorCategory.InvalidArgument, path,
                    "Give a script file or a folder of scripts.");
        }

        // PowerShell 7 reports the Unix file type (UnixStat.ItemType) of what a link leads to; Windows PowerShell has none, nor devices to fear.
        private string? FileKind(string path)
        {
            var item = InvokeProvider.Item.Get(new[] { path }, true, true).FirstOrDefault();
            if (item?.Properties["ResolvedTarget"]?.Value is string target && target.Length > 0 && target != path)
                item = InvokeProvider.Item.Get(new[] { target }, true, true).FirstOrDefault();
            var stat = item?.Properties["UnixStat"]?.Value;
            return stat is null ? null : PSObject.AsPSObject(stat).Properties["ItemType"]?.Value?.ToString();
        }
    }
}
