using System;
using System.IO;
using System.Linq;
using HotDb.Upgrade.Completion;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class CompletionCandidatesTests : IDisposable
    {
        private const string Ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIF6SfZnsrgFpQjLrHf7YDA9VPXF2qLatWpEVv1GzIdj9";
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "hotdb-completion-" + Guid.NewGuid().ToString("N"));

        private static readonly SessionSummary[] Sessions =
        {
            new SessionSummary(1, "hotdb-01", "root@hotdb-01:22"),
            new SessionSummary(2, "hotdb-02", "root@hotdb-02:22"),
            new SessionSummary(12, "db-12", "hotdb@db-12:2222 (disconnected)"),
            new SessionSummary(13, "hotdb-01", "hotdb@hotdb-01:22"),
        };

        public CompletionCandidatesTests() => Directory.CreateDirectory(_folder);

        public void Dispose() => Directory.Delete(_folder, true);

        private string Touch(string name)
        {
            var path = Path.Combine(_folder, name);
            File.WriteAllText(path, "");
            return path;
        }

        [Fact]
        public void Session_ids_match_by_id_prefix_or_host_name_with_the_host_as_tooltip()
        {
            Assert.Equal(new[] { "1", "2", "12", "13" }, CompletionCandidates.SessionIds(Sessions, "").Select(c => c.Text));
            Assert.Equal(new[] { "1", "12", "13" }, CompletionCandidates.SessionIds(Sessions, "1").Select(c => c.Text));
            var byHost = CompletionCandidates.SessionIds(Sessions, "'HOTDB-01").ToList();
            Assert.Equal(new[] { "1", "13" }, byHost.Select(c => c.Text));
            Assert.Equal("root@hotdb-01:22", byHost[0].ToolTip);
            Assert.Equal("13 hotdb@hotdb-01:22", byHost[1].ListItemText);
            Assert.Empty(CompletionCandidates.SessionIds(Sessions, "9"));
        }

        [Fact]
        public void Host_names_come_from_sessions_then_plain_known_hosts_entries()
        {
            var knownHosts = Touch("known_hosts");
            File.WriteAllText(knownHosts, string.Join("\n",
                "# comment",
                $"ms1,198.18.0.31 ssh-ed25519 {Ed25519}",
                $"[sn1]:2222 ssh-ed25519 {Ed25519}",
                $"hotdb-01 ssh-ed25519 {Ed25519}",
                $"*.example.com,!bad.example.com,host? ssh-ed25519 {Ed25519}",
                $"|1|7OqFpld1R0HMcrGYbGqT0Qn9tls=|e9vgRQvZh3mlMyJOSVCnRQoolYU= ssh-ed25519 {Ed25519}",
                $"@revoked revoked-host ssh-ed25519 {Ed25519}",
                ""));

            var all = CompletionCandidates.HostNames(Sessions, knownHosts, "").ToList();
            Assert.Equal(new[] { "db-12", "hotdb-01", "hotdb-02", "198.18.0.31", "ms1", "sn1" }, all.Select(c => c.Text));
            Assert.Equal("Open session 1 (root@hotdb-01:22), 13 (hotdb@hotdb-01:22)", all[1].ToolTip);
            Assert.Equal($"Known host ({knownHosts}, port 2222)", all.Single(c => c.Text == "sn1").ToolTip);
            Assert.Equal(new[] { "ms1" }, CompletionCandidates.HostNames(Sessions, knownHosts, "M").Select(c => c.Text));
        }

        [Fact]
        public void Host_names_without_a_known_hosts_file_are_the_sessions_hosts()
        {
            var names = CompletionCandidates.HostNames(Sessions, Path.Combine(_folder, "missing"), "hot").Select(c => c.Text);
            Assert.Equal(new[] { "hotdb-01", "hotdb-02" }, names);
        }

        [Fact]
        public void Versions_come_from_package_and_script_names_in_version_order()
        {
            Touch("hotdb-server-2.5.10-ga-20230101.tar.gz");
            Touch("hotdb-server-2.5.6-ga-20200101.tar.gz");
            Touch("hotdb-management-2.5.6-ga-20200102.tar.gz");
            Touch("OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz");
            Touch("hotdb-server-latest.tar.gz");
            Touch("notes.txt");
            var scripts = Path.Combine(_folder, "sql");
            Directory.CreateDirectory(scripts);
            File.WriteAllText(Path.Combine(scripts, "hotdb_config_2.5.4.sql"), "");
            File.WriteAllText(Path.Combine(scripts, "hotdb_config_2.5.3_20200101.sql"), ""); // a backup's name, not a script

            var versions = CompletionCandidates.Versions(new[] { _folder, scripts }, "").ToList();
            Assert.Equal(new[] { "2.5.4", "2.5.6", "2.5.10" }, versions.Select(c => c.Text));
            Assert.Equal("hotdb-management-2.5.6-ga-20200102.tar.gz" + Environment.NewLine + "hotdb-server-2.5.6-ga-20200101.tar.gz", versions[1].ToolTip);
            Assert.Equal(new[] { "2.5.10" }, CompletionCandidates.Versions(new[] { _folder }, "2.5.1").Select(c => c.Text));
        }

        [Fact]
        public void Versions_read_a_files_folder_and_ignore_missing_folders()
        {
            Touch("hotdb-server-2.5.6-ga-20200101.tar.gz");
            var package = Path.Combine(_folder, "hotdb-server-2.5.6-ga-20200101.tar.gz");
            Assert.Equal(new[] { "2.5.6" }, CompletionCandidates.Versions(new[] { package }, "2").Select(c => c.Text));
            Assert.Empty(CompletionCandidates.Versions(new[] { Path.Combine(_folder, "no", "such", "folder"), "" }, ""));
        }
    }
}
