using HotDb.Upgrade.Topology;

namespace HotDb.Upgrade.Ha
{
    /// <summary>One value an HA operation changes in server.xml or keepalived.conf on one host (never a secret).</summary>
    public sealed class HaFileChange
    {
        internal HaFileChange(string computerName, HaRole role, string file, string key, string? oldValue, string? newValue)
        {
            ComputerName = computerName;
            Role = role;
            File = file;
            Key = key;
            OldValue = oldValue;
            NewValue = newValue;
        }

        public string ComputerName { get; }
        /// <summary>The role the host gets.</summary>
        public HaRole Role { get; }
        public string File { get; }
        /// <summary>A server.xml property, or a keepalived.conf keyword ("VI_1 priority").</summary>
        public string Key { get; }
        /// <summary>As written before; null when absent.</summary>
        public string? OldValue { get; }
        /// <summary>As written after; null when removed.</summary>
        public string? NewValue { get; }
        /// <summary>Where the file was saved (mode 0600) before it was changed; null until written.</summary>
        public string? BackupPath { get; internal set; }

        public override string ToString() => $"{ComputerName} {File}: {Key} {Show(OldValue)} -> {Show(NewValue)}";

        private static string Show(string? value) => value == null ? "(absent)" : value.Length == 0 ? "(empty)" : value;
    }
}
