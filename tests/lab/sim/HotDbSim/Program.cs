using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace HotDbSim;

/// <summary>
/// Entry point. Launched by the lab's fake JDK with a JVM command line (the component is found from the jar
/// manifests on the classpath, as the JVM would load it), or directly with a lab verb:
///   HotDbSim package --out DIR      build every vendor tarball (see PackageBuilder)
///   HotDbSim license --type T --nodes N [--days D] --out FILE
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "package") return PackageBuilder.Run(args[1..]);
        if (args.Length > 0 && args[0] == "license") return WriteLicense(args[1..]);
        return Launch(JavaCommandLine.Parse(args));
    }

    static int WriteLicense(string[] args)
    {
        string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        File.WriteAllText(Arg("--out", "license"), License.Create(Arg("--type", "PERPETUAL"), int.Parse(Arg("--nodes", "256")), DateTime.Today, int.Parse(Arg("--days", "90"))));
        return 0;
    }

    static int Launch(JavaCommandLine java)
    {
        var javaVersion = Environment.GetEnvironmentVariable("HOTDB_SIM_JAVA_VERSION") ?? "1.8.0_252";
        var mainClass = java.MainClass;
        JarManifest? manifest = null;
        if (java.Jar is not null)
        {
            try { manifest = JarManifest.Read(java.Jar); mainClass = manifest.MainClass; }
            catch (Exception) { Console.Error.WriteLine($"Error: Invalid or corrupt jarfile {java.Jar}"); return 1; }
        }
        else
        {
            foreach (var entry in java.ClassPath.SelectMany(e => e.EndsWith("/*") ? Directory.Exists(e[..^2]) ? Directory.GetFiles(e[..^2], "*.jar") : Array.Empty<string>() : new[] { e })
                         .Where(e => e.EndsWith(".jar") && File.Exists(e)))
            {
                try
                {
                    var m = JarManifest.Read(entry);
                    if (m.MainClass == mainClass) { manifest = m; break; }
                }
                catch (Exception) { /* a corrupt jar simply does not provide the class */ }
            }
        }
        if (manifest is null || mainClass is null)
        {
            Console.Error.WriteLine($"Error: Could not find or load main class {mainClass}");
            return 1;
        }
        if (manifest.BuildJdk.StartsWith("1.8") && javaVersion.StartsWith("1.7"))
        {
            Console.Error.WriteLine($"Exception in thread \"main\" java.lang.UnsupportedClassVersionError: {mainClass.Replace('.', '/')} : Unsupported major.minor version 52.0");
            foreach (var frame in new[] { "java.lang.ClassLoader.defineClass1(Native Method)", "java.lang.ClassLoader.defineClass(ClassLoader.java:800)",
                         "java.security.SecureClassLoader.defineClass(SecureClassLoader.java:142)", "java.net.URLClassLoader.defineClass(URLClassLoader.java:449)",
                         "sun.launcher.LauncherHelper.checkAndLoadMain(LauncherHelper.java:482)" })
                Console.Error.WriteLine($"\tat {frame}");
            return 1;
        }
        var release = Catalog.Find(manifest.Title, manifest.Version);
        if (release is null) { Console.Error.WriteLine($"Error: unknown build {manifest.Title} {manifest.Version}"); return 1; }
        var home = java.SystemProperties.GetValueOrDefault("HOTDB_HOME") ?? Directory.GetCurrentDirectory();
        try
        {
            return release.Component switch
            {
                "hotdb-server" => new ComputeNode(home, release).Run(),
                "hotdb-management" => new Management(home, release).Run(),
                "hotdb-backup" => new BackupAgent(home, release, java.Arguments).Run(),
                "hotdb-listener" => new Listener(home, release).Run(),
                _ => 1,
            };
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"Exception in thread \"main\" {ex.GetType().FullName}: {ex.Message}");
            return 1;
        }
    }
}
