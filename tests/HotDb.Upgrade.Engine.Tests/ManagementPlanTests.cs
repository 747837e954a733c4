using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using HotDb.Upgrade.Management;
using HotDb.Upgrade.Plans.Management;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class ManagementPlanTests : IDisposable
    {
        private const string Install = "/usr/local/hotdb/hotdb-management";
        private const string Secret = "s3cr3t-Pa55";
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "hotdb-mgmt-tests-" + Guid.NewGuid().ToString("N"));

        public ManagementPlanTests() => Directory.CreateDirectory(_folder);

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        /// <summary>A recorded host with a platform of <paramref name="version"/> running, HTTP 3324 answering with it.</summary>
        private static RecordingHost Platform(string version, bool running = true)
        {
            var host = new RecordingHost { ComputerName = "mgmt" };
            var probe = "@@owner\nhotdb:hotdb\n@@files\nconf/application.properties\nbin/hotdb_management\n@@jar\nhotdb-management-" + version + ".jar\n@@pid\n" +
                        (running ? "4242\n" : "") + "@@listen\n" + (running ? "0CFC\n0CFA\n" : "") + "@@end\n";
            host.When(l => l.Contains("hotdb-probe"), output: probe);
            host.When(l => l.Contains("/dev/tcp/127.0.0.1") && l.Contains("/api/version"), output: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + version + "\n");
            host.When(l => l.Contains("-version"), output: "openjdk version \"1.7.0_80\"\n");
            host.When(l => l.Contains("stem=") && l.Contains("/usr/local/hotdb/hotdb_management_"), output: "/usr/local/hotdb/hotdb_management_" + version.Replace(".", ""));
            host.Files[Install + "/conf/application.properties"] = Encoding.UTF8.GetBytes(
                "server.port=3324\nserver.backup.port=3322\nspring.datasource.url=jdbc:mysql://198.18.0.10:3306/hotdb_cloud_config?useUnicode=true\n" +
                "spring.datasource.username=hotdb_cloud\nspring.datasource.password=" + Secret + "\n");
            host.Files[Install + "/bin/hotdb_management"] = Encoding.UTF8.GetBytes("#!/bin/sh\nJAVA_BIN=/usr/local/hotdb/jdk/bin/java\nJAVA_VERSION=\"1.7.0_80\"\n");
            return host;
        }

        private string Package(string name)
        {
            var path = Path.Combine(_folder, name);
            File.WriteAllBytes(path, new byte[] { 0x1f, 0x8b });
            return path;
        }

        [Fact]
        public void TheReaderFindsVersionProcessHttpVersionAndConfigDbAndMasksThePassword()
        {
            var info = ManagementReader.Read(Platform("2.5.3"), Install);

            Assert.True(info.Installed);
            Assert.Equal("2.5.3", info.Version!.ToString());
            Assert.True(info.Running);
            Assert.Equal(4242, info.ProcessId);
            Assert.True(info.HttpPortOpen);
            Assert.Equal("2.5.3", info.HttpVersion!.ToString());
            Assert.Equal("198.18.0.10:3306", info.ConfigDbServer);
            Assert.Equal("hotdb_cloud_config", info.ConfigDbDatabase);
            Assert.Equal("hotdb_cloud", info.ConfigDbUser);
            Assert.NotEqual(Secret, info.Properties["spring.datasource.password"]);
            Assert.DoesNotContain(Secret, string.Join(";", info.Properties.Values));
        }

        [Fact]
        public void AStoppedPlatformHasNoHttpVersionAndIsNotAskedOverHttp()
        {
            var host = Platform("2.5.3", running: false);
            var info = ManagementReader.Read(host, Install);

            Assert.False(info.Running);
            Assert.Null(info.HttpVersion);
            Assert.DoesNotContain(host.Lines, l => l.Contains("/dev/tcp/"));
        }

        [Fact]
        public void From253To256ThePlatformUpgradesItsOwnConfigDbAndTheJdkIsSet()
        {
            var plan = ManagementPlan.Build(Platform("2.5.3"), new ManagementPlanOptions
            {
                PackagePath = Package("hotdb-management-2.5.6-ga-20201101.tar.gz"),
                JdkPackagePath = Package("OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz"),
            });

            var steps = plan.Steps.Select(s => s.Name).ToList();
            Assert.Equal(ManagementPlan.Mode, plan.Mode);
            Assert.Equal(new[] { "CheckPlatform", "CheckJdk", "CheckConfigDb", "UploadPackage", "StopPlatform", "BackupConfigDb", "ConfigDbRestorePoint",
                "KeepOldInstall", "ExtractPackage", "CarryOverProperties", "SetJdk", "StartPlatform" }, steps);
            Assert.DoesNotContain("UpgradeConfigDb", steps);
            Assert.Contains("/usr/local/hotdb/hotdb_management_253", plan.Steps.Single(s => s.Name == "KeepOldInstall").Describe());
            Assert.Equal("2.5.3", plan.FromVersion);
            Assert.Equal("2.5.6", plan.ToVersion);
            Assert.Equal("198.18.0.10:3306", plan.Parameters["configDb"]);
            Assert.Equal("hotdb_cloud", plan.Parameters["configDbUser"]);
            Assert.DoesNotContain(plan.Parameters.Values, v => v != null && v.Contains(Secret));
        }

        [Fact]
        public void ATargetBefore253RunsTheVendorsSqlAndNeedsNoJdk8()
        {
            var plan = ManagementPlan.Build(Platform("2.4.9"), new ManagementPlanOptions
            {
                PackagePath = Package("hotdb-management-2.5.1-ga-20190701.tar.gz"),
                ScriptsPath = _folder,
            });

            var steps = plan.Steps.Select(s => s.Name).ToList();
            Assert.Contains("UpgradeConfigDb", steps);
            Assert.DoesNotContain("ConfigDbRestorePoint", steps);
            Assert.DoesNotContain("SetJdk", steps);
            Assert.DoesNotContain("CheckJdk", steps);
            Assert.True(steps.IndexOf("BackupConfigDb") < steps.IndexOf("UpgradeConfigDb"));
            Assert.True(steps.IndexOf("StopPlatform") < steps.IndexOf("BackupConfigDb"));
        }

        [Fact]
        public void AGivenLoginAndConfigDbOverrideTheProperties()
        {
            var plan = ManagementPlan.Build(Platform("2.5.3"), new ManagementPlanOptions
            {
                PackagePath = Package("hotdb-management-2.5.6-ga-20201101.tar.gz"),
                JavaBin = "/usr/local/jdk8/jdk8u252-b09/bin/java",
                ConfigDbServers = new[] { "198.18.0.20:3307" },
                ConfigDbCredential = new NetworkCredential("upgrader", "x"),
            });

            Assert.Equal("198.18.0.20:3307", plan.Parameters["configDb"]);
            Assert.Equal("upgrader", plan.Parameters["configDbUser"]);
        }

        [Fact]
        public void StopAndStartUseTheVendorsScriptAsRoot()
        {
            // The stop: the first probe says running, later ones stopped.
            var calls = 0;
            var stopped = "@@owner\nhotdb:hotdb\n@@files\nbin/hotdb_management\n@@jar\nhotdb-management-2.5.3.jar\n@@pid\n@@listen\n@@end\n";
            var running = "@@owner\nhotdb:hotdb\n@@files\nbin/hotdb_management\n@@jar\nhotdb-management-2.5.3.jar\n@@pid\n4242\n@@listen\n0CFC\n@@end\n";
            var recorded = new RecordingHost { ComputerName = "mgmt" };
            recorded.When(l => l.Contains("hotdb-probe"), output: running);
            var script = new ProbeSequence(recorded, () => ++calls == 1 ? running : stopped);

            ManagementService.Stop(script, Install, TimeSpan.FromSeconds(10));

            Assert.Contains(recorded.Commands, c => c.Elevated && c.Line == "sh /usr/local/hotdb/hotdb-management/bin/hotdb_management stop 2>&1");
        }

        /// <summary>Answers the probe from a sequence; everything else goes to the recording host.</summary>
        private sealed class ProbeSequence : HotDb.Upgrade.Remote.IRemoteHost
        {
            private readonly RecordingHost _inner;
            private readonly Func<string> _probe;
            public ProbeSequence(RecordingHost inner, Func<string> probe) { _inner = inner; _probe = probe; }
            public string ComputerName => _inner.ComputerName;
            public string UserName => _inner.UserName;
            public HotDb.Upgrade.Remote.CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, System.Threading.CancellationToken cancellationToken = default)
            {
                var result = _inner.Run(commandLine, elevate, timeout, cancellationToken);
                return commandLine.Contains("hotdb-probe") ? new HotDb.Upgrade.Remote.CommandResult(ComputerName, commandLine, 0, _probe(), "", TimeSpan.Zero) : result;
            }
            public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, System.Threading.CancellationToken cancellationToken = default) =>
                _inner.WriteFile(remotePath, content, mode, bytesWritten, cancellationToken);
            public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, System.Threading.CancellationToken cancellationToken = default) =>
                _inner.ReadFile(remotePath, destination, bytesRead, cancellationToken);
        }
    }
}
