using System;
using System.Management.Automation;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>Parameters every compute-node cmdlet shares: the session (or a node from Get-HotDbComputeNode) and the install directory.</summary>
    public abstract class ComputeNodeCmdlet : HostSessionCmdlet
    {
        /// <summary>The compute node's install directory on the host.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidatePattern("^/.+")]
        public string InstallPath { get; set; } = ComputeNodeReader.DefaultInstallPath;
    }
}
