using System.Text;

namespace ArtifactCache.Build.Caching;

/// <summary>One project's compilation in a <see cref="CommitIndex"/>: its prediction's name and the key it had.</summary>
public sealed record IndexEntry(string PredictionKey, string Key);

/// <summary>
/// Every compilation that builds of one commit (one configuration, one solution) hit or stored, in the order they were
/// built: the predictions of all their projects in one download (see <see cref="RemotePrefetch"/>). A project's own
/// prediction can only be fetched once MSBuild starts that project, which for the projects at the top of the graph
/// (tests, apps) is late; the index lets the first project a build starts fetch every artifact at once.
/// </summary>
/// <remarks>
/// Like a prediction, the index is only a hint: a key it names is used only when the inputs give that key.
/// </remarks>
public sealed class CommitIndex
{
    internal const string Format = "artifactcache-commit-index-v1";

    /// <summary>More than any real solution has (projects times frameworks), so a hostile index costs little.</summary>
    internal const int MaxEntries = 20_000;

    private readonly Dictionary<string, string> _keys;

    public CommitIndex(IEnumerable<IndexEntry> entries)
    {
        Entries = [.. entries];
        _keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Entries)
        {
            _keys[entry.PredictionKey] = entry.Key;
        }
    }

    public static CommitIndex Empty { get; } = new([]);

    public IReadOnlyList<IndexEntry> Entries { get; }

    public bool TryGetKey(string predictionKey, out string key) => _keys.TryGetValue(predictionKey, out key!);

    /// <summary>
    /// This build's entries first, in the order it built them, then the earlier builds' entries this build did not
    /// make (another build of the commit that built more of the solution), each prediction once.
    /// </summary>
    public CommitIndex Merge(IEnumerable<IndexEntry> thisBuild)
    {
        var merged = new List<IndexEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in thisBuild.Concat(Entries))
        {
            if (seen.Add(entry.PredictionKey) && merged.Count < MaxEntries)
            {
                merged.Add(entry);
            }
        }

        return new CommitIndex(merged);
    }

    /// <summary>True when every entry of <paramref name="other"/> is in this index with the same key (the order aside).</summary>
    public bool Covers(CommitIndex other) =>
        other.Entries.All(e => _keys.TryGetValue(e.PredictionKey, out var key) && key == e.Key);

    public byte[] Body()
    {
        var text = new StringBuilder(Format).Append('\n');
        foreach (var entry in Entries)
        {
            text.Append(entry.PredictionKey).Append(' ').Append(entry.Key).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The index a body holds; null for anything that is not exactly one, which is then not used at all.</summary>
    public static CommitIndex? Parse(byte[] body)
    {
        var lines = Encoding.UTF8.GetString(body).Split('\n');
        if (lines.Length < 2 || lines[0] != Format || lines[^1].Length != 0 || lines.Length - 2 > MaxEntries)
        {
            return null;
        }

        var entries = new List<IndexEntry>(lines.Length - 2);
        foreach (var line in lines.AsSpan(1, lines.Length - 2))
        {
            if (ParseEntry(line) is not { } entry)
            {
                return null;
            }

            entries.Add(entry);
        }

        return new CommitIndex(entries);
    }

    /// <summary>"predictionKey key": the form of an index line and of the build's shared list of them.</summary>
    internal static IndexEntry? ParseEntry(string line)
    {
        var parts = line.Split(' ');
        return parts.Length == 2 && IsKey(parts[0]) && IsKey(parts[1]) ? new IndexEntry(parts[0], parts[1]) : null;
    }

    internal static bool IsKey(string text) => text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
