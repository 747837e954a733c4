#!/usr/bin/env bash
# The manual's master/slave compute node upgrade without stopping the service (section 3.4: the HA switch checks, the
# ConfigDB steps of section 2.1 it refers to, the slave, the switch, the old master, the manual HA reconstruction),
# transcribed command by command over plain ssh/scp, for the benchmark (tests/bench/Invoke-HotDbBench.ps1).
# No rollback: what an operator following the manual types, in the manual's order. Where the manual says to look
# (ports, files, the VIP), the command that looks is there, and a look that shows the wrong thing stops the script
# (set -e), as it would stop the operator.
#
# Inputs (environment):
#   MASTER, SLAVE   the current master (holding the VIP) and slave compute node hosts (root login by key)
#   VIP             the pair's keepalived VIP
#   CONFIGDB_HOST   ConfigDB host; root logs in to MySQL there through the socket, as on the manual's ConfigDB server
#   CONFIGDB_NAME   the pair's ConfigDB database (hotdb_config_<group> on the lab)
#   PACKAGE         local hotdb-server-<version>-ga-<date>.tar.gz
#   SCRIPTS         local folder of ConfigDB upgrade scripts hotdb_config_<version>.sql
#   FROM_VERSION    installed version (2.4.9); scripts after it, up to TO_VERSION, are applied in version order
#   TO_VERSION      the package's version
#   MANAGER_USER, MANAGER_PASSWORD  a SUPER login of the manager port (3325), for reload @@config (check 4)
#   SSH_KEY, KNOWN_HOSTS  the SSH identity and known_hosts file (strict host-key checking)
set -euo pipefail
. "$(dirname "$0")/configdb-upgrade.sh"

: "${MASTER:?}" "${SLAVE:?}" "${VIP:?}" "${CONFIGDB_HOST:?}" "${CONFIGDB_NAME:?}" "${PACKAGE:?}" "${SCRIPTS:?}"
: "${FROM_VERSION:?}" "${TO_VERSION:?}" "${MANAGER_USER:?}" "${MANAGER_PASSWORD:?}" "${SSH_KEY:?}" "${KNOWN_HOSTS:?}"
ssh_opts=(-i "$SSH_KEY" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" -o BatchMode=yes)
on() { local host=$1; shift; ssh "${ssh_opts[@]}" "root@$host" "$@"; }
on_configdb() { ssh "${ssh_opts[@]}" "root@$CONFIGDB_HOST" "$@"; }
# The manager port, as an operator logs in to it (the password through the environment, never on a command line).
manager() { MYSQL_PWD="$MANAGER_PASSWORD" mysql -u"$MANAGER_USER" -h"$1" -P3325 --connect-timeout=3 -N -B -e "$2"; }
# A look at the hosts that shows the wrong thing stops the script, as it stops the operator.
must() { "$@" || { echo "check failed: $*" >&2; exit 1; }; }
must_not() { if "$@"; then echo "check failed: not $*" >&2; exit 1; fi; }
# What the operator does when the manual says "check": look again until it shows, for up to a minute.
wait_until() { local i; for i in $(seq 1 120); do if "$@"; then return 0; fi; sleep 0.5; done; echo "gave up waiting for: $*" >&2; exit 1; }
listening() { on "$1" "ss -ltnH | awk '{print \$4}' | grep -q ':$2\$'"; }
holds_vip() { on "$1" "ip -o -4 addr show | grep -q ' $VIP/'"; }
ha_setting() { on "$1" "grep -q '<property name=\"$2\">$3</property>' $server_xml"; }
old_dir="hotdb_server_${FROM_VERSION//./}"
package_name=$(basename "$PACKAGE")
server_xml=/usr/local/hotdb/hotdb-server/conf/server.xml
keepalived_conf=/etc/keepalived/keepalived.conf

# 3.4.2 High availability switch checks.
# 1. Master: service (3323) and manager (3325) ports open; slave: service port closed, manager port open.
must listening "$MASTER" 3323
must listening "$MASTER" 3325
must_not listening "$SLAVE" 3323
must listening "$SLAVE" 3325
# 2. server.xml: master haState master with an empty haNodeHost; slave haState backup, haNodeHost the master's 3325.
on "$MASTER" "grep -E 'haState|haNodeHost' $server_xml"
must ha_setting "$MASTER" haState master
on "$SLAVE" "grep -E 'haState|haNodeHost' $server_xml"
must ha_setting "$SLAVE" haState backup
must ha_setting "$SLAVE" haNodeHost "$MASTER:3325"
# 3. keepalived.conf on both, read against the manual's master and slave templates.
on "$MASTER" "cat $keepalived_conf"
on "$SLAVE" "cat $keepalived_conf"
# 4. The configuration check and memory consistent with the ConfigDB: reload @@config on the master's manager port.
manager "$MASTER" 'reload @@config'
# 5. keepalived runs on both.
on "$MASTER" 'service keepalived status'
on "$SLAVE" 'service keepalived status'
# 6. The VIP is on the master.
must holds_vip "$MASTER"

# 3.4.3 ConfigDB upgrade, as in 2.1.2-2.1.3: back up the ConfigDB, then run each upgrade script, the service running.
upgrade_configdb

# The install replacement both nodes go through (3.4.4 and 3.4.5 list the same commands): keep the old directory,
# upload, unzip, owner, SELinux context, the NDB SQL service, then the configuration files.
replace_install() {
    local host=$1 backup_name=$2
    on "$host" "cd /usr/local/hotdb/ && mv hotdb-server $backup_name"
    scp -q "${ssh_opts[@]}" "$PACKAGE" "root@$host:/usr/local/hotdb/$package_name"
    on "$host" "tar -xf /usr/local/hotdb/$package_name -C /usr/local/hotdb"
    on "$host" 'chown -R hotdb:hotdb /usr/local/hotdb/hotdb-server'
    on "$host" 'if command -v restorecon >/dev/null; then restorecon -R /usr/local/hotdb/hotdb-server; fi'
    # NDB SQL service (2.5.3 and later): copy it from the old directory when it is there.
    on "$host" "cd /usr/local/hotdb/$backup_name && if ls -d ndbsql* >/dev/null 2>&1; then cp -rp /usr/local/hotdb/$backup_name/ndbsql* /usr/local/hotdb/hotdb-server/; fi"
    # server.xml: carry the old file's values over (the manual edits them by hand in vi). The start script and
    # log4j2.xml: the lab's old ones hold no changed value (no JDK change below 2.5.6), so nothing is carried.
    on "$host" "cp -p /usr/local/hotdb/$backup_name/conf/server.xml $server_xml"
}

# 3.4.4 The slave: stop it, replace the install, start it (manager port only: its server.xml says backup).
on "$SLAVE" 'sh /usr/local/hotdb/hotdb-server/bin/hotdb_server stop'
replace_install "$SLAVE" "$old_dir"
on "$SLAVE" 'cd /usr/local/hotdb/hotdb-server/bin && sh hotdb_server start'
must_not listening "$SLAVE" 3323
must listening "$SLAVE" 3325

# 3.4.5 The master: stopping it is the HA switch.
on "$MASTER" 'cd /usr/local/hotdb/hotdb-server/bin && sh hotdb_server stop'
# Check the switch: the slave opens its service port and holds the VIP (ip addr).
wait_until listening "$SLAVE" 3323
wait_until holds_vip "$SLAVE"
# (The manual names this backup hotdb-server_<version>, with a hyphen, unlike the slave's.)
replace_install "$MASTER" "hotdb-server_${FROM_VERSION//./}"

# Manual HA reconstruction: the slave (now holding the VIP) becomes master, the old master becomes its backup.
# 1. Stop keepalived on the node without the VIP.
on "$MASTER" 'service keepalived stop'
# 2. The node with the VIP: server.xml haState master, empty haNodeHost; keepalived.conf as the master template
#    (nopreempt, priority 100, the master_ script modes).
on "$SLAVE" "sed -i -e 's#<property name=\"haState\">[^<]*</property>#<property name=\"haState\">master</property>#' \
    -e 's#<property name=\"haNodeHost\"[^>]*/>#<property name=\"haNodeHost\"></property>#' \
    -e 's#<property name=\"haNodeHost\">[^<]*</property>#<property name=\"haNodeHost\"></property>#' $server_xml"
on "$SLAVE" "sed -i -e '/^[[:space:]]*nopreempt[[:space:]]*\$/d' -e 's/^\([[:space:]]*\)priority[[:space:]]\+[0-9]\+/\1nopreempt\n\1priority 100/' \
    -e 's/backup_notify_/master_notify_/g' -e 's/connect_backup/connect_master/g' $keepalived_conf"
# 3. The node without the VIP: server.xml haState backup, haNodeHost the new master's manager port; keepalived.conf
#    as the backup template (no nopreempt, priority 95, the backup_ script modes).
on "$MASTER" "sed -i -e 's#<property name=\"haState\">[^<]*</property>#<property name=\"haState\">backup</property>#' \
    -e 's#<property name=\"haNodeHost\"[^>]*/>#<property name=\"haNodeHost\">$SLAVE:3325</property>#' \
    -e 's#<property name=\"haNodeHost\">[^<]*</property>#<property name=\"haNodeHost\">$SLAVE:3325</property>#' $server_xml"
on "$MASTER" "sed -i -e '/^[[:space:]]*nopreempt[[:space:]]*\$/d' -e 's/^\([[:space:]]*\)priority[[:space:]]\+[0-9]\+/\1priority 95/' \
    -e 's/master_notify_/backup_notify_/g' -e 's/connect_master/connect_backup/g' $keepalived_conf"
# 4. Reload keepalived on the node with the VIP.
on "$SLAVE" 'service keepalived reload'
# Start the node without the VIP, then, once it started, its keepalived.
on "$MASTER" 'cd /usr/local/hotdb/hotdb-server/bin && sh hotdb_server start'
on "$MASTER" 'service keepalived start'
