using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace HotDb.Upgrade.Commands
{
    /// <summary>
    /// Loads the engine and its dependencies (SSH.NET, MySqlConnector, BouncyCastle) from Dependencies/,
    /// isolated from other modules' copies: a custom AssemblyLoadContext on PowerShell 7, an
    /// AssemblyResolve handler on Windows PowerShell 5.1.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer
    {
        internal const string EngineAssemblyName = "HotDb.Upgrade.Engine";
        private static readonly string ModuleRoot = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
        private static readonly object Gate = new object();
        private static bool _registered;

        public void OnImport()
        {
            lock (Gate)
            {
                if (_registered) return;
                if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
                    AppDomain.CurrentDomain.AssemblyResolve += ResolveDesktopDependency;
                else
                    RegisterCoreLoadContext();
                _registered = true;
            }
        }

        private static void RegisterCoreLoadContext()
        {
            var directory = Path.Combine(ModuleRoot, "Dependencies", "Core");
            var loader = Assembly.LoadFrom(Path.Combine(directory, "HotDb.Upgrade.Loader.dll"));
            var register = loader.GetType("HotDb.Upgrade.Loader.DependencyLoadContext", throwOnError: true)!
                .GetMethod("Register", BindingFlags.Public | BindingFlags.Static)!;
            register.Invoke(null, new object[] { directory, EngineAssemblyName });
        }

        private static Assembly? ResolveDesktopDependency(object? sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name).Name;
            var candidate = Path.Combine(ModuleRoot, "Dependencies", "Desktop", name + ".dll");
            return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
        }
    }
}
