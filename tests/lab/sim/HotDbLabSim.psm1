<#
.SYNOPSIS
    Puts the simulated HotDB components on the lab's hosts through the lab's extension point
    (Add-HotDbLabRoleStep): packages, JDKs, ConfigDB schemas, configured and started components.
    See tests/lab/README.md, "Simulated HotDB components".
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Set-SimServerXml and the other package helpers are shared with the loopback fixture.
Import-Module (Join-Path $PSScriptRoot 'SimFixture.psm1')
$script:SimProject = Join-Path $PSScriptRoot 'HotDbSim/HotDbSim.csproj'
$script:StepNames = 'sim: packages and ConfigDB', 'sim: compute nodes', 'sim: management platform', 'sim: backup agents', 'sim: listeners'

function Get-HotDbLabSimDll {
    <# .SYNOPSIS The built simulator (HotDbSim.dll), building it when missing. #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $dll = @('Release', 'Debug') | ForEach-Object { Join-Path $PSScriptRoot "HotDbSim/bin/$_/net10.0/HotDbSim.dll" } |
        Where-Object { Test-Path $_ } | Sort-Object { (Get-Item $_).LastWriteTimeUtc } -Descending | Select-Object -First 1
    if ($dll) { return $dll }
    & dotnet build $script:SimProject -c Release --nologo -v quiet -clp:ErrorsOnly | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "Building $script:SimProject failed." }
    Join-Path $PSScriptRoot 'HotDbSim/bin/Release/net10.0/HotDbSim.dll'
}

function Invoke-SimHost([string] $HostName, [string] $Command, [string] $InputText) {
    $result = Invoke-HotDbLabHostCommand -HostName $HostName -Command $Command -InputText $InputText
    if ($result.ExitCode -ne 0) { throw "On ${HostName}: '$Command' failed ($($result.ExitCode)): $($result.Error) $($result.Output)" }
    $result.Output
}

function Get-SimStatePath($LabHost) { Split-Path (Split-Path $LabHost.StateFolder) }

function Get-SimVersion($LabHost, [string] $Fallback) {
    if ($LabHost.Options -and $LabHost.Options.PSObject.Properties['HotDbVersion']) { return [string]$LabHost.Options.HotDbVersion }
    if ($LabHost.Options -is [System.Collections.IDictionary] -and $LabHost.Options.Contains('HotDbVersion')) { return [string]$LabHost.Options['HotDbVersion'] }
    $Fallback
}

<# The initial version of a compute node: Options.HotDbVersion, else 2.4.9 for single nodes and 2.5.3 otherwise. #>
function Get-SimComputeVersion($LabHost) {
    $group = (Get-SimGroups $LabHost)[$LabHost.Group]
    Get-SimVersion $LabHost $(if ($group -and $group.Mode -eq 'Single') { '2.4.9' } else { '2.5.3' })
}

function Get-SimGroups($LabHost) {
    $state = Get-Content (Join-Path (Get-SimStatePath $LabHost) 'lab.json') -Raw | ConvertFrom-Json -AsHashtable
    $state.Groups
}

function Get-SimPackage([string] $Packages, [string] $Pattern) {
    $file = Get-ChildItem $Packages -Filter $Pattern | Select-Object -First 1
    if (-not $file) { throw "No package matches $Pattern in $Packages." }
    $file
}

<# The ConfigDB database of a compute-node group; a DR-centre group reads the replica of its master centre's. #>
function Get-SimConfigDb($LabHost, $AllHosts) {
    $groups = Get-SimGroups $LabHost
    $group = $groups[$LabHost.Group]
    if ($group.Contains('Idc') -and $group.Idc -eq 'dr') {
        $master = if ($group.Contains('DrOf')) { $group.DrOf } else {
            $groups.Keys | Where-Object { $groups[$_].Mode -eq 'MasterSlave' -and -not $groups[$_].Contains('Idc') } | Sort-Object | Select-Object -First 1
        }
        $replica = $AllHosts | Where-Object { 'drconfigdb' -in $_.Roles }
        return [pscustomobject]@{ Host = $replica.Address; Database = "hotdb_config_$master"; Group = $master }
    }
    $configDb = $AllHosts | Where-Object { 'configdb' -in $_.Roles }
    [pscustomobject]@{ Host = $configDb.Address; Database = "hotdb_config_$($LabHost.Group)"; Group = $LabHost.Group }
}

<# Unpacks a package (and the 1.7 JDK at /usr/local/hotdb/jdk) on a host, keeping the package in Install_Package. #>
function Install-SimTarball([string] $HostName, [string] $Packages, [System.IO.FileInfo] $Package, [switch] $Jdk8) {
    $jdk7 = Join-Path $Packages 'jdk-7u80-linux-x64.tar.gz'
    $jdk8Package = Join-Path $Packages 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz'
    $script = @"
set -e
cd /usr/local/hotdb
mkdir -p Install_Package
cp '$($Package.FullName)' Install_Package/
[ -d jdk ] || { tar -xzf '$jdk7' && mv jdk1.7.0_80 jdk; }
$(if ($Jdk8) { "[ -d jdk8u252-b09 ] || tar -xzf '$jdk8Package'" })
tar -xzf 'Install_Package/$($Package.Name)'
"@
    Invoke-SimHost $HostName $script | Out-Null
}

function Invoke-SimConfigDbStep($ConfigDbHosts, [string] $Packages) {
    $all = @(Get-HotDbLab -StatePath (Get-SimStatePath $ConfigDbHosts[0]))
    $configDb = $ConfigDbHosts | Select-Object -First 1
    & dotnet (Get-HotDbLabSimDll) package --out $Packages | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'Building the simulated packages failed.' }
    $sql = [Text.StringBuilder]::new()
    $computeHosts = @($all | Where-Object { 'computenode' -in $_.Roles })
    foreach ($group in $computeHosts | Group-Object Group) {
        $first = $group.Group[0]
        $target = Get-SimConfigDb $first $all
        if ($target.Group -ne $first.Group) { continue }   # a DR-centre group reads its master centre's replica
        $version = Get-SimComputeVersion $first
        $type = if ([version]$version -ge [version]'2.5.4') { "'NORMAL'" } else { '0' }
        $dataSources = @($all | Where-Object { 'backup' -in $_.Roles -or 'listener' -in $_.Roles })
        [void]$sql.AppendLine("CREATE DATABASE IF NOT EXISTS $($target.Database);").AppendLine("USE $($target.Database);")
        [void]$sql.AppendLine((Get-Content (Join-Path $Packages "configdb-initial/hotdb_config-initial-$version.sql") -Raw))
        [void]$sql.AppendLine("INSERT INTO hotdb_logic_db (id, name) VALUES (1, 'LOGIC1');")
        $i = 0
        foreach ($ds in $dataSources) {
            $i++
            [void]$sql.AppendLine("INSERT INTO hotdb_datanode (datanode_id, datanode_name, datanode_type) VALUES ($i, 'dn_0$i', $type);")
            [void]$sql.AppendLine("INSERT INTO hotdb_datasource (datasource_id, datanode_id, datasource_name, host, port, username, db_name) VALUES ($i, $i, 'ds_0$i', '$($ds.Address)', 3306, 'hotdb_datasource', 'db0$i');")
        }
    }
    $management = $all | Where-Object { 'management' -in $_.Roles } | Select-Object -First 1
    if ($management) {
        $version = Get-SimVersion $management '2.5.3'
        [void]$sql.AppendLine('USE hotdb_cloud_config;')
        [void]$sql.AppendLine((Get-Content (Join-Path $Packages "configdb-initial/hotdb_cloud_config-initial-$version.sql") -Raw))
    }
    Invoke-SimHost $configDb.Name 'mariadb' $sql.ToString() | Out-Null
}

function Install-SimComputeNode($LabHost, $AllHosts, [string] $Packages, $Credential) {
    $version = Get-SimComputeVersion $LabHost
    $package = Get-SimPackage $Packages "hotdb-server-$version-ga-*.tar.gz"
    # keepalived checks the vendor's script path every second: keep the lab's stand-in until the node runs
    Invoke-SimHost $LabHost.Name '[ -f /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh ] && cp /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh /run/check-standin.sh || true' | Out-Null
    Install-SimTarball $LabHost.Name $Packages $package
    $groups = Get-SimGroups $LabHost
    $group = $groups[$LabHost.Group]
    $configDb = Get-SimConfigDb $LabHost $AllHosts
    $properties = [ordered]@{
        url = "jdbc:mysql://$($configDb.Host):3306/$($configDb.Database)"; username = $Credential.UserName
        password = $Credential.GetNetworkCredential().Password
        # values a user changed from the defaults, so an upgrade must carry them over
        processors = 4; maxConnections = 8000; readOnly = 'false'
    }
    $members = @($AllHosts | Where-Object { $_.Group -eq $LabHost.Group -and 'computenode' -in $_.Roles } | Sort-Object Name)
    switch ($group.Mode) {
        'MasterSlave' {
            $isDr = $group.Contains('Idc') -and $group.Idc -eq 'dr'
            $properties.haMode = if ($isDr) { 3 } else { 0 }
            $properties.VIP = $group.Vip
            $properties.checkVIPPeriod = 500
            if ($LabHost.Keepalived -eq 'backup') {
                $master = $members | Where-Object Keepalived -EQ 'master'
                $properties.haState = 'backup'; $properties.haNodeHost = "$($master.Address):3325"
            }
            else { $properties.haState = 'master'; $properties.haNodeHost = '' }
            if ($isDr) {
                $properties.idcId = 2
                $properties.idcNodeHost = (@($AllHosts | Where-Object { $_.Group -eq $configDb.Group }) | ForEach-Object { "$($_.Address):3325" }) -join ','
            }
        }
        'Cluster' {
            $properties.haMode = 1
            $properties.serverId = [array]::IndexOf($members.Name, $LabHost.Name) + 1
            $properties.clusterName = "HotDB-Cluster-$($LabHost.Group)"
            $properties.clusterSize = $members.Count
            $properties.clusterNetwork = '198.18.0.0/24'
            $properties.clusterHost = $LabHost.Address
            $properties.clusterPort = 3326
            $properties.haNodeHost = ($members | ForEach-Object { "$($_.Address):3326" }) -join ','
        }
        default { $properties.haMode = 0; $properties.haState = 'master' }
    }
    Set-SimServerXml (Join-Path $LabHost.HotDbPath 'hotdb-server/conf/server.xml') $properties
    $ndb = if ([version]$version -ge [version]'2.5.3') {
        # the NDB SQL service directories an upgrade must carry over
        'mkdir -p /usr/local/hotdb/mysql-cluster/bin hotdb-server/ndbsql_data && ln -sfn /usr/local/hotdb/mysql-cluster hotdb-server/ndbsql_bin && echo "[mysqld]" > hotdb-server/ndbsql_data/my.cnf'
    }
    else { 'true' }
    Invoke-SimHost $LabHost.Name @"
set -e
cd /usr/local/hotdb
$ndb
mv hotdb-server/bin/check_hotdb_process.sh hotdb-server/bin/.check_hotdb_process.sh.sim
if [ -f /run/check-standin.sh ]; then cp /run/check-standin.sh hotdb-server/bin/check_hotdb_process.sh; else cp hotdb-server/bin/.check_hotdb_process.sh.sim hotdb-server/bin/check_hotdb_process.sh; fi
chmod 600 hotdb-server/conf/server.xml
chown -R hotdb:hotdb /usr/local/hotdb
"@ | Out-Null
}

function Start-SimComputeNode($LabHost) {
    Invoke-SimHost $LabHost.Name @'
set -e
sh /usr/local/hotdb/hotdb-server/bin/hotdb_server start
cd /usr/local/hotdb/hotdb-server/bin
mv .check_hotdb_process.sh.sim check_hotdb_process.sh
rm -f /run/check-standin.sh
'@ | Out-Null
}

function Invoke-SimComputeStep($ComputeHosts, [string] $Packages) {
    $statePath = Get-SimStatePath $ComputeHosts[0]
    $all = @(Get-HotDbLab -StatePath $statePath)
    $credential = Get-HotDbLabCredential -UserName hotdb_config -StatePath $statePath
    foreach ($labHost in $ComputeHosts) { Install-SimComputeNode $labHost $all $Packages $credential }
    # masters before their backups, as the vendor's start order says; DR-centre nodes open only 3325
    $ordered = @($ComputeHosts | Where-Object { $_.Keepalived -ne 'backup' }) + @($ComputeHosts | Where-Object { $_.Keepalived -eq 'backup' })
    foreach ($labHost in $ordered) { Start-SimComputeNode $labHost }
}

function Invoke-SimManagementStep($ManagementHosts, [string] $Packages) {
    $statePath = Get-SimStatePath $ManagementHosts[0]
    $configDb = Get-HotDbLab -StatePath $statePath | Where-Object { 'configdb' -in $_.Roles } | Select-Object -First 1
    $credential = Get-HotDbLabCredential -UserName hotdb_cloud -StatePath $statePath
    foreach ($labHost in $ManagementHosts) {
        $version = Get-SimVersion $labHost '2.5.3'
        Install-SimTarball $labHost.Name $Packages (Get-SimPackage $Packages "hotdb-management-$version-ga-*.tar.gz")
        $properties = Join-Path $labHost.HotDbPath 'hotdb-management/conf/application.properties'
        $text = (Get-Content $properties -Raw) -replace '(?m)^spring\.datasource\.url=.*$', "spring.datasource.url=jdbc:mysql://$($configDb.Address):3306/hotdb_cloud_config?useUnicode=true&characterEncoding=utf8" `
            -replace '(?m)^spring\.datasource\.username=.*$', "spring.datasource.username=$($credential.UserName)" `
            -replace '(?m)^spring\.datasource\.password=.*$', "spring.datasource.password=$($credential.GetNetworkCredential().Password)"
        Set-Content -Path $properties -Value $text -NoNewline
        Invoke-SimHost $labHost.Name 'chmod 600 /usr/local/hotdb/hotdb-management/conf/application.properties && chown -R hotdb:hotdb /usr/local/hotdb && sh /usr/local/hotdb/hotdb-management/bin/hotdb_management start' | Out-Null
    }
}

function Invoke-SimBackupStep($BackupHosts, [string] $Packages) {
    $management = Get-HotDbLab -StatePath (Get-SimStatePath $BackupHosts[0]) | Where-Object { 'management' -in $_.Roles } | Select-Object -First 1
    foreach ($labHost in $BackupHosts) {
        $version = Get-SimVersion $labHost '2.5.3'
        Install-SimTarball $labHost.Name $Packages (Get-SimPackage $Packages "hotdb-backup-$version-*.tar.gz")
        $start = if ($management) { "sh /usr/local/hotdb/hotdb-backup/bin/hotdb_backup start -h $($management.Address) -p 3322" } else { 'true' }
        Invoke-SimHost $labHost.Name "chown -R hotdb:hotdb /usr/local/hotdb && $start" | Out-Null
    }
}

function Invoke-SimListenerStep($ListenerHosts, [string] $Packages) {
    foreach ($labHost in $ListenerHosts) {
        $version = Get-SimVersion $labHost '2.5.5'
        Install-SimTarball $labHost.Name $Packages (Get-SimPackage $Packages "hotdb-listener-$version-linux.tar.gz") -Jdk8
        # The vendor's listener script runs /usr/local/jdk8's JDK 8 (per host in the lab); the installed one is pointed at its own copy.
        Invoke-SimHost $labHost.Name "mkdir -p /usr/local/jdk8 && cd /usr/local/jdk8 && { [ -d jdk8u252-b09 ] || tar -xzf '$(Join-Path $Packages 'OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz')'; }" | Out-Null
        Invoke-SimHost $labHost.Name @'
set -e
cd /usr/local/hotdb/hotdb-listener/bin
sed -i 's#^JAVA_BIN=.*#JAVA_BIN=/usr/local/hotdb/jdk8u252-b09/bin/java#' hotdb_listener
chown -R hotdb:hotdb /usr/local/hotdb
sh hotdb_listener start
'@ | Out-Null
    }
}

function Invoke-SimStep([string] $Name, [scriptblock] $Body) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    & $Body
    Write-Verbose ("{0}: {1:N1} s" -f $Name, $clock.Elapsed.TotalSeconds)
}

function Register-HotDbLabSim {
    <#
    .SYNOPSIS
        Adds the lab role steps that install and start the simulated components at Start-HotDbLab.
    .DESCRIPTION
        configdb (order 200): builds the packages into <state>/packages and loads each compute-node group's
        ConfigDB (hotdb_config_<group>) and hotdb_cloud_config at the initial versions. computenode (210),
        management (220), backup (230), listener (240): unpack, configure and start. A host's
        Options.HotDbVersion picks its version; defaults: compute nodes 2.4.9 in Single groups and 2.5.3
        otherwise, management and backup 2.5.3, listener 2.5.5.
    #>
    [CmdletBinding()]
    param()
    Add-HotDbLabRoleStep -Role configdb -Name $script:StepNames[0] -Order 200 -ScriptBlock {
        param($hosts) Invoke-SimStep $script:StepNames[0] { Invoke-SimConfigDbStep $hosts (Join-Path (Get-SimStatePath $hosts[0]) 'packages') }
    }
    Add-HotDbLabRoleStep -Role computenode -Name $script:StepNames[1] -Order 210 -ScriptBlock {
        param($hosts) Invoke-SimStep $script:StepNames[1] { Invoke-SimComputeStep $hosts (Join-Path (Get-SimStatePath $hosts[0]) 'packages') }
    }
    Add-HotDbLabRoleStep -Role management -Name $script:StepNames[2] -Order 220 -ScriptBlock {
        param($hosts) Invoke-SimStep $script:StepNames[2] { Invoke-SimManagementStep $hosts (Join-Path (Get-SimStatePath $hosts[0]) 'packages') }
    }
    Add-HotDbLabRoleStep -Role backup -Name $script:StepNames[3] -Order 230 -ScriptBlock {
        param($hosts) Invoke-SimStep $script:StepNames[3] { Invoke-SimBackupStep $hosts (Join-Path (Get-SimStatePath $hosts[0]) 'packages') }
    }
    Add-HotDbLabRoleStep -Role listener -Name $script:StepNames[4] -Order 240 -ScriptBlock {
        param($hosts) Invoke-SimStep $script:StepNames[4] { Invoke-SimListenerStep $hosts (Join-Path (Get-SimStatePath $hosts[0]) 'packages') }
    }
}

function Unregister-HotDbLabSim {
    <# .SYNOPSIS Removes the role steps Register-HotDbLabSim added. #>
    [CmdletBinding()]
    param()
    foreach ($name in $script:StepNames) { Remove-HotDbLabRoleStep -Name $name }
}

function Set-HotDbLabComponentFault {
    <#
    .SYNOPSIS
        Injects a component fault on a lab host: StartFailure (the next start fails once),
        StartFailureAfterConfigDb (hotdb-management only: the next start fails once after its ConfigDB check and
        upgrade), HangOnStop (the
        process ignores SIGTERM until cleared), CorruptPackage (truncates the component's tarballs in
        /usr/local/hotdb/Install_Package, or -Package only) or BackupTask (hotdb-backup only: the agent runs
        backup task -Message, default 1, until cleared).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [string] $HostName,
        [Parameter(Mandatory)] [ValidateSet('hotdb-server', 'hotdb-management', 'hotdb-backup', 'hotdb-listener')] [string] $Component,
        [Parameter(Mandatory)] [ValidateSet('StartFailure', 'StartFailureAfterConfigDb', 'HangOnStop', 'CorruptPackage', 'BackupTask')] [string] $Fault,
        [string] $Message = 'java.lang.OutOfMemoryError: unable to create new native thread',
        [string] $Package,
        [string] $StatePath
    )
    if (-not $PSCmdlet.ShouldProcess("$Component on $HostName", "Inject $Fault")) { return }
    $faults = '/usr/local/hotdb/.hotdb-sim-faults'
    switch ($Fault) {
        'StartFailure' { Invoke-HotDbLabHostCommand -HostName $HostName -StatePath $StatePath -Command "mkdir -p $faults && cat > $faults/$Component.start-fail" -InputText $Message | Out-Null }
        'StartFailureAfterConfigDb' {
            if ($Component -ne 'hotdb-management') { throw 'StartFailureAfterConfigDb is a fault of hotdb-management.' }
            Invoke-HotDbLabHostCommand -HostName $HostName -StatePath $StatePath -Command "mkdir -p $faults && cat > $faults/$Component.start-fail-after-configdb" -InputText $Message | Out-Null
        }
        'HangOnStop' { Invoke-HotDbLabHostCommand -HostName $HostName -StatePath $StatePath -Command "mkdir -p $faults && touch $faults/$Component.hang-on-stop" | Out-Null }
        'BackupTask' {
            if ($Component -ne 'hotdb-backup') { throw 'BackupTask is a fault of hotdb-backup.' }
            $task = if ($PSBoundParameters.ContainsKey('Message')) { $Message } else { '1' }
            Invoke-HotDbLabHostCommand -HostName $HostName -StatePath $StatePath -Command "mkdir -p $faults && cat > $faults/hotdb-backup.backup-task" -InputText $task | Out-Null
        }
        'CorruptPackage' {
            $pattern = if ($Package) { "'$Package'" } else { "$Component-*.tar.gz" }
            $result = Invoke-HotDbLabHostCommand -HostName $HostName -StatePath $StatePath -Command "cd /usr/local/hotdb/Install_Package && for f in $pattern; do [ -f `"`$f`" ] && truncate -s 1000 `"`$f`" && echo `"`$f`"; done"
            if (-not $result.Output.Trim()) { throw "No $Component package in /usr/local/hotdb/Install_Package on $HostName." }
        }
    }
}

function Clear-HotDbLabComponentFault {
    <# .SYNOPSIS Removes StartFailure, StartFailureAfterConfigDb, HangOnStop and BackupTask faults of a component (or all) on a lab host. #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [string] $HostName, [string] $Component = '*', [string] $StatePath)
    if (-not $PSCmdlet.ShouldProcess($HostName, "Clear $Component faults")) { return }
    Invoke-HotDbLabHostCommand -HostName $HostName -StatePath $StatePath -Command "rm -f /usr/local/hotdb/.hotdb-sim-faults/$Component.start-fail /usr/local/hotdb/.hotdb-sim-faults/$Component.start-fail-after-configdb /usr/local/hotdb/.hotdb-sim-faults/$Component.hang-on-stop /usr/local/hotdb/.hotdb-sim-faults/$Component.backup-task" | Out-Null
}

Export-ModuleMember -Function Register-HotDbLabSim, Unregister-HotDbLabSim, Get-HotDbLabSimDll, Set-HotDbLabComponentFault, Clear-HotDbLabComponentFault
