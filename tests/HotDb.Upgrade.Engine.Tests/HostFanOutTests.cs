using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class HostFanOutTests
    {
        // Each item waits at a barrier-like gate so the test observes how many run at once, without timing asserts.
        private sealed class Gauge
        {
            private int _running;
            public int Peak;

            public void Enter()
            {
                var now = Interlocked.Increment(ref _running);
                int peak;
                while ((peak = Volatile.Read(ref Peak)) < now && Interlocked.CompareExchange(ref Peak, now, peak) != peak) { }
            }

            public void Leave() => Interlocked.Decrement(ref _running);
        }

        [Theory]
        [InlineData(1, 6)]
        [InlineData(3, 6)]
        [InlineData(8, 5)]
        public void Never_runs_more_than_the_throttle_limit_and_fills_it(int throttle, int hosts)
        {
            var gauge = new Gauge();
            var expected = Math.Min(throttle, hosts);
            // The first `expected` items wait until that many are running at once: proves the limit is filled.
            using var filled = new CountdownEvent(expected);
            var outcomes = HostFanOut.Run(Enumerable.Range(0, hosts).ToList(), throttle, (i, token) =>
            {
                gauge.Enter();
                try
                {
                    if (i < expected)
                    {
                        filled.Signal();
                        Assert.True(filled.Wait(TimeSpan.FromSeconds(30)), "the throttle limit was not filled");
                    }
                    return i * 10;
                }
                finally { gauge.Leave(); }
            });
            Assert.Equal(expected, gauge.Peak);
            Assert.Equal(Enumerable.Range(0, hosts).Select(i => i * 10), outcomes.Select(o => o.Result));
            Assert.All(outcomes, o => Assert.True(o.Succeeded));
        }

        [Fact]
        public void Returns_outcomes_in_input_order_whatever_the_finishing_order()
        {
            // Item 0 finishes last: it waits until every other item has completed.
            using var othersDone = new CountdownEvent(3);
            var finished = new List<int>();
            var outcomes = HostFanOut.Run(new[] { "a", "b", "c", "d" }, 4, (name, token) =>
            {
                if (name == "a") Assert.True(othersDone.Wait(TimeSpan.FromSeconds(30)));
                return name.ToUpperInvariant();
            }, completed: o =>
            {
                lock (finished) finished.Add(o.Index);
                if (o.Item != "a") othersDone.Signal();
            });
            Assert.Equal(new[] { "A", "B", "C", "D" }, outcomes.Select(o => o.Result));
            Assert.Equal(new[] { 0, 1, 2, 3 }, outcomes.Select(o => o.Index));
            Assert.Equal(0, finished.Last());
        }

        [Fact]
        public void A_failure_stays_with_its_host_and_the_others_go_on()
        {
            var outcomes = HostFanOut.Run(new[] { "ok1", "bad", "ok2" }, 2, (name, token) =>
                name == "bad" ? throw new InvalidOperationException("host bad is down") : name);
            Assert.Equal(new[] { true, false, true }, outcomes.Select(o => o.Succeeded));
            Assert.Equal("host bad is down", Assert.IsType<InvalidOperationException>(outcomes[1].Error).Message);
            Assert.Equal(new[] { "ok1", null, "ok2" }, outcomes.Select(o => o.Result));
            Assert.False(outcomes[1].Skipped);
        }

        [Fact]
        public void RunAll_returns_results_in_input_order_and_throws_the_first_failure_in_that_order()
        {
            var hosts = new[] { 30, 10, 20 };
            Assert.Equal(new[] { "h30", "h10", "h20" }, HostFanOut.RunAll(hosts, (delay, _) => { Thread.Sleep(delay); return "h" + delay; }));

            // The later host fails first in time; the earlier one's failure is the one thrown.
            var error = Assert.Throws<InvalidOperationException>(() => HostFanOut.RunAll(new[] { 200, 0, 50 }, (delay, _) =>
            {
                Thread.Sleep(delay);
                if (delay > 0) throw new InvalidOperationException("host " + delay);
                return delay;
            }));
            Assert.Equal("host 200", error.Message);
        }

        [Fact]
        public void Cancellation_reaches_running_work_and_skips_the_hosts_not_started()
        {
            using var cancel = new CancellationTokenSource();
            using var bothRunning = new CountdownEvent(2);
            var started = new List<int>();
            var outcomes = HostFanOut.Run(Enumerable.Range(0, 6).ToList(), 2, (i, token) =>
            {
                lock (started) started.Add(i);
                bothRunning.Signal();
                if (i == 0)
                {
                    Assert.True(bothRunning.Wait(TimeSpan.FromSeconds(30)));
                    cancel.Cancel();
                }
                // Waits for the cancellation the running work must receive.
                Assert.True(token.WaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the running work never saw the cancellation");
                token.ThrowIfCancellationRequested();
                return i;
            }, cancel.Token);
            Assert.Equal(new[] { 0, 1 }, started.OrderBy(i => i));
            Assert.All(outcomes.Take(2), o => { Assert.IsAssignableFrom<OperationCanceledException>(o.Error); Assert.False(o.Skipped); });
            Assert.All(outcomes.Skip(2), o => { Assert.True(o.Skipped); Assert.IsAssignableFrom<OperationCanceledException>(o.Error); });
        }

        [Fact]
        public void Refuses_a_throttle_limit_below_one_and_returns_nothing_for_no_hosts()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => HostFanOut.Run(new[] { 1 }, 0, (i, t) => i));
            Assert.Empty(HostFanOut.Run(new int[0], 4, (i, t) => i));
        }
    }
}
