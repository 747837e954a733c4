# The default HotDB lab: one host per role of every deployment mode in the vendor's manual.
# Addresses are in 198.18.0.0/24 only (the bridge holds 198.18.0.1). See README.md for every key.
@{
    # Applies to every host unless the host sets its own value.
    Defaults = @{
        # /usr/local/hotdb is a tmpfs of this size (a full disk is a real ENOSPC); '' puts it on disk.
        HotDbSize = '256M'
    }

    # Compute-node groups: how their hosts are deployed, and the keepalived VIP of a master/slave pair.
    Groups = @{
        sn = @{ Mode = 'Single' }
        ms = @{ Mode = 'MasterSlave'; Vip = '198.18.0.140'; VirtualRouterId = 89 }
        mn = @{ Mode = 'Cluster' }
        dr = @{ Mode = 'MasterSlave'; Vip = '198.18.0.150'; VirtualRouterId = 90; Idc = 'dr' }
    }

    Hosts = @(
        @{ Name = 'configdb'; Address = '198.18.0.10'; Roles = @('configdb') }
        @{ Name = 'mgmt'; Address = '198.18.0.11'; Roles = @('management') }
        @{ Name = 'sn1'; Address = '198.18.0.21'; Roles = @('computenode'); Group = 'sn' }
        @{ Name = 'ms1'; Address = '198.18.0.31'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'master' }
        @{ Name = 'ms2'; Address = '198.18.0.32'; Roles = @('computenode', 'keepalived'); Group = 'ms'; Keepalived = 'backup' }
        @{ Name = 'mn1'; Address = '198.18.0.41'; Roles = @('computenode'); Group = 'mn' }
        @{ Name = 'mn2'; Address = '198.18.0.42'; Roles = @('computenode'); Group = 'mn' }
        @{ Name = 'mn3'; Address = '198.18.0.43'; Roles = @('computenode'); Group = 'mn' }
        @{ Name = 'ds1'; Address = '198.18.0.51'; Roles = @('backup', 'listener') }
        @{ Name = 'ds2'; Address = '198.18.0.52'; Roles = @('backup', 'listener') }
        @{ Name = 'drconfigdb'; Address = '198.18.0.60'; Roles = @('drconfigdb') }
        @{ Name = 'dr1'; Address = '198.18.0.61'; Roles = @('computenode', 'keepalived'); Group = 'dr'; Keepalived = 'master' }
        @{ Name = 'dr2'; Address = '198.18.0.62'; Roles = @('computenode', 'keepalived'); Group = 'dr'; Keepalived = 'backup' }
    )
}
