using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace HotDb.Upgrade.Loader
{
    /// <summary>
    /// Loads the engine and everything it references from the module's dependency folder,
    /// whatever versions other modules (Posh-SSH, dbatools) put into the default context.
    /// </summary>
    public sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private static readonly object Gate = new object();
        private static DependencyLoadContext? _instance;
        private readonly string _dependencyDirectory;

        private DependencyLoadContext(string dependencyDirectory) : base("HotDb.Upgrade", isCollectible: false)
        {
            _dependencyDirectory = dependencyDirectory;
        }

        /// <summary>
        /// Makes the default context hand <paramref name="engineAssemblyName"/> over to this context.
        /// Called once per process by the cmdlet assembly's module initializer; later calls are no-ops.
        /// </summary>
        public static void Register(string dependencyDirectory, string engineAssemblyName)
        {
            lock (Gate)
            {
                if (_instance != null) return;
                var context = new DependencyLoadContext(dependencyDirectory);
                Default.Resolving += (_, name) =>
                    string.Equals(name.Name, engineAssemblyName, StringComparison.Ordinal)
                        ? context.LoadFromAssemblyName(name)
                        : null;
                _instance = context;
            }
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // Only what ships in the dependency folder is ours; framework assemblies come from the default context.
            var candidate = Path.Combine(_dependencyDirectory, assemblyName.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
