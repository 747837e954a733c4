# Every format view at 120 columns: no line wider, and the values a reader needs (host, version, path, check name) whole.
# Objects come from the cmdlets where that is cheap, otherwise they are stand-ins carrying the real type's name and
# realistic long values: a view selects by type name, so the stand-in renders exactly as the real object would.
BeforeDiscovery {
    # Type: the view's type; Make: builds the objects; Keys: strings that must appear unbroken on one line;
    # AllowTruncation: a column (command output) may be cut; Format: Format-Table or Format-List, else the default view.
    $script:samples = @(
        @{ Type = 'HotDb.Upgrade.Versioning.HotDbPackage'; Header = 'Component\s+Version\s+BuildDate\s+FileName'
            Keys = 'hotdb-management-2.5.6-ga-20200102.tar.gz', 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'
            Make = { Get-HotDbPackage -Path 'hotdb-management-2.5.6-ga-20200102.tar.gz', 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz' } }
        @{ Type = 'HotDb.Upgrade.Remote.SshSession'; Header = 'Id\s+ComputerName\s+Port'
            Keys = '192.168.210.136', 'SHA256:9ZGSE3YcS0pj9pAwfNQDCORDORUMRB2XvUHX6ARpdak'
            Make = { Sample 'HotDb.Upgrade.Remote.SshSession' @{ Id = 12; ComputerName = '192.168.210.136'; Port = 22; UserName = 'root'; Elevation = 'Sudo'
                Connected = $true; HostKeyType = 'ecdsa-sha2-nistp256'; HostKeyFingerprint = 'SHA256:9ZGSE3YcS0pj9pAwfNQDCORDORUMRB2XvUHX6ARpdak' } } }
        @{ Type = 'HotDb.Upgrade.Remote.CommandResult'; Header = 'ComputerName\s+ExitCode\s+Duration'; AllowTruncation = $true
            Keys = '192.168.210.136', '00:00:01.250'
            Make = { Sample 'HotDb.Upgrade.Remote.CommandResult' @{ ComputerName = '192.168.210.136'; ExitCode = 0; Duration = [timespan]::FromMilliseconds(1250)
                Command = "ls -l -- '/usr/local/hotdb/Install_Package'"; StandardOutput = ('-rw-r--r-- 1 root root 1258291 Jan  1 12:00 hotdb-server-2.5.6-ga-20200101.tar.gz' * 3) } } }
        @{ Type = 'HotDb.Upgrade.Remote.TransferResult'; Header = 'ComputerName\s+Status\s+Size\s+Sha256\s+RemotePath'
            Keys = '1.2 MiB', '512 B', '/usr/local/hotdb/Install_Package/hotdb-server-2.5.6-ga-20200101.tar.gz'
            Make = {
                Sample 'HotDb.Upgrade.Remote.TransferResult' @{ ComputerName = '192.168.210.136'; Status = 'Uploaded'; Length = [long]1258291; Sha256 = 'ab' * 32
                    RemotePath = '/usr/local/hotdb/Install_Package/hotdb-server-2.5.6-ga-20200101.tar.gz' }
                Sample 'HotDb.Upgrade.Remote.TransferResult' @{ ComputerName = '192.168.210.137'; Status = 'Skipped'; Length = [long]512; Sha256 = 'cd' * 32
                    RemotePath = '/usr/local/hotdb/Install_Package/server.xml' } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.ConfigDbTarget'; Header = 'Database\s+Kind\s+UserName\s+Session\s+Servers'
            Keys = '192.168.210.130:3306', '192.168.210.131:3306', '192.168.210.132:3306'
            Make = { Sample 'HotDb.Upgrade.ConfigDb.ConfigDbTarget' @{ Database = 'hotdb_cloud_config'; Kind = 'ManagementPlatform'; UserName = 'hotdb_cloud_config'
                Endpoints = '192.168.210.130:3306', '192.168.210.131:3306', '192.168.210.132:3306'; Session = [pscustomobject]@{ ComputerName = '192.168.210.130' } } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.ConfigDbBackup'; Header = 'Database\s+Version\s+Server\s+Size\s+Name'
            Keys = 'Directory: hotdb-configdb-01:/usr/local/hotdb/backup/configdb', 'hotdb_cloud_config_2.5.6_20260101_120000.sql', '1.2 MiB', '3.0 GiB'
            Make = {
                Sample 'HotDb.Upgrade.ConfigDb.ConfigDbBackup' @{ ComputerName = 'hotdb-configdb-01'; Database = 'hotdb_cloud_config'; Version = '2.5.6'
                    Server = '192.168.210.130:3306'; Size = [long]1258291; Time = [datetime]'2026-01-01 12:00'; Path = '/usr/local/hotdb/backup/configdb/hotdb_cloud_config_2.5.6_20260101_120000.sql' }
                Sample 'HotDb.Upgrade.ConfigDb.ConfigDbBackup' @{ ComputerName = 'hotdb-configdb-01'; Database = 'hotdb_config'; Version = '2.5.6'
                    Server = '192.168.210.130:3306'; Size = [long]3GB; Time = [datetime]'2026-01-01 12:01'; Path = '/usr/local/hotdb/backup/configdb/hotdb_config_2.5.6_20260101_120100.sql' } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.ConfigDbRestore'; Header = 'Database\s+Server\s+TablesVerified'
            Keys = 'hotdb_cloud_config_2.5.6_20260101_120000.sql', '192.168.210.130:3306'
            Make = { Sample 'HotDb.Upgrade.ConfigDb.ConfigDbRestore' @{ Database = 'hotdb_cloud_config'; Server = '192.168.210.130:3306'; TablesVerified = 148
                Duration = [timespan]::FromSeconds(75); Backup = [pscustomobject]@{ Path = '/usr/local/hotdb/backup/configdb/hotdb_cloud_config_2.5.6_20260101_120000.sql' } } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.ConfigDbServer'; Header = 'Endpoint\s+Version'
            Keys = '192.168.210.130:3306', '10.11.6-MariaDB-0+deb12u1'
            Make = { Sample 'HotDb.Upgrade.ConfigDb.ConfigDbServer' @{ Endpoint = '192.168.210.130:3306'; Version = '10.11.6-MariaDB-0+deb12u1'; ReadOnly = $false
                IsReplica = $false; GroupRole = 'PRIMARY'; Reason = 'read_only is OFF and it is not a replica of another server in the list, so it takes the writes' } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.Sql.UpgradeSqlReport'; Header = 'OnlineUpgradeAllowed\s+Files\s+Statements'; Keys = @('False')
            Make = { Sample 'HotDb.Upgrade.ConfigDb.Sql.UpgradeSqlReport' @{ OnlineUpgradeAllowed = $false; Files = 'a.sql', 'b.sql'; StatementCount = 40
                Findings = @([pscustomobject]@{ Severity = 'Error' }, [pscustomobject]@{ Severity = 'Warning' }) } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.Sql.SqlFinding'; Header = 'RuleId\s+Severity\s+File'
            Keys = 'hotdb_config_2.5.4_add_columns.sql', 'SQL-DROP-COLUMN'
            Make = { Sample 'HotDb.Upgrade.ConfigDb.Sql.SqlFinding' @{ RuleId = 'SQL-DROP-COLUMN'; Severity = 'Error'; File = '/home/admin/upgrade-sql/hotdb_config_2.5.4_add_columns.sql'
                Line = 120; Column = 1; Message = 'ALTER TABLE hotdb_datasource DROP COLUMN idc_id: the old version still reads this column, so the statement cannot run while it serves.' } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.ConfigDbUpgradePlan'; Header = 'Database\s+From\s+To\s+Statements\s+Scripts'
            Keys = 'hotdb_config_2.5.4_add_columns.sql', 'hotdb_config_2.5.6_license_tables.sql'
            Make = { Sample 'HotDb.Upgrade.ConfigDb.ConfigDbUpgradePlan' @{ Database = 'hotdb_config'; From = '2.5.3'; To = '2.5.6'; StatementCount = 57
                Scripts = @('hotdb_config_2.5.4_add_columns.sql', 'hotdb_config_2.5.5_index_rework.sql', 'hotdb_config_2.5.6_license_tables.sql' | ForEach-Object { [pscustomobject]@{ Name = $_ } }) } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.ConfigDbUpgradeResult'; Header = 'Database\s+From\s+To\s+Succeeded\s+Restored'
            Keys = 'hotdb_config_2.5.4_add_columns.sql', 'hotdb_config_2.5.6_license_tables.sql'
            Make = { Sample 'HotDb.Upgrade.ConfigDb.ConfigDbUpgradeResult' @{ Database = 'hotdb_config'; From = '2.5.3'; To = '2.5.6'; Succeeded = $true; Restored = $false
                Applied = 'hotdb_config_2.5.4_add_columns.sql', 'hotdb_config_2.5.5_index_rework.sql', 'hotdb_config_2.5.6_license_tables.sql'; Skipped = @() } } }
        @{ Type = 'HotDb.Upgrade.ConfigDb.LedgerEntry'; Header = 'Version\s+Success\s+RolledBack'
            Keys = 'hotdb_config_2.5.4_add_columns.sql', 'hotdb_upgrader@192.168.210.5'
            Make = { Sample 'HotDb.Upgrade.ConfigDb.LedgerEntry' @{ Version = '2.5.4'; ScriptName = 'hotdb_config_2.5.4_add_columns.sql'; Success = $true; RolledBack = $false
                EndTime = [datetime]'2026-01-01 12:00:00'; AppliedBy = 'hotdb_upgrader@192.168.210.5' } } }
        @{ Type = 'HotDb.Upgrade.Configuration.ConfigChange'; Header = 'Key\s+: JAVA_OPTS'
            Keys = "Configuration/Appenders/RollingFile[@name='hotdb']/DefaultRolloverStrategy/@max", '"-server -Xms12G -Xmx12G -XX:MaxDirectMemorySize=24G"'
            Make = { Compare-HotDbConfig (Join-Path $installs 'old') (Join-Path $installs 'new') -IncludeLog4j } }
        @{ Type = 'HotDb.Upgrade.Configuration.ConfigChange'; Format = 'Format-Table'; Header = 'Key\s+Action\s+OldValue\s+NewValue\s+MergedValue\s+Mode'
            Keys = 'JAVA_OPTS', 'heartbeatTimeoutMs'
            Make = { Compare-HotDbConfig (Join-Path $installs 'old') (Join-Path $installs 'new') -IncludeLog4j } }
        @{ Type = 'HotDb.Upgrade.ComputeNode.ComputeNodeInfo'; Header = 'ComputerName\s+Version\s+Built\s+Role'
            Keys = '/usr/local/hotdb/hotdb-server', '3323 closed, 3325 closed', 'ClusterMember'
            Make = { ComputeNodeSample } }
        @{ Type = 'HotDb.Upgrade.ComputeNode.ComputeNodeInfo'; Format = 'Format-List'; Header = 'License\s+: license for 64 data nodes'
            Keys = '/usr/local/hotdb/hotdb-server', '1.8.0_252'
            Make = { ComputeNodeSample } }
        @{ Type = 'HotDb.Upgrade.ComputeNode.ComputeNodeServiceResult'; Header = 'ComputerName\s+Action\s+Changed'
            Keys = '/usr/local/hotdb/hotdb-server', '192.168.210.136'
            Make = { Sample 'HotDb.Upgrade.ComputeNode.ComputeNodeServiceResult' @{ ComputerName = '192.168.210.136'; Action = 'Start'; Changed = $true; Version = '2.5.6'
                Running = $true; ServerPortOpen = $true; ManagerPortOpen = $true; Duration = [timespan]::FromSeconds(42); InstallPath = '/usr/local/hotdb/hotdb-server' } } }
        @{ Type = 'HotDb.Upgrade.ComputeNode.ComputeNodeUpgradeResult'; Header = 'Upgrade\s+: 2.5.3 -> 2.5.6'
            Keys = '/usr/local/hotdb/hotdb_server_2.5.3', 'ExtractPackage'
            Make = { Sample 'HotDb.Upgrade.ComputeNode.ComputeNodeUpgradeResult' @{ ComputerName = '192.168.210.136'; InstallPath = '/usr/local/hotdb/hotdb-server'
                FromVersion = '2.5.3'; ToVersion = '2.5.6'; Status = 'Succeeded'; FailedStage = $null; Error = $null; RecommendedAction = $null
                BackupPath = '/usr/local/hotdb/hotdb_server_2.5.3'; EvidencePath = $null; ConfigChanges = @(); Duration = [timespan]::FromSeconds(300)
                Stages = @([pscustomobject]@{ Index = 1; Stage = 'CheckNode'; Status = 'Succeeded' }, [pscustomobject]@{ Index = 5; Stage = 'ExtractPackage'; Status = 'Succeeded' }) } } }
        @{ Type = 'HotDb.Upgrade.Stages.StageResult'; Header = 'Target\s+#\s+Stage\s+Status'
            Keys = 'ExtractPackage', 'RolledBack'
            Make = { Sample 'HotDb.Upgrade.Stages.StageResult' @{ Target = '192.168.210.136'; Index = 5; Stage = 'ExtractPackage'; Status = 'RolledBack'; Duration = [timespan]::FromSeconds(3)
                Error = 'tar: hotdb-server/lib/hotdb-server.jar: Cannot write: No space left on device; the partial install was moved aside to /usr/local/hotdb/hotdb-server.failed-20260101'
                RollbackError = $null; Description = 'Extract the package' } } }
        @{ Type = 'HotDb.Upgrade.Plans.UpgradePlan'; Header = 'Mode\s+: MasterSlaveOnline'
            Keys = 'hotdb-server-2.5.6-ga-20200101.tar.gz', 'yes: every check passed'
            Make = {
                $step = [pscustomobject]@{ Host = '192.168.210.136'; Name = 'StopService' } | Add-Member -PassThru ScriptMethod Describe { 'Stop the compute node with its start script and wait until ports 3323 and 3325 are closed' }
                Sample 'HotDb.Upgrade.Plans.UpgradePlan' @{ Mode = 'MasterSlaveOnline'; Hosts = '192.168.210.136', '192.168.210.137'; InstallPath = '/usr/local/hotdb/hotdb-server'
                    FromVersion = '2.5.3'; ToVersion = '2.5.6'; Package = 'hotdb-server-2.5.6-ga-20200101.tar.gz'; ChecksPassed = $true
                    Checks = @([pscustomobject]@{ Step = 'CheckNode'; Status = 'Succeeded'; Error = $null }); Phases = @([pscustomobject]@{ Name = 'slave'; Steps = @($step) }) } } }
        @{ Type = 'HotDb.Upgrade.Plans.PlanRunResult'; Header = 'Status\s+: RolledBack'
            Keys = '/root/hotdb-upgrade/journal-20260101-120000.json', 'StopService'
            Make = { Sample 'HotDb.Upgrade.Plans.PlanRunResult' @{ Mode = 'SingleNode'; Hosts = @('192.168.210.136'); FromVersion = '2.5.3'; ToVersion = '2.5.6'; Status = 'RolledBack'
                FailedStep = 'StartService'; FailedHost = '192.168.210.136'; Error = 'The service port 3323 did not open within 600 s.'; RecommendedAction = 'Read the node log.'
                JournalPath = '/root/hotdb-upgrade/journal-20260101-120000.json'; Duration = [timespan]::FromSeconds(700)
                Steps = @([pscustomobject]@{ Index = 1; Phase = 'node'; Host = '192.168.210.136'; Step = 'StopService'; Status = 'RolledBack'; FromJournal = $false }) } } }
        @{ Type = 'HotDb.Upgrade.Plans.PlanStepResult'; Header = '#\s+Phase\s+Host\s+Step'
            Keys = 'BackupConfigDb', '192.168.210.136'
            Make = { Sample 'HotDb.Upgrade.Plans.PlanStepResult' @{ Index = 4; Phase = 'configdb'; Host = '192.168.210.136'; Step = 'BackupConfigDb'; Status = 'Succeeded'
                Duration = [timespan]::FromSeconds(12); Error = $null; RollbackError = $null
                Description = 'Dump hotdb_config on 192.168.210.130:3306 to /usr/local/hotdb/backup/configdb/hotdb_config_2.5.3_20260101_120000.sql and verify it' } } }
        @{ Type = 'HotDb.Upgrade.Topology.ClusterMember'; Header = 'Status\s+Host\s+Id\s+Ports'
            Keys = 'PRIMARY', '198.18.0.41', '3323/3325/3326'
            Make = { Sample 'HotDb.Upgrade.Topology.ClusterMember' @{ Status = 'Primary'; Host = '198.18.0.41'; ServerId = 1; ServerPort = 3323; ManagerPort = 3325; ClusterPort = 3326
                Version = '2.5.3'; BuildDate = [datetime]'2019-08-21'; ComputerName = '198.18.0.41'; Problem = 'its install reports 2.5.3 but its manager port answers 2.5.6: the process was not restarted after an upgrade' } } }
        @{ Type = 'HotDb.Upgrade.Checks.HotDbCheck'; Header = 'Id\s+Host\s+Status\s+Name'
            Keys = 'ConfigDB replication master centre to DR centre', 'DR3', 'Privileges for backup and upgrade'
            Make = {
                Sample 'HotDb.Upgrade.Checks.HotDbCheck' @{ Id = 'DR3'; Host = '198.18.0.30'; Status = 'Failed'; Name = 'ConfigDB replication master centre to DR centre'
                    Actual = 'Slave_IO_Running No, Slave_SQL_Running Yes, Seconds_Behind_Master NULL' }
                Sample 'HotDb.Upgrade.Checks.HotDbCheck' @{ Id = 'CD3'; Host = 'hotdb-configdb-01'; Status = 'NotVerified'; Name = 'Privileges for backup and upgrade'
                    Actual = 'not checked: CD2 (A HotDB ConfigDB) did not pass' } } }
        @{ Type = 'HotDb.Upgrade.Commands.HotDbRunbook'; Header = 'Name\s+: Update-HotDb'
            Keys = 'Update-HotDbSingleNode', 'Update-HotDbSingleNode.ps1'
            Make = { Get-HotDbRunbook } }
        @{ Type = 'HotDb.Upgrade.Topology.HaEnvironment'; Header = 'Master\s+Backup\s+Vip\s+VipHolder'
            Keys = '198.18.0.31', '198.18.0.140', 'Master up, Backup up'
            Make = { Sample 'HotDb.Upgrade.Topology.HaEnvironment' @{ Master = [pscustomobject]@{ ComputerName = '198.18.0.31' }; Backup = [pscustomobject]@{ ComputerName = '198.18.0.32' }
                Vip = '198.18.0.140'; VipHolders = @([pscustomobject]@{ ComputerName = '198.18.0.31' })
                Nodes = @([pscustomobject]@{ Role = 'Master'; KeepalivedRunning = $true }, [pscustomobject]@{ Role = 'Backup'; KeepalivedRunning = $true })
                RoleBasis = 'server.xml haState master on 198.18.0.31, which also holds the VIP' } } }
        @{ Type = 'HotDb.Upgrade.Topology.HaNode'; Header = 'ComputerName\s+Role\s+haState'
            Keys = '/etc/keepalived/keepalived.conf', '3323 closed, 3325 closed', '198.18.0.32:3325'
            Make = { Sample 'HotDb.Upgrade.Topology.HaNode' @{ ComputerName = '198.18.0.31'; Role = 'Master'; HaState = 'master'; HaNodeHost = '198.18.0.32:3325'
                ServerPort = 3323; ServerPortOpen = $false; ManagerPort = 3325; ManagerPortOpen = $false; KeepalivedRunning = $true; KeepalivedConfigPath = '/etc/keepalived/keepalived.conf' } } }
        @{ Type = 'HotDb.Upgrade.Ha.HaReconstructionResult'; Header = 'Master\s+Backup\s+Changed'
            Keys = '198.18.0.32', '6 Passed'
            Make = { Sample 'HotDb.Upgrade.Ha.HaReconstructionResult' @{ Master = '198.18.0.32'; Backup = '198.18.0.31'; Changed = $true; Changes = @(1, 2, 3); Passed = $true
                Checks = @(1..6 | ForEach-Object { [pscustomobject]@{ Status = 'Passed' } }) } } }
        @{ Type = 'HotDb.Upgrade.Ha.HaFileChange'; Header = 'Key\s+Change'
            Keys = 'File: 198.18.0.31:/usr/local/hotdb/hotdb-server/conf/server.xml', 'vrrp_instance VI_1/priority', '(absent) -> nopreempt'
            Make = {
                Sample 'HotDb.Upgrade.Ha.HaFileChange' @{ ComputerName = '198.18.0.31'; File = '/usr/local/hotdb/hotdb-server/conf/server.xml'; Key = 'haState'; OldValue = 'master'; NewValue = 'backup' }
                Sample 'HotDb.Upgrade.Ha.HaFileChange' @{ ComputerName = '198.18.0.31'; File = '/etc/keepalived/keepalived.conf'; Key = 'vrrp_instance VI_1/priority'; OldValue = '150'; NewValue = '100' }
                Sample 'HotDb.Upgrade.Ha.HaFileChange' @{ ComputerName = '198.18.0.31'; File = '/etc/keepalived/keepalived.conf'; Key = 'vrrp_instance VI_1/nopreempt'; OldValue = $null; NewValue = 'nopreempt' } } }
        @{ Type = 'HotDb.Upgrade.Ha.HaSwitchoverResult'; Header = 'OldMaster\s+NewMaster\s+Vip'
            Keys = '198.18.0.140', '4.2 s'
            Make = { Sample 'HotDb.Upgrade.Ha.HaSwitchoverResult' @{ OldMaster = '198.18.0.31'; NewMaster = '198.18.0.32'; Vip = '198.18.0.140'; VipHolder = '198.18.0.32'
                Succeeded = $true; Outage = [timespan]::FromSeconds(4.2) } } }
        @{ Type = 'HotDb.Upgrade.Plans.DataSourceAgents.BackupAgentInfo'; Header = 'ComputerName\s+Version\s+Pid\s+Platform\s+Connected'
            Keys = '/usr/local/hotdb/hotdb-backup', '192.168.210.104:3322', 'hotdb-ds-node-01'
            Make = { Sample 'HotDb.Upgrade.Plans.DataSourceAgents.BackupAgentInfo' @{ ComputerName = 'hotdb-ds-node-01'; Version = '2.5.6'; ProcessId = 123456
                Platform = '192.168.210.104:3322'; Connected = $true; RunningTasks = @('42'); InstallPath = '/usr/local/hotdb/hotdb-backup' } } }
        @{ Type = 'HotDb.Upgrade.Plans.DataSourceAgents.ListenerInfo'; Header = 'ComputerName\s+Version\s+Pid\s+Listen\s+PortOpen\s+Listening'
            Keys = '/usr/local/hotdb/hotdb-listener', '0.0.0.0:3330', 'hotdb-ds-node-01'
            Make = { Sample 'HotDb.Upgrade.Plans.DataSourceAgents.ListenerInfo' @{ ComputerName = 'hotdb-ds-node-01'; Version = '2.5.6'; ProcessId = $null
                ListenHost = '0.0.0.0'; ListenerPort = 3330; PortOpen = $false; Listening = $false; InstallPath = '/usr/local/hotdb/hotdb-listener' } } }
        @{ Type = 'HotDb.Upgrade.Management.ManagementInfo'; Header = 'ComputerName\s+Version\s+Pid\s+Http\s+ConfigDb'
            Keys = '/usr/local/hotdb/hotdb-management', '3324 2.5.6', '192.168.210.104:3306/hotdb_cloud_config', 'hotdb-mgmt-node-01'
            Make = { Sample 'HotDb.Upgrade.Management.ManagementInfo' @{ ComputerName = 'hotdb-mgmt-node-01'; Version = '2.5.6'; ProcessId = 123456; HttpPort = 3324
                HttpVersion = '2.5.6'; ConfigDbServer = '192.168.210.104:3306'; ConfigDbDatabase = 'hotdb_cloud_config'; InstallPath = '/usr/local/hotdb/hotdb-management' } } }
    )
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force

    # A stand-in: a property bag whose first type name is the real type's, which is what selects the view.
    function script:Sample([string] $Type, [hashtable] $Properties) {
        $object = [pscustomobject]$Properties
        $object.PSObject.TypeNames.Insert(0, $Type)
        $object
    }

    function script:ComputeNodeSample {
        Sample 'HotDb.Upgrade.ComputeNode.ComputeNodeInfo' @{ ComputerName = '192.168.210.136'; Version = '2.5.6'; BuildDate = [datetime]'2020-01-01'; Role = 'ClusterMember'
            Running = $false; ServerPort = 3323; ServerPortOpen = $false; ManagerPort = 3325; ManagerPortOpen = $false; JavaReportedVersion = '1.8.0_252'
            LicenseState = 'license for 64 data nodes'; InstallPath = '/usr/local/hotdb/hotdb-server' }
    }

    # Two installs from the engine's fixtures, the old one with a bigger heap (JAVA_OPTS) and log4j2 settings of its own.
    $fixtures = Join-Path $PSScriptRoot '../HotDb.Upgrade.Engine.Tests/Fixtures/config'
    $script:installs = Join-Path $TestDrive 'installs'
    foreach ($pair in @{ Name = 'old'; Version = '2.5.3' }, @{ Name = 'new'; Version = '2.5.4' }) {
        $root = Join-Path $installs $pair.Name
        New-Item -ItemType Directory "$root/conf", "$root/bin" -Force | Out-Null
        Copy-Item "$fixtures/$($pair.Version)/server.xml", "$fixtures/$($pair.Version)/log4j2.xml" "$root/conf/"
        Copy-Item "$fixtures/$($pair.Version)/hotdb_server" "$root/bin/"
    }
    $startScript = Join-Path $installs 'old/bin/hotdb_server'
    [IO.File]::WriteAllText($startScript, [IO.File]::ReadAllText($startScript).Replace('-Xms4G -Xmx4G', '-Xms12G -Xmx12G'))
}

Describe 'Views at 120 columns' -Tag Views, Module {
    It '<Type> <Format> fits 120 columns with its key values whole' -ForEach $samples {
        $objects = @(& $Make)
        $objects | Should -Not -BeNullOrEmpty
        $objects[0].PSObject.TypeNames[0] | Should -Be $Type
        $text = if ($Format) { $objects | & $Format | Out-String -Width 120 } else { $objects | Out-String -Width 120 }
        $lines = $text -split '\r?\n'
        $text | Should -Match $Header -Because 'the module''s view, not the default formatter, renders it'
        @($lines | Where-Object Length -GT 120) | Should -BeNullOrEmpty
        foreach ($key in $Keys) { $text | Should -Match ([regex]::Escape($key)) -Because "'$key' must not be cut or wrapped" }
        if (-not $AllowTruncation) { $text | Should -Not -Match '…' -Because "no column of this view should be cut:`n$text" }
    }
}
