using System.Collections.Generic;
using System.Linq;

namespace HotDb.Upgrade.Remote
{
    /// <summary>The sessions open in this process, by id, for Get-HotDbSession and Remove-HotDbSession.</summary>
    public static class SshSessionRegistry
    {
        private static readonly object Gate = new object();
        private static readonly List<SshSession> Sessions = new List<SshSession>();

        public static void Add(SshSession session)
        {
            lock (Gate) Sessions.Add(session);
        }

        /// <summary>Every registered session, oldest first.</summary>
        public static IReadOnlyList<SshSession> All()
        {
            lock (Gate) return Sessions.ToList();
        }

        public static SshSession? Get(int id)
        {
            lock (Gate) return Sessions.FirstOrDefault(s => s.Id == id);
        }

        /// <summary>Closes the session and forgets it; false when it was not registered.</summary>
        public static bool Remove(SshSession session)
        {
            bool removed;
            lock (Gate) removed = Sessions.Remove(session);
            session.Dispose();
            return removed;
        }
    }
}
