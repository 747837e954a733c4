using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>Package inspection with archives made by GNU tar, and the reader's parsing, on this machine's shell.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class ComputeNodeTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "hotdb-computenode-" + Guid.NewGuid().ToString("N"));

        public ComputeNodeTests() => Directory.CreateDirectory(_root);

        public void Dispose() => Directory.Delete(_root, recursive: true);

        private string Tarball(string name, params (string Path, string Text)[] files)
        {
            var source = Path.Combine(_root, "src-" + Guid.NewGuid().ToString("N"));
            foreach (var (path, text) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, path))!);
                File.WriteAllText(Path.Combine(source, path), text);
            }
            var tarball = Path.Combine(_root, name);
            var tops = files.Select(f => f.Path.Split('/')[0]).Distinct();
            Run("tar", new[] { "-czf", tarball, "-C", source }.Concat(tops).ToArray());
            return tarball;
        }

        private static void Run(string program, params string[] arguments)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardError = true };
            foreach (var a in arguments) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        }

        [Fact]
        public void Reads_every_entry_of_a_gnu_tarball_including_long_names_and_counts_the_space_it_takes()
        {
            var longName = "hotdb-server/lib/" + new string('x', 150) + ".jar";
            var tarball = Tarball("hotdb-server-2.5.4-ga-20190812.tar.gz",
                ("hotdb-server/bin/hotdb_server", "#!/bin/sh\n"), ("hotdb-server/conf/server.xml", new string('a', 5000)), (longName, "jar"));
            var contents = PackageContents.Read(tarball);
            Assert.Equal(new[] { "hotdb-server" }, contents.TopDirectories);
            Assert.True(contents.Contains("hotdb-server/bin/hotdb_server"));
            Assert.True(contents.Contains(longName));
            Assert.True(contents.Contains("hotdb-server/conf/"));
            Assert.Equal(10 + 5000 + 3, contents.UnpackedBytes);
            Assert.True(contents.UnpackedBlocks >= 4096 * 4, $"blocks {contents.UnpackedBlocks}");
        }

        [Theory]
        [InlineData(0.5)]
        [InlineData(0.9)]
        public void Refuses_a_truncated_tarball(double keep)
        {
            var tarball = Tarball("hotdb-server-2.5.4-ga-20190812.tar.gz", ("hotdb-server/bin/hotdb_server", "#!/bin/sh\n"),
                ("hotdb-server/lib/big.jar", string.Concat(Enumerable.Range(0, 20000).Select(i => i.ToString("x")))));
            var bytes = File.ReadAllBytes(tarball);
            File.WriteAllBytes(tarball, bytes.Take((int)(bytes.Length * keep)).ToArray());
            var error = Assert.Throws<InvalidDataException>(() => PackageContents.Read(tarball));
            Assert.Contains("truncated", error.Message + " " + error.InnerException?.Message, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public void Refuses_a_file_that_is_not_gzip()
        {
            var path = Path.Combine(_root, "hotdb-server-2.5.4-ga-20190812.tar.gz");
            File.WriteAllText(path, "<html>proxy error page</html>");
            Assert.Throws<InvalidDataException>(() => PackageContents.Read(path));
        }

        [Fact]
        public void Reports_every_top_directory_so_a_repacked_package_is_refused()
        {
            var tarball = Tarball("hotdb-server-2.5.4-ga-20190812.tar.gz", ("hotdb-server/bin/hotdb_server", "x"), ("extra/readme", "y"));
            Assert.Equal(new[] { "extra", "hotdb-server" }, PackageContents.Read(tarball).TopDirectories.OrderBy(t => t));
        }

        [Fact]
        public void Backup_name_is_the_manuals_and_never_an_existing_path()
        {
            var host = new LocalHost();
            Assert.Equal(_root + "/hotdb_server_253", ComputeNodeUpgrade.ChooseBackupPath(host, _root, HotDbVersion.Parse("2.5.3")));
            Assert.Equal(_root + "/hotdb_server_2531", ComputeNodeUpgrade.ChooseBackupPath(host, _root, HotDbVersion.Parse("2.5.3.1")));
            Directory.CreateDirectory(Path.Combine(_root, "hotdb_server_253"));
            File.WriteAllText(Path.Combine(_root, "hotdb_server_253_2"), "a file counts too");
            Assert.Equal(_root + "/hotdb_server_253_3", ComputeNodeUpgrade.ChooseBackupPath(host, _root, HotDbVersion.Parse("2.5.3")));
        }

        [Fact]
        public void Server_xml_properties_are_read_without_fetching_the_dtd_and_with_a_bom()
        {
            var text = "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE hotdb:server SYSTEM \"http://192.0.2.1/server.dtd\">\n" +
                       "<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\"><system>\n<property name=\"serverPort\">3323</property><!-- c -->\n" +
                       "<property name=\"url\">jdbc:mysql://10.0.0.1:3306/hotdb_config?a=1&amp;b=2</property>\n<property name=\"haState\">backup</property></system></hotdb:server>";
            var properties = ComputeNodeReader.ParseServerXml(text.TrimStart('\uFEFF'));
            Assert.Equal("3323", properties["serverPort"]);
            Assert.Equal("jdbc:mysql://10.0.0.1:3306/hotdb_config?a=1&b=2", properties["url"]);
            Assert.Equal("backup", properties["haState"]);
        }

        [Theory]
        [InlineData("JAVA_BIN=\"$HOTDB_HOME\"/../jdk/bin/java", "/usr/local/hotdb/hotdb-server/../jdk/bin/java")]
        [InlineData("JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java", "/usr/local/jdk8/jdk8u252-b09/bin/java")]
        [InlineData("JAVA_BIN=$shellPath/../../jdk/bin/java", "/usr/local/hotdb/hotdb-server/bin/../../jdk/bin/java")]
        [InlineData("JAVA_BIN=$(command -v java)", null)]
        [InlineData("JAVA_BIN=\"$JAVA_HOME\"/bin/java", null)]
        public void Java_bin_is_resolved_only_from_the_install_directory(string line, string? expected)
        {
            var script = "#!/bin/sh\n# JAVA_BIN=/commented/out\n" + line + "\nJAVA_VERSION=\"1.8.0_252\"\n";
            var setting = ComputeNodeReader.StartScriptValue(script, "JAVA_BIN")!;
            Assert.Equal(expected, ComputeNodeReader.ResolveJavaBin(setting, "/usr/local/hotdb/hotdb-server"));
            Assert.Equal("1.8.0_252", ComputeNodeReader.StartScriptValue(script, "JAVA_VERSION"));
        }

        [Theory]
        [InlineData("type: TRAIL\ndatanode limit: 64\nexpire time: 2021-01-30", 64)]
        [InlineData("HotDB license expire time: 2020-12-14, datanode limit to: 128", 128)]
        [InlineData("USB key", null)]
        public void License_node_limit_is_read_from_the_fields_the_tools_print(string text, int? expected) =>
            Assert.Equal(expected, ComputeNodeReader.LicenseNodeLimit(text));

        [Fact]
        public void Probe_output_is_split_into_sections()
        {
            var sections = ComputeNodeReader.Sections("@@owner\nhotdb:hotdb\n@@jar\nhotdb-server-2.5.4.jar\n@@pid\n\n@@listen\n0CFB\n0CFD\n@@end\n");
            Assert.Equal("hotdb:hotdb", sections["owner"].Single());
            Assert.Empty(sections["pid"]);
            Assert.Equal(new[] { "0CFB", "0CFD" }, sections["listen"]);
            Assert.True(sections.ContainsKey("end"));
        }
    }
}
