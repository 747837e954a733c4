using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Commands
{
    /// <summary>The parameters Compare-HotDbConfig and Merge-HotDbConfig share, and the planning step.</summary>
    public abstract class ConfigCarryOverCommandBase : HotDbCmdlet
    {
        /// <summary>The old install directory (e.g. /usr/local/hotdb/hotdb_server_253), or one of its files.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("OldPath")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The new install directory (e.g. /usr/local/hotdb/hotdb-server), or the matching file.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [Alias("NewPath")]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; } = "";

        /// <summary>The old version's files as its vendor package ships them; makes the comparison three-way.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? PristinePath { get; set; }

        /// <summary>Which files, when the paths are install directories (default: server.xml, the start script, log4j2.xml; Properties: every conf/*.properties).</summary>
        [Parameter]
        public ConfigFileKind[]? File { get; set; }

        /// <summary>The new install's version; decides which absent server.xml properties it supports.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? NewVersion { get; set; }

        /// <summary>This upgrade installs a new JDK: JAVA_BIN and JAVA_VERSION are not carried.</summary>
        [Parameter]
        public SwitchParameter ExcludeJdk { get; set; }

        /// <summary>Carry log4j2.xml differences instead of only reporting them.</summary>
        [Parameter]
        public SwitchParameter IncludeLog4j { get; set; }

        /// <summary>The SSH session to the compute node; the paths are on this machine when omitted.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [SessionTransformation]
        [ArgumentCompleter(typeof(SessionCompleter))]
        public SshSession? Session { get; set; }

        /// <summary>The host the paths are on.</summary>
        protected IRemoteHost ResolveHost() => Session ?? (IRemoteHost)new LocalHost();

        /// <summary>Paths on this machine are resolved against the current location; remote paths must be absolute.</summary>
        private string ResolvePath(string path)
        {
            if (Session is null) return GetUnresolvedProviderPathFromPSPath(path);
            if (!path.StartsWith("/", StringComparison.Ordinal))
                ThrowHotDbError(new ArgumentException($"'{path}' is not an absolute path on {Session.ComputerName}."), "RemotePathNotAbsolute",
                    ErrorCategory.InvalidArgument, path, "Give absolute paths on the host, e.g. /usr/local/hotdb/hotdb-server.");
            return path;
        }

        protected IReadOnlyList<ConfigFilePlan>? PlanFiles(IRemoteHost host, string activity)
        {
            HotDbVersion? version = null;
            if (NewVersion != null)
            {
                if (!HotDbVersion.TryParse(NewVersion, out version))
                    ThrowHotDbError(new FormatException($"'{NewVersion}' is not a HotDB version."), "InvalidVersion", ErrorCategory.InvalidArgument,
                        NewVersion, "Give the new install's version as digits and dots, e.g. 2.5.6.");
            }
            var request = new ConfigCarryOverRequest
            {
                OldPath = ResolvePath(Path),
                NewPath = ResolvePath(Destination),
                PristinePath = PristinePath is null ? null : ResolvePath(PristinePath),
                Files = File,
                Options = new ConfigMergeOptions { ExcludeJdk = ExcludeJdk, IncludeLog4j = IncludeLog4j, NewVersion = version },
            };
            WriteProgress(new ProgressRecord(1, activity, $"Reading {request.OldPath} and {request.NewPath} on {host.ComputerName}"));
            try
            {
                return ConfigCarryOver.Plan(host, request);
            }
            catch (Exception e) when (IsReportable(e))
            {
                WriteHotDbError(e, (object?)Session ?? request.NewPath);
            }
            finally
            {
                WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
            return null;
        }

        /// <summary>Reports a file that could not be read or parsed; nothing is written for it.</summary>
        protected void WritePlanError(ConfigFilePlan plan)
        {
            var error = plan.Error!;
            if (error is IHotDbError)
                WriteHotDbError(error, plan.NewFile);
            else
                WriteHotDbError(error, "ConfigFileUnreadable", ErrorCategory.ReadError, (error as FileNotFoundException)?.FileName ?? plan.NewFile,
                    "Check that the file exists in both installs and that the session's user may read it.");
        }
    }
}
