#!/usr/bin/env bash
# The manual's multi-node cluster upgrade without stopping the service (section 3.6: the ConfigDB steps of section
# 2.1 it refers to, then each secondary and last the primary through the single-node commands of 3.2, with the JDK
# and license notes of 3.1), transcribed command by command over plain ssh/scp, for the benchmark
# (tests/bench/Invoke-HotDbBench.ps1). No rollback: what an operator following the manual types, in the manual's order.
#
# Inputs (environment):
#   NODES           every member host of the cluster, separated by spaces (root login by key); the roles are read
#                   from show @@cluster, as the manual says
#   CONFIGDB_HOST   ConfigDB host; root logs in to MySQL there through the socket, as on the manual's ConfigDB server
#   CONFIGDB_NAME   the cluster's ConfigDB database (hotdb_config_<group> on the lab)
#   PACKAGE         local hotdb-server-<version>-ga-<date>.tar.gz
#   SCRIPTS         local folder of ConfigDB upgrade scripts hotdb_config_<version>.sql
#   FROM_VERSION    installed version (2.5.4); scripts after it, up to TO_VERSION, are applied in version order
#   TO_VERSION      the package's version
#   JDK_PACKAGE     local OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz (needed from 2.5.6, 3.1.1)
#   MANAGER_USER, MANAGER_PASSWORD  a SUPER login of the manager port (3325), for show @@cluster
#   SSH_KEY, KNOWN_HOSTS  the SSH identity and known_hosts file (strict host-key checking)
set -euo pipefail
. "$(dirname "$0")/configdb-upgrade.sh"

: "${NODES:?}" "${CONFIGDB_HOST:?}" "${CONFIGDB_NAME:?}" "${PACKAGE:?}" "${SCRIPTS:?}" "${FROM_VERSION:?}" "${TO_VERSION:?}"
: "${MANAGER_USER:?}" "${MANAGER_PASSWORD:?}" "${SSH_KEY:?}" "${KNOWN_HOSTS:?}"
ssh_opts=(-i "$SSH_KEY" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" -o BatchMode=yes)
on() { local host=$1; shift; ssh "${ssh_opts[@]}" "root@$host" "$@"; }
on_configdb() { ssh "${ssh_opts[@]}" "root@$CONFIGDB_HOST" "$@"; }
read -r -a members <<< "$NODES"
old_dir="hotdb_server_${FROM_VERSION//./}"
package_name=$(basename "$PACKAGE")
version_at_least() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }
jdk8=false
if version_at_least "$TO_VERSION" 2.5.6; then jdk8=true; : "${JDK_PACKAGE:?from 2.5.6 the compute node needs JDK 8}"; fi

# show @@cluster on the manager port of any member that answers (the password through the environment, never on a
# command line): status, host, port, server_port, manager_port.
show_cluster() {
    local member
    for member in "${members[@]}"; do
        if MYSQL_PWD="$MANAGER_PASSWORD" mysql -u"$MANAGER_USER" -h"$member" -P3325 --connect-timeout=3 -N -B -e 'show @@cluster' 2>/dev/null; then return 0; fi
    done
    return 1
}
# Every member listed, one PRIMARY, the others SECONDARY: the cluster runs normally.
cluster_normal() {
    local view
    view=$(show_cluster) || return 1
    [ "$(awk '$1 == "PRIMARY"' <<< "$view" | wc -l)" -eq 1 ] &&
        [ "$(awk '$1 == "PRIMARY" || $1 == "SECONDARY"' <<< "$view" | wc -l)" -eq "${#members[@]}" ]
}
# What the operator does when the manual says to make sure: look again until it shows, for up to two minutes.
wait_cluster_normal() {
    local i
    for i in $(seq 1 240); do if cluster_normal; then return 0; fi; sleep 0.5; done
    echo 'gave up waiting for every member to be PRIMARY or SECONDARY' >&2; show_cluster >&2 || true; exit 1
}

# The roles (3.6.1's special instructions): primary and secondary as show @@cluster on a manager port reports them.
view=$(show_cluster)
printf '%s\n' "$view"
primary=$(awk '$1 == "PRIMARY" { print $2 }' <<< "$view")
[ -n "$primary" ] || { echo 'show @@cluster names no PRIMARY' >&2; exit 1; }
secondaries=()
for member in "${members[@]}"; do [ "$member" = "$primary" ] || secondaries+=("$member"); done

# 3.6.2 ConfigDB upgrade, as in 2.1.2-2.1.3: back up the ConfigDB, then run each upgrade script, the cluster serving.
upgrade_configdb

# One member through the single-node commands (3.2.1, 3.2.3-3.2.5; the ConfigDB is done once, above).
upgrade_member() {
    local host=$1
    # 3.2.1 Stop the compute node service.
    on "$host" 'cd /usr/local/hotdb/hotdb-server/bin && sh hotdb_server stop'
    # 3.2.3 Replace the program package: keep the old directory, upload, unzip, owner, SELinux context.
    on "$host" "cd /usr/local/hotdb/ && mv hotdb-server $old_dir"
    scp -q "${ssh_opts[@]}" "$PACKAGE" "root@$host:/usr/local/hotdb/$package_name"
    on "$host" "tar -xf /usr/local/hotdb/$package_name -C /usr/local/hotdb"
    on "$host" 'chown -R hotdb:hotdb /usr/local/hotdb/hotdb-server'
    on "$host" 'if command -v restorecon >/dev/null; then restorecon -R /usr/local/hotdb/hotdb-server; fi'
    # NDB SQL service (2.5.3 and later): copy it from the old directory when it is there.
    on "$host" "cd /usr/local/hotdb/$old_dir && if ls -d ndbsql* >/dev/null 2>&1; then cp -rp /usr/local/hotdb/$old_dir/ndbsql* /usr/local/hotdb/hotdb-server/; fi"
    # 3.2.4 Configuration: carry the old server.xml's values over (the manual edits them by hand in vi).
    on "$host" "cp -p /usr/local/hotdb/$old_dir/conf/server.xml /usr/local/hotdb/hotdb-server/conf/server.xml"
    if $jdk8; then
        # 3.1.1 (as 2.4.1-2.4.2): upload and unzip OpenJDK 8 under /usr/local/jdk8, then point the start script at it.
        scp -q "${ssh_opts[@]}" "$JDK_PACKAGE" "root@$host:/root/$(basename "$JDK_PACKAGE")"
        on "$host" 'mkdir -p /usr/local/jdk8'
        on "$host" "tar -xf /root/$(basename "$JDK_PACKAGE") -C /usr/local/jdk8"
        on "$host" "sed -i -e 's#^\([[:space:]]*\)JAVA_BIN=.*#\1JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java#' \
            -e 's#^\([[:space:]]*\)JAVA_VERSION=.*#\1JAVA_VERSION=\"1.8.0_252\"#' /usr/local/hotdb/hotdb-server/bin/hotdb_server"
        # 3.1.2: the new package's trial license in keys/ starts the node (the lab's ConfigDB is under its limit).
    fi
    # 3.2.5 Start the compute node service.
    on "$host" 'cd /usr/local/hotdb/hotdb-server/bin && sh hotdb_server start'
}

# 3.6.3-3.6.4 Each secondary, then 3.6.5 the primary, whose stop makes the cluster elect another.
# The manual asks to make sure the other members run normally before the primary stops; the same look comes before
# each secondary too, since stopping one before the last has rejoined would leave the cluster without a majority.
for member in "${secondaries[@]}" "$primary"; do
    wait_cluster_normal
    upgrade_member "$member"
done
# After the starts, show @@cluster on a manager port shows every member's role (as 3.5 ends).
wait_cluster_normal
show_cluster
