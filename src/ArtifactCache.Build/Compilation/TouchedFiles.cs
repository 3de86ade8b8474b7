using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Reads what the compiler reports with <c>/touchedfiles:&lt;prefix&gt;</c>: <c>&lt;prefix&gt;.read</c> lists every file it
/// read (sources, references, XML doc <c>&lt;include&gt;</c> files...), one per line, upper-cased. The key must cover
/// each of them; those it does not name are resolved back to their real spelling here.
/// </summary>
/// <remarks>
/// An upper-cased path says which file was read only up to case. So every line is resolved against the disk, never
/// taken as covered because a covered path upper-cases the same: on a case-sensitive file system <c>Docs.xml</c>, read
/// through an include, is another file than the <c>docs.xml</c> the key covers.
/// </remarks>
internal static class TouchedFiles
{
    // More files than this matching one line case-insensitively (a folder tree of case twins) is not worth resolving.
    private const int MaxMatches = 8;

    /// <summary>What the read list says about the files the key covers.</summary>
    internal sealed record Reads(IReadOnlyList<string>? Outside, string? Problem);

    /// <summary>
    /// The files the compiler read that are not in <paramref name="covered"/>, by their real path; or, with no list, why
    /// the compilation must not be stored: the list is missing, names a file that cannot be found, or names a path that
    /// matches several files differing only in case, not all of which the key covers exactly (which one was read is
    /// unknown).
    /// </summary>
    public static Reads ReadsOutside(string prefix, IEnumerable<string> covered, PathPolicy? policy = null)
    {
        policy ??= PathPolicy.Current;
        var list = prefix + ".read";
        if (!File.Exists(list))
        {
            return new Reads(null, "the compiler's list of the files it read is missing");
        }

        var spelled = covered.Select(Path.GetFullPath).ToList();
        var coveredSet = new HashSet<string>(spelled, policy.Comparer);
        var exactly = new HashSet<string>(spelled, StringComparer.Ordinal);
        var disk = new DiskNames(exactly, policy);
        var extra = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(list))
        {
            var entry = line.Trim();
            if (entry.Length == 0 || !seen.Add(entry))
            {
                continue;
            }

            var matches = disk.Resolve(Path.GetFullPath(entry));
            switch (Classify(matches, coveredSet, exactly))
            {
                case Coverage.Covered:
                    break;
                case Coverage.Outside:
                    extra.Add(matches![0]);
                    break;
                case Coverage.NotFound:
                    return new Reads(null, $"the compiler's list of the files it read names a file that cannot be found ({entry})");
                default:
                    return new Reads(null, $"the compiler read {entry}, which names more than one file differing only in case{(matches is null ? "" : $" ({string.Join(", ", matches)})")}");
            }
        }

        return new Reads(extra, null);
    }

    internal enum Coverage
    {
        Covered,
        Outside,
        NotFound,
        Ambiguous,
    }

    /// <summary>
    /// Whether the files one line of the read list can name (<paramref name="matches"/>, every existing file whose path
    /// equals it ignoring case) are covered: one file, covered by the policy's rule or outside the key; several, covered
    /// only when the key names each of them exactly, for the compiler read one of them and no one can say which.
    /// </summary>
    internal static Coverage Classify(IReadOnlyList<string>? matches, ISet<string> covered, ISet<string> coveredExactly) =>
        matches is null ? Coverage.Ambiguous
        : matches.Count == 0 ? Coverage.NotFound
        : matches.Count == 1 ? (covered.Contains(matches[0]) ? Coverage.Covered : Coverage.Outside)
        : matches.All(coveredExactly.Contains) ? Coverage.Covered
        : Coverage.Ambiguous;

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

    /// <summary>
    /// Finds files by a path that is right but for case, by walking down from the root and matching each part
    /// case-insensitively, whatever the file system does: asking it whether the path exists would, on a file system that
    /// ignores case, hide a twin on a case-sensitive volume. Each folder is listed once per read list.
    /// </summary>
    private sealed class DiskNames
    {
        // Per folder, its folders' and files' real names by their names ignoring case.
        private readonly Dictionary<string, (ILookup<string, string> Folders, ILookup<string, string> Files)?> _listings = new(StringComparer.Ordinal);

        // The spellings of the covered files and their folders, by their upper-cased form: what a folder that cannot be
        // listed (execute but no read permission) may hold, as the command line spelled it.
        private readonly Dictionary<string, HashSet<string>> _known = new(StringComparer.Ordinal);
        private readonly PathPolicy _policy;

        public DiskNames(IEnumerable<string> covered, PathPolicy policy)
        {
            _policy = policy;
            foreach (var path in covered)
            {
                for (var current = path; !string.IsNullOrEmpty(current); current = Path.GetDirectoryName(current))
                {
                    var upper = current.ToUpperInvariant();
                    if (!_known.TryGetValue(upper, out var spellings))
                    {
                        _known[upper] = spellings = new HashSet<string>(StringComparer.Ordinal);
                    }

                    if (!spellings.Add(current))
                    {
                        break;
                    }
                }
            }
        }

        /// <summary>Every existing file whose path equals <paramref name="fullPath"/> ignoring case; null when there are too many to tell.</summary>
        public IReadOnlyList<string>? Resolve(string fullPath)
        {
            var root = Path.GetPathRoot(fullPath);
            if (string.IsNullOrEmpty(root))
            {
                return [];
            }

            var parts = fullPath[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                return [];
            }

            List<string> current = [root];
            for (var i = 0; i < parts.Length; i++)
            {
                var last = i == parts.Length - 1;
                var next = new List<string>();
                foreach (var folder in current)
                {
                    if (List(folder) is { } listing)
                    {
                        next.AddRange((last ? listing.Files : listing.Folders)[parts[i]].Select(name => Path.Combine(folder, name)));
                    }
                    else if (_known.TryGetValue(Path.Combine(folder, parts[i]).ToUpperInvariant(), out var spellings))
                    {
                        // Only the spellings the command line used can be seen here; on a file system that ignores case
                        // they are one file.
                        next.AddRange(spellings
                            .Where(p => last ? File.Exists(p) : Directory.Exists(p))
                            .Distinct(_policy.Comparer));
                    }
                }

                if (next.Count > MaxMatches)
                {
                    return null;
                }

                current = next;
            }

            return current;
        }

        private (ILookup<string, string> Folders, ILookup<string, string> Files)? List(string folder)
        {
            if (!_listings.TryGetValue(folder, out var listing))
            {
                try
                {
                    // Links count as what they point to, as they do for the compiler that opened the path.
                    var info = new DirectoryInfo(folder);
                    listing = (
                        info.EnumerateDirectories().ToLookup(d => d.Name, d => d.Name, StringComparer.OrdinalIgnoreCase),
                        info.EnumerateFiles().ToLookup(f => f.Name, f => f.Name, StringComparer.OrdinalIgnoreCase));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    listing = null;
                }

                _listings[folder] = listing;
            }

            return listing;
        }
    }
}
