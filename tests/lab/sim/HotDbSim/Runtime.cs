using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Xml.Linq;
using MySqlConnector;

namespace HotDbSim;

/// <summary>A log in the vendor's style: "2020-09-15 14:03:17.949 [INFO] [AUTHORITY] [checker-1] cn.hotpu.hotdb.util.V(262) - text".</summary>
public sealed class SimLog(string path)
{
    readonly object _gate = new();
    public string Path { get; } = path;

    public void Info(string category, string thread, string source, string message) => Write("INFO", category, thread, source, message);
    public void Warn(string category, string thread, string source, string message) => Write("WARN", category, thread, source, message);
    public void Error(string category, string thread, string source, string message) => Write("ERROR", category, thread, source, message);

    public void Write(string level, string category, string thread, string source, string message)
    {
        var line = $"{DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} [{level}] [{category}] [{thread}] {source} - {message}\n";
        lock (_gate)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            File.AppendAllText(Path, line);
        }
    }
}

/// <summary>The JVM command line the fake JDK passes on: -D properties, classpath, main class or -jar, arguments.</summary>
public sealed class JavaCommandLine
{
    public Dictionary<string, string> SystemProperties { get; } = new();
    public List<string> ClassPath { get; } = new();
    public string? MainClass { get; private set; }
    public string? Jar { get; private set; }
    public List<string> Arguments { get; } = new();

    public static JavaCommandLine Parse(string[] args)
    {
        var cl = new JavaCommandLine();
        int i = 0;
        for (; i < args.Length; i++)
        {
            var a = args[i];
            if (a.StartsWith("-D", StringComparison.Ordinal))
            {
                var kv = a[2..].Split('=', 2);
                cl.SystemProperties[kv[0]] = kv.Length > 1 ? kv[1] : "";
            }
            else if (a is "-classpath" or "-cp" && i + 1 < args.Length) cl.ClassPath.AddRange(args[++i].Split(':', StringSplitOptions.RemoveEmptyEntries));
            else if (a == "-jar" && i + 1 < args.Length) { cl.Jar = args[++i]; i++; break; }
            else if (a.StartsWith('-')) continue; // -server, -Xms4G, -XX:...: accepted and ignored
            else { cl.MainClass = a; i++; break; }
        }
        for (; i < args.Length; i++) cl.Arguments.Add(args[i]);
        return cl;
    }
}

/// <summary>What a component jar's manifest says about the build.</summary>
public sealed record JarManifest(string Title, string Version, string BuildDate, string BuildJdk, string? MainClass)
{
    public static JarManifest Read(string jarPath)
    {
        using var zip = ZipFile.OpenRead(jarPath);
        var entry = zip.GetEntry("META-INF/MANIFEST.MF") ?? throw new InvalidDataException("no manifest");
        using var reader = new StreamReader(entry.Open());
        var map = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r').Split(": ", 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);
        return new JarManifest(map["Implementation-Title"], map["Implementation-Version"], map["Build-Date"], map["Build-Jdk"],
            map.GetValueOrDefault("Main-Class"));
    }

    public static string Text(Release r, string? mainClass) =>
        "Manifest-Version: 1.0\r\nCreated-By: Apache Maven 3.5.4\r\n" +
        $"Implementation-Title: {r.Component}\r\nImplementation-Version: {r.Version}\r\nImplementation-Vendor: Hotpu Tech\r\n" +
        $"Build-Date: {r.BuildDate}\r\nBuild-Jdk: {(r.NeedsJava8 ? "1.8.0_252" : "1.7.0_80")}\r\n" +
        (mainClass is null ? "" : $"Main-Class: {mainClass}\r\n") + "\r\n";
}

/// <summary>server.xml: &lt;property name="X"&gt;v&lt;/property&gt; under &lt;hotdb:server&gt;&lt;system&gt;, defaults per release.</summary>
public sealed class ServerXml
{
    readonly Dictionary<string, string> _values;
    readonly Release _release;
    public IReadOnlyCollection<string> UnknownProperties { get; }

    ServerXml(Dictionary<string, string> values, Release release, List<string> unknown)
    { _values = values; _release = release; UnknownProperties = unknown; }

    public static ServerXml Load(string path, Release release)
    {
        using var reader = System.Xml.XmlReader.Create(path, new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Ignore });
        var doc = XDocument.Load(reader);
        var values = new Dictionary<string, string>();
        var unknown = new List<string>();
        foreach (var p in doc.Descendants().Where(e => e.Name.LocalName == "property"))
        {
            var name = (string?)p.Attribute("name");
            if (name is null) continue;
            values[name] = p.Value.Trim().TrimStart('>'); // the vendor's own sample has "<property ...>>false<"
            if (!release.Properties.Any(d => d.Name == name)) unknown.Add(name);
        }
        return new ServerXml(values, release, unknown);
    }

    public string this[string name] => _values.TryGetValue(name, out var v) ? v : _release.Default(name);
    public int Int(string name) => int.TryParse(this[name], out var v) ? v : int.Parse(_release.Default(name) is { Length: > 0 } d ? d : "0", CultureInfo.InvariantCulture);
    public bool Bool(string name) => string.Equals(this[name], "true", StringComparison.OrdinalIgnoreCase);
    public IEnumerable<(string Name, string Value)> All => _release.Properties.Select(p => (p.Name, this[p.Name]));
}

/// <summary>Reads the ConfigDB at the JDBC url of server.xml / application.properties.</summary>
public sealed class ConfigDb(string jdbcUrl, string user, string password)
{
    public string Url { get; } = jdbcUrl;
    public string Database { get; } = ParseUrl(jdbcUrl).Database;
    public string HostPort => $"{ParseUrl(Url).Host}:{ParseUrl(Url).Port}";

    public static (string Host, int Port, string Database) ParseUrl(string url)
    {
        var rest = url.StartsWith("jdbc:mysql://", StringComparison.Ordinal) ? url["jdbc:mysql://".Length..] : url;
        rest = rest.Split('?')[0];
        var slash = rest.IndexOf('/');
        var hostPort = slash < 0 ? rest : rest[..slash];
        var db = slash < 0 ? "" : rest[(slash + 1)..];
        var colon = hostPort.LastIndexOf(':');
        return colon < 0 ? (hostPort, 3306, db) : (hostPort[..colon], int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture), db);
    }

    public MySqlConnection Open()
    {
        var (host, port, db) = ParseUrl(Url);
        var csb = new MySqlConnectionStringBuilder
        {
            Server = host, Port = (uint)port, Database = db, UserID = user, Password = password,
            ConnectionTimeout = 3, DefaultCommandTimeout = 5, Pooling = false, SslMode = MySqlSslMode.Preferred, AllowPublicKeyRetrieval = true,
        };
        var c = new MySqlConnection(csb.ConnectionString);
        c.Open();
        return c;
    }

    /// <summary>Checks every column the release reads, as its Java code would fail on it; null when all is well.</summary>
    public string? CheckReads(IEnumerable<ColumnRead> reads)
    {
        using var c = Open();
        var types = new Dictionary<(string, string), string>();
        var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var cmd = new MySqlCommand("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()", c))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                tables.Add(r.GetString(0));
                types[(r.GetString(0).ToLowerInvariant(), r.GetString(1).ToLowerInvariant())] = r.GetString(2).ToLowerInvariant();
            }
        foreach (var read in reads)
        {
            if (!tables.Contains(read.Table))
                return $"java.sql.SQLSyntaxErrorException: Table '{Database}.{read.Table}' doesn't exist";
            if (!types.TryGetValue((read.Table, read.Column), out var type))
                return $"java.sql.SQLSyntaxErrorException: Unknown column '{read.Column}' in 'field list' (table {read.Table})";
            bool isInt = type is "tinyint" or "smallint" or "mediumint" or "int" or "bigint";
            if (read.Family == TypeFamily.Integer && !isInt)
            {
                using var cmd = new MySqlCommand($"SELECT `{read.Column}` FROM `{read.Table}` LIMIT 1", c);
                var sample = cmd.ExecuteScalar();
                return $"java.sql.SQLException: Invalid value for getInt() - '{sample}' ({read.Table}.{read.Column} is {type})";
            }
            if (read.Family == TypeFamily.Text && isInt && read.Column == "datanode_type")
                return $"java.lang.IllegalArgumentException: No enum constant cn.hotpu.hotdb.config.DatanodeType.0 ({read.Table}.{read.Column} is {type})";
        }
        return null;
    }
}

/// <summary>
/// The lab's license file: key/value lines as the vendor's license tool prints them, signed with a lab key so a
/// hand-edited file is rejected like a tampered real one.
/// </summary>
public sealed record License(string File, string Serial, string Type, int NodeLimit, DateTime Effective, DateTime Expire)
{
    const string LabKey = "hotdb-lab-license-key";
    public int TypeCode => Type switch { "TRAIL" => 1, "EXPIRATION" => 2, _ => 3 };

    public static string Create(string type, int nodeLimit, DateTime effective, int days)
    {
        var expire = type == "PERPETUAL" ? new DateTime(2099, 12, 31) : effective.AddDays(days);
        var serial = $"{type}-{nodeLimit}-0-{new DateTimeOffset(expire).ToUnixTimeMilliseconds()}-{Random.Shared.NextInt64(1_000_000_000_000_000_000L, long.MaxValue)}";
        var body = $"serial number: {serial}\ntype: {type}\ndatanode limit: {nodeLimit}\nmodule limit: 0\n" +
                   $"create time: {effective:yyyy-MM-dd}\neffective time: {effective:yyyy-MM-dd}\nexpire time: {expire:yyyy-MM-dd}\ncustomer info: hotdb.com\n";
        return body + $"signature: {Sign(body)}\n";
    }

    static string Sign(string body) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(LabKey + body))).ToLowerInvariant();

    public static License? Read(string path)
    {
        try
        {
            var text = System.IO.File.ReadAllText(path).Replace("\r\n", "\n");
            var at = text.IndexOf("signature: ", StringComparison.Ordinal);
            if (at < 0 || text[(at + 11)..].Trim() != Sign(text[..at])) return null;
            var map = text[..at].Split('\n').Select(l => l.Split(": ", 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            return new License(System.IO.Path.GetFileName(path), map["serial number"], map["type"], int.Parse(map["datanode limit"], CultureInfo.InvariantCulture),
                DateTime.ParseExact(map["effective time"], "yyyy-MM-dd", CultureInfo.InvariantCulture),
                DateTime.ParseExact(map["expire time"], "yyyy-MM-dd", CultureInfo.InvariantCulture));
        }
        catch (Exception) { return null; }
    }

    /// <summary>The license in use: valid ones only, more data nodes first, then the longer term.</summary>
    public static License? Best(string keysDir) =>
        Directory.Exists(keysDir)
            ? Directory.GetFiles(keysDir).Select(Read).Where(l => l is not null && l.Expire.AddDays(1) > DateTime.Now)
                .OrderByDescending(l => l!.NodeLimit).ThenByDescending(l => l!.Expire).FirstOrDefault()
            : null;
}

/// <summary>Faults the lab injects: files under /usr/local/hotdb/.hotdb-sim-faults named &lt;component&gt;.&lt;fault&gt;.</summary>
public static class Faults
{
    public static string Dir(string home) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(home.TrimEnd('/')))!, ".hotdb-sim-faults");

    /// <summary>One-shot: true (and the fault file removed) when the next start must fail.</summary>
    public static string? TakeStartFailure(string home, string component, string kind = "start-fail")
    {
        var file = Path.Combine(Dir(home), component + "." + kind);
        if (!File.Exists(file)) return null;
        var reason = File.ReadAllText(file).Trim();
        File.Delete(file);
        return reason.Length > 0 ? reason : "java.lang.OutOfMemoryError: unable to create new native thread";
    }

    public static bool HangOnStop(string home, string component) => File.Exists(Path.Combine(Dir(home), component + ".hang-on-stop"));
}

public static class ShutdownSignal
{
    /// <summary>Waits for SIGTERM/SIGINT; with the hang-on-stop fault the signal is swallowed and only SIGKILL ends the process.</summary>
    public static void Wait(Func<bool> hang, Action onExit)
    {
        using var done = new ManualResetEventSlim();
        void Handler(System.Runtime.InteropServices.PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            if (hang()) return;
            done.Set();
        }
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Handler);
        using var intr = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Handler);
        done.Wait();
        onExit();
    }
}
