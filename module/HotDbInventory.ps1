<#
    The one reader of the estate inventory (estate.psd1), dot-sourced by the estate upgrade
    (runbooks/Update-HotDbEstate.ps1) and the compliance pack (compliance/HotDb.Compliance.Tests.ps1 and
    Invoke-HotDbCompliance.ps1). Read-HotDbInventory validates the inventory and returns it normalised, or throws one
    refusal naming the file and every problem found ("bad inventory <file>: <problem>; <problem>.").

    The format is described in about_HotDb.Upgrade. The compliance pack's older flat inventory (ComputerName, Port,
    UserName, KeyFile, KnownHostsPath) is read as one group of Mode 'Hosts' (hosts to check, no component), unless
    -Upgrade asks for an inventory to upgrade.
#>

function Read-HotDbInventory {
    [CmdletBinding()]
    param(
        # A .psd1 path or a hashtable.
        [Parameter(Mandatory)] [object] $Inventory,
        # The components the caller acts on: at least one must be present, and the packages of these are checked.
        [ValidateSet('Management', 'ComputeNodes', 'Listener', 'Backup')]
        [string[]] $Component = @('Management', 'ComputeNodes', 'Listener', 'Backup'),
        # What the estate upgrade additionally requires: every component present has its packages (Packages.<key>),
        # and the flat inventory (hosts only, no component) is refused.
        [switch] $Upgrade,
        # The compute node directory of a group that gives no InstallPath.
        [string] $InstallPath = '/usr/local/hotdb/hotdb-server'
    )

    $source = 'the inventory'
    $folder = (Get-Location -PSProvider FileSystem).ProviderPath
    if ($Inventory -is [System.Collections.IDictionary]) { $data = $Inventory }
    else {
        $path = "$Inventory"
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "bad inventory: '$path' does not exist." }
        $source = (Resolve-Path -LiteralPath $path).ProviderPath
        $folder = Split-Path $source
        try { $data = Import-PowerShellDataFile -LiteralPath $source -ErrorAction Stop }
        catch { throw "bad inventory: $source cannot be read as a PowerShell data file: $($_.Exception.Message)" }
    }

    $problems = [System.Collections.Generic.List[string]]::new()
    function Resolve-InventoryPath([string] $Value) {
        if ($Value -match '^~(?=$|[\\/])') { $Value = $HOME + $Value.Substring(1) }
        if (-not [IO.Path]::IsPathRooted($Value)) { $Value = Join-Path $folder $Value }
        [IO.Path]::GetFullPath($Value)
    }
    function Test-Keys([System.Collections.IDictionary] $Table, [string[]] $Allowed, [string] $Where) {
        foreach ($key in @($Table.Keys)) { if ("$key" -notin $Allowed) { $problems.Add("$Where has an unknown key '$key' (known: $($Allowed -join ', '))") } }
    }
    function Get-Table($Value, [string] $Where) {
        if ($null -eq $Value) { return $null }
        if ($Value -isnot [System.Collections.IDictionary]) { $problems.Add("$Where must be a hashtable @{ ... }"); return $null }
        $Value
    }
    function Get-Hosts($Value, [string] $Where, [int] $Minimum, [int] $Maximum) {
        $names = @(@($Value) | ForEach-Object { "$_" -split '[,\s]+' } | Where-Object { $_ })
        if ($names.Count -lt $Minimum -or $names.Count -gt $Maximum) {
            $want = if ($Minimum -eq $Maximum) { "$Minimum" } else { "$Minimum to $Maximum" }
            $problems.Add("$Where takes $want host$(if ($Maximum -ne 1) { 's' }); $($names.Count) given")
        }
        $names
    }
    function Test-Number([System.Collections.IDictionary] $Table, [string] $Key, [string] $Where, [int] $Maximum) {
        $number = 0
        if ($Table.Contains($Key) -and (-not [int]::TryParse("$($Table[$Key])", [ref] $number) -or $number -lt 1 -or $number -gt $Maximum)) {
            $problems.Add("$Where '$($Table[$Key])' is not a whole number from 1 to $Maximum")
        }
    }
    function Test-RemotePath($Value, [string] $Where) {
        if ($Value -and "$Value" -notmatch '^/') { $problems.Add("$Where '$Value' is not an absolute path on the hosts") }
    }
    function Test-HostPort($Value, [string] $Where) {
        if ($null -eq $Value) { return }
        if ("$Value" -notmatch '^[^\s:]+:(\d{1,5})$' -or [int]$Matches[1] -notin 1..65535) { $problems.Add("$Where '$Value' is not host:port") }
    }

    $estate = [pscustomobject]@{ Source = $source; Ssh = @{}; Packages = @{}; Management = $null; Groups = @(); Listener = $null; Backup = $null }
    $ssh = $null
    if ($data.Contains('ComputerName')) {
        # The compliance pack's older flat inventory: hosts that get the session checks.
        Test-Keys $data @('ComputerName', 'Port', 'UserName', 'KeyFile', 'KnownHostsPath') 'The inventory (flat: ComputerName, Port, UserName, KeyFile, KnownHostsPath)'
        if ($Upgrade) { $problems.Add('a flat inventory (ComputerName, ...) names hosts, not components: the upgrade needs Management, ComputeNodes, Listener or Backup') }
        $ssh = $data
        $names = @(Get-Hosts $data['ComputerName'] 'ComputerName' 1 64)
        $estate.Groups = @([pscustomobject]@{ Name = 'hosts'; Mode = 'Hosts'; ComputerName = $names; DrComputerName = @(); Hosts = $names; Online = $false
                MasterCentreMode = $null; InstallPath = $InstallPath; KeepalivedConfigPath = $null; ConfigDb = $null; DrConfigDb = $null; Options = @{} })
        $sshWhere = ''
    }
    else {
        Test-Keys $data @('Ssh', 'Packages', 'Management', 'ComputeNodes', 'Backup', 'Listener') 'The inventory'
        $ssh = Get-Table $data['Ssh'] 'Ssh'
        if ($ssh) { Test-Keys $ssh @('UserName', 'KeyFile', 'KnownHostsPath', 'Port', 'Elevation') 'Ssh' }
        $sshWhere = 'Ssh.'
    }
    if ($ssh) {
        foreach ($key in 'UserName', 'KeyFile', 'KnownHostsPath', 'Port', 'Elevation') { if ($ssh.Contains($key)) { $estate.Ssh[$key] = $ssh[$key] } }
        foreach ($key in 'KeyFile', 'KnownHostsPath') { if ($ssh[$key]) { $estate.Ssh[$key] = Resolve-InventoryPath $ssh[$key] } }
        if ($ssh['KeyFile'] -and -not (Test-Path -LiteralPath $estate.Ssh.KeyFile -PathType Leaf)) { $problems.Add("${sshWhere}KeyFile '$($estate.Ssh.KeyFile)': no such file") }
        Test-Number $ssh 'Port' "${sshWhere}Port" 65535
        if ($ssh.Contains('Elevation') -and "$($ssh.Elevation)" -notin 'None', 'Sudo') { $problems.Add("${sshWhere}Elevation '$($ssh.Elevation)' is not one of None, Sudo") }
    }

    # The packages: those of the components the caller acts on are checked (a path that exists, of the right kind).
    $packageOf = @{ ComputeNode = 'ComputeNodes'; ConfigDbScripts = 'ComputeNodes'; Management = 'Management'; ManagementScripts = 'Management'
        Backup = 'Backup'; Listener = 'Listener'; Jdk = 'Management', 'ComputeNodes'; License = 'Management', 'ComputeNodes' }
    $kinds = @{ ComputeNode = 'ComputeNode'; Management = 'ManagementPlatform'; Backup = 'Backup'; Listener = 'Listener'; Jdk = 'Jdk' }
    $packages = if ($data.Contains('ComputerName')) { $null } else { Get-Table $data['Packages'] 'Packages' }
    if ($packages) {
        Test-Keys $packages @($packageOf.Keys | Sort-Object) 'Packages'
        foreach ($key in @($packages.Keys | Where-Object { $packageOf.Contains("$_") -and $packages[$_] })) {
            $file = Resolve-InventoryPath "$($packages[$key])"
            $estate.Packages["$key"] = $file
            if (-not @($packageOf["$key"] | Where-Object { $_ -in $Component })) { continue }
            $isFolder = "$key" -in 'ConfigDbScripts', 'ManagementScripts'
            if (-not (Test-Path -LiteralPath $file -PathType $(if ($isFolder) { 'Container' } else { 'Leaf' }))) {
                $problems.Add("Packages.$key '$file': no such $(if ($isFolder) { 'folder' } else { 'file' })")
                continue
            }
            if ($kinds.Contains("$key")) {
                $package = Get-HotDbPackage -LiteralPath $file -ErrorAction SilentlyContinue -ErrorVariable notPackage
                if (-not $package) { $problems.Add("Packages.$key '$file' is not a package name the module knows ($(@($notPackage | ForEach-Object { $_.Exception.Message }) -join ' '))") }
                elseif ("$($package.Component)" -ne $kinds["$key"]) { $problems.Add("Packages.$key '$file' is a $($package.Component) package, not $($kinds["$key"])") }
            }
        }
    }
    function Test-Package([string[]] $Keys, [string] $For) {
        if (-not $Upgrade) { return }
        foreach ($key in $Keys) { if (-not $estate.Packages.Contains($key)) { $problems.Add("$For needs Packages.$key") } }
    }
    $agentKeys = @('ComputerName', 'InstallPath', 'StartTimeout', 'StopTimeout')

    $management = Get-Table $data['Management'] 'Management'
    if ($management) {
        Test-Keys $management $agentKeys 'Management'
        $estate.Management = @{ ComputerName = @(Get-Hosts $management['ComputerName'] 'Management.ComputerName' 1 1); Options = $management }
        Test-Package 'Management' 'Management'
    }

    # Compute-node groups: the keys each mode takes, and a host in one group only (two would act on it twice).
    $modeKeys = @{ SingleNode = @(); MasterSlave = @('Online'); Cluster = @('Online'); DisasterRecovery = @('DrComputerName', 'MasterCentreMode', 'DrConfigDb') }
    $groupNames = @{}
    $groupHosts = @{}
    $index = 0
    $groups = [System.Collections.Generic.List[object]]::new()
    foreach ($group in @($data['ComputeNodes'] | Where-Object { $null -ne $_ })) {
        $index++
        $where = "ComputeNodes[$index]"
        $group = Get-Table $group $where
        if (-not $group) { continue }
        $mode = "$($group['Mode'])"
        $names = @(); $drNames = @()
        switch ($mode) {
            'SingleNode' { $names = @(Get-Hosts $group['ComputerName'] "$where.ComputerName (SingleNode)" 1 1) }
            'MasterSlave' { $names = @(Get-Hosts $group['ComputerName'] "$where.ComputerName (MasterSlave)" 2 2) }
            'Cluster' { $names = @(Get-Hosts $group['ComputerName'] "$where.ComputerName (Cluster)" 2 9) }
            'DisasterRecovery' {
                $centre = "$($group['MasterCentreMode'])"
                if ($centre -notin 'SingleNode', 'MasterSlaveOffline', 'MasterSlaveOnline') { $problems.Add("$where.MasterCentreMode '$centre' is not one of SingleNode, MasterSlaveOffline, MasterSlaveOnline") }
                $count = if ($centre -eq 'SingleNode') { 1 } else { 2 }
                $names = @(Get-Hosts $group['ComputerName'] "$where.ComputerName (the master centre)" $count $count)
                $drNames = @(Get-Hosts $group['DrComputerName'] "$where.DrComputerName (the DR centre)" 1 9)
                Test-HostPort $group['DrConfigDb'] "$where.DrConfigDb"
            }
            default { $problems.Add("$where.Mode '$mode' is not one of SingleNode, MasterSlave, Cluster, DisasterRecovery") }
        }
        $allowed = @('Name', 'Mode', 'ComputerName', 'InstallPath', 'ConfigDb', 'KeepalivedConfigPath', 'StartTimeout', 'StopTimeout')
        if ($modeKeys.Contains($mode)) {
            $allowed += $modeKeys[$mode]
            foreach ($key in @($group.Keys | Where-Object { "$_" -notin $allowed })) {
                $takers = @($modeKeys.Keys | Where-Object { "$key" -in $modeKeys[$_] } | Sort-Object -Descending)
                if ($takers) { $problems.Add("$where has $key, which only a $($takers -join ' or ') group takes") }
                else { Test-Keys @{ "$key" = $null } $allowed $where }
            }
        }
        else { Test-Keys $group @($allowed + @($modeKeys.Values | ForEach-Object { $_ }) | Select-Object -Unique) $where }
        $hosts = @($names) + @($drNames)
        $name = if ($group['Name']) { "$($group['Name'])" } else { "$mode-$(if ($hosts) { $hosts[0] } else { $index })" }
        if ($name -notmatch '^[A-Za-z0-9_.-]+$') { $problems.Add("$where.Name '$name' may hold only letters, digits, '.', '_' and '-' (it names the group's log)") }
        if ($groupNames.ContainsKey($name)) { $problems.Add("$where.Name '$name' is also the name of $($groupNames[$name])") } else { $groupNames[$name] = $where }
        foreach ($hostName in $hosts) {
            $lower = $hostName.ToLowerInvariant()
            if ($groupHosts.ContainsKey($lower)) { $problems.Add("the host '$hostName' is listed twice (in $($groupHosts[$lower]) and $where)") } else { $groupHosts[$lower] = $where }
        }
        if ($group.Contains('Online') -and $group['Online'] -isnot [bool]) { $problems.Add("$where.Online must be `$true or `$false") }
        $path = if ($group['InstallPath']) { "$($group['InstallPath'])" } else { $InstallPath }
        Test-RemotePath $path "$where.InstallPath"
        Test-RemotePath $group['KeepalivedConfigPath'] "$where.KeepalivedConfigPath"
        Test-HostPort $group['ConfigDb'] "$where.ConfigDb"
        $groups.Add([pscustomobject]@{
                Name = $name; Mode = $mode; ComputerName = $names; DrComputerName = $drNames; Hosts = $hosts; Online = $group['Online'] -eq $true
                MasterCentreMode = $group['MasterCentreMode']; InstallPath = $path; KeepalivedConfigPath = $group['KeepalivedConfigPath']
                ConfigDb = $(if ($null -ne $group['ConfigDb']) { "$($group['ConfigDb'])" }); DrConfigDb = $(if ($null -ne $group['DrConfigDb']) { "$($group['DrConfigDb'])" }); Options = $group
            })
    }
    if ($groups.Count) {
        $estate.Groups = $groups.ToArray()
        Test-Package 'ComputeNode', 'ConfigDbScripts' 'ComputeNodes'
    }

    foreach ($agent in 'Listener', 'Backup') {
        $table = Get-Table $data[$agent] $agent
        if (-not $table) { continue }
        Test-Keys $table $agentKeys $agent
        $estate.$agent = @{ ComputerName = @(Get-Hosts $table['ComputerName'] "$agent.ComputerName" 1 64); Options = $table }
        Test-Package $agent $agent
    }
    # The options every component entry may give, named by where they are.
    $entries = [ordered]@{}
    foreach ($agent in 'Management', 'Listener', 'Backup') { if ($estate.$agent) { $entries[$agent] = $estate.$agent.Options } }
    for ($i = 0; $i -lt $groups.Count; $i++) { $entries["ComputeNodes[$($i + 1)]"] = $groups[$i].Options }
    foreach ($where in @($entries.Keys)) {
        foreach ($key in 'StartTimeout', 'StopTimeout') { Test-Number $entries[$where] $key "$where.$key" 3600 }
        if ($where -notlike 'ComputeNodes*') { Test-RemotePath $entries[$where]['InstallPath'] "$where.InstallPath" }
    }

    $present = @{ Management = [bool]$estate.Management; ComputeNodes = [bool]$groups.Count; Listener = [bool]$estate.Listener; Backup = [bool]$estate.Backup }
    if (-not $data.Contains('ComputerName') -and -not @($Component | Where-Object { $present[$_] })) {
        $problems.Add("it names no $(if ($Component.Count -eq 1 -and $Component[0] -eq 'ComputeNodes') { 'compute node group (ComputeNodes)' } else { "component ($($Component -join ', '))" }) to act on")
    }
    if ($problems.Count) { throw "bad inventory $($source): $($problems -join '; ')." }
    $estate
}
