using System.Globalization;
using System.Text;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Where a source's text spells out a folder the compiler's <c>/pathmap</c> rewrites. The compiler maps a path written in
/// source text (a <c>#line</c> or <c>#pragma checksum</c> file name, and with it <c>[CallerFilePath]</c> and the pdb's
/// documents) by its prefix, so the same text gives <c>/_/gen/Foo.tt</c> in the checkout whose folder it names and the
/// absolute path in any other. The text itself is keyed byte for byte; this describes, for the same text, which of its
/// bytes this compilation's map rewrites and into what: every occurrence of a map entry's folder (in the spellings a
/// source may use: as it is, with the other separator, with backslashes doubled as in a C# string; in UTF-8, Latin-1 and
/// UTF-16), by its offset, its length, the entry's position in the map and the entry's replacement. It never names the
/// folder itself (the map's input names it relative to the root), and a text that holds only the replacement
/// (<c>/_/</c>) has no occurrence.
/// </summary>
internal static class PathMapInText
{
    /// <summary>The occurrences, one a line; null when the text holds none.</summary>
    public static string? Describe(ReadOnlySpan<byte> text, PathMap pathMap)
    {
        var found = new SortedSet<(long Offset, int Length, int Entry, string Value)>();
        for (var entry = 0; entry < pathMap.Entries.Count; entry++)
        {
            var (from, to) = pathMap.Entries[entry];
            foreach (var pattern in Patterns(from))
            {
                var start = 0;
                while (start < text.Length && text[start..].IndexOf(pattern) is var at && at >= 0)
                {
                    found.Add((start + at, pattern.Length, entry, to));
                    start += at + 1;
                }
            }
        }

        return found.Count == 0
            ? null
            : string.Join("\n", found.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Offset}+{f.Length}: entry {f.Entry} -> {f.Value}")));
    }

    /// <summary>A name for the map's entries, for remembering <see cref="Describe"/>'s result per file.</summary>
    public static string MapIdentity(PathMap pathMap) =>
        FileHasher.HashText(string.Join("\n", pathMap.Entries.Select(e => e.Key + "\n" + e.Value)));

    private static IEnumerable<byte[]> Patterns(string folder)
    {
        var spellings = new HashSet<string>(StringComparer.Ordinal)
        {
            folder,
            folder.Replace('\\', '/'),
            folder.Replace('/', '\\'),
        };
        foreach (var spelling in spellings.ToList())
        {
            spellings.Add(spelling.Replace("\\", "\\\\", StringComparison.Ordinal));
        }

        var patterns = new List<byte[]>();
        foreach (var spelling in spellings)
        {
            patterns.Add(Encoding.UTF8.GetBytes(spelling));
            patterns.Add(Encoding.Unicode.GetBytes(spelling));
            patterns.Add(Encoding.BigEndianUnicode.GetBytes(spelling));
            if (spelling.All(c => c <= '\u00ff'))
            {
                patterns.Add(Encoding.Latin1.GetBytes(spelling));
            }
        }

        return patterns.Distinct(ByteArrayComparer.Instance);
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
