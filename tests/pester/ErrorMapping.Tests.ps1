# One mapping from failures to error records (HotDbCmdlet.ErrorRecordFor): the same failure gets the same error id,
# category and remedy whichever cmdlet meets it. Real sshd and MariaDB on loopback; nothing is mocked.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    $script:fixturesMissing = -not (Test-SshdFixtureAvailable) -or -not (Get-Command mariadbd -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module $env:HOTDB_UPGRADE_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/SshdFixture.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'fixtures/MariaDbFixture.psm1') -Force
    if (-not (Test-SshdFixtureAvailable) -or -not (Get-Command mariadbd -ErrorAction SilentlyContinue)) { return }
    $script:fx = Start-SshdFixture
    $script:db = Start-MariaDbFixture
    $knownHosts = Join-Path $TestDrive 'known_hosts'
    Set-Content -Path $knownHosts -Value $fx.KnownHostsLine
    $connect = @{ ComputerName = '127.0.0.1'; Port = $fx.Port; KnownHostsPath = $knownHosts; Credential = (New-FixtureCredential -RootKey); KeyFile = $fx.RootKeyPath }
    $script:live = New-HotDbSession @connect
    $script:removed = New-HotDbSession @connect
    $removed | Remove-HotDbSession

    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $script:closedPort = $listener.LocalEndpoint.Port; $listener.Stop()

    $script:hugeVersionScripts = Join-Path $TestDrive 'huge-version'
    New-Item -ItemType Directory -Path $hugeVersionScripts | Out-Null
    Set-Content -Path (Join-Path $hugeVersionScripts 'hotdb_config_2.5.4.sql') -Value 'SELECT 1;'
    Set-Content -Path (Join-Path $hugeVersionScripts 'hotdb_config_2.5.99999999999999999999.sql') -Value 'SELECT 1;'

    # What each case runs; every error it reports, terminating or not, is returned.
    $script:runs = @{
        'Get-HotDbComputeNode on a removed session'   = { Get-HotDbComputeNode -Session $removed }
        'Start-HotDbComputeNode on a removed session' = { Start-HotDbComputeNode -Session $removed -Confirm:$false }
        'Backup-HotDbConfigDb through a removed session' = {
            $configDb = New-HotDbConfigDb -ComputerName $db.Endpoint -Credential $db.Credential -Session $removed
            Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.5.3 -Directory /tmp/hotdb-never-written
        }
        'Get-HotDbConfigDbBackup through a removed session' = { Get-HotDbConfigDbBackup -Session $removed -Path /tmp/hotdb-never-written/x.sql }
        'Compare-HotDbConfig through a removed session' = { Compare-HotDbConfig -Session $removed -Path /usr/local/hotdb/a -Destination /usr/local/hotdb/b }
        'Backup-HotDbConfigDb of a ConfigDB on a closed port' = {
            $configDb = New-HotDbConfigDb -ComputerName "127.0.0.1:$closedPort" -Credential $db.Credential -ConnectTimeoutSeconds 3
            Backup-HotDbConfigDb -ConfigDb $configDb -Version 2.5.3 -Directory (Join-Path $TestDrive 'never')
        }
        'Invoke-HotDbConfigDbUpgrade with a huge version in a script name' = {
            $configDb = New-HotDbConfigDb -ComputerName $db.Endpoint -Credential $db.Credential
            Invoke-HotDbConfigDbUpgrade -ConfigDb $configDb -Path $hugeVersionScripts -From 2.5.3 -To 2.5.4 -BackupDirectory (Join-Path $TestDrive 'never') -Confirm:$false
        }
        'Invoke-HotDbCommand past its time limit' = { Invoke-HotDbCommand -Session $live 'sleep 30' -Timeout 1 }
    }

    function script:Get-ReportedError([string] $Case) {
        $problems = @()
        try { $problems += & { $ErrorActionPreference = 'Continue'; & $runs[$Case] } 2>&1 }
        catch { $problems += $_ }
        @($problems | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    }
}

AfterAll {
    if ($script:live) { $live | Remove-HotDbSession }
    if ($script:db) { Stop-MariaDbFixture $db }
    if ($script:fx) { Stop-SshdFixture $fx }
}

Describe 'One error mapping across cmdlets' -Tag Module, Ssh, ConfigDb, ComputeNode -Skip:$fixturesMissing {
    It '<Case>: <Id> (<Category>) with a target and a remedy' -ForEach @(
        @{ Case = 'Get-HotDbComputeNode on a removed session'; Id = 'SessionClosed'; Category = 'ResourceUnavailable'; Remedy = 'New-HotDbSession' }
        @{ Case = 'Start-HotDbComputeNode on a removed session'; Id = 'SessionClosed'; Category = 'ResourceUnavailable'; Remedy = 'New-HotDbSession' }
        @{ Case = 'Backup-HotDbConfigDb through a removed session'; Id = 'SessionClosed'; Category = 'ResourceUnavailable'; Remedy = 'New-HotDbSession' }
        @{ Case = 'Get-HotDbConfigDbBackup through a removed session'; Id = 'SessionClosed'; Category = 'ResourceUnavailable'; Remedy = 'New-HotDbSession' }
        @{ Case = 'Compare-HotDbConfig through a removed session'; Id = 'SessionClosed'; Category = 'ResourceUnavailable'; Remedy = 'New-HotDbSession' }
        @{ Case = 'Backup-HotDbConfigDb of a ConfigDB on a closed port'; Id = 'ConfigDbUnreachable'; Category = 'ConnectionError'; Remedy = 'port' }
        @{ Case = 'Invoke-HotDbConfigDbUpgrade with a huge version in a script name'; Id = 'UpgradeScriptsNotUsable'; Category = 'InvalidData'; Remedy = 'Name every script'
           Message = 'hotdb_config_2\.5\.99999999999999999999\.sql.*too large' }
        @{ Case = 'Invoke-HotDbCommand past its time limit'; Id = 'CommandTimedOut'; Category = 'OperationTimeout'; Remedy = '-Timeout' }
    ) {
        $problems = Get-ReportedError $Case
        $problems.Count | Should -Be 1
        $problem = $problems[0]
        $problem.FullyQualifiedErrorId | Should -BeLike "$Id,HotDb.Upgrade.Commands.*"
        $problem.CategoryInfo.Category | Should -Be $Category
        $problem.TargetObject | Should -Not -BeNullOrEmpty
        $problem.ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape($Remedy))
        if ($Message) { $problem.Exception.Message | Should -Match $Message }
    }
}
