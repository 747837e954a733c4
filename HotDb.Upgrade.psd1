@{
    RootModule           = 'HotDb.Upgrade.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f7f4e-2c1a-4d7e-9a43-6f1f0b8c2d15'
    Author               = 'HotDb.Upgrade contributors'
    CompanyName          = 'HotDb.Upgrade'
    Copyright            = '(c) HotDb.Upgrade contributors. MIT License.'
    Description          = 'Safe, repeatable automation of the HotDB Server upgrade procedure: SSH sessions, verified ConfigDB backups and upgrade SQL, journaled single-node compute node upgrades with rollback and resume, and master/slave HA checks, switchover and reconstruction.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('HotDb.Upgrade.format.ps1xml', 'HotDb.Upgrade.ComputeNode.format.ps1xml', 'HotDb.Upgrade.Ha.format.ps1xml', 'HotDb.Upgrade.Plans.format.ps1xml', 'HotDb.Upgrade.Cluster.format.ps1xml')
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
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('HotDB', 'Upgrade', 'MySQL', 'SSH', 'Linux')
            ProjectUri = 'https://example.invalid/hotdb-upgrade'
        }
    }
}
