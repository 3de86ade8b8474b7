using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ArtifactCache.Build.Caching;

namespace ArtifactCache.Build.Reporting;

/// <summary>
/// One build as every MSBuild node of it sees it: a folder under the cache folder that the nodes share, so that a
/// coded warning is raised once per build rather than once per node, and so that the build's outcomes can be summed
/// up when the build ends. MSBuild gives tasks no build identity, so the build is named after the process the user
/// started (the entry process, which launched the worker nodes): its id and start time.
/// </summary>
public sealed class BuildSession : IBuildFlags
{
    private const string WarnedFolder = "warned";
    private const string FlagsFolder = "flags";
    private const string ClaimsFolder = "claims";
    private const string OutcomesFile = "outcomes.jsonl";

    private BuildSession(string id, string directory, bool shared)
    {
        Id = id;
        Directory = directory;
        IsShared = shared;
    }

    /// <summary>Names the build; the same on every node of one command-line build.</summary>
    public string Id { get; }

    public string Directory { get; }

    /// <summary>False when the build could not be named across nodes; the session is then this node's alone.</summary>
    public bool IsShared { get; }

    /// <summary>Opens (creating when needed) the session of the current build under <paramref name="root"/>.</summary>
    public static BuildSession Open(string root, Func<string, string?> environment)
    {
        var shared = EntryProcess.Identity(environment);
        // A node that cannot name its build keeps a session of its own: warnings are then once per node, never lost.
        var id = shared ?? "node-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..12];
        return OpenNamed(root, id, shared is not null);
    }

    /// <summary>Opens the session named <paramref name="id"/>; for tests and for hosts that name builds themselves.</summary>
    public static BuildSession OpenNamed(string root, string id, bool shared = true)
    {
        var directory = Path.Combine(root, id);
        System.IO.Directory.CreateDirectory(Path.Combine(directory, WarnedFolder));
        return new BuildSession(id, directory, shared);
    }

    /// <summary>
    /// True for the first caller in this build to claim <paramref name="code"/>, on any node: creating a file is atomic
    /// across processes. When the folder cannot be written the caller warns anyway: a repeated warning beats a lost one.
    /// </summary>
    public bool TryClaimWarning(string code) => TryCreate(WarnedFolder, code);

    public bool TryClaim(string name) => TryCreate(ClaimsFolder, name);

    public void Release(string name)
    {
        try
        {
            File.Delete(Path.Combine(Directory, ClaimsFolder, name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A claim left behind only makes the other nodes wait for it, within their own bounds.
        }
    }

    public bool IsClaimed(string name) => File.Exists(Path.Combine(Directory, ClaimsFolder, name));

    // Creating a file is atomic across processes. A folder that cannot be written lets every caller through: the work
    // is then done twice (a warning repeated, an artifact downloaded twice), never lost.
    private bool TryCreate(string folder, string name)
    {
        var path = Path.Combine(Directory, folder, name);
        try
        {
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, folder));
            using var marker = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    public bool IsSet(string name) => File.Exists(Path.Combine(Directory, FlagsFolder, name));

    public void Set(string name)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, FlagsFolder));
            File.WriteAllBytes(Path.Combine(Directory, FlagsFolder, name), []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The other nodes then find out for themselves; each still stops within its own budget.
        }
    }

    /// <summary>The codes warned about in this build so far, on any node.</summary>
    public IReadOnlyList<string> WarnedCodes()
    {
        try
        {
            return System.IO.Directory.EnumerateFiles(Path.Combine(Directory, WarnedFolder)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Records one compilation's report line (the JSON Lines record of <see cref="CompilationReport"/>).</summary>
    public bool Record(string reportLine) => AppendLine(OutcomesFile, reportLine);

    /// <summary>Every report line recorded in this build so far, by every node.</summary>
    public IReadOnlyList<string> Outcomes() => ReadLines(OutcomesFile);

    public void Append(string list, string line) => AppendLine(list + ".lines", line);

    public IReadOnlyList<string> Read(string list) => ReadLines(list + ".lines");

    private bool AppendLine(string file, string line)
    {
        try
        {
            return CompilationReport.TryAppend(Path.Combine(Directory, file), line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private IReadOnlyList<string> ReadLines(string file)
    {
        try
        {
            var path = Path.Combine(Directory, file);
            if (!File.Exists(path))
            {
                return [];
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// Deletes sessions whose folder is older than <paramref name="age"/> (builds long over); bounded per call so a
    /// build never pays for a large backlog at once. Failures are ignored: a folder in use stays for the next time.
    /// </summary>
    public static void DeleteStale(string root, TimeSpan age, int max = 20)
    {
        try
        {
            if (!System.IO.Directory.Exists(root))
            {
                return;
            }

            var cutoff = DateTime.UtcNow - age;
            foreach (var folder in new DirectoryInfo(root).EnumerateDirectories().Where(d => d.LastWriteTimeUtc < cutoff).Take(max))
            {
                try
                {
                    folder.Delete(recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // In use or not ours to delete: left for a later build.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Housekeeping only.
        }
    }
}

/// <summary>Finds the process the user started for this build, from whichever MSBuild node this code runs in.</summary>
internal static class EntryProcess
{
    /// <summary>
    /// "pid-starttime" of the entry process; null when there is no short-lived entry process to name the build by
    /// (an IDE or the MSBuild server runs many builds in one process) or when it cannot be found.
    /// </summary>
    public static string? Identity(Func<string, string?> environment)
    {
        try
        {
            var arguments = Environment.GetCommandLineArgs();
            var nodeMode = arguments.Select(NodeMode).FirstOrDefault(m => m is not null);
            if (nodeMode == "8" || IsTrue(environment("DOTNET_CLI_USE_MSBUILD_SERVER")))
            {
                return null;
            }

            using var self = Process.GetCurrentProcess();
            if (nodeMode is null)
            {
                // The entry node itself: only a command-line build (dotnet build, msbuild) is one build per process.
                return IsMSBuildHost(self) ? Name(self) : null;
            }

            // A worker node: the process at the other end of its node pipe is the build's entry process. Its parent is
            // the launcher only while the node is fresh: a reused node outlives the build that started it, and its
            // parent is then gone (Windows), a recycled id, or whatever adopted it (Unix: init or a subreaper).
            if (NodePipePeer(self.Id) is { } entry)
            {
                using (entry)
                {
                    return Name(entry);
                }
            }

            var parentId = ParentProcessId();
            if (parentId is null or <= 1)
            {
                return null;
            }

            using var parent = Process.GetProcessById(parentId.Value);
            return parent.StartTime <= self.StartTime && IsMSBuildHost(parent) ? Name(parent) : null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // The process id plus its start time, which no recycled id shares. On Linux .NET derives StartTime from the boot
    // time as each process estimates it, which differs by milliseconds between processes; the kernel's own start
    // tick count from /proc is the same for every reader.
    private static string Name(Process process) =>
        process.Id.ToString(CultureInfo.InvariantCulture) + "-" + (OperatingSystem.IsLinux()
            ? StatFields(process.Id)[19]
            : process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture));

    // The fields of /proc/<pid>/stat after "pid (comm)": comm may hold spaces and parentheses, so split after the last ')'.
    // Index 0 is the state, 1 the parent id, 19 the start time in clock ticks since boot.
    private static string[] StatFields(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static string? NodeMode(string argument)
    {
        var trimmed = argument.TrimStart('-', '/');
        return trimmed.StartsWith("nodemode:", StringComparison.OrdinalIgnoreCase) ? trimmed["nodemode:".Length..] : null;
    }

    private static bool IsTrue(string? value) => value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static bool IsMSBuildHost(Process process) =>
        process.ProcessName.Equals("dotnet", StringComparison.OrdinalIgnoreCase) || process.ProcessName.Equals("MSBuild", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The MSBuild host at the other end of this node's connected Unix domain sockets (Linux, macOS), which is the
    /// entry process that this node serves now; null when there is not exactly one, or on Windows (named pipes).
    /// </summary>
    private static Process? NodePipePeer(int self)
    {
        var peers = UnixSocketPeers(self).Distinct().ToList();
        var hosts = new List<Process>();
        foreach (var id in peers)
        {
            try
            {
                var process = Process.GetProcessById(id);
                // The compiler server also runs in the dotnet host; a node talks to it only inside a Csc task, but skip it anyway.
                if (IsMSBuildHost(process) && !(OperatingSystem.IsLinux() && CommandLine(id).Contains("VBCSCompiler", StringComparison.OrdinalIgnoreCase)))
                {
                    hosts.Add(process);
                }
                else
                {
                    process.Dispose();
                }
            }
            catch (ArgumentException)
            {
                // Gone since the socket was read.
            }
        }

        if (hosts.Count == 1)
        {
            return hosts[0];
        }

        hosts.ForEach(h => h.Dispose());
        return null;
    }

    private static string CommandLine(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    // The peer process of each connected Unix domain socket this process holds: SO_PEERCRED on Linux, LOCAL_PEERPID on
    // macOS. Descriptors that are not sockets, or not connected, answer with an error and are skipped.
    private static IEnumerable<int> UnixSocketPeers(int self)
    {
        var linux = OperatingSystem.IsLinux();
        if (!linux && !OperatingSystem.IsMacOS())
        {
            yield break;
        }

        // SO_PEERCRED is 17 on the architectures .NET runs on except PowerPC and MIPS, which are left out.
        if (linux && RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64 or Architecture.X86 or Architecture.Arm))
        {
            yield break;
        }

        var descriptors = System.IO.Directory.GetFileSystemEntries(linux ? "/proc/self/fd" : "/dev/fd");
        foreach (var entry in descriptors)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var descriptor))
            {
                continue;
            }

            if (linux && !(new FileInfo(entry).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) ?? false))
            {
                continue;
            }

            var value = new byte[12];
            var length = (uint)value.Length;
            var result = linux
                ? NativeMethods.getsockopt(descriptor, 1, 17, value, ref length) // SOL_SOCKET, SO_PEERCRED: struct ucred { pid, uid, gid }
                : NativeMethods.getsockopt(descriptor, 0, 2, value, ref length); // SOL_LOCAL, LOCAL_PEERPID: pid_t
            if (result == 0 && length >= 4 && BitConverter.ToInt32(value, 0) is var peer && peer > 0 && peer != self)
            {
                yield return peer;
            }
        }
    }

    private static int? ParentProcessId()
    {
        if (OperatingSystem.IsLinux())
        {
            return int.Parse(StatFields(Environment.ProcessId)[1], CultureInfo.InvariantCulture);
        }

        if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return NativeMethods.getppid();
        }

        if (OperatingSystem.IsWindows())
        {
            var info = default(NativeMethods.ProcessBasicInformation);
            using var self = Process.GetCurrentProcess();
            var status = NativeMethods.NtQueryInformationProcess(self.Handle, 0, ref info, Marshal.SizeOf<NativeMethods.ProcessBasicInformation>(), out _);
            return status == 0 ? (int)info.InheritedFromUniqueProcessId : null;
        }

        return null;
    }

    private static class NativeMethods
    {
        [StructLayout(LayoutKind.Sequential)]
        internal struct ProcessBasicInformation
        {
            internal IntPtr ExitStatus;
            internal IntPtr PebBaseAddress;
            internal IntPtr AffinityMask;
            internal IntPtr BasePriority;
            internal IntPtr UniqueProcessId;
            internal IntPtr InheritedFromUniqueProcessId;
        }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code; these two calls marshal nothing but blittable values.
        [DllImport("libc", SetLastError = false)]
        internal static extern int getppid();

        [DllImport("libc", SetLastError = false)]
        internal static extern int getsockopt(int socket, int level, int option, [Out] byte[] value, ref uint length);

        [DllImport("ntdll.dll")]
        internal static extern int NtQueryInformationProcess(IntPtr process, int informationClass, ref ProcessBasicInformation information, int length, out int returnLength);
#pragma warning restore SYSLIB1054
    }
}
