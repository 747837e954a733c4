using System;
using System.Collections.Generic;
using System.Linq;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>Which configuration settings hold secrets, and how they are shown: one rule for every output.</summary>
    public static class SecretSettings
    {
        public const string Mask = "********";

        private static readonly string[] Markers = { "pass", "secret", "token", "credential" };

        /// <summary>password, bakPassword, drPassword, bak1Password, spring.datasource.password, jwt.secret, api.token, ...</summary>
        public static bool IsSecret(string key) => Markers.Any(m => key.IndexOf(m, StringComparison.OrdinalIgnoreCase) >= 0);

        /// <summary>A copy of <paramref name="settings"/> with every secret value replaced by the mask.</summary>
        public static IReadOnlyDictionary<string, string> Masked(IReadOnlyDictionary<string, string> settings) =>
            settings.ToDictionary(p => p.Key, p => IsSecret(p.Key) ? Mask : p.Value, StringComparer.Ordinal);
    }
}
