using System;
using System.Collections.Generic;
using System.Globalization;
using MySqlConnector;

namespace HotDb.Upgrade.ConfigDb
{
    /// <summary>One row of the upgrade ledger: a script run against a ConfigDB.</summary>
    public sealed class LedgerEntry
    {
        internal LedgerEntry(string database, string version, string scriptName, string sha256, int statementCount, bool success,
            bool rolledBack, DateTime startTime, DateTime endTime, string appliedBy, string? error)
        {
            Database = database;
            Version = version;
            ScriptName = scriptName;
            Sha256 = sha256;
            StatementCount = statementCount;
            Success = success;
            RolledBack = rolledBack;
            StartTime = startTime;
            EndTime = endTime;
            AppliedBy = appliedBy;
            Error = error;
        }

        public string Database { get; }
        public string Version { get; }
        public string ScriptName { get; }
        public string Sha256 { get; }
        public int StatementCount { get; }
        public bool Success { get; }
        /// <summary>The run was undone by restoring the backup afterwards.</summary>
        public bool RolledBack { get; }
        public DateTime StartTime { get; }
        public DateTime EndTime { get; }
        public string AppliedBy { get; }
        public string? Error { get; }
        public bool IsApplied => Success && !RolledBack;
    }

    /// <summary>
    /// The history of upgrade scripts run against a ConfigDB, in its own schema on the same server so that a
    /// restore of the vendor database never rewrites it.
    /// </summary>
    internal sealed class UpgradeLedger
    {
        public const string Schema = "hotdb_upgrade_ledger";
        public const string Table = "history";
        private const string QualifiedTable = "`" + Schema + "`.`" + Table + "`";

        private readonly MySqlConnection _connection;

        public UpgradeLedger(MySqlConnection connection) => _connection = connection;

        public void Ensure()
        {
            Execute($"CREATE DATABASE IF NOT EXISTS `{Schema}` DEFAULT CHARACTER SET utf8mb4");
            Execute($@"CREATE TABLE IF NOT EXISTS {QualifiedTable} (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id CHAR(32) NOT NULL,
  database_name VARCHAR(64) NOT NULL,
  version VARCHAR(32) NOT NULL,
  script_name VARCHAR(255) NOT NULL,
  sha256 CHAR(64) NOT NULL,
  statement_count INT NOT NULL,
  success TINYINT(1) NOT NULL,
  rolled_back TINYINT(1) NOT NULL DEFAULT 0,
  started_at DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NOT NULL,
  applied_by VARCHAR(255) NOT NULL,
  error_message TEXT NULL,
  KEY ix_database_version (database_name, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
        }

        /// <summary>Every entry for <paramref name="database"/>, oldest first.</summary>
        public IReadOnlyList<LedgerEntry> Entries(string database)
        {
            var entries = new List<LedgerEntry>();
            if (!Exists()) return entries;
            using (var command = new MySqlCommand(
                $"SELECT database_name, version, script_name, sha256, statement_count, success, rolled_back, started_at, finished_at, applied_by, error_message " +
                $"FROM {QualifiedTable} WHERE database_name = @db ORDER BY id", _connection))
            {
                command.Parameters.AddWithValue("@db", database);
                using (var r = command.ExecuteReader())
                    while (r.Read())
                        entries.Add(new LedgerEntry(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetBoolean(5),
                            r.GetBoolean(6), r.GetDateTime(7), r.GetDateTime(8), r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10)));
            }
            return entries;
        }

        public void Record(string runId, string database, UpgradeScript script, bool success, DateTime start, DateTime end, string appliedBy, string? error)
        {
            using (var command = new MySqlCommand(
                $"INSERT INTO {QualifiedTable} (run_id, database_name, version, script_name, sha256, statement_count, success, started_at, finished_at, applied_by, error_message) " +
                "VALUES (@run, @db, @version, @name, @sha, @count, @success, @start, @end, @by, @error)", _connection))
            {
                command.Parameters.AddWithValue("@run", runId);
                command.Parameters.AddWithValue("@db", database);
                command.Parameters.AddWithValue("@version", script.Version.ToString());
                command.Parameters.AddWithValue("@name", script.Name);
                command.Parameters.AddWithValue("@sha", script.Sha256);
                command.Parameters.AddWithValue("@count", script.StatementCount);
                command.Parameters.AddWithValue("@success", success);
                command.Parameters.AddWithValue("@start", start);
                command.Parameters.AddWithValue("@end", end);
                command.Parameters.AddWithValue("@by", appliedBy);
                command.Parameters.AddWithValue("@error", (object?)error ?? DBNull.Value);
                command.ExecuteNonQuery();
            }
        }

        /// <summary>Marks every entry of a run as undone by a restore.</summary>
        public void MarkRolledBack(string runId)
        {
            using (var command = new MySqlCommand($"UPDATE {QualifiedTable} SET rolled_back = 1 WHERE run_id = @run", _connection))
            {
                command.Parameters.AddWithValue("@run", runId);
                command.ExecuteNonQuery();
            }
        }

        /// <summary>
        /// After a restore of a backup taken at <paramref name="restoredVersion"/>: every applied step to a later version
        /// is undone, so a new run applies it again. Returns how many entries were marked.
        /// </summary>
        public int MarkRestored(string database, Versioning.HotDbVersion restoredVersion)
        {
            if (!Exists()) return 0;
            var undone = new List<long>();
            using (var command = new MySqlCommand($"SELECT id, version FROM {QualifiedTable} WHERE database_name = @db AND success = 1 AND rolled_back = 0", _connection))
            {
                command.Parameters.AddWithValue("@db", database);
                using (var r = command.ExecuteReader())
                    while (r.Read())
                        if (Versioning.HotDbVersion.TryParse(r.GetString(1), out var version) && version! > restoredVersion) undone.Add(r.GetInt64(0));
            }
            if (undone.Count == 0) return 0;
            using (var command = new MySqlCommand($"UPDATE {QualifiedTable} SET rolled_back = 1 WHERE id IN ({string.Join(",", undone)})", _connection))
                command.ExecuteNonQuery();
            return undone.Count;
        }

        private bool Exists()
        {
            using (var command = new MySqlCommand(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = @s AND TABLE_NAME = @t", _connection))
            {
                command.Parameters.AddWithValue("@s", Schema);
                command.Parameters.AddWithValue("@t", Table);
                return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
            }
        }

        private void Execute(string sql)
        {
            using (var command = new MySqlCommand(sql, _connection)) command.ExecuteNonQuery();
        }
    }
}
