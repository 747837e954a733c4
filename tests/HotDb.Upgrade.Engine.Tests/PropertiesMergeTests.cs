using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class PropertiesMergeTests
    {
        private const string Pristine =
            "# HotDB Management\n" +
            "server.port=3324\n" +
            "server.backup.port=3322\n" +
            "spring.datasource.url=jdbc:mysql://127.0.0.1:3306/hotdb_cloud_config?useUnicode=true\n" +
            "spring.datasource.username=hotdb_cloud\n" +
            "spring.datasource.password=hotdb_cloud\n" +
            "logging.level.root=WARN\n";

        private const string Fresh =
            "# HotDB Management 2.5.6\n" +
            "# HTTP port of the web interface\n" +
            "server.port = 3324\n" +
            "server.backup.port: 3322\n" +
            "spring.datasource.url=jdbc:mysql://127.0.0.1:3306/hotdb_cloud_config?useUnicode=true\n" +
            "spring.datasource.username=hotdb_cloud\n" +
            "spring.datasource.password=hotdb_cloud\n" +
            "logging.level.root=INFO\n" +
            "server.tomcat.max-threads=200\n";

        private static ConfigMergeResult Merge(string oldText, string newText, string? pristine) =>
            ConfigMerger.Merge(ConfigFileKind.Properties, "conf/application.properties", oldText, newText, pristine);

        private static ConfigChange Change(ConfigMergeResult result, string key) => Assert.Single(result.Changes, c => c.Key == key);

        [Fact]
        public void Three_way_carries_user_changes_keeps_new_defaults_and_layout()
        {
            var old = Pristine.Replace("server.port=3324", "server.port=8080")
                .Replace("127.0.0.1:3306", "198.18.0.10:3306") + "my.custom.flag=on\n";

            var result = Merge(old, Fresh, Pristine);

            Assert.Equal(ConfigMergeMode.ThreeWay, result.Mode);
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "server.port").Action);
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "spring.datasource.url").Action);
            Assert.Equal(ConfigChangeAction.KeptNewDefault, Change(result, "logging.level.root").Action);
            Assert.Equal(ConfigChangeAction.KeptNewDefault, Change(result, "server.tomcat.max-threads").Action);
            Assert.Equal(ConfigChangeAction.Added, Change(result, "my.custom.flag").Action);
            var expected = Fresh.Replace("server.port = 3324", "server.port = 8080").Replace("127.0.0.1:3306", "198.18.0.10:3306")
                           + PropertiesMerge.AddedMarker + "\nmy.custom.flag=on\n";
            Assert.Equal(expected, result.MergedText);
        }

        [Fact]
        public void Unchanged_old_file_leaves_the_new_file_byte_for_byte()
        {
            var result = Merge(Pristine, Fresh, Pristine);
            Assert.False(result.IsModified);
            Assert.Equal(Fresh, result.MergedText);
            Assert.DoesNotContain(result.Changes, c => c.Action == ConfigChangeAction.Carried || c.Action == ConfigChangeAction.Added);
        }

        [Fact]
        public void Two_way_carries_every_differing_value()
        {
            var result = Merge(Pristine, Fresh, null);
            Assert.Equal(ConfigMergeMode.TwoWay, result.Mode);
            // Without the pristine file the old WARN counts as a user choice.
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "logging.level.root").Action);
            Assert.Contains("logging.level.root=WARN\n", result.MergedText);
        }

        [Fact]
        public void Passwords_and_urls_with_passwords_are_masked_in_changes_but_written_in_the_file()
        {
            var old = Pristine.Replace("spring.datasource.password=hotdb_cloud", "spring.datasource.password=S3cret!")
                .Replace("?useUnicode=true", "?useUnicode=true&password=Url5ecret") + "api.token=abc123\n";

            var result = Merge(old, Fresh, Pristine);

            var password = Change(result, "spring.datasource.password");
            Assert.True(password.IsSecret);
            Assert.Equal((SecretSettings.Mask, SecretSettings.Mask), (password.OldValue, password.MergedValue));
            var url = Change(result, "spring.datasource.url");
            Assert.True(url.IsSecret);
            Assert.Equal(SecretSettings.Mask, url.OldValue);
            Assert.True(Change(result, "api.token").IsSecret);
            var shown = string.Join("\n", result.Changes.Select(c => $"{c.OldValue} {c.NewValue} {c.PristineValue} {c.MergedValue} {c} {c.Reason}"));
            Assert.DoesNotContain("S3cret!", shown);
            Assert.DoesNotContain("Url5ecret", shown);
            Assert.DoesNotContain("abc123", shown);
            Assert.Contains("spring.datasource.password=S3cret!\n", result.MergedText);
        }

        [Fact]
        public void Continued_and_escaped_values_are_compared_as_java_reads_them_and_copied_as_written()
        {
            var pristine = "greeting=hello world\npath=C:\\\\temp\nlist=a,b\n";
            // The same values, written differently: no change.
            var sameAsPristine = "greeting=hello \\\n    world\npath=C:\\\\temp\nlist=a,\\\n  b\n";
            Assert.False(Merge(sameAsPristine, pristine, pristine).IsModified);

            var old = "greeting=hello \\\n    there\npath=D:\\\\data\\u00e9\nlist=a,b\n";
            var fresh = "greeting = hello world\r\npath=C:\\\\temp\r\nlist=a,b\r\n";
            var result = Merge(old, fresh, pristine);

            Assert.Equal("hello there", Change(result, "greeting").MergedValue);
            Assert.Equal("D:\\data\u00e9", Change(result, "path").MergedValue);
            // The continuation is kept, with the new file's CRLF line breaks.
            Assert.Equal("greeting = hello \\\r\n    there\r\npath=D:\\\\data\\u00e9\r\nlist=a,b\r\n", result.MergedText);
            var reread = PropertiesText.Parse(result.MergedText);
            Assert.Equal("hello there", reread["greeting"]);
        }

        [Theory]
        [InlineData("key=value", "key", "value")]
        [InlineData("key:value", "key", "value")]
        [InlineData("key value", "key", "value")]
        [InlineData("  key  =  value  ", "key", "value  ")]
        [InlineData("key\\=with\\:sep=v", "key=with:sep", "v")]
        [InlineData("key\\ space=v", "key space", "v")]
        [InlineData("key==v", "key", "=v")]
        [InlineData("key", "key", "")]
        [InlineData("tab\\tand\\nnew=x\\ty", "tab\tand\nnew", "x\ty")]
        [InlineData("k=\\u0041\\u00DF", "k", "A\u00DF")]
        [InlineData("k=a\\#b", "k", "a#b")]
        public void Reads_java_properties_syntax(string line, string key, string value)
        {
            var parsed = PropertiesText.Parse(line + "\n");
            Assert.Equal(value, Assert.Contains(key, parsed));
        }

        [Fact]
        public void Comments_never_continue_and_continuation_lines_starting_with_hash_are_values()
        {
            var parsed = PropertiesText.Parse("# comment \\\nreal=1\n! other\nlong=a\\\n  #not-a-comment\n");
            Assert.Equal(new[] { "long", "real" }, parsed.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal("a#not-a-comment", parsed["long"]);
        }

        [Fact]
        public void The_last_setting_of_a_key_counts_and_is_the_one_edited()
        {
            var fresh = "port=1\nother=x\nport=2\n";
            var result = Merge("port=9\nother=x\n", fresh, "port=2\nother=x\n");
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "port").Action);
            Assert.Equal("port=1\nother=x\nport=9\n", result.MergedText);
        }

        [Fact]
        public void A_value_carried_onto_a_key_without_separator_stays_a_value()
        {
            var result = Merge("a==x\nb=y\n", "a\nb \n", "a\nb\n");
            Assert.Equal("a=\\=x\nb y\n", result.MergedText);
            var reread = PropertiesText.Parse(result.MergedText);
            Assert.Equal(("=x", "y"), (reread["a"], reread["b"]));
        }

        [Fact]
        public void A_key_the_user_changed_and_the_new_version_dropped_is_reported_not_re_added()
        {
            var result = Merge("gone=mine\nkept=1\n", "kept=1\n", "gone=vendor\nkept=1\n");
            Assert.Equal(ConfigChangeAction.DroppedByNewVersion, Change(result, "gone").Action);
            Assert.False(result.IsModified);
        }

        [Fact]
        public void Added_lines_go_after_a_final_line_without_break()
        {
            var result = Merge("a=1\nb=2\n", "a=1", "a=1\n");
            Assert.Equal("a=1\n" + PropertiesMerge.AddedMarker + "\nb=2\n", result.MergedText);
        }

        [Fact]
        public void Malformed_unicode_escape_is_refused_with_the_line()
        {
            var e = Assert.Throws<ConfigFormatException>(() => Merge("a=1\nb=\\u12x4\n", "a=1\n", null));
            Assert.Contains("line 2", e.Message);
            Assert.Contains("(old install)", e.File);
        }

        [Theory]
        [InlineData("<?xml version=\"1.0\"?><server/>")]
        [InlineData("#!/bin/sh\nJAVA_BIN=/usr/bin/java\n")]
        public void Other_kinds_of_file_are_refused(string other)
        {
            Assert.Throws<ConfigFormatException>(() => Merge(other, Fresh, null));
        }

        [Fact]
        public void Kind_is_known_from_the_file_name()
        {
            Assert.Equal(ConfigFileKind.Properties, ConfigMerger.KindOf("/usr/local/hotdb/hotdb-management/conf/application.properties"));
            Assert.Equal(ConfigFileKind.Properties, ConfigMerger.KindOf("conf/config.properties"));
        }

        [Fact]
        public void Set_writes_escaped_values_and_reports_them()
        {
            var result = PropertiesText.Set("a.properties", "# c\nserver.port = 3324\nname=x\n",
                new[] { new KeyValuePair<string, string>("server.port", "8080"), new KeyValuePair<string, string>("name", " lead") });
            Assert.Equal("# c\nserver.port = 8080\nname=\\ lead\n", result.MergedText);
            Assert.Equal(2, result.Changes.Count);
            Assert.Throws<ConfigFormatException>(() => PropertiesText.Set("a.properties", "a=1\n", new[] { new KeyValuePair<string, string>("b", "2") }));
        }

        [Fact]
        public void Byte_merge_keeps_the_new_files_bom()
        {
            var bom = new byte[] { 0xEF, 0xBB, 0xBF };
            var fresh = bom.Concat(System.Text.Encoding.UTF8.GetBytes("a=1\n")).ToArray();
            ConfigMerger.Merge(ConfigFileKind.Properties, "x.properties", System.Text.Encoding.UTF8.GetBytes("a=2\n"), fresh, null, null, out var merged);
            Assert.Equal(bom.Concat(System.Text.Encoding.UTF8.GetBytes("a=2\n")), merged);
        }
    }

    /// <summary>Properties files of two install directories on this machine.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public sealed class PropertiesCarryOverTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "hotdb-props-" + Guid.NewGuid().ToString("N"));

        public PropertiesCarryOverTests()
        {
            foreach (var name in new[] { "old", "new" })
            {
                Directory.CreateDirectory(Path.Combine(_root, name, "conf"));
                File.WriteAllText(Path.Combine(_root, name, "conf", "config.properties"), "host=0.0.0.0\nport=3330\n");
            }
            File.WriteAllText(Path.Combine(_root, "old", "conf", "config.properties"), "host=0.0.0.0\nport=4440\n");
            File.WriteAllText(Path.Combine(_root, "new", "conf", "server.xml"), "<server/>");
        }

        public void Dispose() => Directory.Delete(_root, recursive: true);

        [Fact]
        public void Directories_plan_every_conf_properties_file_only_when_asked()
        {
            var request = new ConfigCarryOverRequest { OldPath = Path.Combine(_root, "old"), NewPath = Path.Combine(_root, "new"), Files = new[] { ConfigFileKind.Properties } };
            var plan = Assert.Single(ConfigCarryOver.Plan(new LocalHost(), request));
            Assert.Equal(Path.Combine(_root, "new", "conf", "config.properties"), plan.NewFile);
            Assert.Null(plan.Error);
            Assert.True(plan.NeedsWrite);
            Assert.Equal(ConfigChangeAction.Carried, Assert.Single(plan.Result!.Changes).Action);
        }

        [Fact]
        public void Named_properties_files_are_planned_and_paths_outside_the_install_refused()
        {
            var request = new ConfigCarryOverRequest
            {
                OldPath = Path.Combine(_root, "old"), NewPath = Path.Combine(_root, "new"),
                Files = new[] { ConfigFileKind.Properties }, PropertiesFiles = new[] { "conf/missing.properties" },
            };
            var plan = Assert.Single(ConfigCarryOver.Plan(new LocalHost(), request));
            Assert.NotNull(plan.Error);
            request.PropertiesFiles = new[] { "../x.properties" };
            Assert.Throws<ConfigPathException>(() => ConfigCarryOver.Plan(new LocalHost(), request));
        }
    }
}
