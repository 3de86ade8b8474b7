namespace ArtifactCache.Build.Compilation;

/// <summary>
/// The compiler's <c>/pathmap</c>, parsed and applied as csc does: every <c>/pathmap</c> switch adds its entries in
/// order, both sides of each entry end with a separator, and a path is rewritten by one entry whose prefix it starts
/// with (ordinal, case-sensitive on every platform). Which entry depends on the compiler: older ones take the first
/// in command-line order, current ones (Roslyn 5.x, measured with SDK 10.0.401) the longest prefix. The key names
/// each path by what the compiler will write into the outputs, and where the two rules disagree it names both, so a
/// key is right whichever compiler runs.
/// <para>
/// fsc has its own rule (measured with SDK 10.0.401's F# 10): <c>--pathmap</c> entries are split at ',' and the first
/// '=', the prefix is made a full path ending in a separator, a later entry for the same prefix replaces an earlier one,
/// the entry whose prefix sorts first (ordinal) among those that match wins, and the separator that ends the prefix is
/// kept: <c>/repo/=/_/</c> writes <c>/repo/src/a.fs</c> as <c>/_//src/a.fs</c>.
/// </para>
/// </summary>
public sealed class PathMap
{
    private readonly bool _fsharp;

    private PathMap(IReadOnlyList<KeyValuePair<string, string>> entries, bool fsharp = false)
    {
        Entries = entries;
        _fsharp = fsharp;
    }

    public static PathMap Empty { get; } = new([]);

    /// <summary>The entries in the order the compiler tries them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries { get; }

    /// <summary>Collects the entries of every <c>/pathmap:</c> value in order (the switch values, unquoted).</summary>
    public static PathMap Parse(IEnumerable<string> switchValues)
    {
        var entries = new List<KeyValuePair<string, string>>();
        foreach (var value in switchValues)
        {
            foreach (var pair in SplitUnescaped(value, ','))
            {
                var sides = SplitUnescaped(pair, '=');
                if (sides.Count != 2 || sides[0].Length == 0 || sides[1].Length == 0)
                {
                    // csc reports an error for such an entry and compiles nothing; the key need not model it.
                    continue;
                }

                entries.Add(new(WithTrailingSeparator(sides[0]), WithTrailingSeparator(sides[1])));
            }
        }

        return entries.Count == 0 ? Empty : new PathMap(entries);
    }

    /// <summary>Collects the entries of every <c>--pathmap:</c> value as fsc does (the switch values, unquoted).</summary>
    public static PathMap ParseFSharp(IEnumerable<string> switchValues)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in switchValues.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries)))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                var from = Path.GetFullPath(pair[..equals]);
                entries[from.EndsWith(Path.DirectorySeparatorChar) ? from : from + Path.DirectorySeparatorChar] = pair[(equals + 1)..];
            }
        }

        return entries.Count == 0 ? Empty : new PathMap(entries.ToList(), fsharp: true);
    }

    /// <summary>
    /// How the compiler writes <paramref name="path"/> into outputs, for the key: the mapped path; both spellings when
    /// the first-entry and the longest-prefix rules give different ones; null when no entry maps it (the path is then
    /// written as it is).
    /// </summary>
    public string? KeyForm(string path)
    {
        if (_fsharp)
        {
            return Map(path, Entries, keepSeparator: true);
        }

        var longest = Map(path, LongestFirst);
        var first = Map(path, Entries);
        return longest is null ? null
            : string.Equals(longest, first, StringComparison.Ordinal) ? longest
            : longest + " | first entry: " + first;
    }

    /// <summary>The path as the current compiler writes it (longest matching prefix), or unchanged when nothing maps it.</summary>
    public string Apply(string path) => (_fsharp ? Map(path, Entries, keepSeparator: true) : Map(path, LongestFirst)) ?? path;

    /// <summary>
    /// The entry that makes the compiler write paths under <paramref name="folder"/> as it writes them under
    /// <paramref name="asFolder"/> (verify mode's scratch outputs), in this compiler's <c>/pathmap</c> syntax.
    /// </summary>
    public string EntryFor(string folder, string asFolder)
    {
        var from = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        var mapped = Apply(asFolder.EndsWith(Path.DirectorySeparatorChar) ? asFolder : asFolder + Path.DirectorySeparatorChar);
        // fsc keeps the prefix's own last separator, so the replacement must end without one.
        return _fsharp ? from + "=" + mapped.TrimEnd(Path.DirectorySeparatorChar) : Escape(from) + "=" + Escape(mapped);
    }

    private static string Escape(string pathMapPart) => pathMapPart.Replace(",", ",,", StringComparison.Ordinal).Replace("=", "==", StringComparison.Ordinal);

    // Stable: entries with keys of equal length keep their command-line order.
    private IReadOnlyList<KeyValuePair<string, string>> LongestFirst => _longestFirst ??= Entries.OrderByDescending(e => e.Key.Length).ToList();

    private IReadOnlyList<KeyValuePair<string, string>>? _longestFirst;

    private static string? Map(string path, IReadOnlyList<KeyValuePair<string, string>> entries, bool keepSeparator = false)
    {
        foreach (var (from, to) in entries)
        {
            // Ordinal whatever the file system: the compilers match path map prefixes that way, and this mirrors them.
            if (path.StartsWith(from, StringComparison.Ordinal))
            {
                var replaced = to + path[(keepSeparator ? from.Length - 1 : from.Length)..];
                // Like csc and fsc: when the replacement uses one kind of separator only, the whole path is given that kind.
                var slash = to.Contains('/');
                var backslash = to.Contains('\\');
                return slash && !backslash ? replaced.Replace('\\', '/')
                    : backslash && !slash ? replaced.Replace('/', '\\')
                    : replaced;
            }
        }

        return null;
    }

    private static string WithTrailingSeparator(string path)
    {
        if (path.EndsWith('/') || path.EndsWith('\\'))
        {
            return path;
        }

        var separator = path.Contains('/') && !path.Contains('\\') ? '/'
            : path.Contains('\\') && !path.Contains('/') ? '\\'
            : Path.DirectorySeparatorChar;
        return path + separator;
    }

    // ',' separates entries and '=' the sides of one; a doubled character stands for itself (",," is a literal ',').
    private static List<string> SplitUnescaped(string text, char separator)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != separator)
            {
                current.Append(text[i]);
            }
            else if (i + 1 < text.Length && text[i + 1] == separator)
            {
                current.Append(separator);
                i++;
            }
            else
            {
                parts.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0 || parts.Count > 0)
        {
            parts.Add(current.ToString());
        }

        // A trailing separator ("a=b,") leaves an empty last entry, which csc ignores.
        if (parts.Count > 0 && parts[^1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        return parts;
    }
}
