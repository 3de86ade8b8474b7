namespace ArtifactCache.Build.Paths;

/// <summary>
/// The one answer to "are these two paths the same file" and "is this path inside that folder", used by every path
/// comparison, every dictionary keyed by path and every check of what the compiler read.
/// </summary>
/// <remarks>
/// Case sensitivity is decided once, by the platform's default file system: NTFS on Windows and APFS on macOS ignore
/// case as they are set up by default, Linux file systems do not. A folder on a volume set up otherwise (a case-sensitive
/// APFS volume, a Windows folder with per-directory case sensitivity) is not probed: the README's limits say what that
/// leaves. Separators are the platform's (both <c>\</c> and <c>/</c> on Windows); tests build a policy with Windows
/// separators to check Windows-shaped paths on any machine.
/// </remarks>
public sealed class PathPolicy
{
    /// <summary>The rule of this platform's default file system.</summary>
    public static PathPolicy Current { get; } = new(
        ignoreCase: OperatingSystem.IsWindows() || OperatingSystem.IsMacOS(),
        separators: Path.DirectorySeparatorChar == Path.AltDirectorySeparatorChar ? [Path.DirectorySeparatorChar] : [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]);

    private readonly char[] _separators;

    /// <param name="ignoreCase">Whether names that differ only in case name the same file.</param>
    /// <param name="separators">The characters that separate a path's parts (the first is the one paths are joined with).</param>
    public PathPolicy(bool ignoreCase, IReadOnlyList<char> separators)
    {
        if (separators.Count == 0)
        {
            throw new ArgumentException("A path policy needs at least one separator.", nameof(separators));
        }

        IgnoresCase = ignoreCase;
        _separators = [.. separators];
        Comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        Comparer = ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
    }

    /// <summary>Windows' separators (<c>\</c> and <c>/</c>) with the given case rule: for tests of Windows-shaped paths.</summary>
    public static PathPolicy WindowsShaped(bool ignoreCase) => new(ignoreCase, ['\\', '/']);

    /// <summary>Unix's separator with the given case rule.</summary>
    public static PathPolicy UnixShaped(bool ignoreCase) => new(ignoreCase, ['/']);

    public bool IgnoresCase { get; }

    /// <summary>How two full paths compare.</summary>
    public StringComparison Comparison { get; }

    /// <summary>For sets and dictionaries keyed by full path.</summary>
    public StringComparer Comparer { get; }

    /// <summary>
    /// For memos of what a file holds (its hash), keyed by path: exact under either rule. A memo that took two spellings
    /// for one file only reads it twice; one that took two files for one (case twins on a volume that does not follow the
    /// platform's default) would answer with the other file's hash.
    /// </summary>
    public StringComparer MemoComparer => StringComparer.Ordinal;

    /// <summary>Whether two full paths name the same file (spelled alike but for case where case does not count).</summary>
    public bool Equals(string? x, string? y) => string.Equals(x, y, Comparison);

    /// <summary>
    /// Whether <paramref name="path"/> is <paramref name="root"/> or lies inside it: the root is matched whole parts
    /// only (<c>/repo-other</c> is not under <c>/repo</c>), with or without its trailing separator. Both must be full
    /// paths, normalised the same way (no <c>..</c>).
    /// </summary>
    public bool IsUnder(string path, string root)
    {
        var bare = root.TrimEnd(_separators);
        if (bare.Length == 0)
        {
            // The file system root ("/"): every full path that starts with a separator.
            return root.Length > 0 && path.Length > 0 && IsSeparator(path[0]);
        }

        if (!path.StartsWith(bare, Comparison))
        {
            return false;
        }

        return path.Length == bare.Length || IsSeparator(path[bare.Length]);
    }

    private bool IsSeparator(char c) => Array.IndexOf(_separators, c) >= 0;
}
