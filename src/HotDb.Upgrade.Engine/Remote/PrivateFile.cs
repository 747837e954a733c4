using System.IO;

namespace HotDb.Upgrade.Remote
{
    /// <summary>Local files that hold secrets or trust (known_hosts, backups): owner-only modes on Unix.</summary>
    internal static class PrivateFile
    {
        internal static void Restrict(string path, int mode)
        {
#if NET8_0_OR_GREATER
            if (!System.OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, (UnixFileMode)mode);
#else
            // Windows PowerShell 5.1 runs on Windows only, where the profile folder's ACL already keeps these private.
            _ = path;
            _ = mode;
#endif
        }
    }
}
