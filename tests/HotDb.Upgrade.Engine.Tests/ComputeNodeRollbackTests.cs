using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using HotDb.Upgrade.ComputeNode;
using HotDb.Upgrade.Stages;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    /// <summary>Stage rollbacks on a recording host: the exact commands, in order, without sshd.</summary>
    public sealed class ComputeNodeRollbackTests
    {
        private const string Install = "/usr/local/hotdb/hotdb-server";
        private const string Backup = "/usr/local/hotdb/hotdb_server_253";

        private sealed class Notes : IStageProgress
        {
            public List<string> Lines { get; } = new List<string>();
            public void Report(string status, int percent = -1) { }
            public void Note(string message) => Lines.Add(message);
        }

        private static ComputeNodeUpgradeContext Context(RecordingHost host) =>
            new ComputeNodeUpgradeContext(host, new ComputeNodeUpgradeOptions { PackagePath = "/pkgs/hotdb-server-2.5.6-ga-20230101.tar.gz" },
                new ComputeNodeInfo(host, Install), new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)) { BackupPath = Backup };

        private static string Exists(string path) => $"test -e {path} || test -L {path}";

        [Fact]
        public void KeepOldInstallRollbackRenamesTheBackupBackAsRoot()
        {
            var host = new RecordingHost().On(Exists(Install), 1);
            var notes = new Notes();
            new KeepOldInstallStage().Rollback(Context(host), notes, CancellationToken.None);
            Assert.Equal(new[]
            {
                (Exists(Backup), false),
                (Exists(Install), false),
                ($"if {Exists(Install)}; then printf '%s\\n' '{Install} exists; it is never overwritten.' >&2; exit 1; fi; mv -T -- {Backup} {Install}", true),
            }, host.Commands);
            Assert.Equal($"{Backup} renamed back to {Install}", notes.Lines.Single());
        }

        [Fact]
        public void KeepOldInstallRollbackNeverMovesOntoAnOccupiedInstallPath()
        {
            var host = new RecordingHost();
            var error = Assert.Throws<StageFailedException>(() => new KeepOldInstallStage().Rollback(Context(host), new Notes(), CancellationToken.None));
            Assert.Contains("is occupied", error.Message);
            Assert.DoesNotContain(host.Lines, l => l.Contains("mv "));
        }

        [Fact]
        public void KeepOldInstallRollbackReportsAFailedRenameAsAStageFailure()
        {
            var host = new RecordingHost().On(Exists(Install), 1).When(l => l.Contains("mv -T"), 1, "", "mv: cannot move: Device or resource busy");
            var error = Assert.Throws<StageFailedException>(() => new KeepOldInstallStage().Rollback(Context(host), new Notes(), CancellationToken.None));
            Assert.Equal($"recorded: could not rename {Backup} back to {Install} (exit 1): mv: cannot move: Device or resource busy", error.Message);
        }

        [Fact]
        public void ExtractRollbackRemovesTheScratchAndMovesTheNewInstallToAFreeAsideName()
        {
            const string scratch = "/usr/local/hotdb/.hotdb-upgrade-extract-20260102030405";
            const string aside = Install + ".failed-20260102030405-2";
            var host = new RecordingHost().When(l => l.StartsWith("stem=", StringComparison.Ordinal), 0, aside);
            var context = Context(host);
            context.NewInstallInPlace = true;
            new ExtractPackageStage().Rollback(context, new Notes(), CancellationToken.None);
            Assert.Equal(new[]
            {
                (Exists(scratch), false),
                ($"rm -rf -- {scratch}", true),
                (Exists(Install), false),
                ($"stem={Install}.failed-20260102030405; sep=-; ext=''; n=2; b=\"$stem$ext\"; while [ -e \"$b\" ] || [ -L \"$b\" ]; do " +
                 "[ $n -le 999 ] || { printf '%s\\n' 'every name is taken' >&2; exit 1; }; b=\"$stem$sep$n$ext\"; n=$((n+1)); done; printf '%s' \"$b\"", false),
                ($"if {Exists(aside)}; then printf '%s\\n' '{aside} exists; it is never overwritten.' >&2; exit 1; fi; mv -T -- {Install} {aside}", true),
            }, host.Commands);
            Assert.Equal((aside, false), (context.FailedInstallPath, context.NewInstallInPlace));
        }

        [Fact]
        public void AFailedScratchCleanupAfterTheMoveStillLetsTheRollbackMoveTheNewInstallAside()
        {
            const string scratch = "/usr/local/hotdb/.hotdb-upgrade-extract-20260102030405";
            var host = new RecordingHost().On(Exists(Install), 1).On($"rmdir -- {scratch}", 1, "", "rmdir: Directory not empty");
            var context = Context(host);
            var error = Assert.Throws<StageFailedException>(() => new ExtractPackageStage().Execute(context, new Notes(), CancellationToken.None));
            Assert.Contains("rmdir: Directory not empty", error.Message);
            Assert.True(context.NewInstallInPlace);
            Assert.Contains(host.Commands, c => c.Line.EndsWith($"mv -T -- {scratch}/hotdb-server {Install}", StringComparison.Ordinal) && c.Elevated);
        }
    }
}
