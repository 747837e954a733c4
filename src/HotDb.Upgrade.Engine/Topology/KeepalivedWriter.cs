using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace HotDb.Upgrade.Topology
{
    /// <summary>What to change in one vrrp_instance; a null member is left as written.</summary>
    public sealed class VrrpInstanceChange
    {
        /// <summary>MASTER or BACKUP (the vendor's templates start both as BACKUP).</summary>
        public string? State { get; set; }
        public int? Priority { get; set; }
        /// <summary>True adds the nopreempt keyword (before priority, as the master template has it), false removes it.</summary>
        public bool? Nopreempt { get; set; }

        /// <summary>
        /// The side the vendor's check-script modes name: Master turns backup_notify_* into master_notify_* and
        /// connect_backup into connect_master in the instance's notify scripts and tracked vrrp_scripts; Backup the
        /// reverse. The script paths and every other word stay as written.
        /// </summary>
        public HaRole? ScriptSide { get; set; }
    }

    /// <summary>One value a rewrite changes; never a secret (auth_pass is never edited).</summary>
    public sealed class KeepalivedEdit
    {
        internal KeepalivedEdit(string instance, string key, string? oldValue, string? newValue, int line)
        {
            Instance = instance;
            Key = key;
            OldValue = oldValue;
            NewValue = newValue;
            Line = line;
        }

        public string Instance { get; }
        /// <summary>state, priority, nopreempt, notify_master..., or "vrrp_script NAME script".</summary>
        public string Key { get; }
        /// <summary>As written before; null when absent.</summary>
        public string? OldValue { get; }
        /// <summary>As written after; null when removed.</summary>
        public string? NewValue { get; }
        /// <summary>The line in the original file.</summary>
        public int Line { get; }

        public override string ToString() => $"{Instance} {Key}: {OldValue ?? "(absent)"} -> {NewValue ?? "(absent)"}";
    }

    /// <summary>A keepalived.conf rewritten in place: only the edited values differ from the original text.</summary>
    public sealed class KeepalivedRewrite
    {
        internal KeepalivedRewrite(KeepalivedConfig original, string text, IReadOnlyList<KeepalivedEdit> edits)
        {
            Original = original;
            Text = text;
            Edits = edits;
        }

        public KeepalivedConfig Original { get; }
        /// <summary>The new file text; it holds auth_pass, so it is never shown.</summary>
        internal string Text { get; }
        public IReadOnlyList<KeepalivedEdit> Edits { get; }
        public bool Changed => Edits.Count > 0;
    }

    /// <summary>
    /// Edits a vrrp_instance's state, priority and nopreempt (and the master/backup words of its check scripts) in
    /// the text <see cref="KeepalivedConfig"/> read, by the positions it kept: indentation, comments, order, the
    /// interface, VIP, virtual_router_id, authentication and intervals stay byte for byte.
    /// </summary>
    public static class KeepalivedWriter
    {
        private static readonly Regex NotifyMode = new Regex(@"(?<![\w-])(master|backup)(_notify_(?:master|backup))(?![\w-])", RegexOptions.CultureInvariant);
        private static readonly Regex ConnectMode = new Regex(@"(?<![\w-])connect_(master|backup)(?![\w-])", RegexOptions.CultureInvariant);

        public static KeepalivedRewrite Rewrite(KeepalivedConfig config, string instanceName, VrrpInstanceChange change)
        {
            if (config is null) throw new ArgumentNullException(nameof(config));
            if (change is null) throw new ArgumentNullException(nameof(change));
            var instance = config.Instances.FirstOrDefault(i => i.Name == instanceName)
                ?? throw new ArgumentException($"{config}: there is no vrrp_instance '{instanceName}' (it has {(config.Instances.Count == 0 ? "none" : string.Join(", ", config.Instances.Select(i => i.Name)))}).", nameof(instanceName));
            if (change.State != null && change.State != "MASTER" && change.State != "BACKUP")
                throw new ArgumentException($"state must be MASTER or BACKUP, not '{change.State}'.", nameof(change));
            if (change.Priority.HasValue && (change.Priority.Value < 1 || change.Priority.Value > 255))
                throw new ArgumentException($"priority must be 1..255, not {change.Priority.Value}.", nameof(change));

            var text = config.Text;
            var newline = text.Contains("\r\n") ? "\r\n" : "\n";
            var splices = new List<(int Offset, int Length, string Text)>();
            var edits = new List<KeepalivedEdit>();
            var openLineEnd = LineEnd(text, text.IndexOf('{', instance.Span.Offset));
            var childIndent = Indentation(text, (instance.State?.Span ?? instance.Interface?.Span ?? instance.Priority?.Span)?.Offset)
                ?? Indentation(text, instance.Span.Offset) + "    ";

            void Set(string key, KeepalivedValue<string>? current, string wanted)
            {
                if (current != null)
                {
                    if (current.Value == wanted) return;
                    splices.Add((current.Span.Offset, current.Span.Length, wanted));
                    edits.Add(new KeepalivedEdit(instance.Name, key, current.Value, wanted, current.Span.Line));
                }
                else
                {
                    splices.Add((openLineEnd + 1, 0, childIndent + key + " " + wanted + newline));
                    edits.Add(new KeepalivedEdit(instance.Name, key, null, wanted, instance.Span.Line));
                }
            }

            if (change.State != null)
                Set("state", instance.State == null ? null : new KeepalivedValue<string>(instance.State.Value, instance.State.Span), change.State);
            if (change.Nopreempt == true && !instance.Nopreempt)
            {
                // The master template writes nopreempt just above priority.
                var at = instance.Priority != null ? LineStart(text, instance.Priority.Span.Offset) : openLineEnd + 1;
                var indent = instance.Priority != null ? Indentation(text, instance.Priority.Span.Offset)! : childIndent;
                splices.Add((at, 0, indent + "nopreempt" + newline));
                edits.Add(new KeepalivedEdit(instance.Name, "nopreempt", null, "nopreempt", instance.Priority?.Span.Line ?? instance.Span.Line));
            }
            else if (change.Nopreempt == false && instance.NopreemptSpan is SourceSpan nopreempt)
            {
                var start = LineStart(text, nopreempt.Offset);
                var end = LineEnd(text, nopreempt.Offset);
                var alone = text.Substring(start, end - start).Trim() == "nopreempt";
                splices.Add(alone ? (start, Math.Min(end + 1, text.Length) - start, "") : (nopreempt.Offset, nopreempt.Length, ""));
                edits.Add(new KeepalivedEdit(instance.Name, "nopreempt", "nopreempt", null, nopreempt.Line));
            }

            if (change.Priority.HasValue)
                Set("priority", instance.Priority == null ? null : new KeepalivedValue<string>(Text(instance.Priority.Span), instance.Priority.Span),
                    change.Priority.Value.ToString(CultureInfo.InvariantCulture));

            if (change.ScriptSide is HaRole side && side != HaRole.None)
            {
                var word = side == HaRole.Master ? "master" : "backup";
                void Modes(string key, KeepalivedValue<string>? value)
                {
                    if (value == null) return;
                    var written = Text(value.Span);
                    var rewritten = ConnectMode.Replace(NotifyMode.Replace(written, m => word + m.Groups[2].Value), "connect_" + word);
                    if (rewritten == written) return;
                    splices.Add((value.Span.Offset, value.Span.Length, rewritten));
                    edits.Add(new KeepalivedEdit(instance.Name, key, value.Value, Unquote(rewritten), value.Span.Line));
                }
                Modes("notify_master", instance.NotifyMaster);
                Modes("notify_backup", instance.NotifyBackup);
                Modes("notify_fault", instance.NotifyFault);
                foreach (var script in instance.TrackScripts.Select(t => config.Script(t.Value)).Where(s => s != null).Distinct())
                    Modes($"vrrp_script {script!.Name} script", script.Script);
            }

            var result = text;
            // From the end, so earlier offsets stay valid; lines inserted at one place keep the order they were added in.
            foreach (var splice in splices.Select((s, i) => (s, i)).OrderByDescending(x => x.s.Offset).ThenByDescending(x => x.i).Select(x => x.s))
                result = result.Substring(0, splice.Offset) + splice.Text + result.Substring(splice.Offset + splice.Length);
            if (edits.Count > 0) Verify(config, instance, change, result);
            return new KeepalivedRewrite(config, result, edits.OrderBy(e => e.Line).ToList());

            string Text(SourceSpan span) => text.Substring(span.Offset, span.Length);
        }

        // The rewritten file must read back with the wanted values and everything else of the instance unchanged.
        private static void Verify(KeepalivedConfig config, VrrpInstance before, VrrpInstanceChange change, string text)
        {
            KeepalivedConfig reread;
            try { reread = KeepalivedConfig.Parse(text, config.Path); }
            catch (KeepalivedConfigException e) { throw new InvalidOperationException($"{config}: the rewritten file does not parse ({e.Message}); nothing was written.", e); }
            var after = reread.Instances.FirstOrDefault(i => i.Name == before.Name);
            var problems = new List<string>();
            if (after == null) problems.Add("the instance is gone");
            else
            {
                if (change.State != null && after.State?.Value != change.State) problems.Add("state");
                if (change.Priority.HasValue && after.Priority?.Value != change.Priority) problems.Add("priority");
                if (change.Nopreempt.HasValue && after.Nopreempt != change.Nopreempt.Value) problems.Add("nopreempt");
                if (after.Interface?.Value != before.Interface?.Value || after.VirtualRouterId?.Value != before.VirtualRouterId?.Value
                    || after.AdvertInt?.Value != before.AdvertInt?.Value || after.AuthType?.Value != before.AuthType?.Value
                    || (before.AuthPass != null && !before.AuthPass.Matches(after.AuthPass))
                    || !after.VirtualIpAddresses.Select(v => v.ToString()).SequenceEqual(before.VirtualIpAddresses.Select(v => v.ToString()))
                    || !after.TrackScripts.Select(t => t.Value).SequenceEqual(before.TrackScripts.Select(t => t.Value)))
                    problems.Add("a value that must not change");
            }
            if (reread.Instances.Count != config.Instances.Count || reread.Scripts.Count != config.Scripts.Count) problems.Add("the number of blocks");
            if (problems.Count > 0)
                throw new InvalidOperationException($"{config}: the rewritten vrrp_instance '{before.Name}' reads back wrong ({string.Join(", ", problems)}); nothing was written.");
        }

        private static string Unquote(string value) => value.Length >= 2 && value[0] == '"' && value[value.Length - 1] == '"' ? value.Substring(1, value.Length - 2) : value;

        private static int LineStart(string text, int offset)
        {
            var newline = offset <= 0 ? -1 : text.LastIndexOf('\n', offset - 1);
            return newline + 1;
        }

        private static int LineEnd(string text, int offset)
        {
            var newline = text.IndexOf('\n', Math.Max(0, offset));
            return newline < 0 ? text.Length : newline;
        }

        // The leading blanks of the line holding offset; null when there is no such line.
        private static string? Indentation(string text, int? offset)
        {
            if (offset == null) return null;
            var start = LineStart(text, offset.Value);
            var end = start;
            while (end < text.Length && (text[end] == ' ' || text[end] == '\t')) end++;
            return text.Substring(start, end - start);
        }
    }
}
