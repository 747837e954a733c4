using System;
using System.Collections.Generic;
using HotDb.Upgrade.Versioning;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>
    /// The server.xml parameters the vendor documents (the 2.5.6 parameter reference) and the version each
    /// first appeared in. It decides whether a property the old install set, and the new file lacks, is still
    /// supported by the new version (then it is added) or unknown to it (then it is reported, not re-added).
    /// </summary>
    public static class ServerXmlParameters
    {
        private static readonly Dictionary<string, HotDbVersion> Since = Build(
            ("serverPort", "2.4.3"), ("managerPort", "2.4.3"), ("url", "2.4.3"), ("username", "2.4.3"), ("password", "2.4.3"),
            ("bakUrl", "2.4.4"), ("bakUsername", "2.4.4"), ("bakPassword", "2.4.4"),
            ("drUrl", "2.5.3.1"), ("drUsername", "2.5.3.1"), ("drPassword", "2.5.3.1"), ("drBakUrl", "2.5.3.1"),
            ("drBakUsername", "2.5.3.1"), ("drBakPassword", "2.5.3.1"), ("idcId", "2.5.3.1"), ("idcNodeHost", "2.5.3.1"),
            ("configMGR", "2.5.0"), ("bak1Url", "2.5.0"), ("bak1Username", "2.5.0"), ("bak1Password", "2.5.0"),
            ("version", "2.4.3"), ("versionComment", "2.5.5"), ("enableHeartbeat", "2.4.3"), ("heartbeatPeriod", "2.4.3"),
            ("heartbeatTimeoutMs", "2.4.3"), ("enableLatencyCheck", "2.4.5"), ("latencyCheckPeriod", "2.4.5"),
            ("cryptMandatory", "2.4.3"), ("enableListener", "2.5.5"), ("haMode", "2.5.0"), ("haState", "2.4.3"),
            ("haNodeHost", "2.4.3"), ("VIP", "2.4.8"), ("checkVIPPeriod", "2.4.8"), ("clusterStartedPacketTimeoutMs", "2.5.3"),
            ("clusterHeartbeatTimeoutMs", "2.5.3"), ("clusterPacketTimeoutMs", "2.5.3"), ("clusterElectionTimeoutMs", "2.5.3"),
            ("serverId", "2.5.0"), ("clusterName", "2.5.0"), ("clusterSize", "2.5.0"), ("clusterNetwork", "2.5.0"),
            ("clusterHost", "2.5.0"), ("clusterPort", "2.5.0"), ("autoIncrement", "2.4.3"), ("sqlTimeout", "2.4.3"),
            ("deadlockCheckPeriod", "2.4.3"), ("enableXA", "2.4.3"), ("allowRCWithoutReadConsistentInXA", "2.4.9"),
            ("errorsPermittedInTransaction", "2.4.3"), ("maxIdleTransactionTimeout", "2.5.1"), ("switchoverTimeoutForTrans", "2.4.3"),
            ("enableSleep", "2.4.3"), ("strategyForRWSplit", "2.4.3"), ("weightForSlaveRWSplit", "2.4.4"),
            ("maxLatencyForRWSplit", "2.4.5"), ("frontConnectionTrxIsoLevel", "2.4.5"), ("readOnly", "2.4.8"),
            ("timestampProxy", "2.5.1"), ("routeByRelativeCol", "2.5.2"), ("globalUniqueConstraint", "2.5.2"),
            ("prefetchBatchMax", "2.5.4"), ("prefetchBatchMin", "2.5.4"), ("prefetchBatchInit", "2.5.4"),
            ("prefetchValidTimeout", "2.5.4"), ("generatePrefetchCostRatio", "2.5.4"), ("ndbSqlMode", "2.5.2"),
            ("ndbSqlVersion", "2.5.2"), ("ndbVersion", "2.5.2"), ("ndbSqlAddr", "2.5.2"), ("ndbSqlUser", "2.5.2"),
            ("ndbSqlPass", "2.5.2"), ("ndbSqlDataAddr", "2.5.2"), ("joinable", "2.4.3"), ("checkUpdate", "2.4.3"),
            ("enableSubquery", "2.4.3"), ("showAllAffectedRowsInGlobalTable", "2.4.3"), ("skipDatatypeCheck", "2.4.5"),
            ("enableCursor", "2.4.6"), ("clientFoundRows", "2.4.9"), ("recordSqlAuditlog", "2.5.5"), ("maxConnections", "2.4.4"),
            ("maxUserConnections", "2.4.4"), ("enableFlowControl", "2.4.5"), ("adaptiveProcessor", "2.4.5"),
            ("processors", "2.4.3"), ("processorExecutor", "2.4.3"), ("timerExecutor", "2.4.3"), ("usingAIO", "2.4.3"),
            ("defaultMaxLimit", "2.4.3"), ("joinCacheSize", "2.4.3"), ("maxJoinSize", "2.4.3"), ("joinLoopSize", "2.4.3"),
            ("joinBatchSize", "2.4.3"), ("highCostSqlConcurrency", "2.4.3"), ("maxAllowedPacket", "2.4.5"),
            ("socketBacklog", "2.4.3"), ("frontWriteBlockTimeout", "2.4.5"), ("maxWritingToNetTimes", "2.4.3"),
            ("idleTimeout", "2.4.3"), ("parkPeriod", "2.4.3"), ("waitForSlaveInFailover", "2.4.3"),
            ("switchByLogInFailover", "2.4.5"), ("failoverAutoresetslave", "2.5.3"), ("dropTableRetentionTime", "2.5.2"),
            ("recordSql", "2.4.3"), ("maxSqlRecordLength", "2.4.5"), ("statisticsUpdatePeriod", "2.4.3"),
            ("checkMysqlParamInterval", "2.4.3"), ("dataNodeIdleCheckPeriod", "2.4.3"), ("waitSyncFinishAtStartup", "2.4.3"),
            ("waitConfigSyncFinish", "2.4.3"), ("checkConnLastUsedTime", "2.4.3"), ("checkConnValidTimeout", "2.4.3"),
            ("badConnAfterContinueGet", "2.4.3"), ("badConnAfterFastCheckAllIdle", "2.4.3"), ("checkConnValid", "2.4.3"),
            ("masterSourceInitWaitTimeout", "2.4.3"), ("enableSSL", "2.5.5"), ("keyStore", "2.5.5"), ("keyStorePass", "2.5.5"),
            ("enableWatchdog", "2.4.5"), ("recordSQLSyntaxError", "2.4.7"), ("recordCrossDNJoin", "2.4.7"),
            ("recordUNION", "2.4.7"), ("recordSubQuery", "2.4.7"), ("recordDeadLockSQL", "2.4.7"),
            ("recordLimitOffsetWithoutOrderby", "2.4.7"), ("recordSQLKeyConflict", "2.4.7"), ("recordSQLUnsupported", "2.4.7"),
            ("recordMySQLWarnings", "2.4.7"), ("recordMySQLErrors", "2.4.7"), ("recordHotDBWarnings", "2.4.7"),
            ("recordHotDBErrors", "2.4.7"), ("recordDDL", "2.4.7"), ("recordSQLIntercepted", "2.4.7"), ("recordAuditlog", "2.5.0"),
            ("pingLogCleanPeriod", "2.4.9"), ("pingLogCleanPeriodUnit", "2.4.9"), ("pingPeriod", "2.4.9"), ("operateMode", "2.5.6"),
            ("enableOracleFunction", "2.5.6"), ("lockWaitTimeout", "2.5.3"), ("maxReconnectConfigDBTimes", "2.5.4"),
            ("sslUseSM4", "2.5.6"), ("crossDbXa", "2.5.5"), ("unusualSQLMode", "2.5.5"));

        /// <summary>The version a documented parameter first appeared in; null when the vendor does not document it.</summary>
        public static HotDbVersion? IntroducedIn(string name) => Since.TryGetValue(name, out var v) ? v : null;

        /// <summary>
        /// Whether <paramref name="version"/> supports the parameter. An unknown version counts as supporting every
        /// documented parameter (the new file's own contents are then the only other evidence).
        /// </summary>
        public static bool IsSupported(string name, HotDbVersion? version)
        {
            var since = IntroducedIn(name);
            return since != null && (version is null || version >= since);
        }

        private static Dictionary<string, HotDbVersion> Build(params (string Name, string Version)[] rows)
        {
            var table = new Dictionary<string, HotDbVersion>(StringComparer.Ordinal);
            foreach (var (name, version) in rows) table.Add(name, HotDbVersion.Parse(version));
            return table;
        }
    }
}
