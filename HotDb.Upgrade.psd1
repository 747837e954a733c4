@{
    RootModule           = 'HotDb.Upgrade.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f7f4e-2c1a-4d7e-9a43-6f1f0b8c2d15'
    Author               = 'HotDb.Upgrade contributors'
    CompanyName          = 'HotDb.Upgrade'
    Copyright            = '(c) HotDb.Upgrade contributors. MIT License.'
    Description          = 'Automates the HotDB Server upgrade over SSH and SQL: SSH sessions, commands and verified uploads; verified ConfigDB backups and versioned upgrade SQL with restore on failure; compute node upgrades as journaled plans with rollback and resume (single node, master/slave offline or online, multi-node cluster offline or online, and the DR centre of a disaster-recovery estate without ConfigDB SQL) and runbooks for unattended use, one per mode and one that upgrades a whole estate from an inventory in the documented order; master/slave HA checks, switchover and reconstruction; read-only checks of one shape (sessions, compute nodes against a package, ConfigDBs, HA switches, multi-node clusters and disaster-recovery estates); HotDB Backup and HotDB Listener upgrades on data-source hosts; management platform reads and upgrades (ConfigDB backed up, restored on failure); a Pester 5 compliance pack over those checks (compliance folder); Get-HotDbRunbook lists the runbooks.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('HotDb.Upgrade.format.ps1xml', 'HotDb.Upgrade.ComputeNode.format.ps1xml', 'HotDb.Upgrade.Ha.format.ps1xml', 'HotDb.Upgrade.Plans.format.ps1xml', 'HotDb.Upgrade.Cluster.format.ps1xml', 'HotDb.Upgrade.DataSourceAgents.format.ps1xml', 'HotDb.Upgrade.Management.format.ps1xml')
    TypesToProcess       = @('HotDb.Upgrade.types.ps1xml')
    CmdletsToExport      = @(
        'Get-HotDbPackage'
        'Compare-HotDbConfig'
        'Merge-HotDbConfig'
        'Get-HotDbComputeNode'
        'Get-HotDbSession'
        'Invoke-HotDbCommand'
        'New-HotDbSession'
        'Remove-HotDbSession'
        'Send-HotDbFile'
        'New-HotDbConfigDb'
        'Backup-HotDbConfigDb'
        'Restore-HotDbConfigDb'
        'Get-HotDbConfigDbBackup'
        'Test-HotDbUpgradeSql'
        'Invoke-HotDbConfigDbUpgrade'
        'Start-HotDbComputeNode'
        'Stop-HotDbComputeNode'
        'Update-HotDbComputeNode'
        'Get-HotDbHaEnvironment'
        'Test-HotDbHaSwitch'
        'Invoke-HotDbHaSwitch'
        'Restore-HotDbHaEnvironment'
        'New-HotDbUpgradePlan'
        'Invoke-HotDbUpgradePlan'
        'Resume-HotDbUpgradePlan'
        'Get-HotDbCluster'
        'Test-HotDbClusterUpgrade'
        'Test-HotDbDisasterRecovery'
        'Test-HotDbSession'
        'Test-HotDbComputeNode'
        'Test-HotDbConfigDb'
        'Get-HotDbRunbook'
        'Get-HotDbBackup'
        'Update-HotDbBackup'
        'Get-HotDbListener'
        'Update-HotDbListener'
        'Get-HotDbManagement'
        'Update-HotDbManagement'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData               = @{
            Tags         = @('HotDB', 'Upgrade', 'MySQL', 'SSH', 'Linux')
            # No ProjectUri or LicenseUri: the project has no public home, so there is no real address to give (see below).
            ReleaseNotes = 'Written by build.ps1 (tools/Set-ReleaseNotes.ps1) from the cmdlets and runbooks the staged module ships.'
        }
        ProjectHome          = 'None published: the module is distributed as the folder build.ps1 stages; README.md describes it.'
        License              = 'MIT: the LICENSE file next to this manifest.'
        # Help is not updatable: without a HelpInfoUri, Update-Help says the module does not support updatable help.
        UpdatableHelp        = 'No: the help ships in the module (en-US); Get-Help reads it without Update-Help.'
    }
}
