using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class ComputeNodeConfigDbUrlTests
    {
        [Theory]
        [InlineData("jdbc:mysql://198.18.0.10:3307/hotdb_config_sn", "198.18.0.10:3307", "hotdb_config_sn")]
        [InlineData("jdbc:mysql://cfg-01/hotdb_config?useUnicode=true&characterEncoding=utf8", "cfg-01:3306", "hotdb_config")]
        [InlineData(" jdbc:mysql://10.0.0.1:3306 ", "10.0.0.1:3306", null)]
        [InlineData("jdbc:oracle:thin:@h:1521/x", null, null)]
        [InlineData(null, null, null)]
        public void Reads_the_configdb_server_and_database_from_the_url(string? url, string? server, string? database)
        {
            var node = new ComputeNodeInfo(new LocalHost(), "/usr/local/hotdb/hotdb-server") { ConfigDbUrl = url };
            Assert.Equal(server, node.ConfigDbServer);
            Assert.Equal(database, node.ConfigDbDatabase);
        }
    }
}
