using System;
using HotDb.Upgrade.Ha;
using HotDb.Upgrade.Topology;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class HaSwitchoverTests
    {
        private static HaSwitchover Plan(FakeHaHost first, FakeHaHost second) =>
            HaSwitchover.Plan(HaEnvironmentReader.Read(first, second), TimeSpan.FromSeconds(30));

        [Fact]
        public void Plans_the_serving_VIP_holder_as_the_old_master_whatever_the_order()
        {
            var plan = Plan(FakeHaHost.Backup(), FakeHaHost.Master());

            Assert.Equal("ha-a", plan.OldMaster.ComputerName);
            Assert.Equal("ha-b", plan.NewMaster.ComputerName);
            Assert.Equal("10.20.30.40", plan.Vip.ToString());
            Assert.Contains("stop ha-a's compute node", plan.Describe());
        }

        [Fact]
        public void Hands_the_VIP_over_by_stopping_the_masters_keepalived_first_only_when_keepalived_runs_on_both()
        {
            var planned = Plan(FakeHaHost.Master(), FakeHaHost.Backup());
            Assert.True(planned.Planned);
            Assert.StartsWith("switch over: stop keepalived on ha-a;", planned.Describe());

            var slave = FakeHaHost.Backup();
            slave.KeepalivedRunning = false;
            var unplanned = Plan(FakeHaHost.Master(), slave);
            Assert.False(unplanned.Planned);
            Assert.StartsWith("switch over: stop ha-a's compute node;", unplanned.Describe());
        }

        [Fact]
        public void Refuses_before_stopping_anything_when_the_slave_does_not_run()
        {
            var master = FakeHaHost.Master();
            var slave = FakeHaHost.Backup();
            slave.NodeRunning = false;
            slave.Listening.Clear();

            var e = Assert.Throws<HaOperationException>(() => Plan(master, slave));

            Assert.Equal("HaSlaveNotReady", e.ErrorId);
            Assert.True(e.Refused);
            Assert.DoesNotContain(master.Commands, c => c.Contains("hotdb_server"));
        }

        [Fact]
        public void Refuses_when_the_VIP_is_not_on_the_serving_master()
        {
            var master = FakeHaHost.Master();
            master.ExtraAddresses.Clear();
            var slave = FakeHaHost.Backup();
            slave.ExtraAddresses.Add("10.20.30.40/24 ens192:9");

            var e = Assert.Throws<HaOperationException>(() => Plan(master, slave));

            Assert.Equal("HaVipNotOnMaster", e.ErrorId);
            Assert.Contains("ha-b", e.Message);
        }

        [Fact]
        public void Refuses_a_pair_where_nothing_serves()
        {
            var master = FakeHaHost.Master();
            master.Listening.Remove(3323);

            var e = Assert.Throws<HaOperationException>(() => Plan(master, FakeHaHost.Backup()));

            Assert.Equal("HaNoServingMaster", e.ErrorId);
        }
    }
}
