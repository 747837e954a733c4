using System.Linq;
using HotDb.Upgrade.Remote;
using Renci.SshNet;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public sealed class CipherPreferenceTests
    {
        [Fact]
        public void AesGcmIsOfferedFirstAndNoCipherIsDropped()
        {
            var connection = new ConnectionInfo("198.18.0.21", "root", new PasswordAuthenticationMethod("root", "unused"));
            var before = connection.Encryptions.Keys.ToList();
            Assert.NotEqual("aes128-gcm@openssh.com", before[0]);

            SshSession.PreferHardwareCiphers(connection);

            var after = connection.Encryptions.Keys.ToList();
            Assert.Equal(new[] { "aes128-gcm@openssh.com", "aes256-gcm@openssh.com" }, after.Take(2));
            Assert.Equal(before.OrderBy(k => k), after.OrderBy(k => k));
            // The others keep their order after the two moved first.
            Assert.Equal(before.Where(k => !k.EndsWith("-gcm@openssh.com")), after.Skip(2));
        }
    }
}
