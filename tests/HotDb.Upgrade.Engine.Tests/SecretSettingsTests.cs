using System.Collections.Generic;
using HotDb.Upgrade.Configuration;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    public class SecretSettingsTests
    {
        [Theory]
        [InlineData("password", true)]
        [InlineData("bakPassword", true)]
        [InlineData("drBakPassword", true)]
        [InlineData("spring.datasource.password", true)]
        [InlineData("jwt.secret", true)]
        [InlineData("api.token", true)]
        [InlineData("aws.credentials", true)]
        [InlineData("username", false)]
        [InlineData("url", false)]
        public void Recognises_password_settings(string key, bool secret) => Assert.Equal(secret, SecretSettings.IsSecret(key));

        [Fact]
        public void Masks_only_the_secrets()
        {
            var masked = SecretSettings.Masked(new Dictionary<string, string> { ["password"] = "s3cret", ["url"] = "jdbc:mysql://h/db" });
            Assert.Equal("********", masked["password"]);
            Assert.Equal("jdbc:mysql://h/db", masked["url"]);
        }
    }
}
