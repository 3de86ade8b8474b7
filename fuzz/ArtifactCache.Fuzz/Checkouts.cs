namespace ArtifactCache.Fuzz;

/// <summary>The projects of a generated repository that operators aim at, relative to its root.</summary>
public sealed record RepoShape(string Solution, string Library, string? App, bool HasGenerator, bool HasDocsInclude)
{
    public string LibraryName => Path.GetFileName(Library);

    public string LibraryProject => Path.Combine(Library, LibraryName + ".csproj");
}

/// <summary>Checkout A, checkout B and what each build of them is given. Operators change these.</summary>
public sealed class Checkouts
{
    public Checkouts(string workFolder, RepoShape shape, string a, string b)
    {
        WorkFolder = workFolder;
        Shape = shape;
        A = a;
        B = b;
    }

    public string WorkFolder { get; }

    public RepoShape Shape { get; }

    public string A { get; }

    public string B { get; }

    public Dictionary<string, string> EnvironmentA { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> EnvironmentB { get; } = new(StringComparer.Ordinal);

    public List<string> ArgumentsA { get; } = [];

    public List<string> ArgumentsB { get; } = [];

    public static string In(string root, params string[] parts) => Path.Combine([root, .. parts]);
}

/// <summary>Small file helpers the generators and operators share.</summary>
public static class Files
{
    public static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content.ReplaceLineEndings("\n"));
    }

    /// <summary>Inserts XML just before the last closing &lt;/Project&gt; of an MSBuild file.</summary>
    public static void AddToProject(string projectFile, string xml)
    {
        var text = File.ReadAllText(projectFile);
        var at = text.LastIndexOf("</Project>", StringComparison.Ordinal);
        File.WriteAllText(projectFile, string.Concat(text.AsSpan(0, at), xml, "\n", text.AsSpan(at)));
    }

    public static void Replace(string file, string from, string to)
    {
        file = Locate(file);
        var text = File.ReadAllText(file);
        if (!text.Contains(from, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{file} does not hold '{from}'.");
        }

        File.WriteAllText(file, text.Replace(from, to, StringComparison.Ordinal));
    }

    /// <summary>
    /// The file, or where an earlier operator moved or renamed it: the file of that name (case ignored) under the
    /// nearest folder on its path that still exists. Operators compose in any order, so one may move what another edits.
    /// </summary>
    public static string Locate(string file)
    {
        if (File.Exists(file))
        {
            return file;
        }

        var folder = Path.GetDirectoryName(file);
        while (folder is not null && !Directory.Exists(folder))
        {
            folder = Path.GetDirectoryName(folder);
        }

        return folder is null
            ? file
            : Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => string.Equals(Path.GetFileName(f), Path.GetFileName(file), StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .FirstOrDefault() ?? file;
    }

    /// <summary>Copies a tree, .git included and bin/obj left out, keeping every file's time stamp.</summary>
    public static void CopyTreeKeepingTimes(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            if (!IsBuildOutput(from, directory))
            {
                Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
            }
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (!IsBuildOutput(from, file))
            {
                var target = Path.Combine(to, Path.GetRelativePath(from, file));
                File.Copy(file, target);
                File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(file));
            }
        }
    }

    public static void DeleteBuildOutputs(string root)
    {
        foreach (var directory in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).ToList())
        {
            if (Path.GetFileName(directory) is "bin" or "obj" && Directory.Exists(directory) && !Path.GetRelativePath(root, directory).Contains(".git", StringComparison.Ordinal))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    public static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
                {
                    File.SetAttributes(file, FileAttributes.Normal);
                }

                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Whether this file system tells names apart by case (Linux usually; Windows and macOS usually not).</summary>
    public static bool CaseSensitive(string folder)
    {
        var probe = Path.Combine(folder, "CaseProbe." + Guid.NewGuid().ToString("N"));
        File.WriteAllText(probe, "");
        try
        {
            return !File.Exists(Path.Combine(folder, Path.GetFileName(probe).ToUpperInvariant()));
        }
        finally
        {
            File.Delete(probe);
        }
    }

    private static bool IsBuildOutput(string root, string path) =>
        Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar).Any(s => s is "bin" or "obj");
}
