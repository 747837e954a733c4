# The runbooks' exit-code contract for scheduled tasks: bad or missing parameters, unknown arguments, missing files and
# an absent SecretManagement module are refused with exit code 3 and a log line saying what was wrong; never a prompt
# and never pwsh's own binding error. No lab: every case is refused before the first SSH connection.
BeforeDiscovery {
    $folder = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks'
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:skipSshd = -not (Test-SshdFixtureAvailable)
    # The estate runbook takes an inventory instead of hosts and a package, and has no -Resume (a re-run continues).
    $script:runbookCases = @(Get-ChildItem $folder -Filter 'Update-*.ps1' | ForEach-Object { @{ Runbook = $_.Name; Path = $_.FullName; Estate = $_.Name -eq 'Update-HotDbEstate.ps1' } })
}

BeforeAll {
    $script:package = Join-Path $TestDrive 'hotdb-server-2.5.4-ga-20190812.tar.gz'
    Set-Content -Path $package -Value 'a package'
    $script:keyFile = Join-Path $TestDrive 'id_ed25519'
    Set-Content -Path $keyFile -Value 'a key'
    $script:scripts = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'upgrade-sql') -Force).FullName
    # A valid estate inventory: one single-node group (the login comes from the command line).
    $script:inventory = Join-Path $TestDrive 'estate.psd1'
    Set-Content -Path $inventory -Value "@{ Packages = @{ ComputeNode = '$package'; ConfigDbScripts = '$scripts' }; ComputeNodes = @(@{ Mode = 'SingleNode'; ComputerName = '198.18.0.250' }) }"
    # A complete, valid command line per runbook (key-only login): each case changes one thing in it.
    $script:valid = @{
        'Update-HotDbSingleNode.ps1'       = @('-ComputerName', '198.18.0.250')
        'Update-HotDbMasterSlave.ps1'      = @('-Mode', 'Offline', '-ComputerName', '198.18.0.250,198.18.0.251')
        'Update-HotDbCluster.ps1'          = @('-Mode', 'Online', '-ComputerName', '198.18.0.250,198.18.0.251,198.18.0.252', '-ManagerCredentialSecret', 'hotdb-manager')
        'Update-HotDbDisasterRecovery.ps1' = @('-MasterCentreMode', 'SingleNode', '-ComputerName', '198.18.0.250', '-DrComputerName', '198.18.0.251')
        'Update-HotDbEstate.ps1'           = @('-Inventory', $inventory)
    }
    function script:Invoke-RunbookCommandLine([string] $Path, [string[]] $Arguments) {
        $log = Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).log"
        Push-Location (Join-Path $PSScriptRoot '../..')
        try {
            # stdin closed: a prompt would fail, never wait.
            $output = '' | & dotnet pwsh -NoProfile -NonInteractive -File $Path -LogPath $log @Arguments 2>&1 | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Log = $(if (Test-Path $log) { Get-Content $log -Raw } else { '' }); Output = $output }
        }
        finally { Pop-Location }
    }
    function script:Get-RunbookArgument([string] $Runbook, [hashtable] $Change = @{}, [string[]] $Drop = @()) {
        $arguments = [ordered]@{}
        $list = $valid[$Runbook]
        for ($i = 0; $i -lt $list.Count; $i += 2) { $arguments[$list[$i].TrimStart('-')] = $list[$i + 1] }
        if ($Runbook -ne 'Update-HotDbEstate.ps1') { $arguments.Package = $package; $arguments.ScriptsPath = $scripts }
        $arguments.UserName = 'root'; $arguments.KeyFile = $keyFile
        $arguments.ConfigDbCredentialSecret = 'hotdb-configdb'
        foreach ($key in $Change.Keys) { $arguments[$key] = $Change[$key] }
        foreach ($key in $Drop) { $arguments.Remove($key) }
        @($arguments.GetEnumerator() | ForEach-Object { "-$($_.Key)"; "$($_.Value)" })
    }
}

Describe 'Runbook parameters: <Runbook>' -Tag Runbook, RunbookContract -ForEach $runbookCases {
    It 'binds nothing by position, makes nothing mandatory and validates nothing before its body' {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref] $null, [ref] $null)
        $binding = $ast.ParamBlock.Attributes | Where-Object { $_.TypeName.Name -eq 'CmdletBinding' }
        ($binding.NamedArguments | Where-Object ArgumentName -EQ 'PositionalBinding').Argument.Extent.Text | Should -Be '$false'
        $text = $ast.ParamBlock.Extent.Text
        $text | Should -Not -Match 'Mandatory|ParameterSetName|Validate(Set|Range|Count|Pattern|Script)|\[pscredential\]|\[int\]'
    }

    It 'describes every parameter in its comment help' {
        $help = Get-Help $Path -Full
        $names = (Get-Command $Path).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }
        foreach ($name in $names) {
            $parameter = $help.parameters.parameter | Where-Object name -EQ $name
            "$($parameter.description.Text)".Trim() | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
        }
    }
}

Describe 'Runbook refusals from a command line: <Runbook>' -Tag Runbook, RunbookContract -ForEach $runbookCases {
    It 'exits 3 without parameters, naming what is missing' {
        $run = Invoke-RunbookCommandLine $Path @()
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match "\[ERROR\] FAILED before any change: bad parameters: (missing -\w+; )*missing -$(if ($Estate) { 'Inventory' } else { 'ComputerName' })"
        $run.Log | Should -Match 'exit code 3'
    }

    It 'exits 3 on an unknown parameter and on a positional argument' {
        $run = Invoke-RunbookCommandLine $Path ((Get-RunbookArgument $Runbook) + @('-Bogus', 'x'))
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match 'unknown parameter or argument: -Bogus x'
        $run = Invoke-RunbookCommandLine $Path ((Get-RunbookArgument $Runbook) + @('stray'))
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match 'unknown parameter or argument: stray'
    }

    It 'exits 3 on a port that is no number, and on an -Elevation it does not know' {
        $run = Invoke-RunbookCommandLine $Path (Get-RunbookArgument $Runbook @{ Port = 'abc'; Elevation = 'Doas' })
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match "-Port 'abc' is not a whole number from 1 to 65535"
        $run.Log | Should -Match "-Elevation 'Doas' is not one of None, Sudo"
    }

    It 'exits 3 when the -Package file is missing' -Skip:$Estate {
        $run = Invoke-RunbookCommandLine $Path (Get-RunbookArgument $Runbook @{ Package = (Join-Path $TestDrive 'nope/hotdb-server-2.5.4-ga-20190812.tar.gz') })
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match "-Package '.*nope/hotdb-server-2\.5\.4-ga-20190812\.tar\.gz': no such file"
    }

    It 'exits 3 on -Resume with the parameters of a new run (the plan comes from the journal)' -Skip:($Runbook -eq 'Update-HotDbDisasterRecovery.ps1' -or $Estate) {
        $run = Invoke-RunbookCommandLine $Path ((Get-RunbookArgument $Runbook) + @('-Resume', '-JournalPath', (Join-Path $TestDrive 'run.journal.json')))
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match '-Resume takes the plan from the journal; drop .*-Package'
    }

    It 'exits 3 on a -Credential given as a plain user name (no prompt for its password)' {
        $run = Invoke-RunbookCommandLine $Path (Get-RunbookArgument $Runbook @{ Credential = 'root' } -Drop UserName)
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match '-Credential must be a PSCredential'
    }

    It 'exits 3 without any SSH login, saying how to give one' {
        $run = Invoke-RunbookCommandLine $Path (Get-RunbookArgument $Runbook -Drop UserName)
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match 'missing -Credential \(a PSCredential\), or -CredentialSecret with -SecretVault, or -UserName with -KeyFile'
    }

    It 'exits 3 on a secret when Microsoft.PowerShell.SecretManagement is not installed' -Skip:([bool](Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement)) {
        # The key-only login passes; the ConfigDB login from the vault cannot be read.
        $run = Invoke-RunbookCommandLine $Path (Get-RunbookArgument $Runbook @{ SecretVault = 'HotDb' })
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match '-ConfigDbCredentialSecret needs the Microsoft\.PowerShell\.SecretManagement module, which is not installed'
    }
}

Describe 'Update-HotDbEstate.ps1 inventory refusals from a command line' -Tag Runbook, RunbookContract {
    BeforeAll { $script:estate = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbEstate.ps1' }

    It 'is listed by Get-HotDbRunbook with its synopsis' {
        Import-Module $env:HOTDB_UPGRADE_MODULE
        $listed = Get-HotDbRunbook -Name Update-HotDbEstate
        $listed.Path | Should -Be (Get-Item $estate).FullName
        $listed.Synopsis | Should -Match 'whole HotDB estate described by an inventory'
    }

    It 'exits 3 when the inventory file is missing' {
        $run = Invoke-RunbookCommandLine $estate ((Get-RunbookArgument 'Update-HotDbEstate.ps1' @{ Inventory = (Join-Path $TestDrive 'nope/estate.psd1') }))
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match "-Inventory '.*nope/estate\.psd1': no such file"
    }

    It 'exits 3 naming every problem of an inventory, before any SSH connection' {
        $bad = Join-Path $TestDrive 'bad-estate.psd1'
        Set-Content -Path $bad -Value (@(
                '@{'
                "    Ssh = @{ UserName = 'root'; Password = 'x' }"
                "    Packages = @{ ComputeNode = '$package'; Management = '$package'; Listener = 'nope/hotdb-listener-2.5.6-linux.tar.gz' }"
                "    ComputeNodes = @(@{ Mode = 'Quad'; ComputerName = '198.18.0.250' }, @{ Mode = 'MasterSlave'; ComputerName = '198.18.0.251'; Online = 'yes' })"
                "    Management = @{ ComputerName = '198.18.0.252', '198.18.0.253' }"
                "    Listener = @{ ComputerName = '198.18.0.254' }"
                "    Compliance = @{ }"
                '}'
            ) -join "`n")
        $run = Invoke-RunbookCommandLine $estate ((Get-RunbookArgument 'Update-HotDbEstate.ps1' @{ Inventory = $bad }))
        $run.ExitCode | Should -Be 3 -Because $run.Output
        $run.Log | Should -Match 'FAILED before any change: bad inventory'
        $run.Log | Should -Match "The inventory has an unknown key 'Compliance'"
        $run.Log | Should -Match "Ssh has an unknown key 'Password'"
        $run.Log | Should -Match "ComputeNodes\[1\]\.Mode 'Quad' is not one of SingleNode, MasterSlave, Cluster, DisasterRecovery"
        $run.Log | Should -Match 'ComputeNodes\[2\]\.ComputerName \(MasterSlave\) takes 2 hosts; 1 given'
        $run.Log | Should -Match 'ComputeNodes\[2\]\.Online must be \$true or \$false'
        $run.Log | Should -Match 'Management\.ComputerName takes 1 host; 2 given'
        $run.Log | Should -Match "Packages\.Management '.*' is a ComputeNode package, not ManagementPlatform"
        $run.Log | Should -Match "Packages\.Listener '.*nope/hotdb-listener-2\.5\.6-linux\.tar\.gz': no such file"
        $run.Log | Should -Match 'ComputeNodes needs Packages\.ConfigDbScripts'
        $run.Log | Should -Not -Match 'SSH session'
        $run.Log | Should -Not -Match "Password = 'x'"
    }
}

Describe 'Runbook key-only login' -Tag Runbook, RunbookContract {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
        if (Test-SshdFixtureAvailable) {
            $script:fx = Start-SshdFixture
            $script:knownHosts = Join-Path $TestDrive 'known_hosts'
            Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
        }
    }
    AfterAll { if ($script:fx) { Stop-SshdFixture $fx } }

    It '<Runbook> logs in with -UserName and -KeyFile (no PSCredential), then refuses a host without HotDB with exit code 3' -Skip:$skipSshd -ForEach @(
        @{ Runbook = 'Update-HotDbSingleNode.ps1'; Hosts = '127.0.0.1'; Extra = @{} }
        @{ Runbook = 'Update-HotDbMasterSlave.ps1'; Hosts = '127.0.0.1,127.0.0.1'; Extra = @{ Mode = 'Offline' } }
    ) {
        $path = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) "runbooks/$Runbook"
        $log = Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).log"
        $configDbLogin = [pscredential]::new('hotdb', (ConvertTo-SecureString 'not-used' -AsPlainText -Force))
        Import-Module $env:HOTDB_UPGRADE_MODULE
        & $path -ComputerName $Hosts -Port $fx.Port -UserName root -KeyFile $fx.RootKeyPath -KnownHostsPath $knownHosts -Package $package `
            -ScriptsPath $scripts -ConfigDbCredential $configDbLogin -LogPath $log -InformationAction SilentlyContinue -WhatIf @Extra
        $LASTEXITCODE | Should -Be 3
        $text = Get-Content $log -Raw
        $text | Should -Match 'SSH session root@127\.0\.0\.1'
        $text | Should -Match 'FAILED before any change'
        $text | Should -Not -Match 'not-used'
    }
}

# Microsoft.PowerShell.SecretManagement is not installable here (PowerShell Gallery only), so a module of that name
# on a private PSModulePath stands in for it: its Get-Secret records what it was asked and returns PSCredentials.
Describe 'Runbook credentials from a SecretManagement vault' -Tag Runbook, RunbookContract {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
        if (Test-SshdFixtureAvailable) {
            $script:fx = Start-SshdFixture
            $script:knownHosts = Join-Path $TestDrive 'known_hosts'
            Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
        }
        $script:modules = Join-Path $TestDrive 'modules'
        $folder = New-Item -ItemType Directory -Path (Join-Path $modules 'Microsoft.PowerShell.SecretManagement') -Force
        $script:asked = Join-Path $TestDrive 'secrets-asked.txt'
        Set-Content -Path (Join-Path $folder 'Microsoft.PowerShell.SecretManagement.psm1') -Value @"
function Get-Secret {
    [CmdletBinding()] param([string] `$Name, [string] `$Vault)
    Add-Content -Path '$asked' -Value "`$Vault/`$Name" -WhatIf:`$false
    switch (`$Name) {
        'ssh-root' { [pscredential]::new('root', [securestring]::new()) }
        'hotdb-configdb' { [pscredential]::new('hotdb', (ConvertTo-SecureString 'vault-only-password' -AsPlainText -Force)) }
        default { throw "no secret '`$Name' in vault '`$Vault'" }
    }
}
"@
    }
    AfterAll { if ($script:fx) { Stop-SshdFixture $fx } }

    It 'logs in with -CredentialSecret and -ConfigDbCredentialSecret from -SecretVault, never writing the password' -Skip:$skipSshd {
        $path = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbSingleNode.ps1'
        $log = Join-Path $TestDrive 'vault.log'
        $saved = $env:PSModulePath
        try {
            $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $saved
            $output = '' | & dotnet pwsh -NoProfile -NonInteractive -File $path -ComputerName 127.0.0.1 -Port $fx.Port -KeyFile $fx.RootKeyPath `
                -KnownHostsPath $knownHosts -Package $package -ScriptsPath $scripts -SecretVault HotDb -CredentialSecret ssh-root `
                -ConfigDbCredentialSecret hotdb-configdb -LogPath $log -WhatIf 2>&1 | Out-String
            $exitCode = $LASTEXITCODE
        }
        finally { $env:PSModulePath = $saved }
        # The host has no HotDB: refused after the login, before any change.
        $exitCode | Should -Be 3 -Because $output
        @(Get-Content $asked) | Should -Be @('HotDb/ssh-root', 'HotDb/hotdb-configdb')
        $text = Get-Content $log -Raw
        $text | Should -Match 'SSH session root@127\.0\.0\.1'
        $text | Should -Match 'FAILED before any change'
        "$text$output" | Should -Not -Match 'vault-only-password'
    }

    It 'exits 3 naming the secret when the vault has no such secret' {
        $path = Join-Path (Split-Path $env:HOTDB_UPGRADE_MODULE) 'runbooks/Update-HotDbSingleNode.ps1'
        $log = Join-Path $TestDrive 'vault-missing.log'
        $saved = $env:PSModulePath
        try {
            $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $saved
            $output = '' | & dotnet pwsh -NoProfile -NonInteractive -File $path -ComputerName 198.18.0.250 -Package $package -ScriptsPath $scripts `
                -SecretVault HotDb -CredentialSecret no-such-secret -ConfigDbCredentialSecret hotdb-configdb -LogPath $log 2>&1 | Out-String
            $exitCode = $LASTEXITCODE
        }
        finally { $env:PSModulePath = $saved }
        $exitCode | Should -Be 3 -Because $output
        Get-Content $log -Raw | Should -Match "no secret 'no-such-secret' in vault 'HotDb'"
    }
}
