# Every state-changing cmdlet supports -WhatIf/-Confirm, and those that cause downtime or change a schema are ConfirmImpact High.
BeforeDiscovery {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    $script:high = @('Stop-HotDbComputeNode', 'Update-HotDbComputeNode', 'Invoke-HotDbConfigDbUpgrade', 'Invoke-HotDbHaSwitch', 'Restore-HotDbHaEnvironment',
        'Invoke-HotDbUpgradePlan', 'Resume-HotDbUpgradePlan', 'Restore-HotDbConfigDb', 'Update-HotDbBackup', 'Update-HotDbListener', 'Update-HotDbManagement')
    $readOnlyVerbs = 'Get', 'Test', 'Compare'
    $inMemoryOnly = 'New-HotDbConfigDb', 'New-HotDbUpgradePlan'
    $script:changing = @(Get-Command -Module HotDb.Upgrade -CommandType Cmdlet | Where-Object { $_.Verb -notin $readOnlyVerbs -and $_.Name -notin $inMemoryOnly } |
        ForEach-Object { @{ Name = $_.Name } })
    $script:highCases = @($high | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    function script:CmdletAttribute([string] $Name) {
        (Get-Command $Name).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true) | Select-Object -First 1
    }
}

Describe 'ShouldProcess on state-changing cmdlets' -Tag Module, ShouldProcess {
    It 'finds the state-changing cmdlets' {
        $changing.Count | Should -BeGreaterThan 10
    }

    It '<Name> supports ShouldProcess' -ForEach $changing {
        (CmdletAttribute $Name).SupportsShouldProcess | Should -BeTrue
        (Get-Command $Name).Parameters.Keys | Should -Contain 'WhatIf'
    }

    It '<Name> is ConfirmImpact High (downtime or a schema change)' -ForEach $highCases {
        (CmdletAttribute $Name).ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]::High)
    }

    It 'only the downtime and schema cmdlets are ConfirmImpact High' {
        $actual = Get-Command -Module HotDb.Upgrade -CommandType Cmdlet | Where-Object { (CmdletAttribute $_.Name).ConfirmImpact -eq 'High' } | ForEach-Object Name | Sort-Object
        $actual | Should -Be ($high | Sort-Object)
    }

}
