using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>
    /// The reader's round trips, counted on a host that runs the real probe script with this machine's shell
    /// (every Run and every file read is one round trip over SSH).
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class ComputeNodeRoundTripTests : IDisposable
    {
        private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hotdb-roundtrip-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_root, true);

        /// <summary>Counts what a real host would cost: each Run and each ReadFile.</summary>
        private sealed class CountingHost : IRemoteHost
        {
            private readonly IRemoteHost _inner;
            public CountingHost(IRemoteHost inner, string path) { _inner = inner; PathEnv = path; }
            public string PathEnv { get; }
            public List<string> Runs { get; } = new List<string>();
            public List<string> Reads { get; } = new List<string>();
            public string ComputerName => _inner.ComputerName;
            public string UserName => _inner.UserName;

            public CommandResult Run(string commandLine, bool elevate = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
            {
                Runs.Add(commandLine);
                return _inner.Run("PATH=" + ShellQuote.Quote(PathEnv) + "; export PATH; " + commandLine, elevate, timeout, cancellationToken);
            }

            public void WriteFile(string remotePath, Stream content, int mode, Action<long>? bytesWritten = null, CancellationToken cancellationToken = default) =>
                throw new InvalidOperationException("The reader must not write.");

            public void ReadFile(string remotePath, Stream destination, Action<long>? bytesRead = null, CancellationToken cancellationToken = default)
            {
                Reads.Add(remotePath);
                _inner.ReadFile(remotePath, destination, bytesRead, cancellationToken);
            }
        }

        private string Install()
        {
            var home = Path.Combine(_root, "hotdb-server");
            foreach (var dir in new[] { "conf", "bin", "lib", "keys", "jdk/bin" }) Directory.CreateDirectory(Path.Combine(home, dir));
            File.WriteAllText(Path.Combine(home, "conf/server.xml"),
                "<?xml version=\"1.0\"?>\n<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\"><system><property name=\"serverPort\">3333</property>" +
                "<property name=\"haState\">backup</property></system></hotdb:server>\n");
            var java = Path.Combine(home, "jdk/bin/java");
            File.WriteAllText(java, "#!/bin/sh\necho 'java version \"1.8.0_252\"' >&2\n");
            File.SetUnixFileMode(java, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Combine(home, "bin/hotdb_server"), "#!/bin/sh\nJAVA_BIN=\"$HOTDB_HOME\"/jdk/bin/java\nJAVA_VERSION=\"1.8.0_252\"\n");
            using (var zip = ZipFile.Open(Path.Combine(home, "lib/hotdb-server-2.5.6.jar"), ZipArchiveMode.Create))
            using (var writer = new StreamWriter(zip.CreateEntry("META-INF/MANIFEST.MF").Open()))
                writer.Write("Manifest-Version: 1.0\nImplementation-Version: 2.5.6.1\nBuild-Date: 20210115\nBuild-Jdk: 1.8.0_252\n");
            File.WriteAllText(Path.Combine(home, "keys/license-a.txt"), "type: TRAIL\ndatanode limit: 64\n");
            File.WriteAllText(Path.Combine(home, "keys/license b.txt"), "HotDB license expire time: 2030-12-14, datanode limit to: 128\n");
            return home;
        }

        private static void AssertFullRead(ComputeNodeInfo node)
        {
            Assert.True(node.Installed);
            Assert.Equal("2.5.6.1", node.Version!.ToString());
            Assert.Equal(new DateTime(2021, 1, 15), node.BuildDate);
            Assert.Equal(3333, node.ServerPort);
            Assert.Equal("backup", node.HaState);
            Assert.Equal("1.8.0_252", node.JavaReportedVersion);
            Assert.Equal(128, node.LicenseNodeLimit);
            Assert.Equal(2, node.LicenseFiles.Count);
        }

        [Fact]
        public void Reads_a_whole_install_in_at_most_three_round_trips_two_of_them_commands()
        {
            var host = new CountingHost(new LocalHost(), Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
            var node = ComputeNodeReader.Read(host, Install());
            AssertFullRead(node);
            Assert.True(host.Runs.Count <= 2, $"{host.Runs.Count} commands: {string.Join(" | ", host.Runs)}");
            Assert.True(host.Runs.Count + host.Reads.Count <= 3, $"{host.Runs.Count} commands and reads of {string.Join(", ", host.Reads)}");
        }

        [Fact]
        public void Without_unzip_on_the_host_the_jar_is_the_only_file_read_and_the_count_stays_at_three()
        {
            // A PATH with everything the probe needs but unzip.
            var bin = Directory.CreateDirectory(Path.Combine(_root, "bin-without-unzip")).FullName;
            foreach (var tool in new[] { "sh", "cat", "tr", "ls", "grep", "stat", "awk", "base64", "head", "sort", "tail", "pwd" })
            {
                var found = Array.Find(new[] { "/usr/bin/" + tool, "/bin/" + tool }, File.Exists);
                if (found != null && !File.Exists(Path.Combine(bin, tool))) File.CreateSymbolicLink(Path.Combine(bin, tool), found);
            }
            var host = new CountingHost(new LocalHost(), bin);
            var node = ComputeNodeReader.Read(host, Install());
            AssertFullRead(node);
            Assert.Equal(new[] { Path.Combine(_root, "hotdb-server/lib/hotdb-server-2.5.6.jar") }, host.Reads);
            Assert.Equal(3, host.Runs.Count + host.Reads.Count);
        }

        [Fact]
        public void Finds_the_node_process_by_its_exact_hotdb_home_argument()
        {
            var home = Install();
            // 'sleep; :' keeps sh itself running (a lone command would be exec'd): its arguments stand for the JVM's.
            System.Diagnostics.Process Start(string hotdbHome)
            {
                var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false };
                foreach (var argument in new[] { "-c", "sleep 60; :", "java", "-DHOTDB_HOME=" + hotdbHome, "cn.hotpu.hotdb.HotdbStartup" }) start.ArgumentList.Add(argument);
                return System.Diagnostics.Process.Start(start)!;
            }
            using var other = Start(home + "-other");
            using var node = Start(home);
            try
            {
                var deadline = DateTime.UtcNow.AddSeconds(10);
                ComputeNodeInfo info;
                do info = ComputeNodeReader.Read(new LocalHost(), home);
                while (!info.Running && DateTime.UtcNow < deadline);
                Assert.True(info.Running);
                Assert.Equal(node.Id, info.ProcessId);
            }
            finally
            {
                node.Kill(entireProcessTree: true);
                other.Kill(entireProcessTree: true);
                node.WaitForExit();
            }
            Assert.False(ComputeNodeReader.Read(new LocalHost(), home).Running);
        }

        [Fact]
        public void A_probe_without_the_embedded_files_still_reads_them_over_sftp()
        {
            // An older probe answer (no embedded sections): the reader falls back to file reads, one per file.
            var fake = new RecordingHost { ComputerName = "old" };
            fake.When(line => line.Contains("hotdb-probe"), output: "@@owner\nhotdb:hotdb\n@@files\nconf/server.xml\n@@jar\n@@pid\n\n@@procs\n@@ndb\n@@keys\n@@listen\n@@end\n");
            fake.Files["/opt/hdb/conf/server.xml"] = Encoding.UTF8.GetBytes("<hotdb:server xmlns:hotdb=\"x\"><system><property name=\"serverPort\">4444</property></system></hotdb:server>");
            var node = ComputeNodeReader.Read(fake, "/opt/hdb");
            Assert.Equal(4444, node.ServerPort);
            Assert.Single(fake.Commands);
        }
    }
}
