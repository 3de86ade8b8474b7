using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.TestRuns;

/// <summary>
/// The results folder of one test run (<c>--results-directory</c>, else the project's <c>TestResults</c>): what was in it
/// before the run, and which files the run wrote. Those files (TRX files of the user's loggers, data collectors'
/// attachments such as coverage) are what a replay must put back where the run put them.
/// </summary>
public sealed class ResultFolder
{
    private readonly Dictionary<string, (long Length, DateTime Written)> _before;

    private ResultFolder(string directory, Dictionary<string, (long, DateTime)> before)
    {
        Directory = directory;
        _before = before;
    }

    public string Directory { get; }

    /// <summary>The folder's files now, to compare with after the run.</summary>
    public static ResultFolder Snapshot(string directory)
    {
        var full = Path.GetFullPath(directory);
        return new ResultFolder(full, Files(full).ToDictionary(f => f.FullName, f => (f.Length, f.LastWriteTimeUtc), PathPolicy.Current.Comparer));
    }

    /// <summary>
    /// The files the run wrote (new, or changed since the snapshot), each with its path relative to the folder
    /// ('/'-separated). When the folder is the project's alone every such file is the run's; when other projects may
    /// write to it at the same time (an explicit results folder, several target frameworks), a file is the run's only
    /// if it is a TRX of this test assembly or lies in the deployment folder such a TRX names.
    /// </summary>
    public IReadOnlyList<(string Relative, string Path)> WrittenBy(string testAssembly, bool sharedFolder, out TrxRun? trx) =>
        WrittenBy(testAssembly, sharedFolder, out trx, out _);

    /// <summary>
    /// As <see cref="WrittenBy(string, bool, out TrxRun?)"/>; when no TRX of this test assembly was written,
    /// <paramref name="noRun"/> says what was written instead: a TRX that holds no test results (a run that found no
    /// test names no test assembly, so it cannot be told to be this one's), or one that could not be read.
    /// </summary>
    public IReadOnlyList<(string Relative, string Path)> WrittenBy(string testAssembly, bool sharedFolder, out TrxRun? trx, out string? noRun)
    {
        trx = null;
        noRun = null;
        var written = Files(Directory)
            .Where(f => !_before.TryGetValue(f.FullName, out var old) || old.Length != f.Length || old.Written != f.LastWriteTimeUtc)
            .Select(f => f.FullName)
            .ToList();
        var deploymentRoots = new List<string>();
        var mine = new HashSet<string>(PathPolicy.Current.Comparer);
        var theirs = new HashSet<string>(PathPolicy.Current.Comparer);
        foreach (var file in written.Where(f => f.EndsWith(".trx", StringComparison.OrdinalIgnoreCase)))
        {
            var name = Path.GetRelativePath(Directory, file).Replace('\\', '/');
            if (TrxRun.Read(file, out var problem) is not { } run)
            {
                noRun ??= $"the TRX {name} could not be read ({problem})";
            }
            else
            {
                if (run.Storages.Count == 0)
                {
                    noRun ??= $"the TRX {name} holds no test results";
                }

                if (run.IsRunOf(testAssembly))
                {
                    trx ??= run;
                    mine.Add(file);
                    if (run.DeploymentRoot is { } root)
                    {
                        deploymentRoots.Add(Path.GetFullPath(Path.Combine(Directory, root)) + Path.DirectorySeparatorChar);
                    }
                }
                else
                {
                    theirs.Add(file);
                }
            }
        }

        if (trx is not null)
        {
            noRun = null;
        }

        return written
            .Where(f => !theirs.Contains(f))
            .Where(f => !sharedFolder
                || mine.Contains(f)
                || deploymentRoots.Exists(root => PathPolicy.Current.IsUnder(f, root)))
            .Select(f => (Path.GetRelativePath(Directory, f).Replace('\\', '/'), f))
            .OrderBy(f => f.Item1, StringComparer.Ordinal)
            .ToList();
    }

    private static IEnumerable<FileInfo> Files(string directory)
    {
        var info = new DirectoryInfo(directory);
        return info.Exists
            ? info.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
            : [];
    }
}
