using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using HotDb.Upgrade.Remote;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Lets a -Session parameter take an open session's id (3) or host name ('db1', or its 'user@host:port' form)
    /// besides the session object; anything else is left for PowerShell to bind. A name that matches no open session,
    /// or several, is refused with a message that lists what is open.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class SessionTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject wrapped && !(wrapped.BaseObject is PSCustomObject) ? wrapped.BaseObject : inputData;
            if (value is string || IsInteger(value)) return Resolve(value!);
            if (value is IList list && !(value is SshSession))
            {
                var items = list.Cast<object?>().Select(item => item is PSObject p ? p.BaseObject : item).ToList();
                if (!items.Any(item => item is string || IsInteger(item))) return inputData;
                return items.Select(item => item is string || IsInteger(item) ? Resolve(item!) : item).ToArray();
            }
            return inputData;
        }

        private static bool IsInteger(object? value) => value is int || value is long || value is short || value is byte || value is uint;

        private static SshSession Resolve(object key)
        {
            var open = SshSessionRegistry.All();
            var text = Convert.ToString(key, CultureInfo.InvariantCulture)!.Trim();
            List<SshSession> matches;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
                matches = open.Where(s => s.Id == id).ToList();
            else
            {
                matches = open.Where(s => string.Equals(s.ToString(), text, StringComparison.OrdinalIgnoreCase)).ToList();
                if (matches.Count == 0) matches = open.Where(s => string.Equals(s.ComputerName, text, StringComparison.OrdinalIgnoreCase)).ToList();
            }
            if (matches.Count == 1) return matches[0];
            var listing = open.Count == 0 ? "no session is open (New-HotDbSession opens one)"
                : "open: " + string.Join(", ", open.Select(s => $"{s.Id} ({s})"));
            throw new ArgumentTransformationMetadataException(matches.Count == 0
                ? $"No open session has the id or host name '{text}'; {listing}."
                : $"Several open sessions go to '{text}' ({string.Join(", ", matches.Select(s => s.Id))}); give the session id instead; {listing}.");
        }
    }
}
