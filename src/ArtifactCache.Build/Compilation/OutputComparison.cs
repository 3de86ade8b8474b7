using System.Text;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// One output that differs between a local compile and the outputs restored from the cache for the same command line.
/// </summary>
/// <param name="Role">Which output: <see cref="OutputComparison.AssemblyRole"/>, <see cref="OutputComparison.ReferenceAssemblyRole"/>,
/// <see cref="OutputComparison.PdbRole"/>, <see cref="OutputComparison.DocumentationRole"/> (or a caller's own role).</param>
/// <param name="File">The output's file name (the local one when both exist).</param>
/// <param name="Kind">One of the <c>OutputComparison.*Kind</c> constants.</param>
/// <param name="Detail">One short line for a build warning; pairs read "local vs restored".</param>
public sealed record OutputDifference(string Role, string File, string Kind, string Detail);

/// <summary>
/// Compares the outputs of two compilations of the same command line, role by role, and says what differs: whether
/// only debug information differs (a pdb, or the values of an assembly derived from its pdb or from its whole content),
/// or the code itself (IL, metadata, resources), or the XML documentation. Verify mode uses it to check a cache hit
/// against a real compile, so it never throws on bad input: a file it cannot parse is compared byte by byte.
/// </summary>
public static class OutputComparison
{
    public const string AssemblyRole = "out";
    public const string ReferenceAssemblyRole = "refout";
    public const string PdbRole = "pdb";
    public const string DocumentationRole = "doc";

    public const string ContentKind = "IL/metadata/resources";
    public const string DebugKind = "debug information only";
    public const string DocumentationKind = "documentation file";
    public const string MissingKind = "missing";

    // Details end up in one build warning line each.
    private const int MaxDetailLength = 400;

    private static readonly string[] RoleOrder = [AssemblyRole, ReferenceAssemblyRole, PdbRole, DocumentationRole];

    /// <summary>Compares two sets of outputs; keys are roles, values full paths.</summary>
    public static IReadOnlyList<OutputDifference> Compare(IReadOnlyDictionary<string, string> local, IReadOnlyDictionary<string, string> restored)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(restored);

        var roles = local.Keys.Union(restored.Keys, StringComparer.Ordinal)
            .OrderBy(role => Array.IndexOf(RoleOrder, role) is var i && i >= 0 ? i : RoleOrder.Length)
            .ThenBy(role => role, StringComparer.Ordinal);
        var differences = new List<OutputDifference>();
        foreach (var role in roles)
        {
            local.TryGetValue(role, out var localPath);
            restored.TryGetValue(role, out var restoredPath);
            var file = Path.GetFileName(localPath ?? restoredPath ?? "");
            var (kind, detail) = CompareRole(role, localPath, restoredPath);
            if (kind is not null)
            {
                differences.Add(new OutputDifference(role, file, kind, OneLine(detail)));
            }
        }

        return differences;
    }

    private static (string? Kind, string Detail) CompareRole(string role, string? localPath, string? restoredPath)
    {
        if (localPath is null)
        {
            return (MissingKind, "only the restored outputs have it");
        }

        if (restoredPath is null)
        {
            return (MissingKind, "only the local compile produced it");
        }

        if (!TryRead(localPath, out var localBytes, out var localError))
        {
            return (MissingKind, $"the local file cannot be read: {localError}");
        }

        if (!TryRead(restoredPath, out var restoredBytes, out var restoredError))
        {
            return (MissingKind, $"the restored file cannot be read: {restoredError}");
        }

        if (localBytes.AsSpan().SequenceEqual(restoredBytes))
        {
            return (null, "");
        }

        return role switch
        {
            PdbRole => (DebugKind, PortablePdbComparison.Describe(localBytes, restoredBytes)),
            DocumentationRole => (DocumentationKind, DescribeText(localBytes, restoredBytes)),
            _ => PeImageComparison.Compare(localBytes, restoredBytes),
        };
    }

    private static bool TryRead(string path, out byte[] bytes, out string error)
    {
        try
        {
            bytes = File.ReadAllBytes(path);
            error = "";
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            bytes = [];
            error = ex is FileNotFoundException or DirectoryNotFoundException ? "it does not exist" : ex.Message;
            return false;
        }
    }

    // The XML documentation is text: the first differing line says more than an offset.
    private static string DescribeText(byte[] local, byte[] restored)
    {
        var localLines = ReadLines(local);
        var restoredLines = ReadLines(restored);
        for (var i = 0; i < Math.Max(localLines.Count, restoredLines.Count); i++)
        {
            var a = i < localLines.Count ? localLines[i] : null;
            var b = i < restoredLines.Count ? restoredLines[i] : null;
            if (a == b)
            {
                continue;
            }

            var whitespaceOnly = a is not null && b is not null && a.Trim() == b.Trim();
            return $"line {i + 1}: {Quote(a)} vs {Quote(b)}" + (whitespaceOnly ? " (whitespace differs)" : "");
        }

        return "the same lines in different bytes (encoding or line endings)";

        static string Quote(string? line) => line is null ? "end of file" : $"'{Truncate(line.Trim(), 120)}'";
    }

    private static List<string> ReadLines(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes, writable: false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var lines = new List<string>();
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lines.Add(line);
        }

        return lines;
    }

    internal static string Truncate(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");

    /// <summary>Where two byte arrays first differ, for files nothing better can be said about.</summary>
    internal static string DescribeBytes(string what, byte[] local, byte[] restored)
    {
        var common = local.AsSpan().CommonPrefixLength(restored);
        var sizes = local.Length == restored.Length ? "" : $" (sizes {local.Length} vs {restored.Length})";
        return $"{what}; bytes differ at offset {common}{sizes}";
    }

    private static string OneLine(string detail)
    {
        var builder = new StringBuilder(detail.Length);
        foreach (var c in detail)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return Truncate(builder.ToString(), MaxDetailLength);
    }
}
