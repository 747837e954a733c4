<#
.SYNOPSIS
    The HotDB lab: a multi-host Linux estate on one machine (network, mount, pid, uts and ipc namespaces per
    host) with real sshd, keepalived and MariaDB, for testing HotDb.Upgrade. See README.md beside this file.
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:LibDir = Join-Path $PSScriptRoot 'host'
$script:HostScript = Join-Path $script:LibDir 'labhost.sh'
$script:BridgeName = 'hdblab0'
$script:BridgeAddress = '198.18.0.1'
$script:Subnet = '198.18.0'
$script:NetNsPrefix = 'hotdblab-'
$script:VethPrefix = 'hl-'
$script:LockDir = '/run/hotdb-lab'
$script:LoginUser = 'labadmin'
$script:KnownRoles = 'configdb', 'drconfigdb', 'computenode', 'management', 'backup', 'listener', 'keepalived'
$script:HostKeys = 'Name', 'Address', 'Roles', 'Group', 'Keepalived', 'HotDbSize', 'Options'
$script:RequiredPrograms = [ordered]@{
    ip = '/usr/sbin/ip'; tc = '/usr/sbin/tc'; unshare = '/usr/bin/unshare'; nsenter = '/usr/bin/nsenter'
    tini = '/usr/bin/tini'; sshd = '/usr/sbin/sshd'; 'ssh-keygen' = '/usr/bin/ssh-keygen'
    keepalived = '/usr/sbin/keepalived'; mariadbd = '/usr/sbin/mariadbd'; mariadb = '/usr/bin/mariadb'
    'mariadb-install-db' = '/usr/bin/mariadb-install-db'; sudo = '/usr/bin/sudo'; nft = '/usr/sbin/nft'; ping = '/usr/bin/ping'
    iptables = '/usr/sbin/iptables'; python3 = '/usr/bin/python3'
}
# Steps other lab parts add (Add-HotDbLabRoleStep) to install components once the infrastructure is up.
$script:RoleSteps = [System.Collections.Generic.List[object]]::new()

#region helpers

function Invoke-LabProcess {
    # Runs a program without a shell; stdin from InputText (how secrets travel), stdout and stderr captured.
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $InputText,
        [switch] $AllowFailure
    )
    $info = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if ($InputText) { $process.StandardInput.Write($InputText) }
    $process.StandardInput.Close()
    $process.WaitForExit()
    $result = [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
    if (-not $AllowFailure -and $result.ExitCode -ne 0) {
        $detail = ($result.Error, $result.Output | Where-Object { $_ }) -join ' ' -replace '\s+', ' '
        throw "$FilePath $($ArgumentList -join ' ') failed with exit code $($result.ExitCode): $detail"
    }
    $result
}

function Get-LabStatePath([string] $StatePath) {
    if ($StatePath) { return [IO.Path]::GetFullPath($StatePath) }
    if ($env:HOTDB_LAB_STATE) { return [IO.Path]::GetFullPath($env:HOTDB_LAB_STATE) }
    [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../.lab'))
}

function New-LabSecret {
    # 24 URL-safe characters from the OS's cryptographic generator.
    $bytes = [byte[]]::new(18)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
    [Convert]::ToBase64String($bytes).Replace('+', 'x').Replace('/', 'y')
}

function Write-LabFile([string] $Path, [string] $Text, [string] $Mode = '644') {
    $folder = Split-Path $Path
    if (-not (Test-Path $folder)) { New-Item -ItemType Directory -Path $folder -Force | Out-Null }
    # Create with the final mode before any content lands, so a secret is never world-readable.
    [IO.File]::WriteAllText($Path, '')
    [IO.File]::SetUnixFileMode($Path, [Convert]::ToInt32($Mode, 8))
    [IO.File]::WriteAllText($Path, ($Text -replace "`r`n", "`n"))
}

function Read-LabState([string] $StatePath) {
    $file = Join-Path $StatePath 'lab.json'
    if (-not (Test-Path $file)) { return $null }
    Get-Content $file -Raw | ConvertFrom-Json
}

function Get-LabLockOwner {
    $owner = Join-Path $script:LockDir 'owner.json'
    try { Get-Content $owner -Raw -ErrorAction Stop | ConvertFrom-Json } catch { $null }   # absent or being written
}

function Test-LabInfrastructurePresent {
    # True when any lab namespace, veth or the bridge exists on this machine, whoever made it.
    $namespaces = (Invoke-LabProcess ip @('netns', 'list')).Output -split "`n" | Where-Object { $_ -like "$($script:NetNsPrefix)*" }
    $links = (Invoke-LabProcess ip @('-o', 'link', 'show')).Output -split "`n" |
        Where-Object { $_ -match "^\d+: ($([regex]::Escape($script:BridgeName))|$([regex]::Escape($script:VethPrefix))[^:@]+)[:@]" }
    [bool]($namespaces -or $links)
}

function Get-LabHostRecord([string] $StatePath, [string] $HostName) {
    $state = Read-LabState $StatePath
    if (-not $state) { throw "No HotDB lab is running from '$StatePath'. Start one with Start-HotDbLab." }
    $record = $state.Hosts | Where-Object Name -EQ $HostName
    if (-not $record) { throw "The running lab has no host '$HostName'. Its hosts: $($state.Hosts.Name -join ', ')." }
    $record
}

function Invoke-LabHost {
    # Runs a shell command line inside a host's namespaces as root (or -User via runuser); throws on failure
    # unless -AllowFailure.
    param($Record, [string] $Command, [string] $InputText, [string] $User, [switch] $AllowFailure)
    $shell = if ($User) { @('/usr/sbin/runuser', '-l', $User, '-c', $Command) } else { @('/bin/bash', '-c', $Command) }
    $arguments = @('--target', [string]$Record.InitPid, '--net', '--mount', '--uts', '--ipc', '--pid', '--root', '--wd=/', '--') + $shell
    try {
        Invoke-LabProcess nsenter $arguments -InputText $InputText -AllowFailure:$AllowFailure
    }
    catch { throw "On lab host $($Record.Name): $($_.Exception.Message)" }
}

function Wait-LabCondition {
    # Polls Condition until it returns true; throws Message after TimeoutSeconds.
    param([scriptblock] $Condition, [double] $TimeoutSeconds, [string] $Message, [int] $IntervalMs = 100)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        if (& $Condition) { return }
        if ([DateTime]::UtcNow -gt $deadline) { throw $Message }
        Start-Sleep -Milliseconds $IntervalMs
    }
}

function Test-TcpPort([string] $Address, [int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try { $client.ConnectAsync($Address, $Port).Wait(300) -and $client.Connected }
    catch { $false }
    finally { $client.Dispose() }
}

#endregion

#region topology

function Read-HotDbLabTopology {
    <#
    .SYNOPSIS
        Reads and validates a lab topology (a .psd1 path or a hashtable); returns the normalised topology.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [object] $Topology)
    $data = if ($Topology -is [System.Collections.IDictionary]) { $Topology }
    else {
        $path = [string]$Topology
        if (-not (Test-Path $path)) { throw "Topology file '$path' does not exist." }
        Import-PowerShellDataFile $path
    }
    $defaults = if ($data.Contains('Defaults')) { $data.Defaults } else { @{} }
    $groups = if ($data.Contains('Groups')) { $data.Groups } else { @{} }
    if (-not $data.Contains('Hosts') -or -not @($data.Hosts)) { throw 'The topology has no Hosts.' }
    $used = @{ $script:BridgeAddress = 'the bridge' }
    foreach ($groupName in $groups.Keys) {
        $group = $groups[$groupName]
        if ($group.Contains('Vip')) {
            if ($group.Vip -notmatch "^$([regex]::Escape($script:Subnet))\.(\d{1,3})$" -or [int]$Matches[1] -notin 2..254) {
                throw "Group '$groupName': VIP '$($group.Vip)' is not a host address in $($script:Subnet).0/24."
            }
            $used[$group.Vip] = "the VIP of group '$groupName'"
        }
    }
    $hosts = foreach ($entry in $data.Hosts) {
        foreach ($key in $entry.Keys) {
            if ($key -notin $script:HostKeys) { throw "Host '$($entry.Name)': unknown key '$key' (known: $($script:HostKeys -join ', '))." }
        }
        $name = [string]$entry.Name
        if ($name -notmatch '^[a-z][a-z0-9]{0,11}$') { throw "Host name '$name' must be 1-12 lower-case letters or digits, starting with a letter." }
        $address = [string]$entry.Address
        if ($address -notmatch "^$([regex]::Escape($script:Subnet))\.(\d{1,3})$" -or [int]$Matches[1] -notin 1..254) {
            throw "Host '$name': address '$address' is not a host address in $($script:Subnet).0/24."
        }
        if ($used.Contains($address)) { throw "Host '$name': address $address is already $($used[$address])." }
        $used[$address] = "host '$name'"
        $roles = @($entry['Roles'] | Where-Object { $_ } | ForEach-Object { [string]$_ })
        foreach ($role in $roles) {
            if ($role -notin $script:KnownRoles) { throw "Host '$name': unknown role '$role' (known: $($script:KnownRoles -join ', '))." }
        }
        $group = if ($entry.Contains('Group')) { [string]$entry.Group } else { $null }
        if ($group -and -not $groups.Contains($group)) { throw "Host '$name': group '$group' is not defined under Groups." }
        $keepalived = if ($entry.Contains('Keepalived')) { [string]$entry.Keepalived } else { $null }
        if ('keepalived' -in $roles) {
            if (-not $group -or -not $groups[$group].Contains('Vip')) { throw "Host '$name' has the keepalived role but its group has no Vip." }
            if ($keepalived -notin 'master', 'backup') { throw "Host '$name' has the keepalived role: set Keepalived = 'master' or 'backup'." }
        }
        $size = if ($entry.Contains('HotDbSize')) { [string]$entry.HotDbSize } elseif ($defaults.Contains('HotDbSize')) { [string]$defaults.HotDbSize } else { '' }
        if ($size -and $size -notmatch '^\d+[KMG]$') { throw "Host '$name': HotDbSize '$size' must look like 256M or 1G ('' for on disk)." }
        [pscustomobject]@{
            Name = $name; Address = $address; Roles = $roles; Group = $group; Keepalived = $keepalived; HotDbSize = $size
            Options = if ($entry.Contains('Options')) { $entry.Options } else { @{} }
        }
    }
    $duplicate = $hosts | Group-Object Name | Where-Object Count -GT 1 | Select-Object -First 1
    if ($duplicate) { throw "Host name '$($duplicate.Name)' appears more than once." }
    foreach ($role in 'configdb', 'drconfigdb') {
        if (@($hosts | Where-Object { $role -in $_.Roles }).Count -gt 1) { throw "Only one host can have the $role role." }
    }
    if (($hosts | Where-Object { 'drconfigdb' -in $_.Roles }) -and -not ($hosts | Where-Object { 'configdb' -in $_.Roles })) {
        throw 'The drconfigdb role replicates the configdb host: add a host with the configdb role.'
    }
    foreach ($groupName in $groups.Keys) {
        $members = @($hosts | Where-Object { $_.Group -eq $groupName -and 'keepalived' -in $_.Roles })
        if ($members -and @($members | Where-Object Keepalived -EQ 'master').Count -ne 1) {
            throw "Group '$groupName' needs exactly one keepalived master."
        }
    }
    [pscustomobject]@{ Groups = $groups; Hosts = @($hosts) }
}

#endregion

#region support and lock

function Get-HotDbLabSupport {
    <#
    .SYNOPSIS
        Returns $null when this machine can run the lab, otherwise one line saying why not.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if (-not $IsLinux) { return 'The HotDB lab needs Linux network and mount namespaces; this is not Linux.' }
    $uid = (& id -u)
    if ($uid -ne '0') { return "The HotDB lab needs root to create network and mount namespaces (running as uid $uid)." }
    $missing = @($script:RequiredPrograms.Keys | Where-Object { -not (Test-Path $script:RequiredPrograms[$_]) })
    if ($missing) { return "The HotDB lab needs programs that are missing: $($missing -join ', ') (build.ps1 installs them as root)." }
    $probe = Invoke-LabProcess unshare @('--net', '--mount', '--pid', '--fork', '/bin/true') -AllowFailure
    if ($probe.ExitCode -ne 0) { return "This machine cannot create namespaces: $($probe.Error.Trim())" }
    $null
}

function Enter-LabLock([string] $StatePath, [int] $WaitSeconds) {
    $deadline = [DateTime]::UtcNow.AddSeconds($WaitSeconds)
    while ($true) {
        # mkdir is atomic: exactly one of two concurrent starts gets the lock.
        if ((Invoke-LabProcess mkdir @($script:LockDir) -AllowFailure).ExitCode -eq 0) {
            Write-LabFile (Join-Path $script:LockDir 'owner.json') (@{ StatePath = $StatePath; Pid = $PID; Started = [DateTime]::UtcNow.ToString('o') } | ConvertTo-Json)
            return
        }
        $owner = Get-LabLockOwner
        # Stale: no lab network left and the process that took the lock is gone (a start that died). A lock
        # without its owner file yet is a start that is just writing it, unless it is old.
        $ownerAlive = if ($owner) { Test-Path "/proc/$($owner.Pid)" }
        else { (Test-Path $script:LockDir) -and (Get-Item $script:LockDir).LastWriteTimeUtc -gt [DateTime]::UtcNow.AddSeconds(-30) }
        if (-not $ownerAlive -and -not (Test-LabInfrastructurePresent)) {
            Remove-Item $script:LockDir -Recurse -Force -ErrorAction SilentlyContinue
            continue
        }
        if ([DateTime]::UtcNow -ge $deadline) {
            $who = if ($owner) { "started $($owner.Started) by process $($owner.Pid) from state '$($owner.StatePath)'" } else { 'owner unknown' }
            throw "A HotDB lab is already running on this machine ($who). Stop it first: Stop-HotDbLab -StatePath '$(if ($owner) { $owner.StatePath })'."
        }
        Start-Sleep -Seconds 1
    }
}

#endregion

#region building the estate

function New-LabHostFiles {
    # Writes every file a host needs before it boots: its /etc layer, homes, keys, keepalived and MariaDB configs.
    param($Lab, $HostInfo, [hashtable] $Ids)
    $dir = Join-Path $Lab.StatePath "hosts/$($HostInfo.Name)"
    $etc = Join-Path $dir 'etc'
    foreach ($sub in 'root', 'home', 'log', 'tmp', 'jdk8', '.etc-work') { New-Item -ItemType Directory (Join-Path $dir $sub) -Force | Out-Null }
    Invoke-LabProcess cp @('-a', "$($Lab.StatePath)/etc-template/.", $etc) | Out-Null
    [IO.File]::SetUnixFileMode((Join-Path $dir 'tmp'), [Convert]::ToInt32('1777', 8))
    if (-not $HostInfo.HotDbSize) { New-Item -ItemType Directory (Join-Path $dir 'hotdb') -Force | Out-Null }
    $hasMysql = [bool]($HostInfo.Roles | Where-Object { $_ -in 'configdb', 'drconfigdb' })
    if ($hasMysql) { New-Item -ItemType Directory (Join-Path $dir 'mysql') -Force | Out-Null }
    Write-LabFile (Join-Path $dir 'host.env') "HOTDB_SIZE='$($HostInfo.HotDbSize)'`nHAS_MYSQL=$([int]$hasMysql)`n"

    Write-LabFile (Join-Path $etc 'hostname') "$($HostInfo.Name)`n"
    $hostsFile = "127.0.0.1`tlocalhost`n$($HostInfo.Address)`t$($HostInfo.Name)`n" +
        (($Lab.Topology.Hosts | Where-Object Name -NE $HostInfo.Name | ForEach-Object { "$($_.Address)`t$($_.Name)" }) -join "`n") + "`n"
    Write-LabFile (Join-Path $etc 'hosts') $hostsFile

    # SSH: the host's own key and sshd_config (the lab's known_hosts is added once every host has its key).
    $ssh = Join-Path $etc 'ssh'
    New-Item -ItemType Directory $ssh -Force | Out-Null
    Invoke-LabProcess ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', "root@$($HostInfo.Name)", '-f', "$ssh/ssh_host_ed25519_key") | Out-Null
    Write-LabFile "$ssh/sshd_config" @'
# HotDB lab host sshd: its own host key, logins for root and the login user by key or password.
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
'@
    Write-LabFile (Join-Path $etc "sudoers.d/$($script:LoginUser)") "$($script:LoginUser) ALL=(ALL:ALL) ALL`n" '440'

    # Homes: root and the login user log in with the lab's keys; hotdb owns its home like on a real server.
    $rootKey = Get-Content (Join-Path $Lab.StatePath 'secrets/id_ed25519.pub') -Raw
    $loginKey = Get-Content (Join-Path $Lab.StatePath "secrets/$($script:LoginUser)_ed25519.pub") -Raw
    $homes = @(
        @{ Path = Join-Path $dir 'root'; Key = $rootKey; Owner = '0:0' }
        @{ Path = Join-Path $dir "home/$($script:LoginUser)"; Key = $loginKey; Owner = $Ids[$script:LoginUser] }
        @{ Path = Join-Path $dir 'home/hotdb'; Key = $null; Owner = $Ids['hotdb'] }
    )
    foreach ($home in $homes) {
        New-Item -ItemType Directory $home.Path -Force | Out-Null
        Invoke-LabProcess cp @('-a', '/etc/skel/.', $home.Path) | Out-Null
        if ($home.Key) {
            Write-LabFile (Join-Path $home.Path '.ssh/authorized_keys') $home.Key '600'
            [IO.File]::SetUnixFileMode((Join-Path $home.Path '.ssh'), [Convert]::ToInt32('700', 8))
        }
        Invoke-LabProcess chown @('-R', $home.Owner, $home.Path) | Out-Null
    }
    # root on every host has the lab's root key too, so hosts can reach each other as on a real estate.
    Copy-Item (Join-Path $Lab.StatePath 'secrets/id_ed25519') (Join-Path $dir 'root/.ssh/id_ed25519')

    if ('keepalived' -in $HostInfo.Roles) {
        $group = $Lab.Topology.Groups[$HostInfo.Group]
        Write-LabFile (Join-Path $etc 'keepalived/keepalived.conf') (New-LabKeepalivedConfig $HostInfo $group)
    }
    if ($hasMysql) {
        New-Item -ItemType Directory (Join-Path $dir 'log/mysql') -Force | Out-Null
        Invoke-LabProcess chown @('mysql:mysql', (Join-Path $dir 'log/mysql'), (Join-Path $dir 'mysql')) | Out-Null
        $serverId = if ('configdb' -in $HostInfo.Roles) { 1 } else { 2 }
        Write-LabFile (Join-Path $etc 'mysql/mariadb.conf.d/60-hotdb-lab.cnf') @"
# HotDB lab ConfigDB: reachable on the lab network, binlog with GTID for the DR replica.
[mysqld]
bind-address = 0.0.0.0
port = 3306
server_id = $serverId
log_bin = mysql-bin
binlog_format = ROW
log_slave_updates = ON
gtid_strict_mode = ON
relay_log = relay-bin
skip_name_resolve = ON
log_error = /var/log/mysql/error.log
innodb_buffer_pool_size = 32M
performance_schema = OFF
"@
    }
}

function New-LabKeepalivedConfig($HostInfo, $Group) {
    # Modelled on the vendor's keepalived.conf.master/.backup, with shorter check intervals so a failover is
    # seen within seconds. The check script is the compute node's own; the lab installs a stand-in until then.
    $isMaster = $HostInfo.Keepalived -eq 'master'
    $check = '/usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh'
    $side = if ($isMaster) { 'master' } else { 'backup' }
    @"
! HotDB lab: keepalived.conf.$side for host $($HostInfo.Name), modelled on the vendor's template.
global_defs {
    router_id HotDB-Server-ha
    script_user root
}

vrrp_script check_hotdb_process {
    script "$check process"
    interval 1
    fall 2
    rise 1
    weight -10
}

vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id $($Group.VirtualRouterId)
$(if ($isMaster) { "    nopreempt`n" })    priority $(if ($isMaster) { 100 } else { 95 })
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    track_script {
        check_hotdb_process
    }
    virtual_ipaddress {
        $($Group.Vip)/24 dev eth0 label eth0:1
    }
    notify_master "$check $($side)_notify_master"
    notify_backup "$check $($side)_notify_backup"
    notify_fault "$check $($side)_notify_backup"
}
"@
}

function Install-LabCheckStandIn($Record) {
    # Until a compute node is installed, the vendor's check script path holds a stand-in whose checks pass.
    $bin = Get-HotDbLabHostPath -HostName $Record.Name -Path '/usr/local/hotdb/hotdb-server/bin' -StatePath $Record.StatePath
    $script = Join-Path $bin 'check_hotdb_process.sh'
    if (Test-Path $script) { return }
    Write-LabFile $script "#!/bin/sh`n# HotDB lab stand-in for the compute node's check script: every check passes.`nexit 0`n" '755'
    Invoke-LabHost $Record 'chown -R hotdb:hotdb /usr/local/hotdb/hotdb-server' | Out-Null
}

function Start-LabMariaDb($Record) {
    Invoke-LabHost $Record 'setsid -f /usr/sbin/mariadbd --user=mysql </dev/null >>/var/log/mysql/mariadbd.out 2>&1' | Out-Null
}

function Wait-LabMariaDb($Record) {
    Wait-LabCondition -TimeoutSeconds 30 -Message "MariaDB on $($Record.Name) did not accept connections within 30 s (see its /var/log/mysql/error.log)." -Condition {
        (Invoke-LabHost $Record 'mariadb-admin --silent ping' -AllowFailure).ExitCode -eq 0
    }
}

function Stop-LabMariaDb($Record) {
    Invoke-LabHost $Record 'mariadb-admin shutdown' | Out-Null
    Wait-LabCondition -TimeoutSeconds 30 -Message "MariaDB on $($Record.Name) did not stop within 30 s." -Condition {
        (Invoke-LabHost $Record 'pgrep -x mariadbd' -AllowFailure).ExitCode -ne 0
    }
}

function Start-LabSshd($Record) {
    Invoke-LabHost $Record '/usr/sbin/sshd -E /var/log/sshd.log' | Out-Null
    Wait-LabCondition -TimeoutSeconds 10 -Message "sshd on $($Record.Name) did not listen within 10 s." -Condition { Test-TcpPort $Record.Address 22 }
}

function Initialize-LabConfigDb($Lab, $Secrets) {
    $configDb = $Lab.Hosts | Where-Object { 'configdb' -in $_.Roles }
    $replica = $Lab.Hosts | Where-Object { 'drconfigdb' -in $_.Roles }
    if (-not $configDb) { return }
    $sql = @"
CREATE DATABASE hotdb_config;
CREATE DATABASE hotdb_cloud_config;
CREATE USER 'hotdb_config'@'%' IDENTIFIED BY '$($Secrets.hotdb_config)';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, RELOAD, REFERENCES, CREATE TEMPORARY TABLES, SUPER, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'hotdb_config'@'%';
CREATE USER 'hotdb_cloud'@'%' IDENTIFIED BY '$($Secrets.hotdb_cloud)';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, REFERENCES ON *.* TO 'hotdb_cloud'@'%';
CREATE USER 'repl'@'$($script:Subnet).%' IDENTIFIED BY '$($Secrets.repl)';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'$($script:Subnet).%';
"@
    Invoke-LabHost $configDb 'mariadb' -InputText $sql | Out-Null
    if (-not $replica) { return }
    $change = "CHANGE MASTER TO MASTER_HOST='$($configDb.Address)', MASTER_PORT=3306, MASTER_USER='repl', " +
        "MASTER_PASSWORD='$($Secrets.repl)', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;"
    Invoke-LabHost $replica 'mariadb' -InputText $change | Out-Null
    Wait-LabCondition -TimeoutSeconds 20 -Message "The DR ConfigDB on $($replica.Name) did not catch up with $($configDb.Name) within 20 s." -Condition {
        $probe = Invoke-LabHost $replica 'mariadb -N -e "SELECT COUNT(*) FROM mysql.user WHERE user = ''hotdb_cloud''"' -AllowFailure
        $probe.ExitCode -eq 0 -and $probe.Output.Trim() -eq '1'
    }
}

function Test-LabVip($Record, [string] $Vip) {
    $addresses = (Invoke-LabHost $Record 'ip -o -4 addr show dev eth0' -AllowFailure).Output
    $addresses -match " $([regex]::Escape($Vip))/"
}

#endregion

#region public commands

function Start-HotDbLab {
    <#
    .SYNOPSIS
        Builds and starts the lab estate of a topology; refuses when a lab is already running on this machine.
    .PARAMETER Topology
        A topology .psd1 path or hashtable (default: topology.default.psd1 beside this module).
    .PARAMETER WaitSeconds
        How long to wait for another running lab to stop before refusing (default 0: refuse at once).
    .PARAMETER SkipRoleSteps
        Start only the infrastructure, not the steps added with Add-HotDbLabRoleStep.
    .PARAMETER KeepOnFailure
        Leave a half-built estate for inspection instead of tearing it down when a step fails.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [object] $Topology = (Join-Path $PSScriptRoot 'topology.default.psd1'),
        [string] $StatePath,
        [int] $WaitSeconds = 0,
        [switch] $SkipRoleSteps,
        [switch] $KeepOnFailure
    )
    $reason = Get-HotDbLabSupport
    if ($reason) { throw $reason }
    $StatePath = Get-LabStatePath $StatePath
    if ($StatePath -match '[\s,:]') { throw "The lab state path '$StatePath' must not contain spaces, commas or colons (they break mount options)." }
    $normalised = Read-HotDbLabTopology $Topology
    if (-not $PSCmdlet.ShouldProcess("$(@($normalised.Hosts).Count) hosts on bridge $($script:BridgeName)", 'Start HotDB lab')) { return }

    Enter-LabLock $StatePath $WaitSeconds
    $clock = [Diagnostics.Stopwatch]::StartNew()
    try {
        if (Test-LabInfrastructurePresent) { Remove-LabInfrastructure }
        if (Test-Path $StatePath) { Remove-Item $StatePath -Recurse -Force }
        $secretsDir = New-Item -ItemType Directory (Join-Path $StatePath 'secrets') -Force
        [IO.File]::SetUnixFileMode($secretsDir.FullName, [Convert]::ToInt32('700', 8))
        $lab = [pscustomobject]@{ StatePath = $StatePath; Topology = $normalised; Hosts = @() }

        Write-Progress -Activity 'Starting HotDB lab' -Status 'Keys, passwords and host files' -PercentComplete 5
        $secrets = [ordered]@{}
        foreach ($name in 'root', $script:LoginUser, 'hotdb_config', 'hotdb_cloud', 'repl') { $secrets[$name] = New-LabSecret }
        Write-LabFile (Join-Path $StatePath 'secrets/passwords.json') ($secrets | ConvertTo-Json) '600'
        foreach ($key in 'id_ed25519', "$($script:LoginUser)_ed25519") {
            Invoke-LabProcess ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', "hotdb-lab-$key", '-f', (Join-Path $StatePath "secrets/$key")) | Out-Null
        }
        Invoke-LabProcess $script:HostScript @('etc-template', (Join-Path $StatePath 'etc-template'), (Join-Path $StatePath '.etc-template-work'), $script:LoginUser) `
            -InputText "root:$($secrets.root)`n$($script:LoginUser):$($secrets[$script:LoginUser])`n" | Out-Null
        $passwd = Get-Content (Join-Path $StatePath 'etc-template/passwd')
        $ids = @{}
        foreach ($user in 'hotdb', $script:LoginUser) {
            $fields = ($passwd | Where-Object { $_ -like "${user}:*" }) -split ':'
            $ids[$user] = "$($fields[2]):$($fields[3])"
        }

        $mysqlInit = $null
        $configDbInfo = $normalised.Hosts | Where-Object { 'configdb' -in $_.Roles }
        $knownHosts = [Text.StringBuilder]::new()
        foreach ($hostInfo in $normalised.Hosts) {
            New-LabHostFiles $lab $hostInfo $ids
            if ($hostInfo -eq $configDbInfo) {
                # The datadir is created while the other hosts are set up and boot.
                $mysqlInit = Start-Process -FilePath /usr/bin/mariadb-install-db -PassThru -NoNewWindow `
                    -RedirectStandardOutput (Join-Path $StatePath 'mariadb-install-db.log') -RedirectStandardError (Join-Path $StatePath 'mariadb-install-db.err') `
                    -ArgumentList @('--no-defaults', '--user=mysql', "--datadir=$StatePath/hosts/$($hostInfo.Name)/mysql", '--skip-test-db',
                        '--auth-root-authentication-method=socket', '--skip-name-resolve')
            }
            $publicKey = (Get-Content (Join-Path $StatePath "hosts/$($hostInfo.Name)/etc/ssh/ssh_host_ed25519_key.pub") -Raw).Trim() -split ' '
            [void]$knownHosts.Append("$($hostInfo.Name),$($hostInfo.Address) $($publicKey[0]) $($publicKey[1])`n")
        }
        Write-LabFile (Join-Path $StatePath 'known_hosts') $knownHosts.ToString()
        # Every host trusts every other host's key, for host-to-host logins with strict checking.
        foreach ($hostInfo in $normalised.Hosts) {
            Write-LabFile (Join-Path $StatePath "hosts/$($hostInfo.Name)/etc/ssh/ssh_known_hosts") $knownHosts.ToString()
        }

        Write-Progress -Activity 'Starting HotDB lab' -Status 'Booting hosts' -PercentComplete 30
        New-Item -ItemType Directory (Join-Path $StatePath 'bin') -Force | Out-Null
        Copy-Item /bin/sleep (Join-Path $StatePath 'bin/hotdb-lab-host')
        $manifest = ($normalised.Hosts | ForEach-Object { "$($_.Name) $($_.Address)/24 $StatePath/hosts/$($_.Name)" }) -join "`n"
        Write-LabFile (Join-Path $StatePath 'hosts.manifest') "$manifest`n"
        # The mount points every host covers: its HotDB folder, and /usr/local/jdk8 where upgrades install JDK 8.
        foreach ($point in '/usr/local/hotdb', '/usr/local/jdk8') { New-Item -ItemType Directory $point -Force | Out-Null }
        $boot = Invoke-LabProcess $script:HostScript @('boot-all', $script:BridgeName, "$($script:BridgeAddress)/24", (Join-Path $StatePath 'hosts.manifest')) -AllowFailure
        $pids = @{}
        foreach ($line in $boot.Output -split "`n") { if ($line -match '^(\S+) (\d+)$') { $pids[$Matches[1]] = [int]$Matches[2] } }
        $lab.Hosts = @(foreach ($hostInfo in $normalised.Hosts) {
                [pscustomobject]@{
                    Name = $hostInfo.Name; Address = $hostInfo.Address; Roles = $hostInfo.Roles; Group = $hostInfo.Group
                    Keepalived = $hostInfo.Keepalived; HotDbSize = $hostInfo.HotDbSize; Options = $hostInfo.Options
                    InitPid = $pids[$hostInfo.Name]; StatePath = $StatePath
                }
            })
        $state = [pscustomobject]@{
            StatePath = $StatePath; Started = [DateTime]::UtcNow.ToString('o'); Bridge = $script:BridgeName
            Groups = $normalised.Groups; Hosts = $lab.Hosts
        }
        Write-LabFile (Join-Path $StatePath 'lab.json') ($state | ConvertTo-Json -Depth 6)
        if ($boot.ExitCode -ne 0) { throw "Booting the lab hosts failed: $(($boot.Error, $boot.Output) -join ' ')" }

        Write-Progress -Activity 'Starting HotDB lab' -Status 'keepalived masters, ConfigDB' -PercentComplete 50
        $keepalivedHosts = @($lab.Hosts | Where-Object { 'keepalived' -in $_.Roles })
        foreach ($record in $keepalivedHosts) { Install-LabCheckStandIn $record }
        # Masters first, as the vendor's start order says: both sides start as BACKUP and the first to time out wins.
        foreach ($record in $keepalivedHosts | Where-Object Keepalived -EQ 'master') { Invoke-LabHost $record 'service keepalived start' | Out-Null }

        $configDb = $lab.Hosts | Where-Object { 'configdb' -in $_.Roles }
        $replica = $lab.Hosts | Where-Object { 'drconfigdb' -in $_.Roles }
        if ($configDb) {
            $mysqlInit.WaitForExit()
            if ($mysqlInit.ExitCode -ne 0) { throw "mariadb-install-db failed: $(Get-Content (Join-Path $StatePath 'mariadb-install-db.err') -Raw)" }
            if ($replica) {
                # A copy of the empty datadir: the replica then replays the ConfigDB's whole binlog.
                Invoke-LabProcess cp @('-a', "$StatePath/hosts/$($configDb.Name)/mysql/.", "$StatePath/hosts/$($replica.Name)/mysql") | Out-Null
            }
            foreach ($record in @($configDb, $replica) | Where-Object { $_ }) { Start-LabMariaDb $record }
            foreach ($record in @($configDb, $replica) | Where-Object { $_ }) { Wait-LabMariaDb $record }
            Initialize-LabConfigDb $lab $secrets
        }

        Write-Progress -Activity 'Starting HotDB lab' -Status 'keepalived backups, sshd' -PercentComplete 75
        foreach ($record in $keepalivedHosts | Where-Object Keepalived -EQ 'master') {
            $vip = $normalised.Groups[$record.Group].Vip
            Wait-LabCondition -TimeoutSeconds 15 -Message "keepalived on $($record.Name) did not take VIP $vip within 15 s (see its /var/log/keepalived.log)." -Condition { Test-LabVip $record $vip }
        }
        foreach ($record in $keepalivedHosts | Where-Object Keepalived -EQ 'backup') { Invoke-LabHost $record 'service keepalived start' | Out-Null }
        foreach ($record in $lab.Hosts) {
            Wait-LabCondition -TimeoutSeconds 10 -Message "sshd on $($record.Name) did not listen within 10 s (see its /var/log/sshd.log)." -Condition { Test-TcpPort $record.Address 22 }
        }

        if (-not $SkipRoleSteps) {
            foreach ($step in $script:RoleSteps | Sort-Object Order, Name) {
                $targets = @(Get-HotDbLab -StatePath $StatePath | Where-Object { $step.Role -in $_.Roles })
                if (-not $targets) { continue }
                Write-Progress -Activity 'Starting HotDB lab' -Status "Role step: $($step.Name)" -PercentComplete 90
                try { & $step.ScriptBlock $targets }
                catch { throw "Role step '$($step.Name)' failed: $($_.Exception.Message)" }
            }
        }
        Write-Progress -Activity 'Starting HotDB lab' -Completed
        Write-Verbose ("HotDB lab up: {0} hosts in {1:N1} s" -f $lab.Hosts.Count, $clock.Elapsed.TotalSeconds)
        Get-HotDbLab -StatePath $StatePath
    }
    catch {
        $failure = $_
        Write-Progress -Activity 'Starting HotDB lab' -Completed
        if (-not $KeepOnFailure) {
            try { Stop-HotDbLab -StatePath $StatePath -Confirm:$false }
            catch { Write-Warning "Tearing down the failed lab also failed: $($_.Exception.Message)" }
        }
        throw "Starting the HotDB lab failed: $($failure.Exception.Message)"
    }
}

function Stop-HotDbLab {
    <#
    .SYNOPSIS
        Tears the lab down: every process, namespace, mount, veth and the bridge; removes the state folder.
    .PARAMETER KeepState
        Keep the state folder (logs, datadirs) for inspection.
    .PARAMETER Force
        Also tear down a lab another state folder owns.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([string] $StatePath, [switch] $KeepState, [switch] $Force)
    $StatePath = Get-LabStatePath $StatePath
    $owner = Get-LabLockOwner
    if ($owner -and $owner.StatePath -ne $StatePath -and -not $Force -and (Test-LabInfrastructurePresent)) {
        throw "The running HotDB lab belongs to state '$($owner.StatePath)', not '$StatePath'. Use that -StatePath, or -Force."
    }
    if (-not $PSCmdlet.ShouldProcess("HotDB lab ($StatePath)", 'Stop')) { return }
    if ($IsLinux -and (& id -u) -eq '0') { Remove-LabInfrastructure }
    if ((Test-Path $StatePath) -and -not $KeepState) { Remove-Item $StatePath -Recurse -Force }
    if (Test-Path $script:LockDir) { Remove-Item $script:LockDir -Recurse -Force }
}

function Remove-LabInfrastructure {
    Invoke-LabProcess $script:HostScript @('down', $script:BridgeName) | Out-Null
    # The mount points the lab made on this machine, when nothing else put files there.
    foreach ($point in '/usr/local/hotdb', '/usr/local/jdk8') {
        if ((Test-Path $point) -and -not (Get-ChildItem $point -Force)) { Remove-Item $point }
    }
}

function Get-HotDbLab {
    <#
    .SYNOPSIS
        Returns the running lab's hosts: name, address, roles, and how to reach each over SSH.
    #>
    [CmdletBinding()]
    param([string[]] $HostName, [string] $Role, [string] $StatePath)
    $StatePath = Get-LabStatePath $StatePath
    $state = Read-LabState $StatePath
    if (-not $state) {
        Write-Error -Message "No HotDB lab is running from '$StatePath'." -Category ObjectNotFound -RecommendedAction 'Start one with Start-HotDbLab.'
        return
    }
    $secrets = Join-Path $StatePath 'secrets'
    foreach ($record in $state.Hosts) {
        if ($HostName -and $record.Name -notin $HostName) { continue }
        if ($Role -and $Role -notin $record.Roles) { continue }
        $vip = if ($record.Group -and $state.Groups.($record.Group).PSObject.Properties['Vip']) { $state.Groups.($record.Group).Vip }
        [pscustomobject]@{
            PSTypeName     = 'HotDbLab.Host'
            Name           = $record.Name
            Address        = $record.Address
            Roles          = @($record.Roles)
            Group          = $record.Group
            Vip            = $vip
            Keepalived     = $record.Keepalived
            SshPort        = 22
            KnownHostsPath = Join-Path $StatePath 'known_hosts'
            RootKeyPath    = Join-Path $secrets 'id_ed25519'
            LoginUser      = $script:LoginUser
            LoginKeyPath   = Join-Path $secrets "$($script:LoginUser)_ed25519"
            PasswordsPath  = Join-Path $secrets 'passwords.json'
            HotDbPath      = "/proc/$($record.InitPid)/root/usr/local/hotdb"
            StateFolder    = Join-Path $StatePath "hosts/$($record.Name)"
            InitPid        = $record.InitPid
            NetNs          = "$($script:NetNsPrefix)$($record.Name)"
            Options        = $record.Options
        }
    }
}

function Get-HotDbLabCredential {
    <#
    .SYNOPSIS
        A PSCredential of the running lab: root or the login user (SSH), hotdb_config, hotdb_cloud or repl (ConfigDB).
    #>
    [CmdletBinding()]
    [OutputType([pscredential])]
    param(
        [Parameter(Mandatory)] [ValidateSet('root', 'labadmin', 'hotdb_config', 'hotdb_cloud', 'repl')] [string] $UserName,
        [string] $StatePath
    )
    $file = Join-Path (Get-LabStatePath $StatePath) 'secrets/passwords.json'
    if (-not (Test-Path $file)) { throw 'No HotDB lab is running: start one with Start-HotDbLab.' }
    $password = (Get-Content $file -Raw | ConvertFrom-Json).$UserName
    [pscredential]::new($UserName, (ConvertTo-SecureString $password -AsPlainText -Force))
}

function Invoke-HotDbLabHostCommand {
    <#
    .SYNOPSIS
        Runs a shell command line inside a lab host (its network, mount, pid, uts and ipc namespaces), as root
        or as -User through a login shell; returns ExitCode, Output and Error.
    .EXAMPLE
        Invoke-HotDbLabHostCommand -HostName ms1 -Command 'ip -br addr show eth0'
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $HostName,
        [Parameter(Mandatory, Position = 1)] [string] $Command,
        [string] $User,
        [string] $InputText,
        [string] $StatePath
    )
    $record = Get-LabHostRecord (Get-LabStatePath $StatePath) $HostName
    $result = Invoke-LabHost $record $Command -InputText $InputText -User $User -AllowFailure
    $result | Add-Member -NotePropertyName HostName -NotePropertyValue $HostName -PassThru
}

function Get-HotDbLabHostPath {
    <#
    .SYNOPSIS
        The lab machine's path to a path inside a host's mount namespace (through /proc/<pid>/root), created
        as a folder when missing; for copying files in and out of a host.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $HostName, [Parameter(Mandatory)] [string] $Path, [string] $StatePath)
    $record = Get-LabHostRecord (Get-LabStatePath $StatePath) $HostName
    if (-not $Path.StartsWith('/')) { throw "Path '$Path' must be absolute inside the host." }
    $outside = "/proc/$($record.InitPid)/root$Path"
    if (-not (Test-Path $outside)) { New-Item -ItemType Directory $outside -Force | Out-Null }
    $outside
}

function Add-HotDbLabRoleStep {
    <#
    .SYNOPSIS
        Adds a step Start-HotDbLab runs after the infrastructure is up, once, with every host of Role
        (objects of Get-HotDbLab) as its argument. Steps run by Order, then Name.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [ValidateScript({ $_ -in $script:KnownRoles })] [string] $Role,
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [scriptblock] $ScriptBlock,
        [int] $Order = 100
    )
    Remove-HotDbLabRoleStep -Name $Name
    $script:RoleSteps.Add([pscustomobject]@{ Role = $Role; Name = $Name; ScriptBlock = $ScriptBlock; Order = $Order })
}

function Remove-HotDbLabRoleStep {
    <# .SYNOPSIS Removes a step added with Add-HotDbLabRoleStep. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name)
    [void]$script:RoleSteps.RemoveAll({ param($step) $step.Name -eq $Name })
}

#endregion

#region faults

function Read-LabFaults([string] $StatePath) {
    $file = Join-Path $StatePath 'faults.json'
    if (Test-Path $file) { @(Get-Content $file -Raw | ConvertFrom-Json) } else { @() }
}

function Save-LabFaults([string] $StatePath, $Faults) {
    Write-LabFile (Join-Path $StatePath 'faults.json') (ConvertTo-Json @($Faults) -Depth 6)
}

function Invoke-HotDbLabFault {
    <#
    .SYNOPSIS
        Injects a fault on a lab host; returns a fault object that Clear-HotDbLabFault undoes.
    .DESCRIPTION
        LinkDown        the host's cable is pulled (its veth on the bridge goes down).
        KillProcess     SIGKILL every process named -ProcessName on the host (comm or argv[0] base name),
                        except the host's own pid 1 and keeper.
        FillDisk        fills the host's size-limited /usr/local/hotdb until a write gets ENOSPC.
        ReplaceHostKey  sshd on the host gets a new host key, so strict host-key checking fails.
        StopConfigDb    shuts MariaDB down on a configdb or drconfigdb host.
        Latency         delays the host's outgoing packets by -DelayMs, for -DurationSeconds (iptables NFQUEUE
                        and host/netdelay.py, as tc netem would on a kernel that has it).
        PacketLoss      nftables drops -LossPercent of the host's outgoing packets at random, for -DurationSeconds.
        Bandwidth       the host's link carries at most -RateMbit each way (tc tbf on both ends of its veth), as a
                        host's own network link would, until cleared.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [string] $HostName,
        [Parameter(Mandatory)] [ValidateSet('LinkDown', 'KillProcess', 'FillDisk', 'ReplaceHostKey', 'StopConfigDb', 'Latency', 'PacketLoss', 'Bandwidth')] [string] $Fault,
        [string] $ProcessName,
        [ValidateRange(1, 10000)] [int] $DelayMs = 200,
        [ValidateRange(1, 100)] [int] $LossPercent = 20,
        [ValidateRange(1, 10000)] [int] $RateMbit = 200,
        [ValidateRange(1, 600)] [int] $DurationSeconds = 60,
        [string] $StatePath
    )
    $StatePath = Get-LabStatePath $StatePath
    $record = Get-LabHostRecord $StatePath $HostName
    if ($Fault -eq 'KillProcess' -and -not $ProcessName) { throw 'KillProcess needs -ProcessName.' }
    if ($Fault -eq 'StopConfigDb' -and -not ($record.Roles | Where-Object { $_ -in 'configdb', 'drconfigdb' })) {
        throw "Host $HostName runs no ConfigDB (roles: $($record.Roles -join ', '))."
    }
    if (-not $PSCmdlet.ShouldProcess($HostName, "Inject fault $Fault")) { return }
    $detail = @{}
    $expires = $null
    switch ($Fault) {
        'LinkDown' { Invoke-LabProcess ip @('link', 'set', "$($script:VethPrefix)$HostName", 'down') | Out-Null }
        'KillProcess' {
            $victims = @(Get-LabHostProcess $record | Where-Object { $_.Comm -eq $ProcessName -or $_.Program -eq $ProcessName })
            if (-not $victims) { throw "No process named '$ProcessName' runs on lab host $HostName." }
            Invoke-LabHost $record "kill -KILL $($victims.Pid -join ' ')" -AllowFailure | Out-Null
            # Only parents are restarted on clear: a daemon's own children come back with it.
            $victimPids = $victims.Pid
            $detail.Restart = @($victims | Where-Object { $_.ParentPid -notin $victimPids } | ForEach-Object {
                    @{ Comm = $_.Comm; Arguments = $_.Arguments; WorkingDirectory = $_.WorkingDirectory; Uid = $_.Uid; Gid = $_.Gid }
                })
            $detail.Killed = @($victims.Pid)
        }
        'FillDisk' {
            $type = (Invoke-LabHost $record 'findmnt -n -o FSTYPE /usr/local/hotdb').Output.Trim()
            if ($type -ne 'tmpfs') { throw "Host ${HostName}: /usr/local/hotdb has no size limit ($type); give the host a HotDbSize in the topology." }
            Invoke-LabHost $record 'dd if=/dev/zero of=/usr/local/hotdb/.hotdb-lab-fill bs=1M status=none; dd if=/dev/zero of=/usr/local/hotdb/.hotdb-lab-fill bs=4k oflag=append conv=notrunc status=none; true' | Out-Null
            $detail.Available = [long](Invoke-LabHost $record 'df -B1 --output=avail /usr/local/hotdb | tail -n 1').Output.Trim()
        }
        'ReplaceHostKey' {
            Invoke-LabHost $record 'cd /etc/ssh && mv ssh_host_ed25519_key ssh_host_ed25519_key.lab-saved && mv ssh_host_ed25519_key.pub ssh_host_ed25519_key.pub.lab-saved && ssh-keygen -q -t ed25519 -N "" -f ssh_host_ed25519_key && kill -HUP "$(cat /run/sshd.pid)"' | Out-Null
            $detail.NewKey = (Invoke-LabHost $record 'cat /etc/ssh/ssh_host_ed25519_key.pub').Output.Trim()
            Wait-LabHostKey $record $detail.NewKey
        }
        'StopConfigDb' { Stop-LabMariaDb $record }
        'Bandwidth' {
            # The bridge end shapes what reaches the host, the host's own eth0 what leaves it.
            $shape = @('qdisc', 'replace', 'dev', "$($script:VethPrefix)$HostName", 'root', 'tbf', 'rate', "${RateMbit}mbit", 'burst', '256kb', 'latency', '100ms')
            Invoke-LabProcess tc $shape | Out-Null
            Invoke-LabHost $record "tc qdisc replace dev eth0 root tbf rate ${RateMbit}mbit burst 256kb latency 100ms" | Out-Null
            $detail.RateMbit = $RateMbit
        }
        { $_ -in 'Latency', 'PacketLoss' } {
            $token = [guid]::NewGuid().ToString('n')
            $expires = [DateTime]::UtcNow.AddSeconds($DurationSeconds).ToString('o')
            if ($Fault -eq 'Latency') {
                # netdelay.py holds the packets iptables queues to it: tc netem's delay, which this
                # machine's kernel lacks (CONFIG_NET_SCH_NETEM is not set).
                $rule = 'OUTPUT -o eth0 -j NFQUEUE --queue-num 7 --queue-bypass'
                $undo = "iptables -D $rule; kill `$(cat /run/hotdb-lab-netdelay.pid) && rm -f /run/hotdb-lab-netdelay.pid"
                $delayer = Join-Path $script:LibDir 'netdelay.py'
                Invoke-LabHost $record @"
if [ -s /run/hotdb-lab-netdelay.pid ]; then $undo; fi
setsid -f /usr/bin/python3 '$delayer' 7 $DelayMs /run/hotdb-lab-netdelay.pid </dev/null >>/var/log/hotdb-lab-netdelay.log 2>&1
for i in `$(seq 50); do [ -s /run/hotdb-lab-netdelay.pid ] && break; sleep 0.1; done
[ -s /run/hotdb-lab-netdelay.pid ] || { echo 'netdelay did not start:' >&2; tail -n 3 /var/log/hotdb-lab-netdelay.log >&2; exit 1; }
iptables -A $rule
"@ | Out-Null
            }
            else {
                # nftables, not netem: it drops at random whatever qdiscs the kernel has.
                $match = if ($LossPercent -ge 100) { '' } else { "numgen random mod 100 < $LossPercent " }
                $apply = "nft -f - <<'EOF'`ntable inet hotdblab_fault {`n  chain output {`n    type filter hook output priority 0;`n    oifname `"eth0`" ${match}drop`n  }`n}`nEOF"
                $undo = 'nft delete table inet hotdblab_fault'
                Invoke-LabHost $record "nft delete table inet hotdblab_fault 2>/dev/null; $apply" | Out-Null
            }
            $marker = "/run/hotdb-lab-$($Fault.ToLowerInvariant())"
            # The host itself ends the fault when its time is up, unless a later fault of the kind replaced it.
            Invoke-LabHost $record "echo $token > $marker; setsid -f /bin/sh -c 'sleep $DurationSeconds; [ `"`$(cat $marker 2>/dev/null)`" = $token ] && { $undo; } && rm -f $marker' </dev/null >/dev/null 2>&1" | Out-Null
            $detail.Token = $token
            $detail.Marker = $marker
            $detail.Undo = $undo
        }
    }
    $record = [pscustomobject]@{
        PSTypeName = 'HotDbLab.Fault'; Id = [guid]::NewGuid().ToString('n').Substring(0, 8); HostName = $HostName; Fault = $Fault
        Started = [DateTime]::UtcNow.ToString('o'); ExpiresAt = $expires; Detail = $detail
    }
    Save-LabFaults $StatePath (@(Read-LabFaults $StatePath) + $record)
    $record
}

function Get-HotDbLabFault {
    <# .SYNOPSIS The faults injected into the running lab and not cleared yet (timed ones until they expire). #>
    [CmdletBinding()]
    param([string] $HostName, [string] $StatePath)
    $now = [DateTime]::UtcNow
    Read-LabFaults (Get-LabStatePath $StatePath) | Where-Object {
        (-not $HostName -or $_.HostName -eq $HostName) -and (-not $_.ExpiresAt -or [DateTime]::Parse($_.ExpiresAt).ToUniversalTime() -gt $now)
    }
}

function Clear-HotDbLabFault {
    <#
    .SYNOPSIS
        Undoes faults: the given ones (pipeline from Invoke-/Get-HotDbLabFault), those of -HostName, or all.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(ValueFromPipelineByPropertyName)] [string[]] $Id,
        [string] $HostName,
        [string] $StatePath
    )
    begin { $StatePath = Get-LabStatePath $StatePath; $ids = [System.Collections.Generic.List[string]]::new() }
    process { foreach ($one in $Id) { $ids.Add($one) } }
    end {
        $all = @(Read-LabFaults $StatePath)
        $chosen = @($all | Where-Object { ($ids.Count -eq 0 -or $_.Id -in $ids) -and (-not $HostName -or $_.HostName -eq $HostName) })
        $remaining = [System.Collections.Generic.List[object]]::new()
        $failures = [System.Collections.Generic.List[string]]::new()
        foreach ($fault in $all) { if ($fault -notin $chosen) { $remaining.Add($fault) } }
        # Last in, first out: a later fault may depend on the state an earlier one left.
        [array]::Reverse($chosen)
        foreach ($fault in $chosen) {
            if (-not $PSCmdlet.ShouldProcess($fault.HostName, "Clear fault $($fault.Fault)")) { $remaining.Add($fault); continue }
            try {
                $record = Get-LabHostRecord $StatePath $fault.HostName
                switch ($fault.Fault) {
                    'LinkDown' { Invoke-LabProcess ip @('link', 'set', "$($script:VethPrefix)$($fault.HostName)", 'up') | Out-Null }
                    'KillProcess' { foreach ($restart in $fault.Detail.Restart) { Restart-LabProcess $record $restart } }
                    'FillDisk' { Invoke-LabHost $record 'rm -f /usr/local/hotdb/.hotdb-lab-fill' | Out-Null }
                    'ReplaceHostKey' {
                        Invoke-LabHost $record 'cd /etc/ssh && mv -f ssh_host_ed25519_key.lab-saved ssh_host_ed25519_key && mv -f ssh_host_ed25519_key.pub.lab-saved ssh_host_ed25519_key.pub && kill -HUP "$(cat /run/sshd.pid)"' | Out-Null
                        Wait-LabHostKey $record (Invoke-LabHost $record 'cat /etc/ssh/ssh_host_ed25519_key.pub').Output.Trim()
                    }
                    'StopConfigDb' { Start-LabMariaDb $record; Wait-LabMariaDb $record }
                    'Bandwidth' {
                        Invoke-LabProcess tc @('qdisc', 'del', 'dev', "$($script:VethPrefix)$($fault.HostName)", 'root') | Out-Null
                        Invoke-LabHost $record 'tc qdisc del dev eth0 root' | Out-Null
                    }
                    { $_ -in 'Latency', 'PacketLoss' } {
                        $marker = $fault.Detail.Marker
                        Invoke-LabHost $record "if [ `"`$(cat $marker 2>/dev/null)`" = $($fault.Detail.Token) ]; then $($fault.Detail.Undo) && rm -f $marker; fi" | Out-Null
                    }
                }
            }
            catch {
                $remaining.Add($fault)
                $failures.Add("$($fault.Fault) on $($fault.HostName): $($_.Exception.Message)")
            }
        }
        Save-LabFaults $StatePath $remaining
        if ($failures.Count) { throw "Clearing lab faults failed (they stay recorded): $($failures -join '; ')" }
    }
}

function Get-LabHostProcess($Record) {
    # The host's processes as the host sees them (its own pid namespace), less pid 1, its keeper and this probe.
    $probe = @'
for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = 1 ] || [ "$p" = $$ ] && continue
    c=$(cat "$d/comm" 2>/dev/null) || continue
    pp=$(awk '/^PPid:/ { print $2 }' "$d/status" 2>/dev/null) || continue
    [ "$pp" = $$ ] || [ "$c" = hotdb-lab-host ] && continue
    u=$(awk '/^Uid:/ { print $2 }' "$d/status"); g=$(awk '/^Gid:/ { print $2 }' "$d/status")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$pp" "$c" "$u" "$g" "$(readlink "$d/cwd")" "$(base64 -w0 "$d/cmdline")"
done
'@
    foreach ($line in (Invoke-LabHost $Record $probe).Output -split "`n" | Where-Object { $_ }) {
        $fields = $line -split "`t"
        $arguments = @([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($fields[6])).TrimEnd([char]0) -split [char]0)
        if (-not $arguments[0]) { continue }   # a kernel thread or a zombie
        [pscustomobject]@{
            Pid = [int]$fields[0]; ParentPid = [int]$fields[1]; Comm = $fields[2]; Uid = $fields[3]; Gid = $fields[4]
            WorkingDirectory = $fields[5]; Program = Split-Path -Leaf $arguments[0]; Arguments = $arguments
        }
    }
}

function Restart-LabProcess($Record, $Restart) {
    switch ($Restart.Comm) {
        'sshd' { Start-LabSshd $Record; return }
        'keepalived' { Invoke-LabHost $Record 'service keepalived start' | Out-Null; return }
        'mariadbd' { Start-LabMariaDb $Record; Wait-LabMariaDb $Record; return }
    }
    # Any other program is started again as it was: same arguments, directory and user.
    $quoted = ($Restart.Arguments | ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }) -join ' '
    $directory = "'" + ($Restart.WorkingDirectory -replace "'", "'\''") + "'"
    Invoke-LabHost $Record "cd $directory && setsid -f setpriv --reuid=$($Restart.Uid) --regid=$($Restart.Gid) --init-groups $quoted </dev/null >/dev/null 2>&1" | Out-Null
}

function Wait-LabHostKey($Record, [string] $ExpectedKey) {
    $expected = ($ExpectedKey -split ' ')[1]
    Wait-LabCondition -TimeoutSeconds 10 -IntervalMs 200 -Message "sshd on $($Record.Name) did not serve the expected host key within 10 s." -Condition {
        $scan = Invoke-LabProcess ssh-keyscan @('-t', 'ed25519', '-T', '2', $Record.Address) -AllowFailure
        $scan.Output -match [regex]::Escape($expected)
    }
}

#endregion

Export-ModuleMember -Function Start-HotDbLab, Stop-HotDbLab, Get-HotDbLab, Get-HotDbLabSupport, Read-HotDbLabTopology,
    Get-HotDbLabCredential, Invoke-HotDbLabHostCommand, Get-HotDbLabHostPath, Add-HotDbLabRoleStep, Remove-HotDbLabRoleStep,
    Invoke-HotDbLabFault, Get-HotDbLabFault, Clear-HotDbLabFault
