using System;
using System.Collections.Generic;
using System.Net;
using System.Threading;

namespace HotDb.Upgrade.Topology
{
    /// <summary>Show commands on compute nodes' manager ports; a fake answers them in unit tests.</summary>
    public interface IManagerPortClient
    {
        /// <summary>The rows of <paramref name="statement"/>; throws <see cref="ManagerPortException"/> when the port refuses or does not answer.</summary>
        IReadOnlyList<IReadOnlyDictionary<string, string?>> Query(string host, int port, string statement, CancellationToken cancellationToken);
    }

    /// <summary>The manager ports over the MySQL protocol with one login (a HotDB user with the SUPER privilege).</summary>
    public sealed class ManagerPortClient : IManagerPortClient
    {
        private readonly NetworkCredential _credential;
        private readonly TimeSpan _timeout;

        public ManagerPortClient(NetworkCredential credential, TimeSpan timeout)
        {
            _credential = credential ?? throw new ArgumentNullException(nameof(credential));
            _timeout = timeout;
        }

        public IReadOnlyList<IReadOnlyDictionary<string, string?>> Query(string host, int port, string statement, CancellationToken cancellationToken) =>
            ManagerPort.Query(host, port, statement, _credential, _timeout, cancellationToken);
    }
}
