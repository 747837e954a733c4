# A small lab for fast tests: the ConfigDB and its DR replica, the master/slave pair, one single node.
@{
    Defaults = @{ HotDbSize = '64M' }
    Groups = @{
        sn = @{ Mode = 'Single' }
        ms = @{ Mode = 'MasterSlave'; Vip = '198.18.0.140'; VirtualRouterId = 89 }
    }
    Hosts = @(
        @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
        @{ Name = 'sn1'; Address = '198.18.0.21'; Roles = @('computenode'); Group = 'sn'; HotDbSize = '' }
        @{ Name = 'ms1'; Address = '198.18.0.31'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'master' }
        @{ Name = 'ms2'; Address = '198.18.0.32'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'backup' }
        @{ Name = 'drconfigdb'; Address = '198.18.0.60'; Roles = @('drconfigdb') }
    )
}
