using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;

namespace HotDb.Upgrade.Topology
{
    /// <summary>
    /// keepalived.conf as the vendor's master/backup templates use it: global_defs router_id, vrrp_script blocks and
    /// vrrp_instance blocks. Every value keeps its position so a writer can change values in place. Keywords this
    /// reader does not know are skipped, not refused: keepalived has many the HotDB templates never use.
    /// </summary>
    public sealed class KeepalivedConfig
    {
        private KeepalivedConfig(string? path, string text)
        {
            Path = path;
            Text = text;
        }

        /// <summary>The file the text was read from, when known.</summary>
        public string? Path { get; }

        /// <summary>The file as read, for a writer that edits values in place; it holds auth_pass, so it is never shown.</summary>
        internal string Text { get; }

        public KeepalivedValue<string>? RouterId { get; private set; }
        public IReadOnlyList<VrrpScript> Scripts { get; private set; } = Array.Empty<VrrpScript>();
        public IReadOnlyList<VrrpInstance> Instances { get; private set; } = Array.Empty<VrrpInstance>();

        /// <summary>The vrrp_script of that name; null when none is defined.</summary>
        public VrrpScript? Script(string name) => Scripts.FirstOrDefault(s => s.Name == name);

        /// <summary>Parses keepalived.conf text; a <see cref="KeepalivedConfigException"/> names the line of the first problem.</summary>
        public static KeepalivedConfig Parse(string text, string? path = null)
        {
            if (text is null) throw new ArgumentNullException(nameof(text));
            var config = new KeepalivedConfig(path, text);
            var scripts = new List<VrrpScript>();
            var instances = new List<VrrpInstance>();
            foreach (var statement in KeepalivedSyntax.Parse(text, path))
            {
                switch (statement.Name)
                {
                    case "global_defs":
                        var routerId = Children(statement, path).LastOrDefault(s => s.Name == "router_id");
                        if (routerId != null) config.RouterId = Word(routerId, path);
                        break;
                    case "vrrp_script":
                        scripts.Add(ReadScript(statement, path));
                        break;
                    case "vrrp_instance":
                        instances.Add(ReadInstance(statement, path));
                        break;
                }
            }
            config.Scripts = scripts;
            config.Instances = instances;
            return config;
        }

        private static VrrpScript ReadScript(KeepalivedStatement block, string? path)
        {
            var script = new VrrpScript(Name(block, path), block.Span);
            foreach (var s in Children(block, path))
            {
                switch (s.Name)
                {
                    case "script": script.Script = Word(s, path); break;
                    case "interval": script.Interval = Number(s, path); break;
                    case "weight": script.Weight = Integer(s, path); break;
                    case "fall": script.Fall = Integer(s, path); break;
                    case "rise": script.Rise = Integer(s, path); break;
                    case "timeout": script.Timeout = Integer(s, path); break;
                }
            }
            return script;
        }

        private static VrrpInstance ReadInstance(KeepalivedStatement block, string? path)
        {
            var instance = new VrrpInstance(Name(block, path), block.Span);
            foreach (var s in Children(block, path))
            {
                switch (s.Name)
                {
                    case "state": instance.State = Word(s, path); break;
                    case "interface": instance.Interface = Word(s, path); break;
                    case "virtual_router_id": instance.VirtualRouterId = Integer(s, path); break;
                    case "priority": instance.Priority = Integer(s, path); break;
                    case "advert_int": instance.AdvertInt = Number(s, path); break;
                    case "nopreempt": instance.NopreemptSpan = s.Span; break;
                    case "notify_master": instance.NotifyMaster = Word(s, path); break;
                    case "notify_backup": instance.NotifyBackup = Word(s, path); break;
                    case "notify_fault": instance.NotifyFault = Word(s, path); break;
                    case "authentication":
                        foreach (var a in Children(s, path))
                        {
                            if (a.Name == "auth_type") instance.AuthType = Word(a, path);
                            else if (a.Name == "auth_pass") instance.AuthPass = new KeepalivedSecret(a.ArgumentText, a.ArgumentSpan ?? a.Span);
                        }
                        break;
                    case "virtual_ipaddress":
                        instance.VirtualIpAddresses = Children(s, path).Select(v => ReadVirtualAddress(v, path)).ToList();
                        break;
                    case "track_script":
                        instance.TrackScripts = Children(s, path).Select(TrackedName).ToList();
                        break;
                }
            }
            return instance;
        }

        // A track_script line is a vrrp_script name, optionally followed by "weight N".
        private static KeepalivedValue<string> TrackedName(KeepalivedStatement line)
        {
            var words = new[] { line.Keyword }.Concat(line.Arguments).ToList();
            var weight = words.FindIndex(w => w.Text == "weight" && !w.Quoted);
            if (weight > 0) words = words.Take(weight).ToList();
            return new KeepalivedValue<string>(string.Join(" ", words.Select(w => w.Text)), words[0].Span.Through(words[words.Count - 1].Span));
        }

        private static VirtualIpAddress ReadVirtualAddress(KeepalivedStatement line, string? path)
        {
            var text = line.Keyword.Text;
            var slash = text.IndexOf('/');
            int? prefix = null;
            if (slash >= 0)
            {
                if (!int.TryParse(text.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p > 128)
                    throw new KeepalivedConfigException(path, line.Line, $"'{text}' in virtual_ipaddress has no valid /prefix.");
                prefix = p;
            }
            if (!IPAddress.TryParse(slash >= 0 ? text.Substring(0, slash) : text, out var address))
                throw new KeepalivedConfigException(path, line.Line, $"'{text}' in virtual_ipaddress is not an IP address.");
            string? Option(string name)
            {
                for (var i = 0; i < line.Arguments.Count - 1; i++)
                    if (line.Arguments[i].Text == name) return line.Arguments[i + 1].Text;
                return null;
            }
            return new VirtualIpAddress(address, prefix, Option("dev"), Option("label"), line.Span);
        }

        private static List<KeepalivedStatement> Children(KeepalivedStatement statement, string? path) =>
            statement.Block ?? throw new KeepalivedConfigException(path, statement.Line, $"'{statement.Name}' needs a block in braces.");

        private static string Name(KeepalivedStatement block, string? path)
        {
            if (block.Arguments.Count == 0) throw new KeepalivedConfigException(path, block.Line, $"'{block.Name}' needs a name.");
            return block.ArgumentText;
        }

        private static KeepalivedValue<string> Word(KeepalivedStatement s, string? path)
        {
            if (s.Arguments.Count == 0) throw new KeepalivedConfigException(path, s.Line, $"'{s.Name}' needs a value.");
            return new KeepalivedValue<string>(s.ArgumentText, s.ArgumentSpan!.Value);
        }

        private static KeepalivedValue<int> Integer(KeepalivedStatement s, string? path)
        {
            var text = Word(s, path);
            if (s.Arguments.Count != 1 || !int.TryParse(text.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                throw new KeepalivedConfigException(path, s.Line, $"'{s.Name}' must be a whole number, not '{text.Value}'.");
            return new KeepalivedValue<int>(value, text.Span);
        }

        private static KeepalivedValue<decimal> Number(KeepalivedStatement s, string? path)
        {
            var text = Word(s, path);
            if (s.Arguments.Count != 1 || !decimal.TryParse(text.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
                throw new KeepalivedConfigException(path, s.Line, $"'{s.Name}' must be a number, not '{text.Value}'.");
            return new KeepalivedValue<decimal>(value, text.Span);
        }

        public override string ToString() => Path ?? "keepalived.conf";
    }
}
