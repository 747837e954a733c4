# The manual's ConfigDB upgrade (section 2.1.2-2.1.3), which its compute node sections refer to: back up the
# ConfigDB with mysqldump, then run each upgrade script after FROM_VERSION up to TO_VERSION in version order.
# Sourced by the manual scripts beside it, which define on_configdb and the CONFIGDB_NAME, SCRIPTS, FROM_VERSION and
# TO_VERSION inputs.
upgrade_configdb() {
    # (--set-gtid-purged is MySQL's; MariaDB's mysqldump lacks it, so the same command without it follows.)
    local dump_file="/root/${CONFIGDB_NAME}_${FROM_VERSION}.sql" script version
    on_configdb "mysqldump --set-gtid-purged=off --single-transaction --master-data=1 --databases $CONFIGDB_NAME --default-character-set=utf8 -uroot > $dump_file" 2>/dev/null ||
        on_configdb "mysqldump --single-transaction --master-data=1 --databases $CONFIGDB_NAME --default-character-set=utf8 -uroot > $dump_file"
    for script in $(ls "$SCRIPTS"/hotdb_config_*.sql | sort -V); do
        version=$(basename "$script" .sql); version=${version#hotdb_config_}
        if [ "$(printf '%s\n%s\n' "$version" "$FROM_VERSION" | sort -V | head -n1)" = "$version" ]; then continue; fi
        if [ "$(printf '%s\n%s\n' "$version" "$TO_VERSION" | sort -V | tail -n1)" != "$TO_VERSION" ]; then continue; fi
        on_configdb "mysql -uroot --default-character-set=utf8 -D$CONFIGDB_NAME" < "$script"
    done
}
