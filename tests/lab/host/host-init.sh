#!/bin/bash
# Pid 1 of a lab host until it hands over to tini: mounts the host's own directories over the paths the vendor
# manual uses, sets the hostname, starts sshd. HOSTDIR is the host's folder in the lab state (see README.md).
set -euo pipefail
name=$1 dir=$2 lib=$3
# shellcheck source=/dev/null
source "$dir/host.env"   # HOTDB_SIZE (empty: on disk), HAS_MYSQL (0/1)

state=$(cd "$dir/../.." && pwd -P) repo=$(cd "$lib/../../.." && pwd -P)
# The lab state and the repository (scripts, the simulator) may sit under a directory this host replaces
# (/tmp, /root, /home, /run, ...). Hold them on a private tmpfs while the host's own directories are mounted,
# mount from there, then put them back at their own paths.
keep=("$repo")
[[ $state == "$repo"/* ]] || keep+=("$state")
mount -t tmpfs -o mode=0700,size=1m tmpfs /mnt
for i in "${!keep[@]}"; do mkdir "/mnt/$i"; mount --rbind "${keep[$i]}" "/mnt/$i"; done
held() {   # the path under /mnt where $1 is reachable while its own path is covered
    local i
    for i in "${!keep[@]}"; do
        if [[ $1 == "${keep[$i]}" || $1 == "${keep[$i]}"/* ]]; then echo "/mnt/$i${1#"${keep[$i]}"}"; return; fi
    done
    echo "$1"
}
host_dir=$(cd "$dir" && pwd -P)
dir=$(held "$host_dir") lib=$(held "$(cd "$lib" && pwd -P)")

mount -t sysfs sysfs /sys                         # /sys/class/net shows this host's interfaces
mount -t tmpfs -o mode=0755,size=64m tmpfs /run
mkdir -p /run/sshd /run/mysqld /run/lock
chmod 0755 /run/sshd
chown mysql:mysql /run/mysqld 2>/dev/null || true
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$dir/etc,workdir=$dir/.etc-work" /etc
mount --bind "$dir/root" /root
mount --bind "$dir/home" /home
mount --bind "$dir/log" /var/log
mount --bind "$dir/tmp" /tmp
if [[ -n $HOTDB_SIZE ]]; then
    mount -t tmpfs -o "size=$HOTDB_SIZE,mode=0755" tmpfs /usr/local/hotdb
else
    mount --bind "$dir/hotdb" /usr/local/hotdb
fi
mount --bind "$dir/jdk8" /usr/local/jdk8           # where upgrades install JDK 8: per host, never the machine's
if [[ $HAS_MYSQL == 1 ]]; then mount --bind "$dir/mysql" /var/lib/mysql; fi
mount --bind "$lib/service" /usr/sbin/service
for i in "${!keep[@]}"; do mkdir -p "${keep[$i]}"; mount --move "/mnt/$i" "${keep[$i]}"; done
umount /mnt
dir=$host_dir
hostname "$name"

/usr/sbin/sshd -E /var/log/sshd.log
touch "$dir/.ready"
# The keeper is sleep under its own name, so killing a host's 'sleep' processes does not end the host.
exec /usr/bin/tini -- "$dir/../../bin/hotdb-lab-host" infinity
