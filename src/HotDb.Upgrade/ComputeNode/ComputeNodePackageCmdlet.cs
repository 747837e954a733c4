using System;
using System.Management.Automation;
using HotDb.Upgrade.ComputeNode;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Parameters of the cmdlets that check or install a compute-node package (Test-HotDbComputeNode,
    /// Update-HotDbComputeNode, New-HotDbUpgradePlan): what goes with the package on the host.
    /// </summary>
    public abstract class ComputeNodePackageCmdlet : ComputeNodeCmdlet
    {
        /// <summary>A local OpenJDK 8 tarball, installed under -JdkRoot when the target (2.5.6 or later) needs JDK 8.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? JdkPackage { get; set; }

        /// <summary>A JDK 8 java already on the host, used instead of -JdkPackage.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string? JavaBin { get; set; }

        /// <summary>Where -JdkPackage is extracted on the host.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string JdkRoot { get; set; } = "/usr/local/jdk8";

        /// <summary>A local license file, installed into the new install's keys/ (2.5.6 and later).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? LicenseFile { get; set; }

        /// <summary>The remote folder packages are uploaded to; default &lt;install root&gt;/Install_Package.</summary>
        [Parameter]
        [ValidatePattern("^/.+")]
        public string? StagingPath { get; set; }

        /// <summary>Refuses -JdkPackage with -JavaBin before anything runs.</summary>
        protected void RefuseTwoJdks()
        {
            if (JdkPackage != null && JavaBin != null)
                ThrowHotDbError(new ArgumentException("Give -JdkPackage or -JavaBin, not both."), "JdkTwice", ErrorCategory.InvalidArgument, JavaBin,
                    "Use -JdkPackage to install a JDK 8, or -JavaBin to use one already on the host.");
        }
    }

    /// <summary>Parameters of the cmdlets that install a compute-node package (Update-HotDbComputeNode, New-HotDbUpgradePlan).</summary>
    public abstract class ComputeNodeInstallCmdlet : ComputeNodePackageCmdlet
    {
        /// <summary>owner:group of the new install; default: the old install's.</summary>
        [Parameter]
        [ValidatePattern("^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$")]
        public string? Owner { get; set; }

        /// <summary>Carry log4j2.xml differences into the new install instead of only reporting them.</summary>
        [Parameter]
        public SwitchParameter IncludeLog4j { get; set; }

        /// <summary>Seconds the new (or, in a rollback, the old) version may take to open its ports.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int StartTimeout { get; set; } = (int)ComputeNodeService.DefaultStartTimeout.TotalSeconds;

        /// <summary>Seconds the old version may take to stop.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int StopTimeout { get; set; } = (int)ComputeNodeService.DefaultStopTimeout.TotalSeconds;

        /// <summary>Install the same or an older version deliberately (not a confirmation bypass: -WhatIf and -Confirm still apply).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }
    }
}
