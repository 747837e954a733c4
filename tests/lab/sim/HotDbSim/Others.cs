using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MySqlConnector;

namespace HotDbSim;

static class Properties
{
    public static Dictionary<string, string> Load(string path) =>
        File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('='))
            .Select(l => l.Split('=', 2)).GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.Last()[1].Trim());
}

/// <summary>The management platform: HTTP on server.port, backup agents on server.backup.port, its own ConfigDB.</summary>
public sealed class Management(string home, Release release)
{
    readonly SimLog _log = new(Path.Combine(home, "logs", "hotdb-management.log"));
    readonly Dictionary<string, (string Version, DateTime Since)> _agents = new();

    public int Run()
    {
        var props = Properties.Load(Path.Combine(home, "conf", "application.properties"));
        _log.Info("INIT", "main", "cn.hotpu.hotdb.management.Application(48)", $"Starting HotDB Management {release.Version} on {Dns.GetHostName()}");
        if (Faults.TakeStartFailure(home, "hotdb-management") is { } fault) return Fail(fault);
        var db = new ConfigDb(props.GetValueOrDefault("spring.datasource.url", ""), props.GetValueOrDefault("spring.datasource.username", ""),
            props.GetValueOrDefault("spring.datasource.password", ""));
        try
        {
            if (db.CheckReads(release.Reads) is { } error)
            {
                var current = Catalog.Managements.Where(r => r.Parsed < release.Parsed).Reverse().FirstOrDefault(r => db.CheckReads(r.Reads) is null);
                if (release.Parsed < System.Version.Parse("2.5.3") || current is null)
                    return Fail($"ConfigDB {db.Database} is not usable by HotDB Management {release.Version}: {error}");
                _log.Info("INIT", "main", "cn.hotpu.hotdb.management.upgrade.ConfigUpgrader(77)", $"ConfigDB {db.Database} is at {current.Version}, upgrading to {release.Version}");
                using var c = db.Open();
                foreach (var step in Catalog.CloudSteps.Where(s => System.Version.Parse(s.From) >= current.Parsed && System.Version.Parse(s.To) <= release.Parsed))
                {
                    var file = Path.Combine(home, "conf", "upgrade", step.FileName);
                    new MySqlCommand(File.Exists(file) ? File.ReadAllText(file) : step.Sql, c).ExecuteNonQuery();
                    _log.Info("INIT", "main", "cn.hotpu.hotdb.management.upgrade.ConfigUpgrader(91)", $"executed {step.FileName}");
                }
                if (db.CheckReads(release.Reads) is { } still) return Fail($"ConfigDB upgrade failed: {still}");
            }
        }
        catch (MySqlException ex) { return Fail($"Unable to obtain connection from database: {ex.Message}"); }
        // The StartFailureAfterConfigDb fault: the start fails once its ConfigDB check (and upgrade) is done.
        if (Faults.TakeStartFailure(home, "hotdb-management", "start-fail-after-configdb") is { } late) return Fail(late);

        var http = new TcpListener(IPAddress.Any, int.Parse(props.GetValueOrDefault("server.port", "3324")));
        var backup = new TcpListener(IPAddress.Any, int.Parse(props.GetValueOrDefault("server.backup.port", "3322")));
        http.Start(); backup.Start();
        _ = ServeHttp(http);
        _ = ServeAgents(backup);
        _log.Info("INIT", "main", "org.springframework.boot.web.embedded.tomcat.TomcatWebServer(204)", $"Tomcat started on port(s): {((IPEndPoint)http.LocalEndpoint).Port} (http)");
        _log.Info("INIT", "main", "cn.hotpu.hotdb.management.backup.BackupServer(52)", $"backup server listening on {((IPEndPoint)backup.LocalEndpoint).Port}");
        _log.Info("INIT", "main", "cn.hotpu.hotdb.management.Application(61)", $"Started Application in 1.0 seconds (HotDB Management {release.Version})");
        ShutdownSignal.Wait(() => Faults.HangOnStop(home, "hotdb-management"), () =>
        {
            http.Stop(); backup.Stop();
            _log.Info("EXIT", "SpringContextShutdownHook", "cn.hotpu.hotdb.management.Application(70)", "HotDB Management stopped.");
        });
        return 0;
    }

    int Fail(string message)
    {
        _log.Error("INIT", "main", "cn.hotpu.hotdb.management.Application(58)", $"{message}. Application run failed");
        Console.Error.WriteLine(message);
        return 1;
    }

    async Task ServeHttp(TcpListener listener)
    {
        while (true)
        {
            TcpClient c;
            try { c = await listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
            _ = Task.Run(() =>
            {
                using (c)
                {
                    try
                    {
                        var s = c.GetStream();
                        var request = new StreamReader(s).ReadLine() ?? "";
                        var path = request.Split(' ').ElementAtOrDefault(1) ?? "/";
                        List<string> agents;
                        lock (_agents) agents = _agents.Select(a => $"{a.Key} {a.Value.Version}").OrderBy(a => a).ToList();
                        var (type, body) = path switch
                        {
                            "/api/version" => ("text/plain", release.Version + "\n"),
                            "/api/backup/agents" => ("text/plain", string.Concat(agents.Select(a => a + "\n"))),
                            _ => ("text/html", $"<!DOCTYPE html><html><head><title>HotDB Management</title></head><body><h1>HotDB Management</h1>" +
                                 $"<p id=\"version\">Version: {release.Version} (build {release.BuildDate})</p><h2>Backup agents</h2><ul>" +
                                 string.Concat(agents.Select(a => $"<li>{WebUtility.HtmlEncode(a)}</li>")) + "</ul></body></html>\n"),
                        };
                        var bytes = Encoding.UTF8.GetBytes(body);
                        s.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {type}; charset=utf-8\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
                        s.Write(bytes);
                    }
                    catch (Exception) { }
                }
            });
        }
    }

    /// <summary>Agents keep one connection open: "AGENT host version" then "PING" lines; connected = listed.</summary>
    async Task ServeAgents(TcpListener listener)
    {
        while (true)
        {
            TcpClient c;
            try { c = await listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
            _ = Task.Run(() =>
            {
                string? host = null;
                using (c)
                {
                    try
                    {
                        var reader = new StreamReader(c.GetStream());
                        var writer = new StreamWriter(c.GetStream()) { AutoFlush = true };
                        var hello = reader.ReadLine()?.Split(' ');
                        if (hello is not { Length: 3 } || hello[0] != "AGENT") return;
                        host = hello[1];
                        lock (_agents) _agents[host] = (hello[2], DateTime.Now);
                        _log.Info("BACKUP", "backup-server", "cn.hotpu.hotdb.management.backup.BackupServer(88)", $"backup agent {host} ({hello[2]}) connected");
                        writer.WriteLine("OK");
                        while (reader.ReadLine() is { } line) writer.WriteLine("OK");
                    }
                    catch (Exception) { }
                }
                if (host is not null)
                {
                    lock (_agents) _agents.Remove(host);
                    _log.Info("BACKUP", "backup-server", "cn.hotpu.hotdb.management.backup.BackupServer(97)", $"backup agent {host} disconnected");
                }
            });
        }
    }
}

/// <summary>HotDB Backup: connects to the platform given by -h/-p and stays connected, reconnecting every 5 s.</summary>
public sealed class BackupAgent(string home, Release release, List<string> args)
{
    readonly SimLog _log = new(Path.Combine(home, "logs", "hotdb_backup.log"));

    public int Run()
    {
        string Arg(string name) { int i = args.IndexOf(name); return i >= 0 && i + 1 < args.Count ? args[i + 1] : ""; }
        var host = Arg("-h");
        var port = int.TryParse(Arg("-p"), out var p) ? p : 3322;
        if (Faults.TakeStartFailure(home, "hotdb-backup") is { } fault) { _log.Error("INIT", "main", "cn.hotpu.hotdb.backup.BackupStartup(40)", fault); return 1; }
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => Connect(host, port, stop.Token));
        _log.Info("INIT", "main", "cn.hotpu.hotdb.backup.BackupStartup(52)", $"HotDB-backup {release.Version} started, management {host}:{port}");
        var tasks = Task.Run(() => WatchTasks(stop.Token));
        ShutdownSignal.Wait(() => Faults.HangOnStop(home, "hotdb-backup"), () =>
        {
            stop.Cancel();
            try { tasks.Wait(2000); } catch (AggregateException) { }
            _log.Info("EXIT", "ShutdownHook", "cn.hotpu.hotdb.backup.BackupStartup(70)", "HotDB-backup stopped.");
        });
        return 0;
    }

    /// <summary>
    /// Backup tasks the platform hands the agent. The lab has no scheduler: a task runs while the fault file
    /// hotdb-backup.backup-task exists (its content is the task id), logged as the agent logs real tasks.
    /// </summary>
    async Task WatchTasks(CancellationToken token)
    {
        var file = Path.Combine(Faults.Dir(home), "hotdb-backup.backup-task");
        string? running = null;
        while (true)
        {
            if (token.IsCancellationRequested)
            {
                if (running != null) _log.Warn("BACKUP", "task-" + running, "cn.hotpu.hotdb.backup.task.BackupTask(131)", $"backup task {running} interrupted: the agent is stopping");
                return;
            }
            var wanted = File.Exists(file);
            if (running == null && wanted)
            {
                var id = File.ReadAllText(file).Trim();
                running = id.Length > 0 ? id : "1";
                _log.Info("BACKUP", "task-" + running, "cn.hotpu.hotdb.backup.task.BackupTask(88)", $"backup task {running} started: full backup of the local data source");
            }
            else if (running != null && !wanted)
            {
                _log.Info("BACKUP", "task-" + running, "cn.hotpu.hotdb.backup.task.BackupTask(120)", $"backup task {running} finished");
                running = null;
            }
            try { await Task.Delay(500, token); } catch (OperationCanceledException) { }
        }
    }

    async Task Connect(string host, int port, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(host, port, token);
                var writer = new StreamWriter(c.GetStream()) { AutoFlush = true };
                var reader = new StreamReader(c.GetStream());
                await writer.WriteLineAsync($"AGENT {Dns.GetHostName()} {release.Version}");
                if (await reader.ReadLineAsync(token) != "OK") throw new IOException("refused");
                _log.Info("BACKUP", "connector", "cn.hotpu.hotdb.backup.Connector(61)", $"connected to management {host}:{port}");
                while (!token.IsCancellationRequested)
                {
                    await Task.Delay(5000, token);
                    await writer.WriteLineAsync("PING");
                    if (await reader.ReadLineAsync(token) is null) throw new IOException("closed");
                }
            }
            catch (OperationCanceledException) { return; }
            catch (Exception ex)
            {
                _log.Warn("BACKUP", "connector", "cn.hotpu.hotdb.backup.Connector(75)", $"connect to management {host}:{port} failed: {ex.Message}, retry in 5 seconds");
                try { await Task.Delay(5000, token); } catch (OperationCanceledException) { return; }
            }
        }
    }
}

/// <summary>HotDB Listener: listens on conf/config.properties host/port (the misprinted "post" key is accepted too).</summary>
public sealed class Listener(string home, Release release)
{
    public int Run()
    {
        var log = new SimLog(Path.Combine(home, "logs", "hotdb-listener.log"));
        var props = Properties.Load(Path.Combine(home, "conf", "config.properties"));
        if (Faults.TakeStartFailure(home, "hotdb-listener") is { } fault) { log.Error("INIT", "main", "cn.hotpu.hotdb.listener.ListenerStartup(33)", fault); return 1; }
        var host = props.GetValueOrDefault("host", "0.0.0.0");
        var port = int.Parse(props.GetValueOrDefault("port", props.GetValueOrDefault("post", "3330")));
        var listener = new TcpListener(IPAddress.Parse(host), port);
        listener.Start();
        log.Info("INIT", "main", "cn.hotpu.hotdb.listener.ListenerManager(58)", $"Listener-Manager start listening on host {host} port {port}");
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    using var c = await listener.AcceptTcpClientAsync();
                    await c.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"HotDB-Listener {release.Version}\n"));
                }
                catch (Exception) { return; }
            }
        });
        ShutdownSignal.Wait(() => Faults.HangOnStop(home, "hotdb-listener"), () => { listener.Stop(); log.Info("EXIT", "ShutdownHook", "cn.hotpu.hotdb.listener.ListenerStartup(71)", "Listener-Manager stopped."); });
        return 0;
    }
}
