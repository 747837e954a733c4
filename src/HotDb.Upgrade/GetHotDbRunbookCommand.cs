using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace HotDb.Upgrade.Commands
{
    /// <summary>One runbook the module ships: a script in its runbooks folder, run with pwsh -File (for example from a scheduled task).</summary>
    public sealed class HotDbRunbook
    {
        internal HotDbRunbook(string name, string synopsis, string path)
        {
            Name = name;
            Synopsis = synopsis;
            Path = path;
        }

        /// <summary>The script's name without .ps1, e.g. Update-HotDbSingleNode.</summary>
        public string Name { get; }
        /// <summary>The first paragraph of the script's .SYNOPSIS.</summary>
        public string Synopsis { get; }
        /// <summary>The script's full path, for pwsh -File.</summary>
        public string Path { get; }

        public override string ToString() => Path;
    }

    /// <summary>Lists the runbooks the module ships (module folder runbooks/Verb-HotDb*.ps1) with their synopsis and path.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbRunbook")]
    [OutputType(typeof(HotDbRunbook))]
    public sealed class GetHotDbRunbookCommand : HotDbCmdlet
    {
        private static readonly Regex Synopsis = new Regex(@"^\s*\.SYNOPSIS\s*$(?<text>.*?)^\s*(\.[A-Z]+\b|#>)", RegexOptions.Multiline | RegexOptions.Singleline);

        /// <summary>Runbook names to list; wildcards are allowed. Default: all.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = { "*" };

        internal static string RunbookFolder => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(GetHotDbRunbookCommand).Assembly.Location)!, "runbooks");

        protected override void EndProcessing()
        {
            var folder = RunbookFolder;
            if (!System.IO.Directory.Exists(folder))
            {
                WriteHotDbError(new DirectoryNotFoundException($"The module has no runbooks folder ({folder})."), "RunbookFolderMissing", ErrorCategory.ObjectNotFound, folder,
                    "Import the staged module (build.ps1 stages it with its runbooks), or reinstall it.");
                return;
            }
            var matched = Name.ToDictionary(n => n, _ => false);
            foreach (var path in System.IO.Directory.GetFiles(folder, "*-HotDb*.ps1").OrderBy(p => p, StringComparer.OrdinalIgnoreCase))
            {
                var name = System.IO.Path.GetFileNameWithoutExtension(path);
                var hits = Name.Where(n => new WildcardPattern(n, WildcardOptions.IgnoreCase).IsMatch(name)).ToList();
                if (hits.Count == 0) continue;
                foreach (var hit in hits) matched[hit] = true;
                WriteObject(new HotDbRunbook(name, SynopsisOf(File.ReadAllText(path)), path));
            }
            foreach (var missing in matched.Where(m => !m.Value && !WildcardPattern.ContainsWildcardCharacters(m.Key)).Select(m => m.Key))
                WriteHotDbError(new ItemNotFoundException($"The module ships no runbook named '{missing}'."), "RunbookNotFound", ErrorCategory.ObjectNotFound, missing,
                    "Run Get-HotDbRunbook without -Name to list the runbooks.");
        }

        internal static string SynopsisOf(string script)
        {
            var match = Synopsis.Match(script);
            if (!match.Success) return "";
            var paragraph = Regex.Split(match.Groups["text"].Value.Trim(), @"\r?\n\s*\r?\n")[0];
            return Regex.Replace(paragraph, @"\s+", " ").Trim();
        }
    }
}
