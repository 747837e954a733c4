using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;
using MySqlConnector;

namespace HotDbSim;

/// <summary>The compute node (cn.hotpu.hotdb.HotdbStartup): service port, manager port, HA, cluster, license.</summary>
public sealed class ComputeNode
{
    readonly string _home;
    readonly Release _release;
    readonly SimLog _log;
    readonly object _gate = new();
    readonly Stopwatch _uptime = Stopwatch.StartNew();
    ServerXml _xml;
    ConfigDb _configDb;
    MySqlServer? _manager, _service;
    DateTime? _onlineSince;
    DateTime _reloadTime = DateTime.Now;
    Dictionary<string, (string Password, bool Super)> _users = new();
    List<string> _logicDbs = new();
    int _datanodes;
    License? _license;
    string? _licenseError;     // refuses service while set
    string? _configError;      // the ConfigDB no longer matches what this version reads
    bool _drOnlineAllowed;
    bool _serviceRefused;      // a master kept 3323 closed at start because of the license
    Cluster? _cluster;
    bool? _vipSeen;
    bool _configDbDown;

    public ComputeNode(string home, Release release)
    {
        _home = home;
        _release = release;
        _log = new SimLog(Path.Combine(home, "logs", "hotdb.log"));
        _xml = ServerXml.Load(Path.Combine(home, "conf", "server.xml"), release);
        _configDb = new ConfigDb(_xml["url"], _xml["username"], _xml["password"]);
    }

    int HaMode => _xml.Int("haMode");
    bool IsBackup => HaMode is 0 or 2 or 3 && _xml["haState"] == "backup";
    bool IsDrCenter => HaMode is 3 or 5 || _xml.Int("idcId") == 2;
    string ServiceVersion => _xml["version"] is { Length: > 0 } v ? v : $"5.7.19-HotDB-{_release.Version}";
    string Comment => _xml["versionComment"] is { Length: > 0 } c ? c : "HotDB Server by Hotpu Tech";
    public string VersionText => $"{ServiceVersion} (build {_release.BuildDate})";

    public int Run()
    {
        _log.Info("INIT", "main", "cn.hotpu.hotdb.HotdbServer(118)", "j(-1) - reading config...");
        foreach (var name in _xml.UnknownProperties)
            _log.Warn("INIT", "main", "cn.hotpu.hotdb.config.loader.xml.XMLServerLoader(97)", $"unknown property in server.xml: {name}, ignored.");
        if (Faults.TakeStartFailure(_home, "hotdb-server") is { } fault)
            return Fail("cn.hotpu.hotdb.HotdbServer(436)", $"{fault}. System exit.");

        var waitUntil = DateTime.UtcNow.AddMinutes(30);
        while (true)
        {
            _log.Info("INIT", "main", "cn.hotpu.hotdb.HotdbConfig(242)",
                $"using config datasource in start up:[id:-1,nodeId:-1 {_configDb.HostPort}/{_configDb.Database} status:1,charset:utf8]");
            try { using var c = _configDb.Open(); break; }
            catch (MySqlException)
            {
                _log.Error("INIT", "main", "cn.hotpu.hotdb.HotdbConfig(275)", "no available config datasources. retry in 3 seconds.");
                if (DateTime.UtcNow > waitUntil) return Fail("cn.hotpu.hotdb.HotdbServer(436)", "no available config datasources. System exit.");
                Thread.Sleep(3000);
            }
        }
        _log.Info("INIT", "main", "cn.hotpu.hotdb.HotdbConfig(251)",
            $"master config datasource [id:-1,nodeId:-1 {_configDb.HostPort}/{_configDb.Database} status:1,charset:utf8] connect success.");
        if (_configDb.CheckReads(_release.Reads) is { } schemaError)
        {
            _log.Error("INIT", "main", "cn.hotpu.hotdb.HotdbConfig(412)", $"config checking failed: {schemaError}");
            return Fail("cn.hotpu.hotdb.HotdbServer(436)", $"ConfigDB {_configDb.Database} is not usable by HotDB-{_release.Version}. System exit.");
        }
        LoadConfig();
        _log.Info("INIT", "main", "cn.hotpu.hotdb.HotdbServer(131)", "===============================================");
        _log.Info("INIT", "main", "cn.hotpu.hotdb.HotdbServer(132)", $"HotDB-{_release.Version} is ready to startup ...");
        _log.Info("INIT", "main", "cn.hotpu.hotdb.HotdbServer(133)",
            $"Sysconfig params:SystemConfig [{string.Join(", ", _xml.All.Where(p => !p.Name.Contains("assword")).Select(p => $"{p.Name}={p.Value}"))}, hastate={_xml["haState"]}]");
        if (_release.NeedsJava8 && !CheckLicense(atStart: true)) return Fail("cn.hotpu.hotdb.util.V(158)", "no available matched license detected. we will shutdown now.", "AUTHORITY", "checker-1");

        _manager = new MySqlServer(IPAddress.Any, _xml.Int("managerPort"), new ManagerHandler(this));
        _log.Info("INIT", "Labor-3", "cn.hotpu.hotdb.HotdbServer(301)", $"HotDB-Manager listening on {_manager.Port}");
        if (HaMode == 1) _cluster = new Cluster(this, _xml, _log, _configDb);
        else if (!IsBackup && !IsDrCenter)
        {
            if (_licenseError is null) OpenService("INIT"); else _serviceRefused = true;
        }
        _log.Info("INIT", "Labor-3", "cn.hotpu.hotdb.HotdbServer(320)", "===============================================");

        var checker = new Timer(_ => PeriodicCheck(), null, 2000, 2000);
        // the license is checked every 5 minutes; a lapse limits reloads, not the running service
        var licenseChecker = _release.NeedsJava8 ? new Timer(_ => CheckLicense(atStart: false), null, 300_000, 300_000) : null;
        var vip = _xml["VIP"].Length > 0 && HaMode == 0 ? new Timer(_ => CheckVip(), null, 0, Math.Clamp(_xml.Int("checkVIPPeriod"), 10, 1000)) : null;
        ShutdownSignal.Wait(() => Faults.HangOnStop(_home, "hotdb-server"), () =>
        {
            _log.Info("EXIT[ FLOW]", "ShutdownHook", "cn.hotpu.hotdb.HotdbServer(512)", "begin to exit...");
            vip?.Dispose();
            licenseChecker?.Dispose();
            checker.Dispose();
            _cluster?.Dispose();
            CloseService();
            _manager.Dispose();
            _log.Info("EXIT[ FLOW]", "ShutdownHook", "cn.hotpu.hotdb.net.NIOProcessor(88)", "HotDB SocketChannel close due to:System exit");
        });
        return 0;
    }

    int Fail(string source, string message, string category = "INIT", string thread = "main")
    {
        _log.Error(category, thread, source, message);
        Console.Error.WriteLine(message);
        return 1;
    }

    void LoadConfig()
    {
        using var c = _configDb.Open();
        var users = new Dictionary<string, (string, bool)>();
        using (var r = new MySqlCommand("SELECT username, password, super_priv FROM hotdb_user", c).ExecuteReader())
            while (r.Read()) users[r.GetString(0)] = (r.GetString(1), r.GetInt32(2) == 1);
        var dbs = new List<string>();
        using (var r = new MySqlCommand("SELECT name FROM hotdb_logic_db ORDER BY id", c).ExecuteReader())
            while (r.Read()) dbs.Add(r.GetString(0));
        var datanodes = Convert.ToInt32(new MySqlCommand("SELECT COUNT(*) FROM hotdb_datanode", c).ExecuteScalar());
        lock (_gate) { _users = users; _logicDbs = dbs; _datanodes = datanodes; }
    }

    /// <summary>License of 2.5.6+: false when the node must exit (no valid license at start).</summary>
    bool CheckLicense(bool atStart)
    {
        if (!_release.NeedsJava8) return true;
        var license = License.Best(Path.Combine(_home, "keys"));
        if (license is null)
        {
            _license = null;
            if (atStart) return false;
            _log.Error("AUTHORITY", "checker-1", "cn.hotpu.hotdb.util.V(163)", "no matched license detected. Datanode limit to 0.");
        }
        else if (license != _license)
        {
            _license = license;
            _log.Info("AUTHORITY", "checker-1", "cn.hotpu.hotdb.util.V(262)", "Thanks for chooising HotDB.");
            _log.Info("AUTHORITY", "checker-1", "cn.hotpu.hotdb.util.V(269)", $"HotDB license expire time: {license.Expire:yyyy-MM-dd}, datanode limit to: {license.NodeLimit}");
            if (license.Type == "TRAIL")
            {
                var left = license.Expire - DateTime.Now;
                _log.Info("AUTHORITY", "checker-1", "cn.hotpu.hotdb.util.V(274)", $"HotDB trial expires in {left.Days} days {left.Hours} hours {left.Minutes} minutes {left.Seconds} seconds.");
            }
        }
        int limit = _license?.NodeLimit ?? 0;
        if (_datanodes > limit)
        {
            _licenseError = $"Number of Datanodes Exceeded Maximum Size Limit. expect:{_datanodes} limit:{limit}";
            _log.Error("AUTHORITY", "checker-1", "cn.hotpu.hotdb.a(5540)", _licenseError);
        }
        else _licenseError = null;
        return true;
    }

    void PeriodicCheck()
    {
        string? error;
        try { error = _configDb.CheckReads(_release.Reads); }
        catch (MySqlException ex)
        {
            // an unreachable ConfigDB does not stop the service: the node keeps serving from memory
            if (!_configDbDown) _log.Error("INIT", "$_NIOREACTOR-1-RW", "cn.hotpu.hotdb.HotdbConfig(275)", $"no available config datasources. {ex.Message}");
            _configDbDown = true;
            return;
        }
        _configDbDown = false;
        lock (_gate)
        {
            if (error is not null && error != _configError)
                _log.Error("CONFIG", "$_NIOREACTOR-1-RW", "cn.hotpu.hotdb.config.ConfigChecker(207)", $"reading ConfigDB {_configDb.Database} failed: {error}");
            else if (error is null && _configError is not null)
                _log.Info("CONFIG", "$_NIOREACTOR-1-RW", "cn.hotpu.hotdb.config.ConfigChecker(214)", $"ConfigDB {_configDb.Database} readable again.");
            _configError = error;
        }
    }

    void CheckVip()
    {
        var vip = _xml["VIP"].Split('/')[0];
        bool present;
        try { present = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Any(a => a.Address.ToString() == vip); }
        catch (NetworkInformationException) { return; }
        var before = _vipSeen;
        _vipSeen = present;
        if (before is null || before == present) return;
        if (present && _service is null)
        {
            _log.Info("MANAGER", "CheckVIP", "cn.hotpu.hotdb.manager.CheckVIP(61)", "VIP online start");
            _log.Info("MANAGER", "CheckVIP", "cn.hotpu.hotdb.manager.CheckVIP(64)", "CheckVIP timer execute online...");
            Online("VIP");
            _log.Info("MANAGER", "CheckVIP", "cn.hotpu.hotdb.manager.CheckVIP(70)", "CheckVIP timer finish online.");
            _log.Info("MANAGER", "CheckVIP", "cn.hotpu.hotdb.manager.CheckVIP(71)", "VIP online end");
        }
        else if (!present && _service is not null)
        {
            _log.Info("MANAGER", "CheckVIP", "cn.hotpu.hotdb.manager.CheckVIP(80)", $"VIP {vip} lost, offline.");
            CloseService();
        }
    }

    internal void OpenService(string category)
    {
        lock (_gate)
        {
            if (_service is not null) return;
            _service = new MySqlServer(IPAddress.Any, _xml.Int("serverPort"), new ServiceHandler(this));
            _onlineSince = DateTime.Now;
        }
        _log.Info(category, "Labor-3", "cn.hotpu.hotdb.HotdbServer(309)", $"HotDB-Server listening on {_xml.Int("serverPort")}");
        if (HaMode == 0) _log.Info(category, "Labor-3", "cn.hotpu.hotdb.HotdbServer(311)", "Watchdog started.");
    }

    internal void CloseService()
    {
        MySqlServer? s;
        lock (_gate) { s = _service; _service = null; _onlineSince = null; }
        s?.Dispose();
    }

    internal bool ServiceOpen => _service is not null;

    /// <summary>`online` on 3325; on an HA backup it then offlines the master at haNodeHost (what keepalived's notify relies on).</summary>
    SqlReply Online(string by)
    {
        if (IsDrCenter && !_drOnlineAllowed) return SqlReply.Error(10192, "access denied. online is not allowed in a DR HotDB Server.");
        if (_licenseError is not null) return SqlReply.Error(10151, $"online failed, {_licenseError}");
        if (HaMode == 1 && _cluster is not null && _cluster.Role == "STARTED") return SqlReply.Error(10151, "online failed, the node has not joined the cluster yet.");
        _log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.Online(45)", $"MANAGER online start (by {by})");
        OpenService("MANAGER");
        _log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.Online(60)", "MANAGER online end");
        if (HaMode == 0 && _xml["haNodeHost"] is { Length: > 0 } other) OfflinePeer(other);
        return SqlReply.Ok(1);
    }

    void OfflinePeer(string hostPort)
    {
        var parts = hostPort.Split(':');
        try
        {
            var (user, password) = _users.First(u => u.Value.Super) is var su ? (su.Key, su.Value.Password) : default;
            var csb = new MySqlConnectionStringBuilder { Server = parts[0], Port = uint.Parse(parts[1]), UserID = user, Password = password, ConnectionTimeout = 3, Pooling = false, SslMode = MySqlSslMode.None };
            using var c = new MySqlConnection(csb.ConnectionString);
            c.Open();
            new MySqlCommand("offline", c).ExecuteNonQuery();
            _log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.Online(88)", $"offline master {hostPort} success.");
        }
        catch (Exception ex)
        {
            _log.Warn("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.Online(92)",
                $"Failed to offline master Because {(ex is MySqlException { Number: 1042 or 0 } ? $"ERROR 2003 (HY000): Can't connect to MySQL server on '{parts[0]}' (111)" : ex.Message)}");
        }
    }

    SqlReply Reload()
    {
        try
        {
            var xml = ServerXml.Load(Path.Combine(_home, "conf", "server.xml"), _release);
            var db = new ConfigDb(xml["url"], xml["username"], xml["password"]);
            if (db.CheckReads(_release.Reads) is { } error)
                return SqlReply.Error(10191, $"Reload config failure, {error}. For more details, please check the log");
            _xml = xml;
            _configDb = db;
            LoadConfig();
        }
        catch (MySqlException)
        {
            return SqlReply.Error(10187, "Reload config failure, no available config datasources. For more details, please check the log");
        }
        catch (Exception ex) when (ex is System.Xml.XmlException or IOException)
        {
            return SqlReply.Error(10191, $"Reload config failure, {ex.Message}. For more details, please check the log");
        }
        CheckLicense(atStart: false);
        if (_licenseError is not null)
            return SqlReply.Error(10190, "Reload config failure, Number of Datanodes Exceeded Maximum Size Limit. For more details, please check the log");
        if (_serviceRefused)
        {
            _serviceRefused = false;
            OpenService("MANAGER");
        }
        _reloadTime = DateTime.Now;
        _log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.ReloadConfig(120)", "reload config success.");
        return SqlReply.Ok(1, "Reload config success");
    }

    sealed class ServiceHandler(ComputeNode node) : ISqlHandler
    {
        static readonly string[] Table = { "id", "name" };
        public string ServerVersion => node.ServiceVersion;
        public string? PasswordFor(string user) => node._users.TryGetValue(user, out var u) ? u.Password : null;

        public SqlReply InitDb(SqlSession session, string database)
        {
            if (!node._logicDbs.Contains(database, StringComparer.OrdinalIgnoreCase))
                return SqlReply.Error(1049, $"Unknown database '{database}'", "42000");
            session.Database = database;
            return SqlReply.Ok();
        }

        public SqlReply Execute(SqlSession session, string sql)
        {
            var lower = sql.ToLowerInvariant();
            if (lower.StartsWith("select @@version_comment")) return SqlReply.Row(new[] { "@@version_comment" }, node.Comment);
            if (node._configError is { } broken) return SqlReply.Error(10161, $"Wrong HotDB Config, due to: {broken}");
            if (Regex.Match(lower, @"^use\s+`?(\w+)`?$") is { Success: true } use) return InitDb(session, use.Groups[1].Value);
            if (SimpleSelect.TryEvaluate(sql, session, node.ServiceVersion, node.Comment) is { } simple) return simple;
            if (lower == "show databases") return SqlReply.Rows(new[] { "Database" }, node._logicDbs.Select(d => new object?[] { d }));
            if (Regex.IsMatch(lower, @"^(set|begin|start transaction|commit|rollback)\b")) return SqlReply.Ok();
            bool write = Regex.IsMatch(lower, @"^(insert|update|delete|replace)\b");
            if ((write || lower.StartsWith("select")) && lower.Contains(" from ") || write)
            {
                if (session.Database is null) return SqlReply.Error(1046, "No database selected", "3D000");
                if (write && node._xml.Bool("readOnly")) return SqlReply.Error(1289, "Command not allowed in Read-Only mode.");
                if (write) return SqlReply.Ok(1);
                if (lower.Contains("count(")) return SqlReply.Row(new[] { "COUNT(*)" }, 3L);
                return SqlReply.Rows(Table, new[] { new object?[] { 1L, "a" }, new object?[] { 2L, "b" }, new object?[] { 3L, "c" } });
            }
            return SqlReply.Error(1064, $"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '{sql}'", "42000");
        }
    }

    sealed class ManagerHandler(ComputeNode node) : ISqlHandler
    {
        public string ServerVersion => $"5.1.27-HotDB-{node._release.Version}";
        public string? PasswordFor(string user) => node._users.TryGetValue(user, out var u) && u.Super ? u.Password : null;
        public SqlReply InitDb(SqlSession session, string database) => SqlReply.Ok();

        public SqlReply Execute(SqlSession session, string sql)
        {
            var cmd = Regex.Replace(sql.ToLowerInvariant(), @"\s+", " ");
            if (SimpleSelect.TryEvaluate(sql, session, ServerVersion, "HotDB Manager by Hotpu Tech") is { } simple) return simple;
            if (Regex.IsMatch(cmd, @"^set\b")) return SqlReply.Ok();
            switch (cmd)
            {
                case "show @@version": return SqlReply.Row(new[] { "version" }, node.VersionText);
                case "show @@server": return node.ShowServer();
                case "show @@cluster": return node._cluster?.Show() ?? SqlReply.Rows(new[] { "status", "host", "port", "server_port", "manager_port" }, Array.Empty<object?[]>());
                case "show @@usbkey": return node.ShowUsbKey();
                case "show @@systemconfig":
                    return SqlReply.Row(new[] { "config" }, "{" + string.Join(",", node._xml.All.Where(p => !p.Name.Contains("assword")).Select(p => $"\"{p.Name}\":\"{p.Value}\"")) + "}");
                case "reload @@config": return node.Reload();
                case "online": return node.Online("manager command");
                case "offline":
                    node._log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.Offline(66)", $"received offline command from:[{session.Remote}, port={node._xml.Int("managerPort")}]");
                    node._log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.Offline(70)", "MANAGER offline start");
                    node.CloseService();
                    return SqlReply.Ok(1);
                case "enable_online":
                    node._drOnlineAllowed = true;
                    return SqlReply.Ok(1);
                case "online_dr":
                    if (!node.IsDrCenter) return SqlReply.Error(10234, "online_dr is only allowed in a DR center HotDB Server.");
                    node._log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.OnlineDR(52)", "DR online start");
                    node._drOnlineAllowed = true;
                    node.OpenService("MANAGER");
                    node._log.Info("MANAGER", "$_NIOREACTOR-0-RW", "cn.hotpu.hotdb.manager.OnlineDR(97)", "DR online end");
                    return SqlReply.Ok(1);
                case "online_dr_check": return SqlReply.Row(new[] { "result" }, node.IsDrCenter ? "1" : "0");
                case "online_dr_process":
                    return SqlReply.Row(new[] { "process", "error", "error_code", "status" }, node.ServiceOpen ? 8L : 0L, null, null, node.ServiceOpen ? "1" : "0");
                case "disable_election": case "enable_election": case "disable_non_query_command": case "enable_non_query_command":
                case "offline_to_dr": case "exchangeconfig": case "exchangememoryconfig":
                    if (cmd == "offline_to_dr") node.CloseService();
                    return SqlReply.Ok(1);
            }
            return SqlReply.Error(1064, $"Unsupported statement: {sql}", "42000");
        }
    }

    SqlReply ShowServer()
    {
        var proc = Process.GetCurrentProcess();
        string role = HaMode == 1 ? (_cluster?.Role ?? "STARTED") : IsBackup ? "BACKUP" : "MASTER";
        return SqlReply.Row(new[] { "uptime", "online_time", "used_memory", "total_memory", "max_memory", "max_direct_memory",
                "used_direct_memory", "reload_time", "charset", "role", "status", "mode", "version" },
            $"{(int)_uptime.Elapsed.TotalHours}h {_uptime.Elapsed.Minutes}m {_uptime.Elapsed.Seconds}s", _onlineSince?.ToString("yyyy-MM-dd HH:mm:ss"),
            proc.WorkingSet64 / 1048576, 4096L, 4096L, 24576L, 0L, _reloadTime.ToString("yyyy-MM-dd HH:mm:ss"), "utf8",
            role, ServiceOpen ? "ON" : "OFF", _xml.Bool("readOnly") ? "READ-ONLY" : "READ-WRITE", ServiceVersion);
    }

    SqlReply ShowUsbKey()
    {
        string[] cols = { "left_time", "usbkey_status", "usbkey_type", "node_limit", "last_check_time", "usbkey_check_stuck",
            "last_exception_time", "last_exception_info", "exception_count", "comment" };
        var now = DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss.fff");
        if (!_release.NeedsJava8) return SqlReply.Row(cols, 0L, 1L, 3L, 0L, now, 0L, null, null, 0L, "USB key: no data-node limit");
        var l = _license;
        return l is null
            ? SqlReply.Row(cols, 0L, 0L, 0L, 0L, now, 0L, now, "no matched license detected", 1L, "")
            : SqlReply.Row(cols, (long)Math.Max(0, (l.Expire - DateTime.Now).TotalSeconds), 1L, (long)l.TypeCode, (long)l.NodeLimit, now, 0L,
                _licenseError is null ? null : now, _licenseError, _licenseError is null ? 0L : 1L, l.File);
    }

    internal void ClusterJoined(string role)
    {
        if (_licenseError is null && _configError is null) OpenService("CLUSTER");
        _log.Info("CLUSTER", "cluster-1", "cn.hotpu.hotdb.cluster.ClusterManager(233)", $"joined cluster {_xml["clusterName"]} as {role}");
    }

    internal void ClusterLeft()
    {
        _log.Warn("CLUSTER", "cluster-1", "cn.hotpu.hotdb.cluster.ClusterManager(301)", "lost the cluster majority, close service port and go back to Started.");
        CloseService();
    }

    /// <summary>
    /// Cluster membership over clusterPort: every member polls the others each second with one text line
    /// ("HELLO serverId role clusterName host serverPort managerPort"), and elections are deterministic (lowest
    /// eligible serverId among the reachable majority) where the vendor's are random.
    /// </summary>
    sealed class Cluster : IDisposable
    {
        readonly ComputeNode _node;
        readonly SimLog _log;
        readonly TcpListener _listener;
        readonly Timer _timer;
        readonly int _serverId, _size, _heartbeatMs, _port, _serverPort, _managerPort;
        readonly string _name, _host;
        readonly bool _eligible;
        readonly List<(string Host, int Port)> _peers;
        readonly Dictionary<string, (int ServerId, string Role, string Host, int ServerPort, int ManagerPort, int Port, DateTime Seen)> _view = new();
        public string Role { get; private set; } = "STARTED";

        public Cluster(ComputeNode node, ServerXml xml, SimLog log, ConfigDb configDb)
        {
            _node = node; _log = log;
            _serverId = xml.Int("serverId"); _size = xml.Int("clusterSize"); _heartbeatMs = xml.Int("clusterHeartbeatTimeoutMs");
            _name = xml["clusterName"]; _host = xml["clusterHost"]; _port = xml.Int("clusterPort");
            _serverPort = xml.Int("serverPort"); _managerPort = xml.Int("managerPort");
            _eligible = ConfigDb.ParseUrl(configDb.Url).Host != _host;
            _peers = xml["haNodeHost"].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => (p[..p.LastIndexOf(':')], int.Parse(p[(p.LastIndexOf(':') + 1)..])))
                .Where(p => !(p.Item1 == _host && p.Item2 == _port)).ToList();
            _listener = new TcpListener(IPAddress.Any, _port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _log.Info("CLUSTER", "cluster-1", "cn.hotpu.hotdb.cluster.ClusterManager(120)", $"cluster {_name} member {_serverId} started on {_host}:{_port}, state Started");
            _ = Accept();
            _timer = new Timer(_ => Tick(), null, 200, 1000);
        }

        string Hello() => $"HELLO {_serverId} {Role} {_name} {_host} {_serverPort} {_managerPort} {_port}";

        async System.Threading.Tasks.Task Accept()
        {
            while (true)
            {
                TcpClient c;
                try { c = await _listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
                _ = System.Threading.Tasks.Task.Run(() =>
                {
                    using (c)
                    {
                        try
                        {
                            c.ReceiveTimeout = 2000;
                            var s = c.GetStream();
                            var reader = new StreamReader(s);
                            Record(reader.ReadLine());
                            var w = new StreamWriter(s) { AutoFlush = true };
                            w.WriteLine(Hello());
                        }
                        catch (Exception) { }
                    }
                });
            }
        }

        void Record(string? line)
        {
            var f = line?.Split(' ');
            if (f is null || f.Length < 8 || f[0] != "HELLO" || f[3] != _name) return;
            lock (_view) _view[$"{f[4]}:{f[7]}"] = (int.Parse(f[1]), f[2], f[4], int.Parse(f[5]), int.Parse(f[6]), int.Parse(f[7]), DateTime.UtcNow);
        }

        void Tick()
        {
            foreach (var (host, port) in _peers)
            {
                try
                {
                    using var c = new TcpClient();
                    if (!c.ConnectAsync(host, port).Wait(500)) continue;
                    c.ReceiveTimeout = 1000;
                    var s = c.GetStream();
                    new StreamWriter(s) { AutoFlush = true }.WriteLine(Hello());
                    Record(new StreamReader(s).ReadLine());
                }
                catch (Exception) { }
            }
            List<(int ServerId, string Role, string Host, int ServerPort, int ManagerPort, int Port, DateTime Seen)> alive;
            lock (_view) alive = _view.Values.Where(v => (DateTime.UtcNow - v.Seen).TotalMilliseconds < _heartbeatMs).ToList();
            bool majority = alive.Count + 1 >= _size / 2 + 1;
            var primary = alive.Where(v => v.Role == "PRIMARY").OrderBy(v => v.ServerId).FirstOrDefault();
            string next = Role;
            if (!majority) next = "STARTED";
            else if (Role == "PRIMARY") next = primary.Role == "PRIMARY" && primary.ServerId < _serverId ? "SECONDARY" : "PRIMARY";
            else if (primary.Role == "PRIMARY") next = "SECONDARY";
            else if (_eligible && alive.Where(v => v.Role != "PRIMARY").All(v => v.ServerId > _serverId)) next = "PRIMARY";
            else if (Role == "SECONDARY") next = "SECONDARY"; // waits for the election it is not to win
            if (next == Role) return;
            var before = Role;
            Role = next;
            if (next == "STARTED") _node.ClusterLeft();
            else if (before == "STARTED") _node.ClusterJoined(next);
            else _log.Info("CLUSTER", "cluster-1", "cn.hotpu.hotdb.cluster.ClusterManager(260)", $"role changed from {before} to {next}");
        }

        public SqlReply Show()
        {
            var rows = new List<object?[]> { new object?[] { Role, _host, (long)_port, (long)_serverPort, (long)_managerPort } };
            lock (_view)
                rows.AddRange(_view.Values.Where(v => (DateTime.UtcNow - v.Seen).TotalMilliseconds < _heartbeatMs)
                    .OrderBy(v => v.ServerId).Select(v => new object?[] { v.Role, v.Host, (long)v.Port, (long)v.ServerPort, (long)v.ManagerPort }));
            return SqlReply.Rows(new[] { "status", "host", "port", "server_port", "manager_port" }, rows);
        }

        public void Dispose() { _timer.Dispose(); _listener.Stop(); }
    }
}
