#!/bin/bash
# The HotDB lab's namespace plumbing, called by HotDbLab.psm1 (which writes every config file first).
# Each lab host is a network namespace 'hotdblab-<name>' joined to the bridge by a veth ('hl-<name>' outside,
# 'eth0' inside) plus its own mount, pid, uts and ipc namespaces whose pid 1 is tini.
set -euo pipefail

readonly NETNS_PREFIX=hotdblab-
readonly VETH_PREFIX=hl-
readonly LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "labhost: $*" >&2; exit 1; }

# etc-template UPPER WORK: builds the /etc overlay layer every host starts from (users hotdb and labadmin,
# passwords from stdin as 'user:password' lines), in a throwaway mount namespace: the machine's /etc is untouched.
etc_template() {
    local upper=$1 work=$2 login_user=$3
    mkdir -p "$upper" "$work"
    unshare --mount --propagation private /bin/bash -euo pipefail -c '
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc
        getent group hotdb >/dev/null || groupadd hotdb
        id -u hotdb >/dev/null 2>&1 || useradd -M -d /home/hotdb -g hotdb -s /bin/bash hotdb
        id -u "$3" >/dev/null 2>&1 || useradd -M -d "/home/$3" -s /bin/bash -G sudo "$3"
        chpasswd
    ' etc-template "$upper" "$work" "$login_user"
}

# boot NAME ADDRESS/PREFIX HOSTDIR BRIDGE: creates one host and prints its pid 1 as the lab machine sees it.
boot() {
    local name=$1 cidr=$2 dir=$3 bridge=$4
    local netns=$NETNS_PREFIX$name veth=$VETH_PREFIX$name
    ip netns add "$netns"
    ip link add "$veth" type veth peer name eth0 netns "$netns"
    ip link set "$veth" master "$bridge" up
    ip -n "$netns" link set lo up
    ip -n "$netns" addr add "$cidr" dev eth0
    ip -n "$netns" link set eth0 up
    rm -f "$dir/.ready"
    # setsid: the host must not die with the shell that started it; --kill-child: killing unshare ends the host.
    setsid nsenter --net="/run/netns/$netns" \
        unshare --mount --uts --ipc --pid --fork --kill-child --mount-proc --propagation private \
        /bin/bash "$LIB_DIR/host-init.sh" "$name" "$dir" "$LIB_DIR" </dev/null >>"$dir/lab-init.log" 2>&1 &
    local outer=$! i
    for ((i = 0; i < 200; i++)); do
        [[ -e $dir/.ready ]] && break
        kill -0 "$outer" 2>/dev/null || die "host $name failed to start: $(tail -n 5 "$dir/lab-init.log")"
        sleep 0.05
    done
    [[ -e $dir/.ready ]] || die "host $name did not get ready within 10 s: $(tail -n 5 "$dir/lab-init.log")"
    local init
    init=$(tr -d " " <"/proc/$outer/task/$outer/children")
    [[ $init =~ ^[0-9]+$ ]] || die "host $name: cannot find its pid 1 (unshare $outer has children '$init')"
    echo "$name $init"
}

# boot-all BRIDGE BRIDGE_CIDR MANIFEST: the bridge, then every host of MANIFEST ('name cidr dir' lines) in parallel.
boot_all() {
    local bridge=$1 bridge_cidr=$2 manifest=$3
    ip link add "$bridge" type bridge
    ip addr add "$bridge_cidr" dev "$bridge"
    ip link set "$bridge" up
    local name cidr dir pids=() failed=0 pid
    while read -r name cidr dir; do
        [[ -n $name ]] || continue
        boot "$name" "$cidr" "$dir" "$bridge" >"$dir/.boot" 2>&1 &
        pids+=($!)
    done <"$manifest"
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    while read -r name cidr dir; do
        [[ -n $name ]] || continue
        cat "$dir/.boot"
    done <"$manifest"
    return $failed
}

# down BRIDGE: removes every lab host, veth and the bridge, whatever state a failed start left them in.
down() {
    local bridge=$1 netns pids i
    local namespaces
    namespaces=$(ip netns list | awk -v p="$NETNS_PREFIX" 'index($1, p) == 1 { print $1 }')
    for ((i = 0; i < 100; i++)); do
        pids=""
        for netns in $namespaces; do pids+=" $(ip netns pids "$netns" 2>/dev/null | tr '\n' ' ')"; done
        [[ -n ${pids// /} ]] || break
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
        sleep 0.1
    done
    [[ -z ${pids// /} ]] || die "processes still running in lab namespaces: $pids"
    for netns in $namespaces; do ip netns delete "$netns"; done
    local veth
    for veth in $(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep "^$VETH_PREFIX" || true); do
        ip link delete "$veth" 2>/dev/null || true
    done
    if ip link show "$bridge" >/dev/null 2>&1; then ip link delete "$bridge"; fi
    # 'ip netns add' turned /run/netns into a mount point; drop it when no namespace of anyone is left.
    if mountpoint -q /run/netns && [[ -z $(ls -A /run/netns) ]]; then umount /run/netns && rmdir /run/netns; fi
}

command=${1:-}; shift || true
case $command in
    etc-template) etc_template "$@" ;;
    boot-all) boot_all "$@" ;;
    down) down "$@" ;;
    *) die "usage: labhost.sh etc-template|boot-all|down ..." ;;
esac
