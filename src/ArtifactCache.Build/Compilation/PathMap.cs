namespace ArtifactCache.Build.Compilation;

/// <summary>
/// The compiler's <c>/pathmap</c>, parsed and applied as csc does: every <c>/pathmap</c> switch adds its entries in
/// order, both sides of each entry end with a separator, and a path is rewritten by one entry whose prefix it starts
/// with (ordinal, case-sensitive on every platform). Which entry depends on the compiler: older ones take the first
/// in command-line order, current ones (Roslyn 5.x, measured with SDK 10.0.401) the longest prefix. The key names
/// each path by what the compiler will write into the outputs, and where the two rules disagree it names both, so a
/// key is right whichever compiler runs.
/// </summary>
public sealed class PathMap
{
    private PathMap(IReadOnlyList<KeyValuePair<string, string>> entries)
    {
        Entries = entries;
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

    /// <summary>
    /// How the compiler writes <paramref name="path"/> into outputs, for the key: the mapped path; both spellings when
    /// the first-entry and the longest-prefix rules give different ones; null when no entry maps it (the path is then
    /// written as it is).
    /// </summary>
    public string? KeyForm(string path)
    {
        var longest = Map(path, LongestFirst);
        var first = Map(path, Entries);
        return longest is null ? null
            : string.Equals(longest, first, StringComparison.Ordinal) ? longest
            : longest + " | first entry: " + first;
    }

    /// <summary>The path as the current compiler writes it (longest matching prefix), or unchanged when nothing maps it.</summary>
    public string Apply(string path) => Map(path, LongestFirst) ?? path;

    // Stable: entries with keys of equal length keep their command-line order.
    private IReadOnlyList<KeyValuePair<string, string>> LongestFirst => _longestFirst ??= Entries.OrderByDescending(e => e.Key.Length).ToList();

    private IReadOnlyList<KeyValuePair<string, string>>? _longestFirst;

    private static string? Map(string path, IReadOnlyList<KeyValuePair<string, string>> entries)
    {
        foreach (var (from, to) in entries)
        {
            if (path.StartsWith(from, StringComparison.Ordinal))
            {
                var replaced = to + path[from.Length..];
                // Like csc: when the replacement uses one kind of separator only, the whole path is given that kind.
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
