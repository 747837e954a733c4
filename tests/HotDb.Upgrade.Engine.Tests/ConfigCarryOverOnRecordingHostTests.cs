using System;
using System.Linq;
using HotDb.Upgrade.Configuration;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>The carry-over's login-user-then-root path, line by line, without sshd or sudo.</summary>
    public sealed class ConfigCarryOverOnRecordingHostTests
    {
        [Fact]
        public void AFolderOnlyRootMayWriteGetsItsBackupNameReservedAndFilledAsRoot()
        {
            const string script = "/opt/hotdb server/bin/hotdb_server";
            var stem = script + ".hotdb-upgrade-20260102030405006";
            var host = new RecordingHost { UserName = "hotdb" };
            host.Files[script] = System.Text.Encoding.UTF8.GetBytes("#!/bin/bash\nJAVA_BIN=/old/bin/java\nJAVA_VERSION=\"1.7.0_80\"\n");
            string Staged() => host.Files.Keys.Last(k => k.Contains(".hotdb-upgrade-tmp-"));
            host.On($"test -L '{script}'", 1)
                .When((line, root) => line.StartsWith("umask 077; set -C; ", StringComparison.Ordinal) && !root, 1, "", "Permission denied")
                .When((line, root) => line.StartsWith("umask 077; set -C; ", StringComparison.Ordinal), 0, stem + ".bak")
                .When((line, root) => line.StartsWith("{ cat -- ", StringComparison.Ordinal) && root, 0, "", "", _ => host.Files[stem + ".bak"] = host.Files[Staged()])
                .When((line, root) => line.StartsWith("chmod '--reference=", StringComparison.Ordinal) && !root, 1, "", "Permission denied")
                .When((line, root) => line.StartsWith("chmod '--reference=", StringComparison.Ordinal), 0, "", "", _ => host.Files[script] = host.Files[Staged()]);
            var original = host.Files[script];
            var plan = ConfigCarryOver.PlanJdk(host, script, "/usr/local/jdk8/bin/java", "1.8.0_252");

            var backup = ConfigCarryOver.Apply(host, plan, new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc));

            Assert.Equal(stem + ".bak", backup);
            Assert.Equal(original, host.Files[backup]);
            Assert.Contains("JAVA_BIN=/usr/local/jdk8/bin/java", System.Text.Encoding.UTF8.GetString(host.Files[script]));
            Assert.All(host.Modes.Values, mode => Assert.Equal(0x180, mode));
            var reservations = host.Commands.Where(c => c.Line.StartsWith("umask 077; set -C; ", StringComparison.Ordinal)).Select(c => c.Elevated);
            Assert.Equal(new[] { false, true }, reservations);
            var fill = host.Commands.Single(c => c.Line.StartsWith("{ cat -- ", StringComparison.Ordinal));
            Assert.True(fill.Elevated);
            var replaces = host.Commands.Where(c => c.Line.StartsWith("chmod ", StringComparison.Ordinal)).Select(c => c.Elevated);
            Assert.Equal(new[] { false, true }, replaces);
            Assert.EndsWith($" >| '{stem}.bak' && chown '--reference={fill.Line.Split('\'')[1]}' -- '{stem}.bak' && chmod 0600 -- '{stem}.bak'; }} || {{ rm -f -- '{stem}.bak'; exit 1; }}", fill.Line);
        }
    }
}
