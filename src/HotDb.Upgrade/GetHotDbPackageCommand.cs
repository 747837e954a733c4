using System;
using System.IO;
using System.Management.Automation;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Reads component, version and build date from vendor package file names.</summary>
    [Cmdlet(VerbsCommon.Get, "HotDbPackage")]
    [OutputType(typeof(HotDbPackage))]
    public sealed class GetHotDbPackageCommand : HotDbCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "Name")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            foreach (var path in Path)
            {
                if (HotDbPackage.TryParse(path, out var package, out var problem))
                {
                    WriteObject(package);
                    continue;
                }
                WriteHotDbError(new FormatException(problem),
                    "PackageNameNotRecognised", ErrorCategory.InvalidArgument, path,
                    $"Use the vendor's file name unchanged: {HotDbPackage.ExpectedPatterns}.");
            }
        }
    }
}
