using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace HotDbSim;

/// <summary>
/// Builds the vendor's tarballs with the vendor's names and layout. The JDKs' bin/java runs this simulator
/// (dotnet + HotDbSim.dll at the absolute paths given, which must be valid inside the lab hosts).
/// </summary>
public static class PackageBuilder
{
    const UnixFileMode Exec = (UnixFileMode)0b111_101_101, Plain = (UnixFileMode)0b110_100_100, Dir = (UnixFileMode)0b111_101_101;

    sealed class Tree
    {
        public readonly List<(string Path, byte[]? Content, UnixFileMode Mode)> Entries = new();
        public readonly List<(string Path, string Target)> Links = new();
        public Tree Link(string path, string target) { Links.Add((path, target)); return this; }
        public Tree File(string path, string text, bool exec = false) { Entries.Add((path, Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n")), exec ? Exec : Plain)); return this; }
        public Tree Bytes(string path, byte[] content) { Entries.Add((path, content, Plain)); return this; }
        public Tree Directory(string path) { Entries.Add((path.TrimEnd('/') + "/", null, Dir)); return this; }

        public void Write(string tarGz)
        {
            using var file = System.IO.File.Create(tarGz);
            using var gz = new GZipStream(file, CompressionLevel.Optimal);
            using var tar = new TarWriter(gz, TarEntryFormat.Ustar);
            var dirs = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var path in Entries.Select(e => e.Path).Concat(Links.Select(l => l.Path)))
                for (int i = path.IndexOf('/'); i >= 0 && i < path.Length - 1; i = path.IndexOf('/', i + 1)) dirs.Add(path[..(i + 1)]);
            foreach (var d in dirs.Union(Entries.Where(e => e.Content is null).Select(e => e.Path)).Distinct().OrderBy(d => d, StringComparer.Ordinal))
                tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, d) { Mode = Dir, ModificationTime = Stamp });
            foreach (var (path, content, mode) in Entries.Where(e => e.Content is not null))
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path) { Mode = mode, ModificationTime = Stamp, DataStream = new MemoryStream(content!) });
            foreach (var (path, target) in Links)
                tar.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, path) { Mode = Exec, ModificationTime = Stamp, LinkName = target });
        }
    }

    static readonly DateTimeOffset Stamp = new(2020, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        var output = Path.GetFullPath(Arg("--out", "packages"));
        var simDll = Path.GetFullPath(Arg("--sim", typeof(PackageBuilder).Assembly.Location));
        var dotnet = Arg("--dotnet", Environment.ProcessPath!);
        System.IO.Directory.CreateDirectory(output);

        foreach (var r in Catalog.ComputeNodes) ComputeNode(r).Write(Path.Combine(output, $"hotdb-server-{r.Version}-ga-{r.BuildDate}.tar.gz"));
        foreach (var r in Catalog.Managements) Management(r).Write(Path.Combine(output, $"hotdb-management-{r.Version}-ga-{r.BuildDate}.tar.gz"));
        foreach (var r in Catalog.Backups) Backup(r).Write(Path.Combine(output, $"hotdb-backup-{r.Version}-{r.BuildDate}.tar.gz"));
        foreach (var r in Catalog.Listeners) Listener(r).Write(Path.Combine(output, $"hotdb-listener-{r.Version}-linux.tar.gz"));
        Jdk("jdk1.7.0_80", "1.7.0_80", Java7Banner, dotnet, simDll).Write(Path.Combine(output, "jdk-7u80-linux-x64.tar.gz"));
        Jdk("jdk8u252-b09", "1.8.0_252", Java8Banner, dotnet, simDll).Write(Path.Combine(output, "OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz"));

        var sql = System.IO.Directory.CreateDirectory(Path.Combine(output, "configdb-upgrade")).FullName;
        foreach (var step in Catalog.ConfigSteps.Concat(Catalog.CloudSteps)) System.IO.File.WriteAllText(Path.Combine(sql, step.FileName), SqlFile(step));
        // Initial schemas live apart, so configdb-upgrade/ holds upgrade scripts only and is a valid -Path as it is.
        var initial = System.IO.Directory.CreateDirectory(Path.Combine(output, "configdb-initial")).FullName;
        foreach (var r in Catalog.ComputeNodes) System.IO.File.WriteAllText(Path.Combine(initial, $"hotdb_config-initial-{r.Version}.sql"), Catalog.InitialSchema(r) + "\n");
        foreach (var r in Catalog.Managements) System.IO.File.WriteAllText(Path.Combine(initial, $"hotdb_cloud_config-initial-{r.Version}.sql"), Catalog.InitialSchema(r) + "\n");
        Console.WriteLine($"packages written to {output}");
        return 0;
    }

    static string SqlFile(UpgradeStep s) => $"-- {s.Schema}: upgrade from {s.From} to {s.To}. Apply to the {s.Schema} database after a mysqldump backup.\n{s.Sql}\n";

    static byte[] Jar(Release r, string? mainClass)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var w = new StreamWriter(zip.CreateEntry("META-INF/MANIFEST.MF").Open())) w.Write(JarManifest.Text(r, mainClass));
            if (mainClass is not null)
                using (var w = new BinaryWriter(zip.CreateEntry(mainClass.Replace('.', '/') + ".class").Open()))
                    w.Write(new byte[] { 0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, (byte)(r.NeedsJava8 ? 52 : 51) });
        }
        return ms.ToArray();
    }

    static Tree ComputeNode(Release r)
    {
        var t = new Tree()
            .File("hotdb-server/bin/hotdb_server", Scripts.HotdbServer(r), exec: true)
            .File("hotdb-server/bin/check_hotdb_process.sh", Scripts.CheckProcess, exec: true)
            .File("hotdb-server/conf/server.xml", ServerXmlText(r))
            .File("hotdb-server/conf/server.dtd", "<!ELEMENT hotdb:server (system)>\n<!ATTLIST hotdb:server xmlns:hotdb CDATA #FIXED \"http://cn.hotpu/\">\n<!ELEMENT system (property*)>\n<!ELEMENT property (#PCDATA)>\n<!ATTLIST property name CDATA #REQUIRED>\n")
            .File("hotdb-server/conf/log4j2.xml", Scripts.Log4j2(r))
            .File("hotdb-server/conf/hotdb_config.sql", $"-- hotdb_config schema of HotDB Server {r.Version}, applied to an empty hotdb_config database.\n{Catalog.InitialSchema(r)}\n")
            .File("hotdb-server/conf/keepalived.conf.master", Scripts.Keepalived(master: true))
            .File("hotdb-server/conf/keepalived.conf.backup", Scripts.Keepalived(master: false))
            .Bytes($"hotdb-server/lib/hotdb-server-{r.Version}.jar", Jar(r, "cn.hotpu.hotdb.HotdbStartup"))
            .Directory("hotdb-server/lib/classes")
            .Bytes("hotdb-server/utils/hotdb_license.jar", Jar(r, "cn.hotpu.hotdb.license.LicenseTool"))
            .Directory("hotdb-server/keys")
            .Directory("hotdb-server/logs");
        foreach (var step in Catalog.StepsUpTo(r)) t.File($"hotdb-server/conf/upgrade/{step.FileName}", SqlFile(step));
        if (r.NeedsJava8) t.File("hotdb-server/keys/license-trail", License.Create("TRAIL", 64, DateTime.Today, 90));
        return t;
    }

    static string ServerXmlText(Release r)
    {
        var sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE hotdb:server SYSTEM \"server.dtd\">\n")
            .Append($"<!-- HotDB Server {r.Version} configuration -->\n<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\">\n    <system>\n");
        foreach (var (name, value) in r.Properties)
            sb.Append($"        <property name=\"{name}\">{System.Security.SecurityElement.Escape(value)}</property>\n");
        return sb.Append("    </system>\n</hotdb:server>\n").ToString();
    }

    static Tree Management(Release r)
    {
        var t = new Tree()
            .File("hotdb-management/bin/hotdb_management", Scripts.Management(r), exec: true)
            .File("hotdb-management/conf/application.properties",
                "# HotDB Management\nserver.port=3324\nserver.backup.port=3322\n" +
                "spring.datasource.url=jdbc:mysql://127.0.0.1:3306/hotdb_cloud_config?useUnicode=true&characterEncoding=utf8\n" +
                "spring.datasource.username=hotdb_cloud\nspring.datasource.password=hotdb_cloud\n" +
                $"spring.datasource.driver-class-name=com.mysql.jdbc.Driver\nlogging.level.root={(r.Parsed >= System.Version.Parse("2.5.3") ? "INFO" : "WARN")}\n")
            .File("hotdb-management/conf/hotdb_cloud_config.sql", $"-- hotdb_cloud_config schema of HotDB Management {r.Version}.\n{Catalog.InitialSchema(r)}\n")
            .Bytes($"hotdb-management/lib/hotdb-management-{r.Version}.jar", Jar(r, "org.springframework.boot.loader.JarLauncher"))
            .Directory("hotdb-management/logs");
        foreach (var step in Catalog.StepsUpTo(r)) t.File($"hotdb-management/conf/upgrade/{step.FileName}", SqlFile(step));
        return t;
    }

    static Tree Backup(Release r) => new Tree()
        .File("hotdb-backup/bin/hotdb_backup", Scripts.Backup(r), exec: true)
        .Bytes($"hotdb-backup/lib/hotdb-backup-{r.Version}.jar", Jar(r, "cn.hotpu.hotdb.backup.BackupStartup"))
        .Directory("hotdb-backup/logs");

    static Tree Listener(Release r) => new Tree()
        .File("hotdb-listener/bin/hotdb_listener", Scripts.Listener(r), exec: true)
        .File("hotdb-listener/conf/config.properties", "# HotDB Listener\nhost=0.0.0.0\nport=3330\n")
        .Bytes($"hotdb-listener/lib/hotdb-listener-{r.Version}.jar", Jar(r, "cn.hotpu.hotdb.listener.ListenerStartup"))
        .Directory("hotdb-listener/logs");

    const string Java7Banner = "java version \"1.7.0_80\"\nJava(TM) SE Runtime Environment (build 1.7.0_80-b15)\nJava HotSpot(TM) 64-Bit Server VM (build 24.80-b11, mixed mode)";
    const string Java8Banner = "openjdk version \"1.8.0_252\"\nOpenJDK Runtime Environment (AdoptOpenJDK)(build 1.8.0_252-b09)\nOpenJDK 64-Bit Server VM (AdoptOpenJDK)(build 25.252-b09, mixed mode)";

    static Tree Jdk(string root, string version, string banner, string dotnet, string simDll) => new Tree()
        .File($"{root}/bin/java", $$"""
            #!/bin/sh
            # HotDB lab: simulated JDK {{version}}. "java -version" prints what the real JDK prints;
            # every other command line runs the HotDB simulation with the same arguments.
            case "$1" in
              -version|-fullversion|-showversion)
                cat >&2 <<'EOF'
            {{banner}}
            EOF
                exit 0 ;;
            esac
            HOTDB_SIM_JAVA_VERSION={{version}}
            DOTNET_CLI_TELEMETRY_OPTOUT=1
            DOTNET_NOLOGO=1
            DOTNET_gcServer=0
            DOTNET_GCHeapHardLimit=0x10000000
            DOTNET_EnableDiagnostics=0
            export HOTDB_SIM_JAVA_VERSION DOTNET_CLI_TELEMETRY_OPTOUT DOTNET_NOLOGO DOTNET_gcServer DOTNET_GCHeapHardLimit DOTNET_EnableDiagnostics
            # jre/bin/java links to the dotnet host, so the process is named "java" like a real JVM
            exec "$(dirname "$0")/../jre/bin/java" '{{simDll}}' "$@"
            """ + "\n", exec: true)
        .File($"{root}/bin/jps", """
            #!/bin/sh
            # HotDB lab: lists the simulated JVMs by main class, like jps.
            for p in /proc/[0-9]*; do
              cmd=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
              case "$cmd" in *HotDbSim.dll*) ;; *) continue ;; esac
              main=$(echo "$cmd" | tr ' ' '\n' | grep -E '^(cn|org)\.' | head -n 1)
              [ -n "$main" ] && echo "${p#/proc/} ${main##*.}"
            done
            exit 0
            """ + "\n", exec: true)
        .File($"{root}/release", $"JAVA_VERSION=\"{version}\"\n")
        .Link($"{root}/jre/bin/java", dotnet);
}
