using System;
using System.IO;
using System.Linq;
using System.Text;
using HotDb.Upgrade.Configuration;
using HotDb.Upgrade.Versioning;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class ServerXmlMergeTests
    {
        internal static string Fixture(string version, string name) =>
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "config", version, name));

        internal static string SetProperty(string xml, string name, string value)
        {
            var open = $"<property name=\"{name}\">";
            var start = xml.IndexOf(open, StringComparison.Ordinal);
            Assert.True(start >= 0, $"fixture has no {name}");
            start += open.Length;
            var end = xml.IndexOf("</property>", start, StringComparison.Ordinal);
            return xml.Substring(0, start) + value + xml.Substring(end);
        }

        private static ConfigMergeResult Merge(string oldText, string newText, string? pristine, ConfigMergeOptions? options = null) =>
            ConfigMerger.Merge(ConfigFileKind.ServerXml, "conf/server.xml", oldText, newText, pristine, options);

        private static ConfigChange Change(ConfigMergeResult result, string key) => Assert.Single(result.Changes, c => c.Key == key);

        [Fact]
        public void Three_way_carries_only_user_changes_and_keeps_new_defaults()
        {
            var pristine = Fixture("2.5.3", "server.xml");
            var old = SetProperty(SetProperty(pristine, "url", "jdbc:mysql://198.18.0.10:3306/hotdb_config"), "processors", "32");
            var fresh = Fixture("2.5.4", "server.xml");

            var result = Merge(old, fresh, pristine);

            Assert.Equal(ConfigMergeMode.ThreeWay, result.Mode);
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "url").Action);
            var processors = Change(result, "processors");
            Assert.Equal(("16", "32", "32"), (processors.NewValue, processors.OldValue, processors.MergedValue));
            var timeout = Change(result, "heartbeatTimeoutMs");
            Assert.Equal(ConfigChangeAction.KeptNewDefault, timeout.Action);
            Assert.Equal(("500", "1000"), (timeout.OldValue, timeout.MergedValue));
            Assert.Equal(ConfigChangeAction.KeptNewDefault, Change(result, "prefetchBatchInit").Action);
            // autoIncrement true (2.5.3 default) reads as mode 1 in 2.5.4: no change at all.
            Assert.DoesNotContain(result.Changes, c => c.Key == "autoIncrement");
            var expected = SetProperty(SetProperty(fresh, "url", "jdbc:mysql://198.18.0.10:3306/hotdb_config"), "processors", "32");
            Assert.Equal(expected, result.MergedText);
        }

        [Fact]
        public void Two_way_carries_every_differing_value_and_says_so()
        {
            var old = SetProperty(Fixture("2.5.3", "server.xml"), "processors", "32");
            var fresh = Fixture("2.5.4", "server.xml");

            var result = Merge(old, fresh, null);

            Assert.Equal(ConfigMergeMode.TwoWay, result.Mode);
            Assert.All(result.Changes, c => Assert.Equal(ConfigMergeMode.TwoWay, c.Mode));
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "processors").Action);
            // Without the pristine file the old default 500 cannot be told from a user choice: it is carried.
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "heartbeatTimeoutMs").Action);
            Assert.Equal(ConfigChangeAction.KeptNewDefault, Change(result, "maxReconnectConfigDBTimes").Action);
            Assert.Contains("<property name=\"heartbeatTimeoutMs\">500</property>", result.MergedText);
        }

        [Fact]
        public void User_change_wins_over_a_new_default_and_the_reason_names_both()
        {
            var pristine = Fixture("2.5.3", "server.xml");
            var old = SetProperty(pristine, "heartbeatTimeoutMs", "800");
            var result = Merge(old, Fixture("2.5.4", "server.xml"), pristine);
            var change = Change(result, "heartbeatTimeoutMs");
            Assert.Equal(ConfigChangeAction.Carried, change.Action);
            Assert.Equal("800", change.MergedValue);
            Assert.Contains("from 500 to 1000", change.Reason);
        }

        [Fact]
        public void Property_unknown_to_the_new_version_is_reported_not_re_added()
        {
            var pristine = Fixture("2.4.9", "server.xml");
            var old = SetProperty(pristine, "legacyRouteCache", "512");
            foreach (var baseline in new[] { pristine, null })
            {
                var result = Merge(old, Fixture("2.5.3", "server.xml"), baseline);
                var change = Change(result, "legacyRouteCache");
                Assert.Equal(ConfigChangeAction.DroppedByNewVersion, change.Action);
                Assert.Null(change.MergedValue);
                Assert.DoesNotContain("legacyRouteCache", result.MergedText);
            }
        }

        [Fact]
        public void Supported_property_absent_from_the_new_file_is_added_inside_system()
        {
            var pristine = Fixture("2.5.4", "server.xml");
            var old = SetProperty(pristine, "processors", "32");
            var fresh = Fixture("2.5.6", "server.xml");

            var result = Merge(old, fresh, pristine, new ConfigMergeOptions { NewVersion = HotDbVersion.Parse("2.5.6") });

            var change = Change(result, "processors");
            Assert.Equal(ConfigChangeAction.Added, change.Action);
            Assert.Null(change.NewValue);
            var line = "        <property name=\"processors\">32</property>" + "<!-- carried over from the old install by HotDb.Upgrade -->\n";
            var expected = fresh.Replace("    </system>\n", line + "    </system>\n");
            Assert.Equal(expected, result.MergedText);
            Assert.Contains("<!-- <property name=\"processors\">16</property> -->", result.MergedText);
        }

        [Fact]
        public void Untouched_property_the_new_file_omits_keeps_the_new_built_in_default()
        {
            var pristine = Fixture("2.5.4", "server.xml");
            var fresh = Fixture("2.5.6", "server.xml");
            var result = Merge(pristine, fresh, pristine);
            Assert.Equal(ConfigChangeAction.KeptNewDefault, Change(result, "processors").Action);
            Assert.Equal(ConfigChangeAction.KeptNewDefault, Change(result, "operateMode").Action);
            Assert.Equal(fresh, result.MergedText);
            Assert.False(result.IsModified);
        }

        [Fact]
        public void Boolean_auto_increment_is_converted_to_the_mode_number()
        {
            var pristine = Fixture("2.4.9", "server.xml");
            var old = SetProperty(pristine, "autoIncrement", "false");
            var result = Merge(old, Fixture("2.5.4", "server.xml"), pristine);
            var change = Change(result, "autoIncrement");
            Assert.Equal(ConfigChangeAction.Carried, change.Action);
            Assert.Equal(("false", "0"), (change.OldValue, change.MergedValue));
            Assert.Contains("<property name=\"autoIncrement\">0</property>", result.MergedText);
        }

        [Fact]
        public void Crlf_bom_doctype_and_comments_are_kept_byte_for_byte()
        {
            var pristine = Fixture("2.5.4", "server.xml").Replace("\n", "\r\n");
            var fresh = Fixture("2.5.6", "server.xml").Replace("\n", "\r\n");
            var old = SetProperty(SetProperty(pristine, "processors", "24"), "haState", "backup");
            var bom = new byte[] { 0xEF, 0xBB, 0xBF };
            var newBytes = bom.Concat(Encoding.UTF8.GetBytes(fresh)).ToArray();

            ConfigMerger.Merge(ConfigFileKind.ServerXml, "conf/server.xml", Encoding.UTF8.GetBytes(old), newBytes,
                Encoding.UTF8.GetBytes(pristine), new ConfigMergeOptions(), out var merged);

            var expectedText = SetProperty(fresh, "haState", "backup").Replace("    </system>\r\n",
                "        <property name=\"processors\">24</property><!-- carried over from the old install by HotDb.Upgrade -->\r\n    </system>\r\n");
            Assert.Equal(bom.Concat(Encoding.UTF8.GetBytes(expectedText)).ToArray(), merged);
        }

        [Fact]
        public void Unchanged_new_file_is_returned_as_the_same_bytes()
        {
            var bytes = Encoding.UTF8.GetBytes(Fixture("2.5.4", "server.xml"));
            var result = ConfigMerger.Merge(ConfigFileKind.ServerXml, "conf/server.xml", bytes, bytes, null, null, out var merged);
            Assert.Empty(result.Changes);
            Assert.Same(bytes, merged);
        }

        [Fact]
        public void Values_with_entities_compare_decoded_and_are_carried_as_written()
        {
            var fresh = Fixture("2.5.4", "server.xml");
            var old = SetProperty(Fixture("2.5.3", "server.xml"), "url", "jdbc:mysql://198.18.0.10:3306/hotdb_config?useSSL=false&amp;connectTimeout=3000");
            var result = Merge(old, fresh, null);
            var url = Change(result, "url");
            Assert.Equal("jdbc:mysql://198.18.0.10:3306/hotdb_config?useSSL=false&connectTimeout=3000", url.MergedValue);
            Assert.Contains("hotdb_config?useSSL=false&amp;connectTimeout=3000</property>", result.MergedText);

            // The same value spelled with a character reference is no change.
            var again = Merge(SetProperty(old, "url", "jdbc:mysql://198.18.0.10:3306/hotdb_config?useSSL=false&#38;connectTimeout=3000"),
                result.MergedText, null);
            Assert.DoesNotContain(again.Changes, c => c.Key == "url");
        }

        [Fact]
        public void Self_closing_property_in_the_new_file_gets_the_value_between_tags()
        {
            var fresh = Fixture("2.5.4", "server.xml").Replace("<property name=\"VIP\"></property>", "<property name=\"VIP\" />");
            var old = SetProperty(Fixture("2.5.3", "server.xml"), "VIP", "198.18.0.100");
            var result = Merge(old, fresh, Fixture("2.5.3", "server.xml"));
            Assert.Equal(ConfigChangeAction.Carried, Change(result, "VIP").Action);
            Assert.Equal(fresh.Replace("<property name=\"VIP\" />", "<property name=\"VIP\">198.18.0.100</property>"), result.MergedText);
        }

        // The vendor's template sets bakUrl, bakUsername and bakPassword twice: the slave ConfigDB, then the MGR ConfigDB.
        internal static string WithMgrConfigDb(string xml, string url, string user, string password) =>
            xml.Replace("    </system>",
                $"        <property name=\"bakUrl\">{url}</property><!-- MGR ConfigDB address -->\n" +
                $"        <property name=\"bakUsername\">{user}</property>\n" +
                $"        <property name=\"bakPassword\">{password}</property>\n    </system>");

        [Fact]
        public void Keys_set_twice_are_carried_by_position()
        {
            const string defaultUrl = "jdbc:mysql://127.0.0.1:3306/hotdb_config";
            var pristine = WithMgrConfigDb(Fixture("2.5.3", "server.xml"), defaultUrl, "hotdb_config", "hotdb_config");
            var fresh = WithMgrConfigDb(Fixture("2.5.4", "server.xml"), defaultUrl, "hotdb_config", "hotdb_config");
            var old = WithMgrConfigDb(SetProperty(Fixture("2.5.3", "server.xml"), "bakUrl", "jdbc:mysql://198.18.0.11:3306/hotdb_config"),
                "jdbc:mysql://198.18.0.12:3306/hotdb_config", "mgr_user", "hotdb_config");

            foreach (var result in new[] { Merge(old, fresh, pristine), Merge(old, fresh, null) })
            {
                var urls = result.Changes.Where(c => c.Key == "bakUrl").OrderBy(c => c.Occurrence).ToList();
                Assert.Equal(new[] { 1, 2 }, urls.Select(c => c.Occurrence));
                Assert.All(urls, c => Assert.Equal(ConfigChangeAction.Carried, c.Action));
                Assert.Equal("jdbc:mysql://198.18.0.11:3306/hotdb_config", urls[0].MergedValue);
                Assert.Equal("jdbc:mysql://198.18.0.12:3306/hotdb_config", urls[1].MergedValue);
                var user = Change(result, "bakUsername");
                Assert.Equal((2, ConfigChangeAction.Carried, "mgr_user"), (user.Occurrence, user.Action, user.MergedValue));
                var slave = result.MergedText.IndexOf("<property name=\"bakUrl\">jdbc:mysql://198.18.0.11:3306/hotdb_config</property><!-- Slave", StringComparison.Ordinal);
                var mgr = result.MergedText.IndexOf("<property name=\"bakUrl\">jdbc:mysql://198.18.0.12:3306/hotdb_config</property><!-- MGR", StringComparison.Ordinal);
                Assert.True(slave > 0 && mgr > slave, result.MergedText);
            }
            var threeWay = WithMgrConfigDb(SetProperty(Fixture("2.5.4", "server.xml"), "bakUrl", "jdbc:mysql://198.18.0.11:3306/hotdb_config"),
                "jdbc:mysql://198.18.0.12:3306/hotdb_config", "mgr_user", "hotdb_config");
            Assert.Equal(threeWay, Merge(old, fresh, pristine).MergedText);
        }

        [Fact]
        public void Extra_occurrences_of_a_repeated_key_are_reported_not_carried()
        {
            var fresh = Fixture("2.5.4", "server.xml");
            var old = Fixture("2.5.3", "server.xml").Replace("    </system>", "        <property name=\"processors\">48</property>\n    </system>");
            var result = Merge(old, fresh, null);
            var extra = Assert.Single(result.Changes, c => c.Key == "processors" && c.Occurrence == 2);
            Assert.Equal(ConfigChangeAction.Skipped, extra.Action);
            Assert.Contains("the old file sets it 2 times, the new file once", extra.Reason);
            Assert.Equal("48", extra.OldValue);
            Assert.DoesNotContain(result.Changes, c => c.Key == "processors" && c.Occurrence == 1);
            Assert.Contains("<property name=\"processors\">16</property>", result.MergedText);
            Assert.DoesNotContain(">48<", result.MergedText);

            var twice = WithMgrConfigDb(fresh, "jdbc:mysql://127.0.0.1:3306/hotdb_config", "hotdb_config", "hotdb_config");
            var kept = Assert.Single(Merge(Fixture("2.5.3", "server.xml"), twice, null).Changes, c => c.Key == "bakUsername" && c.Occurrence == 2);
            Assert.Equal(ConfigChangeAction.KeptNewDefault, kept.Action);
            Assert.Contains("no counterpart in the old file", kept.Reason);
        }

        [Theory]
        [InlineData(ConfigFileKind.ServerXml, "log4j2.xml", "is a log4j2.xml (root <Configuration>), not a server.xml")]
        [InlineData(ConfigFileKind.ServerXml, "hotdb_server", "is not XML (it reads as a start script), not a server.xml")]
        [InlineData(ConfigFileKind.Log4j2, "server.xml", "is a server.xml (root <hotdb:server>), not a log4j2.xml")]
        [InlineData(ConfigFileKind.StartScript, "server.xml", "is a server.xml (root <hotdb:server>), not a start script")]
        public void Files_of_another_kind_are_refused(ConfigFileKind kind, string otherFile, string expected)
        {
            var own = Fixture("2.5.4", kind == ConfigFileKind.ServerXml ? "server.xml" : kind == ConfigFileKind.Log4j2 ? "log4j2.xml" : "hotdb_server");
            var other = Fixture("2.5.3", otherFile);
            var asOld = Assert.Throws<ConfigFormatException>(() => ConfigMerger.Merge(kind, "new/file", other, own, null, null, "old/file"));
            Assert.Equal("old/file", asOld.File);
            Assert.Contains(expected, asOld.Message);
            var asNew = Assert.Throws<ConfigFormatException>(() => ConfigMerger.Merge(kind, "new/file", own, other, null, null, "old/file"));
            Assert.Equal("new/file", asNew.File);
            var asPristine = Assert.Throws<ConfigFormatException>(() => ConfigMerger.Merge(kind, "new/file", own, own, other, null, "old/file", "pristine/file"));
            Assert.Equal("pristine/file", asPristine.File);
        }

        [Fact]
        public void A_malformed_old_file_is_reported_under_its_own_path()
        {
            var error = Assert.Throws<ConfigFormatException>(() => ConfigMerger.Merge(ConfigFileKind.ServerXml, "/new/conf/server.xml",
                "<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\"><system>", Fixture("2.5.4", "server.xml"), null, null, "/old/conf/server.xml"));
            Assert.Equal("/old/conf/server.xml", error.File);
            Assert.StartsWith("/old/conf/server.xml: is not well-formed XML", error.Message);
        }

        [Theory]
        [InlineData("<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\"><system><property name=\"a\">1</system></hotdb:server>", "not well-formed XML (line 1")]
        [InlineData("<server><other/></server>", "exactly one <system>")]
        [InlineData("<config><system/></config>", "not a HotDB")]
        [InlineData("<hotdb:server xmlns:hotdb=\"http://cn.hotpu/\"><system><property>1</property></system></hotdb:server>", "without a name")]
        public void Malformed_input_gives_a_clear_error_naming_the_file(string oldText, string expected)
        {
            var error = Assert.Throws<ConfigFormatException>(() => Merge(oldText, Fixture("2.5.4", "server.xml"), null));
            Assert.Contains(expected, error.Message);
            Assert.StartsWith("conf/server.xml (old install)", error.Message);
        }

        [Fact]
        public void Non_utf8_bytes_are_refused()
        {
            var good = Encoding.UTF8.GetBytes(Fixture("2.5.4", "server.xml"));
            var latin1 = good.Concat(new byte[] { 0x3C, 0x21, 0x2D, 0x2D, 0xE9, 0x2D, 0x2D, 0x3E }).ToArray();
            var error = Assert.Throws<ConfigFormatException>(() =>
                ConfigMerger.Merge(ConfigFileKind.ServerXml, "conf/server.xml", good, latin1, null, null, out _));
            Assert.Contains("not valid UTF-8", error.Message);
        }

        [Fact]
        public void Parameter_catalogue_knows_when_each_parameter_appeared()
        {
            Assert.True(ServerXmlParameters.IsSupported("operateMode", HotDbVersion.Parse("2.5.6")));
            Assert.False(ServerXmlParameters.IsSupported("operateMode", HotDbVersion.Parse("2.5.4")));
            Assert.True(ServerXmlParameters.IsSupported("drUrl", HotDbVersion.Parse("2.5.3.1")));
            Assert.False(ServerXmlParameters.IsSupported("drUrl", HotDbVersion.Parse("2.5.3")));
            Assert.False(ServerXmlParameters.IsSupported("legacyRouteCache", null));
        }
    }

    public class StartScriptMergeTests
    {
        private static string Fixture(string version) => ServerXmlMergeTests.Fixture(version, "hotdb_server");

        private static ConfigMergeResult Merge(string oldText, string newText, string? pristine, ConfigMergeOptions? options = null) =>
            ConfigMerger.Merge(ConfigFileKind.StartScript, "bin/hotdb_server", oldText, newText, pristine, options);

        [Fact]
        public void Three_way_carries_java_opts_and_keeps_everything_else()
        {
            var pristine = Fixture("2.5.3");
            var old = pristine.Replace("JAVA_OPTS=\"-server -Xms4G -Xmx4G", "JAVA_OPTS=\"-server -Xms12G -Xmx12G");
            var fresh = Fixture("2.5.4");

            var result = Merge(old, fresh, pristine);

            var opts = Assert.Single(result.Changes, c => c.Key == "JAVA_OPTS");
            Assert.Equal(ConfigChangeAction.Carried, opts.Action);
            Assert.Equal("\"-server -Xms12G -Xmx12G -XX:MaxDirectMemorySize=24G\"", opts.MergedValue);
            Assert.Equal(fresh.Replace("JAVA_OPTS=\"-server -Xms8G -Xmx8G", "JAVA_OPTS=\"-server -Xms12G -Xmx12G"), result.MergedText);
            // The assignment inside start() is not a setting; the function body is untouched.
            Assert.Contains("    JAVA_OPTS=\"$JAVA_OPTS -DHOTDB_HOME=$HOTDB_HOME\"", result.MergedText);
        }

        [Fact]
        public void Jdk_variables_are_not_carried_when_a_new_jdk_is_installed()
        {
            var old = Fixture("2.5.4");
            var fresh = Fixture("2.5.6");

            var excluded = Merge(old, fresh, null, new ConfigMergeOptions { ExcludeJdk = true });
            foreach (var name in new[] { "JAVA_BIN", "JAVA_VERSION" })
            {
                var change = Assert.Single(excluded.Changes, c => c.Key == name);
                Assert.Equal(ConfigChangeAction.Skipped, change.Action);
                Assert.Contains("new JDK", change.Reason);
            }
            Assert.Contains("JAVA_VERSION=\"1.8.0_252\"", excluded.MergedText);
            Assert.Equal(ConfigChangeAction.KeptNewDefault, Assert.Single(excluded.Changes, c => c.Key == "HOTDB_LICENSE_DIR").Action);

            var carried = Merge(old, fresh, null);
            Assert.Equal(ConfigChangeAction.Carried, Assert.Single(carried.Changes, c => c.Key == "JAVA_VERSION").Action);
            Assert.Contains("JAVA_VERSION=\"1.7.0_80\"", carried.MergedText);
        }

        [Fact]
        public void Jdk_setter_changes_only_the_two_values_in_the_file_quoting()
        {
            var script = Fixture("2.5.4").Replace("\n", "\r\n");
            var result = ConfigMerger.SetJdk("bin/hotdb_server", script, "/usr/local/jdk8/jdk8u252-b09/bin/java", "1.8.0_252");
            var expected = script
                .Replace("JAVA_BIN=\"$HOTDB_HOME\"/../jdk/bin/java", "JAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java")
                .Replace("JAVA_VERSION=\"1.7.0_80\"", "JAVA_VERSION=\"1.8.0_252\"");
            Assert.Equal(expected, result.MergedText);
            Assert.All(result.Changes, c => Assert.Equal(ConfigChangeAction.Set, c.Action));
            Assert.Equal(2, result.Changes.Count);

            var path = ConfigMerger.SetJdk("bin/hotdb_server", script, "/opt/my jdk/bin/java", "1.8.0_252");
            Assert.Contains("JAVA_BIN=\"/opt/my jdk/bin/java\"\r\n", path.MergedText);
        }

        [Fact]
        public void Jdk_setter_refuses_a_script_without_the_assignment()
        {
            var error = Assert.Throws<ConfigFormatException>(() =>
                ConfigMerger.SetJdk("bin/hotdb_server", "#!/bin/sh\nJAVA_VERSION=\"1.7.0_80\"\n", "/usr/bin/java", "1.8.0_252"));
            Assert.Contains("no top-level JAVA_BIN=", error.Message);
        }

        [Theory]
        [InlineData("X='a b'\n", "X=\"c d\"\n", "X='c d'\n", "carried over.")]
        [InlineData("X=\"a b\"\n", "X='c \"d\"'\n", "X=\"c \\\"d\\\"\"\n", "carried over.")]
        [InlineData("X='a'\n", "X=\"$HOME/x\"\n", "X=\"$HOME/x\"\n", "cannot express it).")]
        [InlineData("X=a\n", "X=\"$A\"b\n", "X=${A}b\n", "carried over.")]
        [InlineData("export X=\"1\"\n", "X=2 # two\n", "export X=\"2\"\n", "carried over.")]
        public void Carried_values_take_the_new_file_quoting(string fresh, string old, string expected, string reason)
        {
            var result = Merge(old, fresh, null);
            Assert.Equal(expected, result.MergedText);
            Assert.EndsWith(reason, Assert.Single(result.Changes).Reason);
        }

        [Fact]
        public void Differently_quoted_equal_values_are_no_change()
        {
            var result = Merge("PID_DIR=$HOTDB_HOME/run\nA='x y'\n", "PID_DIR=\"$HOTDB_HOME\"/run\nA=\"x y\"\n", null);
            Assert.Empty(result.Changes);
        }

        [Fact]
        public void Multi_line_values_are_one_assignment()
        {
            var fresh = "JAVA_OPTS=\"-server\n  -Xms4G\"\nNEXT=1\n";
            var old = "JAVA_OPTS=\"-server\n  -Xms9G\"\nNEXT=1\n";
            var result = Merge(old, fresh, null);
            Assert.Equal(old, result.MergedText);
            Assert.Single(result.Changes);
        }

        [Fact]
        public void Unterminated_quote_is_a_clear_error()
        {
            var error = Assert.Throws<ConfigFormatException>(() => Merge("JAVA_OPTS=\"-server\n", Fixture("2.5.4"), null));
            Assert.Contains("unterminated \"", error.Message);
        }
    }

    public class Log4j2MergeTests
    {
        private static string Fixture(string version) => ServerXmlMergeTests.Fixture(version, "log4j2.xml");

        private static ConfigMergeResult Merge(string oldText, string newText, string? pristine, ConfigMergeOptions? options = null) =>
            ConfigMerger.Merge(ConfigFileKind.Log4j2, "conf/log4j2.xml", oldText, newText, pristine, options);

        private const string LevelKey = "Configuration/Loggers/Logger[@name='cn.hotpu']/@level";
        private const string MaxKey = "Configuration/Appenders/RollingFile[@name='hotdb']/DefaultRolloverStrategy/@max";

        private static string UserOld() =>
            Fixture("2.5.3").Replace("<Logger name=\"cn.hotpu\" level=\"info\"", "<Logger name=\"cn.hotpu\" level=\"debug\"")
                .Replace("max=\"20\"", "max=\"50\"");

        [Fact]
        public void Differences_are_reported_but_not_carried_by_default()
        {
            var fresh = Fixture("2.5.4");
            var result = Merge(UserOld(), fresh, Fixture("2.5.3"));
            var level = Assert.Single(result.Changes, c => c.Key == LevelKey);
            Assert.Equal(ConfigChangeAction.Skipped, level.Action);
            Assert.Equal(("debug", "info"), (level.OldValue, level.MergedValue));
            Assert.Contains("-IncludeLog4j", level.Reason);
            Assert.Equal(fresh, result.MergedText);
        }

        [Fact]
        public void Differences_are_carried_on_request_in_place()
        {
            var fresh = Fixture("2.5.4");
            var result = Merge(UserOld(), fresh, Fixture("2.5.3"), new ConfigMergeOptions { IncludeLog4j = true });
            Assert.Equal(ConfigChangeAction.Carried, Assert.Single(result.Changes, c => c.Key == LevelKey).Action);
            var max = Assert.Single(result.Changes, c => c.Key == MaxKey);
            Assert.Equal(("50", "30", "20"), (max.MergedValue, max.NewValue, max.PristineValue));
            var expected = fresh.Replace("<Logger name=\"cn.hotpu\" level=\"info\"", "<Logger name=\"cn.hotpu\" level=\"debug\"")
                .Replace("max=\"30\"", "max=\"50\"");
            Assert.Equal(expected, result.MergedText);
        }

        [Fact]
        public void New_appenders_keep_their_defaults_and_user_elements_are_not_added()
        {
            var old = Fixture("2.5.4").Replace("    </Loggers>",
                "        <Logger name=\"cn.hotpu.sql\" level=\"trace\"/>\n    </Loggers>");
            var result = Merge(old, Fixture("2.5.6"), null, new ConfigMergeOptions { IncludeLog4j = true });
            Assert.Contains(result.Changes, c => c.Key.Contains("RollingFile[@name='unusualsql']") && c.Action == ConfigChangeAction.KeptNewDefault);
            var added = Assert.Single(result.Changes, c => c.Key == "Configuration/Loggers/Logger[@name='cn.hotpu.sql']/@level");
            Assert.Equal(ConfigChangeAction.Skipped, added.Action);
            Assert.DoesNotContain("cn.hotpu.sql", result.MergedText);
        }
    }
}
