namespace HotDbSim;

/// <summary>The shell scripts and text files inside the packages.</summary>
static class Scripts
{
    /// <summary>Shared start/stop/status functions: expects NAME, PID_FILE, JAVA_BIN, JAVA_VERSION, LOG, READY, FAILED and run_java.</summary>
    // The vendor scripts' common command dispatch.
    const string Dispatch = """
        case "$1" in
          start) do_start ;;
          stop) do_stop ;;
          restart) do_stop && do_start ;;
          status) do_status ;;
          *) echo "Usage: $0 {start|stop|restart|status}"; exit 2 ;;
        esac
        """;

    const string Functions = """
        MSG_PREFIX=${MSG_PREFIX-INFO: }
        ERR_PREFIX=${ERR_PREFIX-ERROR: }

        running_pid() {
          [ -f "$PID_FILE" ] || return 1
          pid=$(cat "$PID_FILE" 2>/dev/null)
          [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
        }

        check_java() {
          if [ ! -x "$JAVA_BIN" ]; then
            echo "${ERR_PREFIX}$JAVA_BIN does not exist or is not executable, check JAVA_BIN in $0."
            return 1
          fi
          actual=$("$JAVA_BIN" -version 2>&1 | sed -n 's/.*version "\(.*\)".*/\1/p' | head -n 1)
          if [ "$actual" != "$JAVA_VERSION" ]; then
            echo "${ERR_PREFIX}the java version of $JAVA_BIN is $actual, but $NAME needs $JAVA_VERSION (JAVA_VERSION in $0)."
            return 1
          fi
        }

        do_start() {
          if pid=$(running_pid); then echo "${MSG_PREFIX}$NAME service already running (PID: $pid)."; return 0; fi
          check_java || return 1
          mkdir -p "$PID_DIR" "$(dirname "$LOG")"
          offset=0; [ -f "$LOG" ] && offset=$(wc -c < "$LOG")
          run_java
          pid=$!
          echo "$pid" > "$PID_FILE"
          tries=$((START_TIMEOUT * 2))
          while [ "$tries" -gt 0 ]; do
            new=$(tail -c +$((offset + 1)) "$LOG" 2>/dev/null)
            if ! kill -0 "$pid" 2>/dev/null; then
              rm -f "$PID_FILE"
              reason=$(printf '%s\n' "$new" | grep '\[ERROR\]' | tail -n 1)
              [ -n "$reason" ] || reason=$(tail -n 3 "$CONSOLE_LOG" 2>/dev/null)
              echo "${ERR_PREFIX}$NAME start failed. $reason"
              return 1
            fi
            if [ -n "$FAILED" ] && printf '%s\n' "$new" | grep -q "$FAILED"; then
              echo "${ERR_PREFIX}$NAME start failed. $(printf '%s\n' "$new" | grep "$FAILED" | tail -n 1)"
              return 1
            fi
            if printf '%s\n' "$new" | awk -v ready="$READY" -v done_="$READY_END" '$0 ~ ready {m=1} m && $0 ~ done_ {f=1} END {exit !f}'; then
              echo "${MSG_PREFIX}$NAME start successed."
              return 0
            fi
            sleep 0.5
            tries=$((tries - 1))
          done
          echo "${ERR_PREFIX}$NAME did not finish starting within $START_TIMEOUT s, see $LOG."
          return 1
        }

        do_stop() {
          if ! pid=$(running_pid); then rm -f "$PID_FILE"; echo "${MSG_PREFIX}$NAME service not running."; return 0; fi
          kill "$pid"
          tries=$((STOP_TIMEOUT * 2))
          while kill -0 "$pid" 2>/dev/null; do
            if [ "$tries" -le 0 ]; then echo "${ERR_PREFIX}$NAME (PID: $pid) did not stop within $STOP_TIMEOUT s."; return 1; fi
            sleep 0.5
            tries=$((tries - 1))
          done
          rm -f "$PID_FILE"
          echo "${MSG_PREFIX}$NAME stopped success."
        }

        do_status() {
          if pid=$(running_pid); then echo "${MSG_PREFIX}$NAME service is running (PID: $pid)."; return 0; fi
          echo "${MSG_PREFIX}$NAME service not running."
          return 3
        }
        """;

    public static string HotdbServer(Release r) => $$"""
        #!/bin/sh
        # HotDB Server {{r.Version}} start/stop script: sh hotdb_server start|stop|restart|status
        shellPath=$(cd "$(dirname "$0")" && pwd)
        HOTDB_HOME=$(cd "$shellPath/.." && pwd)

        PID_DIR="$HOTDB_HOME"/run
        PID_FILE="$PID_DIR"/hotdb-server.pid
        HA_STARTUP="$HOTDB_HOME"/bin/keepalived
        DRIVER_DIR="$HOTDB_HOME"/utils
        HOTDB_LOGS="$HOTDB_HOME"/logs/hotdb.log
        HOTDB_CONSOLE_LOG="$HOTDB_HOME"/logs/console.log
        DRIVER_PACKAGE="$DRIVER_DIR"/aksusbd-7*.tar.gz
        TMPFILE_DIR="$HOTDB_HOME"/HotDB-TEMP
        JAVA_BIN="$HOTDB_HOME"/../jdk/bin/java
        JAVA_VERSION="1.7.0_80"

        #with CMS Garbage Collection
        JAVA_OPTS="-server -Xms4G -Xmx4G -XX:MaxDirectMemorySize=24G"
        #with G1 Garbage Collection
        #JAVA_OPTS="-server -Xms16G -Xmx16G -XX:MaxDirectMemorySize=24G -XX:+UseG1GC"

        # seconds to wait for the node to report ready / to exit
        START_TIMEOUT=120
        STOP_TIMEOUT=60

        HOTDB_CLASSPATH="$HOTDB_HOME/conf:$HOTDB_HOME/lib/classes"
        for jar in "$HOTDB_HOME"/lib/*.jar; do HOTDB_CLASSPATH="$HOTDB_CLASSPATH:$jar"; done

        NAME=HotDB-server
        LOG="$HOTDB_LOGS"
        CONSOLE_LOG="$HOTDB_CONSOLE_LOG"
        READY='HotDB-Manager listening on'
        READY_END='====='
        FAILED='\[ERROR\] \[AUTHORITY\]'

        run_java() {
          mkdir -p "$TMPFILE_DIR"
          cd "$HOTDB_HOME" || return 1
          nohup "$JAVA_BIN" $JAVA_OPTS -DHOTDB_HOME="$HOTDB_HOME" -classpath "$HOTDB_CLASSPATH" cn.hotpu.hotdb.HotdbStartup \
            < /dev/null >> "$HOTDB_CONSOLE_LOG" 2>&1 &
        }

        {{Functions}}

        {{Dispatch}}
        """ + "\n";

    public static string Management(Release r) => $$"""
        #!/bin/sh
        # HotDB Management {{r.Version}} start/stop script: sh hotdb_management start|stop|restart|status
        shellPath=$(cd "$(dirname "$0")" && pwd)
        HOTDB_MANAGEMENT_HOME=$(cd "$shellPath/.." && pwd)
        PID_DIR="$HOTDB_MANAGEMENT_HOME"/run
        PID_FILE="$PID_DIR"/hotdb-management.pid
        JAVA_BIN=$shellPath/../../jdk/bin/java
        JAVA_VERSION="1.7.0_80"
        JAVA_OPTS="-server -Xms1G -Xmx1G"
        START_TIMEOUT=120
        STOP_TIMEOUT=60

        NAME=HotDB-management
        LOG="$HOTDB_MANAGEMENT_HOME"/logs/hotdb-management.log
        CONSOLE_LOG="$HOTDB_MANAGEMENT_HOME"/logs/console.log
        READY='Started Application'
        READY_END='Started Application'
        FAILED=''

        run_java() {
          cd "$HOTDB_MANAGEMENT_HOME" || return 1
          nohup "$JAVA_BIN" $JAVA_OPTS -DHOTDB_HOME="$HOTDB_MANAGEMENT_HOME" -jar "$HOTDB_MANAGEMENT_HOME"/lib/hotdb-management-{{r.Version}}.jar \
            --spring.config.location="$HOTDB_MANAGEMENT_HOME"/conf/application.properties < /dev/null >> "$CONSOLE_LOG" 2>&1 &
        }

        {{Functions}}

        {{Dispatch}}
        """ + "\n";

    public static string Backup(Release r) => $$"""
        #!/bin/sh
        # HotDB Backup {{r.Version}}: sh hotdb_backup start -h <management ip> -p <backup port> | stop | status
        shellPath=$(cd "$(dirname "$0")" && pwd)
        HOTDB_BACKUP_HOME=$(cd "$shellPath/.." && pwd)
        PID_DIR="$HOTDB_BACKUP_HOME"/run
        PID_FILE="$PID_DIR"/hotdb-backup.pid
        JAVA_BIN=$shellPath/../../jdk/bin/java
        JAVA_VERSION="1.7.0_80"
        START_TIMEOUT=60
        STOP_TIMEOUT=30

        NAME=HotDB-backup
        LOG="$HOTDB_BACKUP_HOME"/logs/hotdb_backup.log
        CONSOLE_LOG="$HOTDB_BACKUP_HOME"/logs/console.log
        READY='started, management'
        READY_END='started, management'
        FAILED=''
        MGMT_HOST=''
        MGMT_PORT=3322

        run_java() {
          cd "$HOTDB_BACKUP_HOME" || return 1
          nohup "$JAVA_BIN" -DHOTDB_HOME="$HOTDB_BACKUP_HOME" -classpath "$HOTDB_BACKUP_HOME/lib/hotdb-backup-{{r.Version}}.jar" \
            cn.hotpu.hotdb.backup.BackupStartup -h "$MGMT_HOST" -p "$MGMT_PORT" < /dev/null >> "$CONSOLE_LOG" 2>&1 &
        }

        {{Functions}}

        action=$1
        [ $# -gt 0 ] && shift
        while [ $# -gt 0 ]; do
          case "$1" in
            -h) MGMT_HOST=$2; shift 2 ;;
            -p) MGMT_PORT=$2; shift 2 ;;
            *) echo "Usage: $0 start -h <management ip> -p <port> | stop | status"; exit 2 ;;
          esac
        done
        case "$action" in
          start)
            if [ -z "$MGMT_HOST" ]; then echo "Usage: $0 start -h <management ip> -p <port>"; exit 2; fi
            do_start ;;
          stop) do_stop ;;
          status) do_status ;;
          *) echo "Usage: $0 start -h <management ip> -p <port> | stop | status"; exit 2 ;;
        esac
        """ + "\n";

    public static string Listener(Release r) => $$"""
        #!/bin/sh
        # HotDB Listener {{r.Version}}: sh hotdb_listener start|stop|restart|status
        shellPath=$(cd "$(dirname "$0")" && pwd)
        HOTDB_LISTENER_HOME=$(cd "$shellPath/.." && pwd)
        PID_DIR="$HOTDB_LISTENER_HOME"/run
        PID_FILE="$PID_DIR"/hotdb-listener.pid
        JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java
        JAVA_VERSION="1.8.0_252"
        START_TIMEOUT=60
        STOP_TIMEOUT=30

        NAME=HotDB-Listener
        MSG_PREFIX=''
        ERR_PREFIX=''

        LOG="$HOTDB_LISTENER_HOME"/logs/hotdb-listener.log
        CONSOLE_LOG="$HOTDB_LISTENER_HOME"/logs/console.log
        READY='Listener-Manager start listening'
        READY_END='Listener-Manager start listening'
        FAILED=''

        run_java() {
          cd "$HOTDB_LISTENER_HOME" || return 1
          nohup "$JAVA_BIN" -DHOTDB_HOME="$HOTDB_LISTENER_HOME" -classpath "$HOTDB_LISTENER_HOME/lib/hotdb-listener-{{r.Version}}.jar" \
            cn.hotpu.hotdb.listener.ListenerStartup < /dev/null >> "$CONSOLE_LOG" 2>&1 &
        }

        {{Functions}}

        case "$1" in
          start) do_start ;;
          stop) do_stop ;;
          restart) do_stop; do_start ;;
          status) do_status ;;
          *) echo "Usage: $0 {start|stop|restart|status}"; exit 2 ;;
        esac
        """ + "\n";

    /// <summary>The modes keepalived's templates call. The vendor does not publish the body; this one checks the
    /// process and the ports and sends online/offline to the local manager port.</summary>
    public const string CheckProcess = """
        #!/bin/bash
        # HotDB Server HA check for keepalived: check_hotdb_process.sh <mode>
        HOTDB_HOME=$(cd "$(dirname "$0")/.." && pwd)
        PID_FILE="$HOTDB_HOME"/run/hotdb-server.pid
        LOG="$HOTDB_HOME"/logs/check_hotdb_process.log
        # a compute-node user with the SUPER privilege (manager port login)
        HOTDB_USER=root
        HOTDB_PASSWORD=root
        prop() { sed -n "s:.*<property name=\"$1\">\([^<]*\)</property>.*:\1:p" "$HOTDB_HOME"/conf/server.xml | head -n 1; }
        SERVER_PORT=$(prop serverPort); SERVER_PORT=${SERVER_PORT:-3323}
        MANAGER_PORT=$(prop managerPort); MANAGER_PORT=${MANAGER_PORT:-3325}

        log() { echo "$(date '+%Y-%m-%d %H:%M:%S') [$1] $2" >> "$LOG"; }
        manager() { MYSQL_PWD="$HOTDB_PASSWORD" mysql -h127.0.0.1 -P"$MANAGER_PORT" -u"$HOTDB_USER" --connect-timeout=3 -N -s -e "$1" 2>&1; }
        process_ok() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
        service_ok() { MYSQL_PWD="$HOTDB_PASSWORD" mysql -h127.0.0.1 -P"$SERVER_PORT" -u"$HOTDB_USER" --connect-timeout=3 -N -s -e 'select 1' >/dev/null 2>&1; }

        notify_online() {
          for i in 1 2 3; do
            out=$(manager online) && { log "$1" "online success"; return 0; }
            log "$1" "online failed ($i): $out"
            sleep 1
          done
          return 1
        }

        case "$1" in
          process) process_ok ;;
          connect_master) process_ok && manager 'show @@server' >/dev/null && service_ok ;;
          connect_backup) process_ok && manager 'show @@server' >/dev/null ;;
          master_notify_master|backup_notify_master) log "$1" "became keepalived MASTER"; notify_online "$1" ;;
          master_notify_backup|backup_notify_backup) log "$1" "became keepalived BACKUP/FAULT"; exit 0 ;;
          *) echo "Usage: $0 {process|connect_master|connect_backup|master_notify_master|master_notify_backup|backup_notify_master|backup_notify_backup}"; exit 2 ;;
        esac
        """ + "\n";

    public static string Keepalived(bool master)
    {
        var role = master ? "master" : "backup";
        var check = master ? "connect_master" : "connect_backup";
        return $$"""
            ! Configuration File for keepalived ({{role}} compute node)
            global_defs {
                router_id HotDB Server-ha
            }
            vrrp_script check_HotDB_process {
                script "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh process"
                interval 5
                fall 2
                rise 1
                weight -10
            }
            vrrp_script check_HotDB_connect_state {
                script "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {{check}}"
                interval 5
                fall 3
                rise 1
                timeout 5
                weight -10
            }
            vrrp_instance VI_1 {
                state BACKUP
                interface {{(master ? "eth1" : "eth0")}}
                virtual_router_id 89
            {{(master ? "    nopreempt\n" : "")}}    priority {{(master ? 100 : 95)}}
                advert_int 1
                authentication {
                    auth_type PASS
                    auth_pass 1111
                }
                track_script {
                    check_HotDB_process
                    check_HotDB_connect_state
                }
                virtual_ipaddress {
                    192.168.200.140/24 dev {{(master ? "eth1" : "eth0")}} label {{(master ? "eth1" : "eth0")}}:1
                }
                notify_master "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {{role}}_notify_master"
                notify_backup "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {{role}}_notify_backup"
                notify_fault "/bin/bash /usr/local/hotdb/hotdb-server/bin/check_hotdb_process.sh {{role}}_notify_backup"
            }
            """ + "\n";
    }

    public static string Log4j2(Release r) => $$"""
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- HotDB Server {{r.Version}} logging -->
        <Configuration status="WARN" monitorInterval="30">
            <Properties>
                <Property name="pattern">%d{yyyy-MM-dd HH:mm:ss.SSS} [%p] [%marker] [%t] %C(%L) - %m%n</Property>
                <Property name="rolloverSize">{{(r.NeedsJava8 ? "200 MB" : "100 MB")}}</Property>
            </Properties>
            <Appenders>
                <RollingFile name="hotdb" fileName="${sys:HOTDB_HOME}/logs/hotdb.log" filePattern="${sys:HOTDB_HOME}/logs/hotdb-%d{yyyy-MM-dd}-%i.log.gz">
                    <PatternLayout pattern="${pattern}"/>
                    <Policies><SizeBasedTriggeringPolicy size="${rolloverSize}"/></Policies>
                    <DefaultRolloverStrategy max="{{(r.NeedsJava8 ? 30 : 20)}}"/>
                </RollingFile>
            </Appenders>
            <Loggers>
                <Root level="info"><AppenderRef ref="hotdb"/></Root>
            </Loggers>
        </Configuration>
        """ + "\n";
}
