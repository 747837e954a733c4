using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace HotDbSim;

/// <summary>"SELECT expr, expr [LIMIT n]" without FROM: literals, session functions and system variables, as clients send at connect.</summary>
public static class SimpleSelect
{
    static readonly Dictionary<string, object> Variables = new(StringComparer.OrdinalIgnoreCase)
    {
        ["max_allowed_packet"] = 67108864L, ["auto_increment_increment"] = 1L, ["autocommit"] = 1L, ["character_set_client"] = "utf8",
        ["character_set_connection"] = "utf8", ["character_set_results"] = "utf8", ["character_set_server"] = "utf8", ["character_set_database"] = "utf8",
        ["collation_server"] = "utf8_general_ci", ["lower_case_table_names"] = 0L, ["tx_isolation"] = "REPEATABLE-READ",
        ["transaction_isolation"] = "REPEATABLE-READ", ["sql_mode"] = "", ["time_zone"] = "SYSTEM", ["system_time_zone"] = "UTC",
        ["wait_timeout"] = 28800L, ["interactive_timeout"] = 28800L, ["net_write_timeout"] = 60L, ["tx_read_only"] = 0L,
        ["transaction_read_only"] = 0L, ["license"] = "GPL",
    };

    public static SqlReply? TryEvaluate(string sql, SqlSession session, string version, string comment)
    {
        var m = Regex.Match(sql, @"^select\s+(.+?)(\s+limit\s+\d+)?$", RegexOptions.IgnoreCase | RegexOptions.Singleline);
        if (!m.Success || Regex.IsMatch(m.Groups[1].Value, @"\bfrom\b", RegexOptions.IgnoreCase)) return null;
        var names = new List<string>();
        var values = new List<object?>();
        foreach (var raw in m.Groups[1].Value.Split(','))
        {
            var expr = raw.Trim();
            var alias = Regex.Match(expr, @"^(.+?)\s+(?:as\s+)?`?(\w+)`?$", RegexOptions.IgnoreCase);
            string name = expr;
            if (alias.Success && !expr.StartsWith('\'')) { expr = alias.Groups[1].Value.Trim(); name = alias.Groups[2].Value; }
            var lower = expr.ToLowerInvariant().Replace(" ", "");
            object? value;
            if (long.TryParse(expr, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) value = n;
            else if (expr.Length >= 2 && (expr[0] == '\'' || expr[0] == '"') && expr[^1] == expr[0]) { value = expr[1..^1]; if (name == expr) name = (string)value; }
            else
                switch (lower)
                {
                    case "database()": case "schema()": value = session.Database; break;
                    case "user()": case "current_user()": case "session_user()": case "system_user()": value = $"{session.User}@{(session.Remote as System.Net.IPEndPoint)?.Address}"; break;
                    case "version()": case "@@version": case "@@global.version": value = version; break;
                    case "@@version_comment": value = comment; break;
                    case "connection_id()": value = (long)session.ConnectionId; break;
                    case "now()": case "current_timestamp()": case "current_timestamp": case "sysdate()": value = DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss"); break;
                    default:
                        var variable = Regex.Match(lower, @"^@@(?:session\.|global\.)?(\w+)$");
                        if (!variable.Success || !Variables.TryGetValue(variable.Groups[1].Value, out var v)) return null;
                        value = v;
                        break;
                }
            names.Add(name);
            values.Add(value);
        }
        return SqlReply.Row(names.ToArray(), values.ToArray());
    }
}
