using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace HotDb.Upgrade.ConfigDb
{
    public enum DumpClientFlavour
    {
        MySql,
        MariaDb,
    }

    /// <summary>
    /// A mysqldump (or mariadb-dump) client as its --version line describes it, and the options that client accepts
    /// for the manual's backup: a consistent snapshot, utf8, the replication position recorded.
    /// </summary>
    public sealed class DumpClient
    {
        private static readonly Regex MariaDbDistrib = new Regex(@"Distrib (?<v>\d+\.\d+\.\d+)-MariaDB", RegexOptions.CultureInvariant);
        private static readonly Regex MariaDbFrom = new Regex(@"\bfrom (?<v>\d+\.\d+\.\d+)-MariaDB", RegexOptions.CultureInvariant);
        private static readonly Regex MySqlDistrib = new Regex(@"Ver \d+\.\d+ Distrib (?<v>\d+\.\d+\.\d+)[,\s]", RegexOptions.CultureInvariant);
        private static readonly Regex MySqlVer = new Regex(@"Ver (?<v>\d+\.\d+\.\d+)\b", RegexOptions.CultureInvariant);

        private DumpClient(string program, DumpClientFlavour flavour, Version version)
        {
            Program = program;
            Flavour = flavour;
            Version = version;
        }

        /// <summary>The program as found on the host, e.g. /usr/bin/mysqldump.</summary>
        public string Program { get; }
        public DumpClientFlavour Flavour { get; }
        public Version Version { get; }

        /// <summary>Reads the flavour and version from <c>mysqldump --version</c> output.</summary>
        public static DumpClient Parse(string program, string versionOutput)
        {
            var text = versionOutput ?? "";
            var m = MariaDbDistrib.Match(text);
            if (!m.Success) m = MariaDbFrom.Match(text);
            if (m.Success) return new DumpClient(program, DumpClientFlavour.MariaDb, System.Version.Parse(m.Groups["v"].Value));
            m = MySqlDistrib.Match(text);
            if (!m.Success) m = MySqlVer.Match(text);
            if (m.Success) return new DumpClient(program, DumpClientFlavour.MySql, System.Version.Parse(m.Groups["v"].Value));
            throw new FormatException($"'{program} --version' said '{text.Trim()}', which names neither a MySQL nor a MariaDB version.");
        }

        /// <summary>
        /// The options for a ConfigDB backup (the database and connection options are added by the caller).
        /// <paramref name="binaryLog"/>: the server writes a binary log (without one there is no position to record,
        /// and the position options fail). <paramref name="serverIsMariaDb"/>/<paramref name="serverVersion"/>: a MySQL 8
        /// client must not ask an older or MariaDB server for column statistics.
        /// </summary>
        public IReadOnlyList<string> BackupOptions(bool binaryLog, bool serverIsMariaDb, Version serverVersion)
        {
            var options = new List<string> { "--single-transaction", "--default-character-set=utf8" };
            if (Flavour == DumpClientFlavour.MySql)
            {
                if (Version >= new Version(5, 6, 9)) options.Add("--set-gtid-purged=OFF");
                if (binaryLog) options.Add(Version >= new Version(8, 0, 26) ? "--source-data=1" : "--master-data=1");
                if (Version >= new Version(8, 0, 2) && (serverIsMariaDb || serverVersion < new Version(8, 0)))
                    options.Add("--column-statistics=0");
            }
            else if (binaryLog)
            {
                options.Add("--master-data=1");
                if (Version >= new Version(10, 0, 13)) options.Add("--gtid");
            }
            return options;
        }

        public override string ToString() => $"{Program} ({(Flavour == DumpClientFlavour.MariaDb ? "MariaDB" : "MySQL")} {Version})";
    }
}
