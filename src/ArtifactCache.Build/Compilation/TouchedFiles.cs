namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Reads what the compiler reports with <c>/touchedfiles:&lt;prefix&gt;</c>: <c>&lt;prefix&gt;.read</c> lists every file it
/// read (sources, references, XML doc <c>&lt;include&gt;</c> files...), one per line, upper-cased. The key must cover
/// each of them; those it does not name are resolved back to their real spelling here.
/// </summary>
internal static class TouchedFiles
{
    /// <summary>
    /// The files the compiler read that are not in <paramref name="covered"/>, by their real path; null when the list is
    /// missing or names a file that cannot be resolved to exactly one existing file (the compilation must then not be stored).
    /// </summary>
    public static IReadOnlyList<string>? ReadsOutside(string prefix, IEnumerable<string> covered)
    {
        var list = prefix + ".read";
        if (!File.Exists(list))
        {
            return null;
        }

        var known = new HashSet<string>(covered.Select(Upper), StringComparer.Ordinal);
        var extra = new List<string>();
        foreach (var line in File.ReadAllLines(list))
        {
            var entry = line.Trim();
            if (entry.Length == 0 || known.Contains(Upper(entry)))
            {
                continue;
            }

            if (Resolve(entry) is not { } real)
            {
                return null;
            }

            if (!known.Contains(Upper(real)))
            {
                extra.Add(real);
            }
        }

        return extra;
    }

    public static void Delete(string prefix)
    {
        foreach (var suffix in new[] { ".read", ".write" })
        {
            try
            {
                File.Delete(prefix + suffix);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static string Upper(string path) => Path.GetFullPath(path).ToUpperInvariant();

    // The compiler upper-cases every path; on a case-sensitive file system, walk down from the root matching each part
    // case-insensitively, and give up when a part matches nothing or more than one entry.
    private static string? Resolve(string upperCased)
    {
        if (File.Exists(upperCased))
        {
            return Path.GetFullPath(upperCased);
        }

        var full = Path.GetFullPath(upperCased);
        var root = Path.GetPathRoot(full);
        if (string.IsNullOrEmpty(root))
        {
            return null;
        }

        var current = root;
        var parts = full[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var last = i == parts.Length - 1;
            try
            {
                var matches = (last ? Directory.EnumerateFiles(current) : Directory.EnumerateDirectories(current))
                    .Where(p => string.Equals(Path.GetFileName(p), parts[i], StringComparison.OrdinalIgnoreCase))
                    .Take(2)
                    .ToList();
                if (matches.Count != 1)
                {
                    return null;
                }

                current = matches[0];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        return current;
    }
}
