using HotDb.Upgrade.Plans.DataSourceAgents;
using Xunit;

namespace HotDb.Upgrade.Engine.Tests
{
    public class DataSourceAgentConfigTests
    {
        [Fact]
        public void CarriesAnEditedPortIntoTheNewFileKeepingItsLayout()
        {
            var merged = DataSourceAgentConfig.CarryListener("host=0.0.0.0\nport=3331\n", "# HotDB Listener\nhost=0.0.0.0\nport=3330\n", "old", "new", out var changes);
            Assert.Equal("# HotDB Listener\nhost=0.0.0.0\nport=3331\n", merged);
            Assert.Single(changes);
        }

        [Fact]
        public void ReadsTheMisprintedPostKeyAndWritesTheNewFilesKey()
        {
            var merged = DataSourceAgentConfig.CarryListener("host=10.0.0.5\npost=3332\n", "host=0.0.0.0\nport=3330\n", "old", "new", out var changes);
            Assert.Equal("host=10.0.0.5\nport=3332\n", merged);
            Assert.Equal(2, changes.Count);
        }

        [Fact]
        public void KeepsAMisprintedNewFileAndAppendsWhatItLacks()
        {
            var merged = DataSourceAgentConfig.CarryListener("host=0.0.0.0\nport=3333\n", "post=3330", "old", "new", out _);
            Assert.Equal("post=3333\nhost=0.0.0.0\n", merged);
        }

        [Fact]
        public void ChangesNothingWhenHostAndPortAreTheSame()
        {
            const string text = "host=0.0.0.0\nport=3330\n";
            Assert.Equal(text, DataSourceAgentConfig.CarryListener(text, text, "old", "new", out var changes));
            Assert.Empty(changes);
        }

        [Fact]
        public void ReadsOnlyALiteralJavaBinAndSetsItInTheScriptsQuoting()
        {
            Assert.Equal("/usr/local/jdk8/jdk8u252-b09/bin/java", DataSourceAgentConfig.LiteralJavaBin("#!/bin/sh\nJAVA_BIN=/usr/local/jdk8/jdk8u252-b09/bin/java\n", "s"));
            Assert.Null(DataSourceAgentConfig.LiteralJavaBin("JAVA_BIN=$shellPath/../../jdk/bin/java\n", "s"));
            Assert.Equal("JAVA_BIN=/opt/jdk/bin/java\nJAVA_VERSION=\"1.8.0_252\"\n",
                DataSourceAgentConfig.SetJavaBin("JAVA_BIN=/usr/local/jdk8/bin/java\nJAVA_VERSION=\"1.8.0_252\"\n", "s", "/opt/jdk/bin/java"));
        }
    }
}
