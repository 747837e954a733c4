BeforeDiscovery {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    $script:commands = @(Get-Command -Module HotDb.Upgrade | ForEach-Object { @{ Name = $_.Name } })
}

Describe 'Help for <Name>' -Tag Module, Help -ForEach $commands {
    BeforeAll {
        Import-Module $env:HOTDB_UPGRADE_MODULE -Force
        $docs = Join-Path $PSScriptRoot '../../docs'
        $page = Join-Path $docs "$Name.md"
        $command = Get-Command $Name
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $parameters = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
    }

    It 'has a PlatyPS page in docs/' {
        $page | Should -Exist
        (Get-Content $page -Raw) | Should -Match "(?m)^# $Name\s*$"
    }

    It 'documents exactly the parameters the cmdlet has' {
        # PlatyPS pages list -WhatIf/-Confirm as parameters; like the other common parameters they are not compared.
        $documented = @(Select-String -Path $page -Pattern '^### -(\w+)' | ForEach-Object { $_.Matches[0].Groups[1].Value } |
                Where-Object { $_ -notin $common } | Sort-Object)
        $documented | Should -Be $parameters
    }

    It 'has a synopsis, a description and at least one example through Get-Help' {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Be $Name
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'describes every parameter through Get-Help' {
        foreach ($parameter in $parameters) {
            $entry = $help = (Get-Help $Name -Parameter $parameter)
            ($entry.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }
}
