#!/usr/bin/env bash
# The manual's single-node compute node upgrade (section 3.2, with the ConfigDB steps of section 2.1 it refers to),
# transcribed command by command over plain ssh/scp, for the benchmark (tests/bench/Invoke-HotDbBench.ps1).
# No checks, no rollback: what an operator following the manual types, in the manual's order.
#
# Inputs (environment):
#   NODE            compute node host (root login by key)
#   CONFIGDB_HOST   ConfigDB host; root logs in to MySQL there through the socket, as on the manual's ConfigDB server
#   CONFIGDB_NAME   the compute node's ConfigDB database (hotdb_config_<group> on the lab)
#   PACKAGE         local hotdb-server-<version>-ga-<date>.tar.gz
#   SCRIPTS         local folder of ConfigDB upgrade scripts hotdb_config_<version>.sql
#   FROM_VERSION    installed version (2.4.9); scripts after it, up to TO_VERSION, are applied in version order
#   TO_VERSION      the package's version
#   SSH_KEY, KNOWN_HOSTS  the SSH identity and known_hosts file (strict host-key checking)
set -euo pipefail
. "$(dirname "$0")/configdb-upgrade.sh"

: "${NODE:?}" "${CONFIGDB_HOST:?}" "${CONFIGDB_NAME:?}" "${PACKAGE:?}" "${SCRIPTS:?}" "${FROM_VERSION:?}" "${TO_VERSION:?}"
: "${SSH_KEY:?}" "${KNOWN_HOSTS:?}"
ssh_opts=(-i "$SSH_KEY" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" -o BatchMode=yes)
on_node() { ssh "${ssh_opts[@]}" "root@$NODE" "$@"; }
on_configdb() { ssh "${ssh_opts[@]}" "root@$CONFIGDB_HOST" "$@"; }
old_dir="hotdb_server_${FROM_VERSION//./}"
package_name=$(basename "$PACKAGE")

# 3.2.1 Stop the compute node service.
on_node 'cd /usr/local/hotdb/hotdb-server/bin && sh hotdb_server stop'

# 3.2.2 ConfigDB upgrade, as in 2.1.2-2.1.3: back up the ConfigDB, then run each upgrade script.
upgrade_configdb

# 3.2.3 Replace the program package: keep the old directory, upload, unzip, owner, SELinux context.
on_node "cd /usr/local/hotdb/ && mv hotdb-server $old_dir"
scp -q "${ssh_opts[@]}" "$PACKAGE" "root@$NODE:/usr/local/hotdb/$package_name"
on_node "tar -xf /usr/local/hotdb/$package_name -C /usr/local/hotdb"
on_node 'chown -R hotdb:hotdb /usr/local/hotdb/hotdb-server'
on_node 'if command -v restorecon >/dev/null; then restorecon -R /usr/local/hotdb/hotdb-server; fi'
# NDB SQL service (2.5.3 and later): copy it from the old directory when it is there.
on_node "cd /usr/local/hotdb/$old_dir && if ls -d ndbsql* >/dev/null 2>&1; then cp -rp /usr/local/hotdb/$old_dir/ndbsql* /usr/local/hotdb/hotdb-server/; fi"

# 3.2.4 Configuration: carry the old server.xml's values over (the manual edits them by hand in vi).
on_node "cp -p /usr/local/hotdb/$old_dir/conf/server.xml /usr/local/hotdb/hotdb-server/conf/server.xml"

# 3.2.5 Start the compute node service.
on_node 'cd /usr/local/hotdb/hotdb-server/bin && sh hotdb_server start'
