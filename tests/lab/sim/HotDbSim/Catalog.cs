using System;
using System.Collections.Generic;
using System.Linq;

namespace HotDbSim;

/// <summary>A column a component reads from its ConfigDB, with the type family its code expects.</summary>
public sealed record ColumnRead(string Table, string Column, TypeFamily Family);
public enum TypeFamily { Integer, Text }

/// <summary>One release of a component: version, build date, server.xml defaults, what it reads from its ConfigDB.</summary>
public sealed record Release(string Component, string Version, string BuildDate, IReadOnlyList<(string Name, string Default)> Properties,
    IReadOnlyList<ColumnRead> Reads, bool NeedsJava8)
{
    public Version Parsed => System.Version.Parse(Version);
    public string Default(string name) => Properties.FirstOrDefault(p => p.Name == name).Default ?? "";
}

/// <summary>A ConfigDB upgrade step shipped by the vendor.</summary>
public sealed record UpgradeStep(string Schema, string From, string To, string Sql)
{
    /// <summary>
    /// The name Invoke-HotDbConfigDbUpgrade reads (src/HotDb.Upgrade.Engine/ConfigDb/UpgradeScriptCatalog.cs):
    /// schema and the version the step upgrades to; the vendor documents no naming of its own.
    /// </summary>
    public string FileName => $"{Schema}_{To}.sql";
}

/// <summary>
/// Everything the simulation knows about the vendor's releases. The schemas, defaults and upgrade steps are the
/// lab's invention (the vendor publishes none): see tests/lab/README.md, "Simulated HotDB components".
/// </summary>
public static class Catalog
{
    static readonly (string, string)[] ServerBase =
    {
        ("url", "jdbc:mysql://127.0.0.1:3306/hotdb_config"), ("username", "hotdb_config"), ("password", "hotdb_config"),
        ("bakUrl", ""), ("bakUsername", ""), ("bakPassword", ""),
        ("haMode", "0"), ("haState", "master"), ("haNodeHost", ""), ("VIP", ""), ("checkVIPPeriod", "1000"),
        ("serverPort", "3323"), ("managerPort", "3325"), ("processors", "8"), ("maxConnections", "5000"),
        ("readOnly", "false"), ("enableXA", "false"), ("waitSyncFinishAtStartup", "true"), ("version", ""),
    };
    static readonly (string, string)[] Cluster251 =
    {
        ("serverId", "1"), ("clusterName", "HotDB-Cluster"), ("clusterSize", "3"), ("clusterNetwork", "192.168.200.0/24"),
        ("clusterHost", "192.168.200.1"), ("clusterPort", "3326"), ("clusterElectionTimeoutMs", "2000"),
        ("clusterHeartbeatTimeoutMs", "10000"), ("clusterPacketTimeoutMs", "5000"), ("clusterStartedPacketTimeoutMs", "5000"),
        ("masterSourceInitWaitTimeout", "300"),
    };
    static readonly (string, string)[] Dr253 =
    {
        ("idcId", "0"), ("idcNodeHost", ""), ("drUrl", ""), ("drUsername", ""), ("drPassword", ""),
        ("drBakUrl", ""), ("drBakUsername", ""), ("drBakPassword", ""), ("waitConfigSyncFinish", "false"),
    };

    static IReadOnlyList<(string, string)> Props(IEnumerable<(string, string)> items, params (string, string)[] overrides)
    {
        var list = items.ToList();
        foreach (var (name, value) in overrides)
        {
            int i = list.FindIndex(p => p.Item1 == name);
            if (i >= 0) list[i] = (name, value); else list.Add((name, value));
        }
        return list;
    }

    static ColumnRead I(string t, string c) => new(t, c, TypeFamily.Integer);
    static ColumnRead S(string t, string c) => new(t, c, TypeFamily.Text);

    static readonly ColumnRead[] Reads249 =
    {
        S("hotdb_config_info", "k"), S("hotdb_config_info", "v"),
        I("hotdb_logic_db", "id"), S("hotdb_logic_db", "name"),
        I("hotdb_datanode", "datanode_id"), S("hotdb_datanode", "datanode_name"), I("hotdb_datanode", "datanode_type"),
        I("hotdb_datasource", "datasource_id"), I("hotdb_datasource", "datanode_id"), S("hotdb_datasource", "host"),
        I("hotdb_datasource", "port"), I("hotdb_datasource", "status"),
        S("hotdb_user", "username"), S("hotdb_user", "password"), I("hotdb_user", "super_priv"),
    };
    static readonly ColumnRead[] Reads251 = Reads249.Concat(new[] { I("hotdb_logic_db", "global_unique"), S("hotdb_global_unique_constraint", "logic_db") }).ToArray();
    static readonly ColumnRead[] Reads253 = Reads251.Concat(new[] { I("hotdb_datasource", "idc_id"), S("hotdb_user", "description"), I("hotdb_dr_idc_config", "idc_id") }).ToArray();
    static readonly ColumnRead[] Reads254 = Reads253.Select(r => r.Column == "datanode_type" ? S(r.Table, r.Column) : r).ToArray();
    static readonly ColumnRead[] Reads256 = Reads254.Concat(new[] { I("hotdb_datasource", "listener_id"), S("hotdb_license_record", "serial_number") }).ToArray();

    public static readonly IReadOnlyList<Release> ComputeNodes = new[]
    {
        new Release("hotdb-server", "2.4.9", "20190812", Props(ServerBase), Reads249, false),
        new Release("hotdb-server", "2.5.1", "20190701", Props(ServerBase.Concat(Cluster251), ("maxConnections", "10000")), Reads251, false),
        new Release("hotdb-server", "2.5.3", "20190821", Props(ServerBase.Concat(Cluster251).Concat(Dr253), ("clusterHeartbeatTimeoutMs", "5000")), Reads253, false),
        new Release("hotdb-server", "2.5.4", "20190812", Props(ServerBase.Concat(Cluster251).Concat(Dr253), ("clusterHeartbeatTimeoutMs", "5000"),
            ("checkVIPPeriod", "500"), ("maxReconnectConfigDBTimes", "3")), Reads254, false),
        new Release("hotdb-server", "2.5.6", "20201101", Props(ServerBase.Concat(Cluster251).Concat(Dr253), ("clusterHeartbeatTimeoutMs", "5000"),
            ("checkVIPPeriod", "500"), ("maxReconnectConfigDBTimes", "3"), ("maxConnections", "20000"), ("operateMode", "0"),
            ("versionComment", ""), ("enableListener", "false")), Reads256, true),
    };

    static readonly ColumnRead[] Cloud249 =
    {
        S("hc_user", "username"), S("hc_user", "password"), I("hc_cluster_group", "id"), S("hc_cluster_group", "name"),
        S("hc_compute_node", "host"), I("hc_compute_node", "manager_port"), S("hc_compute_node", "version"), S("hc_backup_agent", "host"),
    };
    static readonly ColumnRead[] Cloud253 = Cloud249.Concat(new[] { I("hc_upgrade_task", "status"), I("hc_compute_node", "idc_id"), S("hc_backup_agent", "agent_version") }).ToArray();
    static readonly ColumnRead[] Cloud256 = Cloud253.Concat(new[] { S("hc_license", "serial_number") }).ToArray();

    public static readonly IReadOnlyList<Release> Managements = new[]
    {
        new Release("hotdb-management", "2.4.9", "20190812", Array.Empty<(string, string)>(), Cloud249, false),
        new Release("hotdb-management", "2.5.3", "20190821", Array.Empty<(string, string)>(), Cloud253, false),
        new Release("hotdb-management", "2.5.6", "20201101", Array.Empty<(string, string)>(), Cloud256, true),
    };

    public static readonly IReadOnlyList<Release> Backups = new[]
    {
        new Release("hotdb-backup", "2.5.3", "20190821", Array.Empty<(string, string)>(), Array.Empty<ColumnRead>(), false),
        new Release("hotdb-backup", "2.5.6", "20201101", Array.Empty<(string, string)>(), Array.Empty<ColumnRead>(), false),
    };

    public static readonly IReadOnlyList<Release> Listeners = new[]
    {
        new Release("hotdb-listener", "2.5.5", "20200601", Array.Empty<(string, string)>(), Array.Empty<ColumnRead>(), true),
        new Release("hotdb-listener", "2.5.6", "20201101", Array.Empty<(string, string)>(), Array.Empty<ColumnRead>(), true),
    };

    public static Release? Find(string component, string version) =>
        ComputeNodes.Concat(Managements).Concat(Backups).Concat(Listeners)
            .FirstOrDefault(r => r.Component == component && r.Version == version);

    public const string ConfigInitial249 = """
        CREATE TABLE hotdb_config_info (
          k VARCHAR(64) NOT NULL PRIMARY KEY,
          v VARCHAR(255) NULL,
          description VARCHAR(255) NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hotdb_config_info_running LIKE hotdb_config_info;
        CREATE TABLE hotdb_logic_db (
          id INT NOT NULL PRIMARY KEY,
          name VARCHAR(64) NOT NULL,
          default_datanode INT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hotdb_datanode (
          datanode_id INT NOT NULL PRIMARY KEY,
          datanode_name VARCHAR(64) NOT NULL,
          datanode_type TINYINT NOT NULL DEFAULT 0 COMMENT '0 normal, 1 global'
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hotdb_datanode_running LIKE hotdb_datanode;
        CREATE TABLE hotdb_datasource (
          datasource_id INT NOT NULL PRIMARY KEY,
          datanode_id INT NOT NULL,
          datasource_name VARCHAR(64) NULL,
          host VARCHAR(64) NOT NULL,
          port INT NOT NULL,
          username VARCHAR(64) NULL,
          password VARCHAR(128) NULL,
          db_name VARCHAR(64) NULL,
          datasource_type TINYINT NOT NULL DEFAULT 1 COMMENT '1 master, 2 slave',
          status TINYINT NOT NULL DEFAULT 1
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hotdb_user (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          username VARCHAR(64) NOT NULL,
          password VARCHAR(128) NOT NULL,
          host VARCHAR(64) NOT NULL DEFAULT '%',
          super_priv TINYINT NOT NULL DEFAULT 0,
          UNIQUE KEY uk_user (username, host)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hotdb_auto_failover (
          datanode_id INT NOT NULL PRIMARY KEY,
          master_id INT NULL,
          backup_id INT NULL,
          enabled TINYINT NOT NULL DEFAULT 1
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        INSERT INTO hotdb_config_info (k, v, description) VALUES
          ('hotdb_master_config_status', '1', 'master ConfigDB in use: 1 yes, 0 switched to the slave'),
          ('hotdb_default_charset', 'utf8', 'default character set of LogicDBs');
        INSERT INTO hotdb_user (username, password, host, super_priv) VALUES ('root', 'root', '%', 1);
        """;

    public static readonly IReadOnlyList<UpgradeStep> ConfigSteps = new[]
    {
        new UpgradeStep("hotdb_config", "2.4.9", "2.5.1", """
            CREATE TABLE hotdb_global_unique_constraint (
              id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
              logic_db VARCHAR(64) NOT NULL,
              table_name VARCHAR(64) NOT NULL,
              column_name VARCHAR(64) NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
            ALTER TABLE hotdb_logic_db ADD COLUMN global_unique TINYINT NOT NULL DEFAULT 0;
            INSERT INTO hotdb_config_info (k, v, description) VALUES ('hotdb_global_unique_enabled', '0', 'global unique constraint switch');
            """),
        new UpgradeStep("hotdb_config", "2.5.1", "2.5.3", """
            ALTER TABLE hotdb_datasource ADD COLUMN idc_id INT NOT NULL DEFAULT 1;
            ALTER TABLE hotdb_user ADD COLUMN description VARCHAR(64) NULL;
            CREATE TABLE hotdb_dr_idc_config (
              idc_id INT NOT NULL PRIMARY KEY,
              idc_name VARCHAR(64) NOT NULL,
              idc_type TINYINT NOT NULL DEFAULT 1 COMMENT '1 master center, 2 DR center'
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
            INSERT INTO hotdb_config_info (k, v, description) VALUES
              ('hotdb_biz_idc_config_ok', '1', 'master center ConfigDB usable'),
              ('hotdb_dr_idc_config_ok', '0', 'DR center ConfigDB usable');
            """),
        new UpgradeStep("hotdb_config", "2.5.3", "2.5.4", """
            ALTER TABLE hotdb_datanode MODIFY COLUMN datanode_type VARCHAR(16) NOT NULL DEFAULT 'NORMAL';
            UPDATE hotdb_datanode SET datanode_type = CASE datanode_type WHEN '1' THEN 'GLOBAL' ELSE 'NORMAL' END;
            ALTER TABLE hotdb_datanode_running MODIFY COLUMN datanode_type VARCHAR(16) NOT NULL DEFAULT 'NORMAL';
            UPDATE hotdb_datanode_running SET datanode_type = CASE datanode_type WHEN '1' THEN 'GLOBAL' ELSE 'NORMAL' END;
            """),
        new UpgradeStep("hotdb_config", "2.5.4", "2.5.6", """
            ALTER TABLE hotdb_user MODIFY COLUMN description VARCHAR(255) NULL;
            ALTER TABLE hotdb_datasource ADD COLUMN listener_id INT NULL, ADD COLUMN listener_port INT NULL DEFAULT 4001;
            CREATE TABLE hotdb_license_record (
              id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
              serial_number VARCHAR(128) NOT NULL,
              activated_at DATETIME NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
            INSERT INTO hotdb_config_info (k, v, description) VALUES ('hotdb_operate_mode', '0', '0 normal, 1 performance, 2 debug');
            """),
    };

    public const string CloudInitial249 = """
        CREATE TABLE hc_user (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          username VARCHAR(64) NOT NULL UNIQUE,
          password VARCHAR(128) NOT NULL,
          role TINYINT NOT NULL DEFAULT 1
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hc_cluster_group (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          name VARCHAR(64) NOT NULL,
          ha_mode TINYINT NOT NULL DEFAULT 0
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hc_compute_node (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          group_id INT NOT NULL,
          host VARCHAR(64) NOT NULL,
          manager_port INT NOT NULL DEFAULT 3325,
          server_port INT NOT NULL DEFAULT 3323,
          version VARCHAR(16) NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        CREATE TABLE hc_backup_agent (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          host VARCHAR(64) NOT NULL,
          last_seen DATETIME NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
        INSERT INTO hc_user (username, password, role) VALUES ('admin', MD5('admin'), 0);
        """;

    public static readonly IReadOnlyList<UpgradeStep> CloudSteps = new[]
    {
        new UpgradeStep("hotdb_cloud_config", "2.4.9", "2.5.3", """
            CREATE TABLE hc_upgrade_task (
              id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
              group_id INT NOT NULL,
              from_version VARCHAR(16) NULL,
              to_version VARCHAR(16) NULL,
              status TINYINT NOT NULL DEFAULT 0,
              created_at DATETIME NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
            ALTER TABLE hc_compute_node ADD COLUMN idc_id INT NOT NULL DEFAULT 1;
            ALTER TABLE hc_backup_agent ADD COLUMN agent_version VARCHAR(16) NULL;
            UPDATE hc_compute_node SET version = CONCAT(version, '.0') WHERE version REGEXP '^[0-9]+[.][0-9]+[.][0-9]+$';
            """),
        new UpgradeStep("hotdb_cloud_config", "2.5.3", "2.5.6", """
            ALTER TABLE hc_backup_agent MODIFY COLUMN agent_version VARCHAR(64) NULL;
            CREATE TABLE hc_license (
              id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
              serial_number VARCHAR(128) NOT NULL,
              node_limit INT NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
            """),
    };

    /// <summary>The schema a release expects when installed fresh: the initial script plus every step up to it.</summary>
    public static string InitialSchema(Release release)
    {
        bool compute = release.Component == "hotdb-server";
        var steps = (compute ? ConfigSteps : CloudSteps).Where(s => System.Version.Parse(s.To) <= release.Parsed);
        return string.Join("\n", new[] { compute ? ConfigInitial249 : CloudInitial249 }.Concat(steps.Select(s => s.Sql)));
    }

    public static IEnumerable<UpgradeStep> StepsUpTo(Release release) =>
        (release.Component == "hotdb-server" ? ConfigSteps : CloudSteps).Where(s => System.Version.Parse(s.To) <= release.Parsed);
}
