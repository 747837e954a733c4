# The staged manifest as a gallery or a reader sees it: valid, honest about what ships, licence and help.
Describe 'Module manifest' -Tag Module, Manifest {
    BeforeAll {
        Import-Module $env:HOTDB_UPGRADE_MODULE -Force
        $script:moduleFolder = Split-Path $env:HOTDB_UPGRADE_MODULE
        $script:manifest = Test-ModuleManifest $env:HOTDB_UPGRADE_MODULE
        $script:data = Import-PowerShellDataFile $env:HOTDB_UPGRADE_MODULE
        $script:exported = @((Get-Module HotDb.Upgrade).ExportedCmdlets.Keys)
    }

    It 'passes Test-ModuleManifest with author, copyright, description and tags' {
        $manifest.Name | Should -Be 'HotDb.Upgrade'
        $manifest.Author | Should -Not -BeNullOrEmpty
        $manifest.Copyright | Should -Match 'MIT'
        $manifest.Description | Should -Not -BeNullOrEmpty
        $manifest.Tags | Should -Contain 'HotDB'
    }

    It 'ships the licence the copyright names, and no invented addresses' {
        $license = Join-Path $moduleFolder 'LICENSE'
        $license | Should -Exist
        (Get-Content $license -TotalCount 1) | Should -Be 'MIT License'
        $data.PrivateData.License | Should -Match 'MIT.*LICENSE'
        # No public home exists: any address would be made up, so none is given and PrivateData says so.
        $manifest.ProjectUri | Should -BeNullOrEmpty
        $manifest.LicenseUri | Should -BeNullOrEmpty
        (Get-Content $env:HOTDB_UPGRADE_MODULE -Raw) | Should -Not -Match 'example\.(invalid|com|org)'
        $data.PrivateData.ProjectHome | Should -Match 'None published'
    }

    It 'has release notes that name every cmdlet and runbook the module ships, and nothing else' {
        $notes = $manifest.ReleaseNotes
        $notes | Should -Match ([regex]::Escape("HotDb.Upgrade $($manifest.Version)"))
        foreach ($cmdlet in $exported) { $notes | Should -Match "\b$([regex]::Escape($cmdlet))\b" }
        $named = [regex]::Matches($notes, '\b[A-Z][a-z]+-HotDb\w+\b') | ForEach-Object Value | Where-Object { $_ -notlike '*.ps1' }
        $runbooks = @(Get-ChildItem (Join-Path $moduleFolder 'runbooks') -Filter *.ps1 | Where-Object Name -Match '^[A-Za-z]+-HotDb\w*\.ps1$' | ForEach-Object Name)
        foreach ($name in $named) { ($name -in $exported) -or ("$name.ps1" -in $runbooks) | Should -BeTrue -Because "$name is named in the notes" }
        foreach ($runbook in $runbooks) { $notes | Should -Match ([regex]::Escape($runbook)) }
    }

    It 'describes only components the module ships a cmdlet or plan mode for' {
        $planModes = (Get-Command New-HotDbUpgradePlan).Parameters['Mode'].Attributes.ValidValues
        # A phrase the description could use, and what must ship for it to be true.
        $claims = @(
            @{ Phrase = 'master/slave'; Ships = { Get-Command -Module HotDb.Upgrade Invoke-HotDbHaSwitch -ErrorAction SilentlyContinue } }
            @{ Phrase = 'master/slave offline'; Ships = { $planModes -contains 'MasterSlaveOffline' } }
            @{ Phrase = 'online'; Ships = { $planModes -contains 'MasterSlaveOnline' } }
            @{ Phrase = 'single node'; Ships = { $planModes -contains 'SingleNode' } }
            @{ Phrase = 'clusters'; Ships = { Get-Command -Module HotDb.Upgrade Test-HotDbClusterUpgrade -ErrorAction SilentlyContinue } }
            @{ Phrase = 'cluster upgrade'; Ships = { $planModes -like 'Cluster*' } }
            @{ Phrase = 'disaster-recovery'; Ships = { Get-Command -Module HotDb.Upgrade Test-HotDbDisasterRecovery -ErrorAction SilentlyContinue } }
            @{ Phrase = 'management platform'; Ships = { $exported -like '*Management*' } }
            @{ Phrase = 'listener'; Ships = { $exported -like '*Listener*' } }
            @{ Phrase = 'HotDB Backup'; Ships = { $exported -like '*-HotDbBackup*' } }
            @{ Phrase = 'runbooks'; Ships = { Get-ChildItem (Join-Path $moduleFolder 'runbooks') -Filter '*-HotDb*.ps1' } }
            @{ Phrase = 'whole estate'; Ships = { Get-ChildItem (Join-Path $moduleFolder 'runbooks') -Filter 'Update-HotDbEstate.ps1' } }
        )
        $description = $manifest.Description
        $checked = 0
        foreach ($claim in $claims) {
            if ($description -notmatch [regex]::Escape($claim.Phrase)) { continue }
            $checked++
            & $claim.Ships | Should -Not -BeNullOrEmpty -Because "the description says '$($claim.Phrase)'"
        }
        $checked | Should -BeGreaterThan 3 -Because 'the description names what the module automates'
    }

    It 'says help is not updatable, and Update-Help says so clearly' {
        $manifest.HelpInfoUri | Should -BeNullOrEmpty
        $data.PrivateData.UpdatableHelp | Should -Match '^No'
        (Get-Help about_HotDb.Upgrade | Out-String) | Should -Match 'not updatable'
        $problem = $null
        try { Update-Help -Module HotDb.Upgrade -UICulture en-US -Force -ErrorAction Stop } catch { $problem = $_ }
        $problem.FullyQualifiedErrorId | Should -BeLike 'HelpInfoUriNotFound,*'
        $problem.Exception.Message | Should -Match 'HotDb\.Upgrade'
        $problem.Exception.Message | Should -Match 'does not support updatable help'
    }
}
