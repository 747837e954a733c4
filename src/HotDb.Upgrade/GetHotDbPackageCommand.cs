using System;
using System.IO;
using System.Management.Automation;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Reads component, version and build date from vendor package file names.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbPackage", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(HotDbPackage))]
    public sealed class GetHotDbPackageCommand : HotDbCmdlet
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        /// <summary>Package file names or paths; wildcards pick the files of a folder.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "Name")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>Package paths taken as written: no character is a wildcard.</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            if (ParameterSetName == LiteralPathSet)
            {
                foreach (var path in LiteralPath) Read(path, SessionState.Path.GetUnresolvedProviderPathFromPSPath(path), reportUnrecognised: true);
                return;
            }
            foreach (var path in Path)
            {
                var literal = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                // A file that exists as written is taken literally, so a name with '[' still works.
                if (File.Exists(literal) || !WildcardPattern.ContainsWildcardCharacters(path))
                {
                    Read(path, literal, reportUnrecognised: true);
                    continue;
                }
                System.Collections.ObjectModel.Collection<string> matches;
                try
                {
                    matches = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _);
                }
                catch (Exception ex) when (ex is ItemNotFoundException || ex is System.Management.Automation.DriveNotFoundException || ex is ProviderNotFoundException)
                {
                    matches = new System.Collections.ObjectModel.Collection<string>();
                }
                var any = false;
                foreach (var match in matches)
                {
                    if (!File.Exists(match)) continue;
                    // A folder holds other files too: with a wildcard, names that are not packages are skipped.
                    any |= Read(match, match, reportUnrecognised: false);
                }
                if (!any)
                    WriteHotDbError(new ItemNotFoundException($"No HotDB package file matches '{path}'."), "PackageNotFound", ErrorCategory.ObjectNotFound, path,
                        $"Check the folder and the pattern; package names are {HotDbPackage.ExpectedPatterns}.");
            }
        }

        private bool Read(string given, string fullName, bool reportUnrecognised)
        {
            if (HotDbPackage.TryParse(fullName, out var package, out var problem))
            {
                WriteObject(package!.AtPath(fullName));
                return true;
            }
            if (reportUnrecognised)
                WriteHotDbError(new FormatException(problem), "PackageNameNotRecognised", ErrorCategory.InvalidArgument, given,
                    $"Use the vendor's file name unchanged: {HotDbPackage.ExpectedPatterns}.");
            else WriteVerbose($"Skipped '{fullName}': {problem}");
            return false;
        }
    }
}
