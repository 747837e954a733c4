# An estate inventory (the format of module/runbooks/Update-HotDbEstate.ps1, see about_HotDb.Upgrade) for a reduced lab:
# the platform on mgmt, one single-node compute-node group on sn1 (started at 2.5.3), and ds1 with a HotDB Backup agent
# and a HotDB Listener. Everything goes to 2.5.6. tests/pester/EstateLab.Tests.ps1 starts this topology:
#   configdb 198.18.0.10 (configdb), mgmt 198.18.0.11 (management), sn1 198.18.0.21 (computenode, group sn, Single,
#   Options.HotDbVersion 2.5.3), ds1 198.18.0.51 (backup, listener)
# Hosts are named by address: the lab's names resolve only inside the lab hosts, not on the machine that runs the
# runbook. Relative paths are relative to this folder and assume the lab's default state folder (<repo>/.lab), where
# Start-HotDbLab builds the packages and writes the root key and known_hosts; with $env:HOTDB_LAB_STATE elsewhere,
# or for the license, the test writes a copy with its own paths.
# PLACEHOLDER: License. The 2.5.6 package's trial license is 90 days from its 2020 build, so a 2.5.6 compute node needs
# a license the lab's simulator writes: dotnet <HotDbSim.dll> license --type PERPETUAL --nodes 128 --out .lab/license-estate.
# No secrets here: the ConfigDB logins are the runbook's parameters (-ConfigDbCredential, -ManagementConfigDbCredential).
@{
    Ssh = @{ UserName = 'root'; KeyFile = '../../.lab/secrets/id_ed25519'; KnownHostsPath = '../../.lab/known_hosts' }

    Packages = @{
        ComputeNode = '../../.lab/packages/hotdb-server-2.5.6-ga-20201101.tar.gz'
        ConfigDbScripts = '../../.lab/packages/configdb-upgrade'
        Management = '../../.lab/packages/hotdb-management-2.5.6-ga-20201101.tar.gz'
        Backup = '../../.lab/packages/hotdb-backup-2.5.6-20201101.tar.gz'
        Listener = '../../.lab/packages/hotdb-listener-2.5.6-linux.tar.gz'
        Jdk = '../../.lab/packages/OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'
        License = '../../.lab/license-estate'
    }

    Management = @{ ComputerName = '198.18.0.11' }

    ComputeNodes = @(
        @{ Name = 'sn'; Mode = 'SingleNode'; ComputerName = '198.18.0.21'; StartTimeout = 120; StopTimeout = 60 }
    )

    Backup = @{ ComputerName = '198.18.0.51' }
    Listener = @{ ComputerName = '198.18.0.51' }
}
