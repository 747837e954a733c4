BeforeDiscovery {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    $script:commands = @(Get-Command -Module HotDb.Upgrade | ForEach-Object { @{ Name = $_.Name } })
    # The description's bullet items ("- first two words") of each page that has a bullet list.
    $script:pagesWithBullets = @(foreach ($command in $commands) {
            $page = Join-Path $PSScriptRoot "../../docs/$($command.Name).md"
            if (-not (Test-Path $page)) { continue }
            $lines = Get-Content $page
            $start = [array]::IndexOf($lines, '## DESCRIPTION')
            if ($start -lt 0) { continue }
            $end = $start + 1
            while ($end -lt $lines.Count -and $lines[$end] -notmatch '^## ') { $end++ }
            $bullets = @($lines[($start + 1)..($end - 1)] | Where-Object { $_ -match '^[-*] ' } | ForEach-Object { ($_ -split '\s+')[0..2] -join ' ' })
            if ($bullets) { @{ Name = $command.Name; Bullets = $bullets } }
        })
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

    It 'shows every parameter of every parameter set in Get-Help''s syntax' {
        # One syntax item per parameter set, each listing that set's parameters (what Get-Command -Syntax shows).
        $expected = @($command.ParameterSets | ForEach-Object {
                (@($_.Parameters.Name | Where-Object { $_ -notin $common } | Sort-Object) -join ' ')
            } | Sort-Object)
        $shown = @((Get-Help $Name -Full).Syntax.SyntaxItem | ForEach-Object {
                (@($_.Parameter | ForEach-Object { "$($_.Name)" } | Where-Object { $_ -notin $common } | Sort-Object) -join ' ')
            } | Sort-Object)
        $shown | Should -Be $expected -Because "Get-Command $Name -Syntax shows: $((Get-Command $Name -Syntax) -join '; ')"
    }

    It 'has related links through Get-Help' {
        $links = @((Get-Help $Name -Full).RelatedLinks.NavigationLink | Where-Object { "$($_.LinkText)".Trim() })
        $links.Count | Should -BeGreaterThan 0
        foreach ($target in $links.LinkText.Trim()) {
            # A link names a command or an about topic, so Get-Help can follow it.
            Get-Help $target -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty -Because "related link '$target' should lead to help"
        }
    }

    It 'keeps every line of the examples'' code' {
        $lines = Get-Content $page
        $start = [array]::IndexOf($lines, '## EXAMPLES')
        $expected = [System.Collections.Generic.List[string]]::new()
        $inCode = $false
        for ($i = $start + 1; $i -lt $lines.Count -and $lines[$i] -notmatch '^## '; $i++) {
            if ($lines[$i] -match '^```') { $inCode = -not $inCode; continue }
            if ($inCode) { $expected.Add($lines[$i]) }
        }
        $shown = @((Get-Help $Name -Full).Examples.Example | ForEach-Object { $_.Code -split "`r?`n" })
        $shown | Should -Be @($expected)
    }

    It 'describes every parameter through Get-Help' {
        foreach ($parameter in $parameters) {
            $entry = $help = (Get-Help $Name -Parameter $parameter)
            ($entry.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }
}

Describe 'Bullet lists in the help of <Name>' -Tag Module, Help -ForEach $pagesWithBullets {
    It 'keeps each bullet of the description as its own paragraph' {
        Import-Module $env:HOTDB_UPGRADE_MODULE -Force
        $paragraphs = @((Get-Help $Name -Full).Description | ForEach-Object { "$($_.Text)" })
        foreach ($bullet in $Bullets) {
            @($paragraphs | Where-Object { $_.StartsWith($bullet) }).Count | Should -BeGreaterThan 0 -Because "'$bullet...' should start a paragraph"
        }
    }
}

Describe 'About topics' -Tag Module, Help {
    BeforeAll {
        Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    }

    It 'renders a bullet list as separate lines' {
        $text = Get-Help New-HotDbSession -Full | Out-String -Width 200
        $text | Should -Match '(?m)^\s*- a key recorded for the host is trusted;\s*$'
        $text | Should -Match '(?m)^\s*- a key marked `@revoked` is always refused\.\s*$'
    }

    It 'ships about_HotDb.Upgrade with the workflow, host keys, runbooks, exit codes and failure behaviour' {
        $about = Get-Help about_HotDb.Upgrade | Out-String
        $about | Should -Match 'about_HotDb.Upgrade'
        foreach ($topic in 'New-HotDbSession', 'Backup-HotDbConfigDb', 'New-HotDbUpgradePlan', 'Invoke-HotDbUpgradePlan',
            'Resume-HotDbUpgradePlan', 'known_hosts', '-AcceptKey', '-Force', 'Update-HotDbSingleNode.ps1', 'EXIT CODES', 'FAILURE') {
            $about | Should -Match ([regex]::Escape($topic))
        }
    }

    It 'ships an about topic for each master/slave cmdlet' {
        $about = Get-Help about_HotDb_MasterSlave | Out-String
        foreach ($cmdlet in 'Get-HotDbHaEnvironment', 'Test-HotDbHaSwitch', 'Invoke-HotDbHaSwitch', 'Restore-HotDbHaEnvironment') {
            $about | Should -Match $cmdlet
        }
    }

    It 'names every runbook the module ships in about_HotDb.Upgrade' {
        $about = Get-Help about_HotDb.Upgrade | Out-String
        $runbooks = Join-Path (Split-Path (Get-Module HotDb.Upgrade).Path) 'runbooks'
        foreach ($runbook in Get-ChildItem $runbooks -Filter Update-*.ps1) { $about | Should -Match ([regex]::Escape($runbook.Name)) }
    }
}
