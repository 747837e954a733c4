using System;
using System.Collections.Generic;

namespace HotDb.Upgrade.Configuration
{
    /// <summary>The configuration files the upgrade manual says to carry over.</summary>
    public enum ConfigFileKind
    {
        /// <summary>conf/server.xml: &lt;property name="X"&gt;value&lt;/property&gt; inside &lt;system&gt;.</summary>
        ServerXml,
        /// <summary>bin/hotdb_server: the start script's top-level variable assignments.</summary>
        StartScript,
        /// <summary>conf/log4j2.xml: element attributes and text values.</summary>
        Log4j2,
        /// <summary>
        /// A Java .properties file (e.g. conf/application.properties, conf/config.properties): each key one setting,
        /// the last one of a key counting, as Java reads it.
        /// </summary>
        Properties,
    }

    /// <summary>What the carry-over did, or would do, with one setting.</summary>
    public enum ConfigChangeAction
    {
        /// <summary>The old install's value replaces the new file's value.</summary>
        Carried,
        /// <summary>The new file's value stays: the user never changed it, or the new version added it.</summary>
        KeptNewDefault,
        /// <summary>A setting the new file lacks is inserted (a supported server.xml property, a key the user added to a .properties file).</summary>
        Added,
        /// <summary>The old install had it; the new version no longer does. Reported, never re-added.</summary>
        DroppedByNewVersion,
        /// <summary>Differs, but not carried; Reason says why and what to do.</summary>
        Skipped,
        /// <summary>A value set explicitly (the JDK setter), not carried from the old install.</summary>
        Set,
    }

    /// <summary>Three-way uses the old version's pristine file to tell user changes from old defaults.</summary>
    public enum ConfigMergeMode
    {
        ThreeWay,
        TwoWay,
    }

    /// <summary>One setting's comparison and what the merge does with it.</summary>
    public sealed class ConfigChange
    {
        internal ConfigChange(ConfigFileKind kind, string file, string key, int occurrence, string? oldValue, string? newValue, string? pristineValue,
            string? mergedValue, ConfigChangeAction action, string reason, ConfigMergeMode mode)
        {
            Kind = kind;
            File = file;
            Key = key;
            Occurrence = occurrence;
            OldValue = oldValue;
            NewValue = newValue;
            PristineValue = pristineValue;
            MergedValue = mergedValue;
            Action = action;
            Reason = reason;
            Mode = mode;
        }

        public ConfigFileKind Kind { get; }
        /// <summary>The host the files are on; null for a merge of texts.</summary>
        public string? ComputerName { get; internal set; }
        /// <summary>The file in the new install this change is about.</summary>
        public string File { get; internal set; }
        /// <summary>Property name, variable name, or element/attribute path.</summary>
        public string Key { get; }
        /// <summary>
        /// Which setting of <see cref="Key"/> this is when a file sets it more than once (server.xml's bakUrl: 1 the
        /// slave ConfigDB, 2 the MGR ConfigDB); the n-th of the old file is carried to the n-th of the new one.
        /// </summary>
        public int Occurrence { get; }
        /// <summary>The value in the old install (null: not set there).</summary>
        public string? OldValue { get; }
        /// <summary>The value the new install shipped with (null: not set there).</summary>
        public string? NewValue { get; }
        /// <summary>The old version's vendor default (null: not set there, or no pristine file).</summary>
        public string? PristineValue { get; }
        /// <summary>The value the new file has after the merge (null: absent).</summary>
        public string? MergedValue { get; }
        public ConfigChangeAction Action { get; }
        public string Reason { get; }
        public ConfigMergeMode Mode { get; }
        /// <summary>Where the edited file's original was saved; null until Merge-HotDbConfig writes it.</summary>
        public string? BackupPath { get; internal set; }

        /// <summary>The value is a password: every value shown here is masked; the files hold the real ones.</summary>
        public bool IsSecret { get; internal set; }

        /// <summary>The merged value as the program reads it, unmasked, for verifying the written file.</summary>
        internal string? ExpectedValue { get; set; }

        internal static ConfigChange Create(ConfigFileKind kind, string file, string key, int occurrence, string? oldValue, string? newValue, string? pristineValue,
            string? mergedValue, ConfigChangeAction action, string reason, ConfigMergeMode mode, bool secret)
        {
            string? Shown(string? value) => secret && value != null ? SecretSettings.Mask : value;
            return new ConfigChange(kind, file, key, occurrence, Shown(oldValue), Shown(newValue), Shown(pristineValue), Shown(mergedValue), action, reason, mode)
            {
                IsSecret = secret,
                ExpectedValue = mergedValue,
            };
        }

        public override string ToString() => $"{File}: {Key}{(Occurrence > 1 ? $" ({Occurrence})" : "")} {Action} ({OldValue} -> {MergedValue})";
    }

    /// <summary>Choices that change what is carried.</summary>
    public sealed class ConfigMergeOptions
    {
        /// <summary>The upgrade installs a new JDK: JAVA_BIN and JAVA_VERSION are not carried from the old script.</summary>
        public bool ExcludeJdk { get; set; }
        /// <summary>Carry log4j2.xml differences instead of only reporting them.</summary>
        public bool IncludeLog4j { get; set; }
        /// <summary>The new install's version, when known: decides which absent server.xml properties it supports.</summary>
        public Versioning.HotDbVersion? NewVersion { get; set; }
    }

    /// <summary>One file's merge: the new text and every change.</summary>
    public sealed class ConfigMergeResult
    {
        internal ConfigMergeResult(ConfigFileKind kind, ConfigMergeMode mode, string newText, string mergedText, IReadOnlyList<ConfigChange> changes)
        {
            Kind = kind;
            Mode = mode;
            MergedText = mergedText;
            Changes = changes;
            IsModified = !string.Equals(newText, mergedText, StringComparison.Ordinal);
        }

        public ConfigFileKind Kind { get; }
        public ConfigMergeMode Mode { get; }
        public string MergedText { get; }
        public IReadOnlyList<ConfigChange> Changes { get; }
        public bool IsModified { get; }
    }

    /// <summary>A configuration file that cannot be read safely; nothing was changed.</summary>
    public sealed class ConfigFormatException : FormatException, IHotDbError
    {
        public ConfigFormatException(string file, string message, Exception? inner = null)
            : base($"{file}: {message}", inner)
        {
            File = file;
        }

        public string File { get; }

        public string ErrorId => "ConfigFileMalformed";
        public string Category => "InvalidData";
        object? IHotDbError.Target => File;
        public string RecommendedAction => "Fix the file named in the message (it must be well-formed and UTF-8), or merge this file by hand.";
    }
}
