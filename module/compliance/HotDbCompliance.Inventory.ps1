<#
    The compliance pack's reader of the estate inventory (estate.psd1, the format the estate upgrade reads too):
    dot-sourced by HotDb.Compliance.Tests.ps1 and Invoke-HotDbCompliance.ps1. Read-HotDbComplianceInventory validates
    the file and returns it normalised, or throws one message naming the file, the key and what is wrong.

    Also reads the pack's older flat inventory (ComputerName, Port, UserName, KeyFile, KnownHostsPath), whose hosts get
    the session checks only.
#>

function Read-HotDbComplianceInventory {
    [CmdletBinding()]
    param(
        # A .psd1 path or a hashtable.
        [Parameter(Mandatory)] [object] $Inventory,
        # The compute node directory of a group that gives no InstallPath.
        [string] $InstallPath = '/usr/local/hotdb/hotdb-server'
    )

    $source = 'the inventory'
    $folder = (Get-Location -PSProvider FileSystem).ProviderPath
    if ($Inventory -is [System.Collections.IDictionary]) { $table = $Inventory }
    else {
        $path = "$Inventory"
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "The inventory '$path' does not exist." }
        $path = (Resolve-Path -LiteralPath $path).ProviderPath
        $source = $path
        $folder = Split-Path $path
        try { $table = Import-PowerShellDataFile -LiteralPath $path -ErrorAction Stop }
        catch { throw "${source}: not a PowerShell data file (a .psd1 holding one hashtable): $($_.Exception.Message)" }
    }

    function Fail([string] $Message) { throw "${source}: $Message" }
    function Test-Key([System.Collections.IDictionary] $Table, [string[]] $Allowed, [string] $Where) {
        foreach ($key in @($Table.Keys)) {
            if ($Allowed -notcontains $key) { Fail "$Where has an unknown key '$key' (expected $($Allowed -join ', '))." }
        }
    }
    function Resolve-LocalPath([string] $Path) {
        if (-not $Path) { return $Path }
        if ($Path -eq '~' -or $Path -like '~/*') { $Path = Join-Path $HOME $Path.Substring([Math]::Min(2, $Path.Length)) }
        if (-not [System.IO.Path]::IsPathRooted($Path)) { $Path = Join-Path $folder $Path }
        [System.IO.Path]::GetFullPath($Path)
    }
    function Split-HostName([object] $Value) { @(@($Value) | ForEach-Object { "$_" -split '[,\s]+' } | Where-Object { $_ }) }
    function Test-HostPort([object] $Value, [string] $Where) {
        if ($null -eq $Value) { return $null }
        if ("$Value" -notmatch '^[^\s:]+:\d{1,5}$' -or [int]("$Value" -split ':')[1] -notin 1..65535) { Fail "$Where '$Value' is not host:port." }
        "$Value"
    }

    $newKeys = 'Ssh', 'Packages', 'Management', 'ComputeNodes', 'Backup', 'Listener'
    $legacyKeys = 'ComputerName', 'Port', 'UserName', 'KeyFile', 'KnownHostsPath'
    $ssh = @{ UserName = $null; KeyFile = $null; KnownHostsPath = $null; Port = $null; Elevation = $null }
    $groups = [System.Collections.Generic.List[object]]::new()
    $packages = @{ ComputeNode = $null; ConfigDbScripts = $null }

    if ($table.Contains('ComputerName')) {
        # The pack's flat inventory: every host gets the session checks.
        Test-Key $table $legacyKeys 'the inventory (flat: ComputerName, Port, UserName, KeyFile, KnownHostsPath)'
        foreach ($key in 'UserName', 'KeyFile', 'KnownHostsPath', 'Port') { $ssh[$key] = $table[$key] }
        $names = Split-HostName $table.ComputerName
        if ($names.Count -eq 0) { Fail 'ComputerName names no host.' }
        $groups.Add([pscustomobject]@{ Name = 'hosts'; Mode = 'Hosts'; ComputerName = $names; DrComputerName = @(); Online = $false
                MasterCentreMode = $null; InstallPath = $InstallPath; KeepalivedConfigPath = $null; ConfigDb = $null; DrConfigDb = $null })
    }
    else {
        Test-Key $table $newKeys 'the inventory'
        if ($null -ne $table.Ssh) {
            if ($table.Ssh -isnot [System.Collections.IDictionary]) { Fail 'Ssh must be a hashtable (UserName, KeyFile, KnownHostsPath, Port, Elevation).' }
            Test-Key $table.Ssh @('UserName', 'KeyFile', 'KnownHostsPath', 'Port', 'Elevation') 'Ssh'
            foreach ($key in @($table.Ssh.Keys)) { $ssh[$key] = $table.Ssh[$key] }
        }
        if ($null -ne $table.Packages) {
            if ($table.Packages -isnot [System.Collections.IDictionary]) { Fail 'Packages must be a hashtable of local paths.' }
            Test-Key $table.Packages @('ComputeNode', 'ConfigDbScripts', 'Management', 'ManagementScripts', 'Backup', 'Listener', 'Jdk', 'License') 'Packages'
            if ($table.Packages.ComputeNode) {
                $packages.ComputeNode = Resolve-LocalPath $table.Packages.ComputeNode
                if (-not (Test-Path -LiteralPath $packages.ComputeNode -PathType Leaf)) { Fail "Packages.ComputeNode '$($table.Packages.ComputeNode)' does not exist ($($packages.ComputeNode))." }
            }
            if ($table.Packages.ConfigDbScripts) {
                $packages.ConfigDbScripts = Resolve-LocalPath $table.Packages.ConfigDbScripts
                if (-not (Test-Path -LiteralPath $packages.ConfigDbScripts -PathType Container)) { Fail "Packages.ConfigDbScripts '$($table.Packages.ConfigDbScripts)' is not a folder ($($packages.ConfigDbScripts))." }
            }
        }
        $modes = 'SingleNode', 'MasterSlave', 'Cluster', 'DisasterRecovery'
        $groupKeys = 'Name', 'Mode', 'ComputerName', 'Online', 'DrComputerName', 'MasterCentreMode', 'DrConfigDb', 'InstallPath', 'ConfigDb', 'KeepalivedConfigPath', 'StartTimeout', 'StopTimeout'
        $index = 0
        foreach ($entry in @($table.ComputeNodes)) {
            if ($null -eq $entry) { continue }
            $index++
            $where = "ComputeNodes[$index]"
            if ($entry -isnot [System.Collections.IDictionary]) { Fail "$where must be a hashtable with Mode and ComputerName." }
            if ($entry.Name) { $where += " ($($entry.Name))" }
            Test-Key $entry $groupKeys $where
            if ($modes -notcontains "$($entry.Mode)") { Fail "$where Mode '$($entry.Mode)' is not one of $($modes -join ', ')." }
            $mode = $modes | Where-Object { $_ -eq "$($entry.Mode)" } | Select-Object -First 1
            $names = Split-HostName $entry.ComputerName
            $drNames = Split-HostName $entry.DrComputerName
            $count = @{ SingleNode = '1'; MasterSlave = '2'; Cluster = '2 or more'; DisasterRecovery = '1 or 2' }[$mode]
            $ok = switch ($mode) { 'SingleNode' { $names.Count -eq 1 } 'MasterSlave' { $names.Count -eq 2 } 'Cluster' { $names.Count -ge 2 } default { $names.Count -in 1, 2 } }
            if (-not $ok) { Fail "$where ($mode) needs ComputerName with $count host(s); got $($names.Count)." }
            if ($mode -eq 'DisasterRecovery') {
                if ($drNames.Count -eq 0) { Fail "$where (DisasterRecovery) needs DrComputerName: the DR centre's compute node hosts." }
                if ("$($entry.MasterCentreMode)" -notin 'SingleNode', 'MasterSlaveOffline', 'MasterSlaveOnline') { Fail "$where MasterCentreMode '$($entry.MasterCentreMode)' is not SingleNode, MasterSlaveOffline or MasterSlaveOnline." }
                if ($entry.MasterCentreMode -eq 'SingleNode' -and $names.Count -ne 1) { Fail "$where MasterCentreMode SingleNode needs one master centre host; got $($names.Count)." }
                if ($entry.MasterCentreMode -ne 'SingleNode' -and $names.Count -ne 2) { Fail "$where MasterCentreMode $($entry.MasterCentreMode) needs two master centre hosts; got $($names.Count)." }
            }
            else {
                foreach ($key in 'DrComputerName', 'MasterCentreMode', 'DrConfigDb') { if ($entry.Contains($key)) { Fail "$where has $key, which only a DisasterRecovery group takes." } }
            }
            if ($entry.Contains('Online') -and $mode -notin 'MasterSlave', 'Cluster') { Fail "$where has Online, which only a MasterSlave or Cluster group takes." }
            if ($entry.Contains('Online') -and $entry.Online -isnot [bool]) { Fail "$where Online must be `$true or `$false; got '$($entry.Online)'." }
            $path = if ($entry.InstallPath) { "$($entry.InstallPath)" } else { $InstallPath }
            if ($path -notmatch '^/') { Fail "$where InstallPath '$path' is not an absolute path on the hosts." }
            if ($entry.KeepalivedConfigPath -and "$($entry.KeepalivedConfigPath)" -notmatch '^/') { Fail "$where KeepalivedConfigPath '$($entry.KeepalivedConfigPath)' is not an absolute path on the hosts." }
            $groups.Add([pscustomobject]@{
                    Name = if ($entry.Name) { "$($entry.Name)" } else { "$mode $index" }; Mode = $mode; ComputerName = $names; DrComputerName = $drNames
                    Online = [bool]$entry.Online; MasterCentreMode = $entry.MasterCentreMode; InstallPath = $path
                    KeepalivedConfigPath = $entry.KeepalivedConfigPath; ConfigDb = (Test-HostPort $entry.ConfigDb "$where ConfigDb")
                    DrConfigDb = (Test-HostPort $entry.DrConfigDb "$where DrConfigDb")
                })
        }
        if ($groups.Count -eq 0) { Fail 'ComputeNodes lists no compute node group: the compliance pack checks compute nodes.' }
    }

    # A host belongs to one group: two would check (and upgrade) it twice, with different rules.
    $seen = @{}
    foreach ($group in $groups) {
        foreach ($name in @($group.ComputerName) + @($group.DrComputerName)) {
            if ($seen.ContainsKey($name.ToLowerInvariant())) { Fail "the host '$name' is listed twice (in $($seen[$name.ToLowerInvariant()]) and $($group.Name))." }
            $seen[$name.ToLowerInvariant()] = $group.Name
        }
    }
    if ($null -ne $ssh.Port -and ("$($ssh.Port)" -notmatch '^\d{1,5}$' -or [int]$ssh.Port -notin 1..65535)) { Fail "Port '$($ssh.Port)' is not a TCP port." }
    if ($null -ne $ssh.Elevation -and "$($ssh.Elevation)" -notin 'None', 'Sudo') { Fail "Elevation '$($ssh.Elevation)' is not None or Sudo." }
    foreach ($key in 'KeyFile', 'KnownHostsPath') { if ($ssh[$key]) { $ssh[$key] = Resolve-LocalPath $ssh[$key] } }
    if ($ssh.KeyFile -and -not (Test-Path -LiteralPath $ssh.KeyFile -PathType Leaf)) { Fail "KeyFile '$($ssh.KeyFile)' does not exist." }

    [pscustomobject]@{ Source = $source; Ssh = $ssh; Packages = $packages; Groups = $groups.ToArray() }
}
