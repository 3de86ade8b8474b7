using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Text;
using System.Text.Json;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Says what differs between two portable pdbs (separate files, or the ones embedded in assemblies), naming the
/// document or the custom debug information: the pdb id itself differs whenever anything does, so it says nothing.
/// </summary>
internal static class PortablePdbComparison
{
    private static readonly Guid EmbeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
    private static readonly Guid SourceLink = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid CompilationOptions = new("B5FEEC05-8CD0-4A83-96DA-466284BB4BD8");
    private static readonly Guid CompilationReferences = new("7E4D4708-096E-4C5C-AEDA-CB10BA6A740D");

    // Beyond this many documents the line would be a list, not a diagnosis.
    private const int MaxDocumentFindings = 3;

    public static string Describe(byte[] local, byte[] restored)
    {
        try
        {
            using var localProvider = MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(local));
            using var restoredProvider = MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(restored));
            return Describe(localProvider.GetMetadataReader(), restoredProvider.GetMetadataReader());
        }
        catch (Exception ex) when (PeImageComparison.IsBadImage(ex))
        {
            return OutputComparison.DescribeBytes("not a valid portable pdb", local, restored);
        }
    }

    /// <summary>The differences joined into one line; "pdb differs in other tables" when none is recognised.</summary>
    public static string Describe(MetadataReader local, MetadataReader restored)
    {
        var findings = new List<string>();
        CompareDocuments(local, restored, findings);
        CompareModuleInformation(local, restored, findings);
        if (!SameMethodDebugInformation(local, restored))
        {
            findings.Add("method debug information differs");
        }

        return findings.Count == 0 ? "pdb differs in other tables" : string.Join("; ", findings);
    }

    private static void CompareDocuments(MetadataReader local, MetadataReader restored, List<string> findings)
    {
        var localDocuments = Documents(local);
        var restoredDocuments = Documents(restored);
        var onlyLocal = localDocuments.Keys.Where(name => !restoredDocuments.ContainsKey(name)).ToList();
        var onlyRestored = restoredDocuments.Keys.Where(name => !localDocuments.ContainsKey(name)).ToList();
        if (onlyLocal.Count == 1 && onlyRestored.Count == 1)
        {
            // The common case of a different path map or checkout root: one document under two names.
            findings.Add($"document path: '{onlyLocal[0]}' vs '{onlyRestored[0]}'");
        }
        else if (onlyLocal.Count + onlyRestored.Count > 0)
        {
            findings.Add($"documents only in local: {List(onlyLocal)}; only in restored: {List(onlyRestored)}");
        }

        var documentFindings = new List<string>();
        foreach (var (name, localHandle) in localDocuments)
        {
            if (!restoredDocuments.TryGetValue(name, out var restoredHandle))
            {
                continue;
            }

            var a = local.GetDocument(localHandle);
            var b = restored.GetDocument(restoredHandle);
            if (local.GetGuid(a.HashAlgorithm) != restored.GetGuid(b.HashAlgorithm))
            {
                documentFindings.Add($"document {name}: checksum algorithm differs");
            }
            else if (!SameBlob(local, a.Hash, restored, b.Hash))
            {
                documentFindings.Add($"document {name}: checksum differs");
            }

            if (local.GetGuid(a.Language) != restored.GetGuid(b.Language))
            {
                documentFindings.Add($"document {name}: language differs");
            }

            var localSource = FindInformation(local, localHandle, EmbeddedSource);
            var restoredSource = FindInformation(restored, restoredHandle, EmbeddedSource);
            if (localSource is not null || restoredSource is not null)
            {
                if (localSource is null || restoredSource is null)
                {
                    documentFindings.Add($"embedded source of {name} only in {(localSource is null ? "restored" : "local")}");
                }
                else if (!localSource.AsSpan().SequenceEqual(restoredSource))
                {
                    documentFindings.Add($"embedded source of {name} differs");
                }
            }
        }

        findings.AddRange(documentFindings.Take(MaxDocumentFindings));
        if (documentFindings.Count > MaxDocumentFindings)
        {
            findings.Add($"(+{documentFindings.Count - MaxDocumentFindings} more document differences)");
        }

        static string List(List<string> names) =>
            names.Count == 0 ? "none" : string.Join(", ", names.Take(MaxDocumentFindings)) + (names.Count > MaxDocumentFindings ? $" (+{names.Count - MaxDocumentFindings} more)" : "");
    }

    private static Dictionary<string, DocumentHandle> Documents(MetadataReader reader)
    {
        var documents = new Dictionary<string, DocumentHandle>(StringComparer.Ordinal);
        foreach (var handle in reader.Documents)
        {
            documents.TryAdd(reader.GetString(reader.GetDocument(handle).Name), handle);
        }

        return documents;
    }

    private static byte[]? FindInformation(MetadataReader reader, EntityHandle parent, Guid kind)
    {
        foreach (var handle in reader.GetCustomDebugInformation(parent))
        {
            var information = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(information.Kind) == kind)
            {
                return reader.GetBlobBytes(information.Value);
            }
        }

        return null;
    }

    private static void CompareModuleInformation(MetadataReader local, MetadataReader restored, List<string> findings)
    {
        var localInformation = ModuleInformation(local);
        var restoredInformation = ModuleInformation(restored);
        foreach (var kind in localInformation.Keys.Union(restoredInformation.Keys))
        {
            localInformation.TryGetValue(kind, out var a);
            restoredInformation.TryGetValue(kind, out var b);
            if (a is not null && b is not null && a.AsSpan().SequenceEqual(b))
            {
                continue;
            }

            var name = kind == SourceLink ? "Source Link map"
                : kind == CompilationOptions ? "compilation options"
                : kind == CompilationReferences ? "compilation metadata references"
                : $"module debug information {kind}";
            if (a is null || b is null)
            {
                findings.Add($"{name} only in {(a is null ? "restored" : "local")}");
            }
            else if (kind == SourceLink)
            {
                findings.Add($"{name} differs: {DescribeSourceLink(a, b)}");
            }
            else if (kind == CompilationOptions)
            {
                findings.Add($"{name} differ: {DescribeOptions(a, b)}");
            }
            else if (kind == CompilationReferences)
            {
                findings.Add($"{name} differ: {DescribeReferences(a, b)}");
            }
            else
            {
                findings.Add($"{name} differs");
            }
        }
    }

    private static Dictionary<Guid, byte[]> ModuleInformation(MetadataReader reader)
    {
        var information = new Dictionary<Guid, byte[]>();
        foreach (var handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
        {
            var item = reader.GetCustomDebugInformation(handle);
            information.TryAdd(reader.GetGuid(item.Kind), reader.GetBlobBytes(item.Value));
        }

        return information;
    }

    // Source Link is {"documents": {"<local path pattern>": "<url pattern>"}}: name the first entry that differs.
    private static string DescribeSourceLink(byte[] local, byte[] restored)
    {
        try
        {
            var a = SourceLinkDocuments(local);
            var b = SourceLinkDocuments(restored);
            foreach (var key in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
            {
                a.TryGetValue(key, out var x);
                b.TryGetValue(key, out var y);
                if (x != y)
                {
                    return $"'{key}': {Quote(x)} vs {Quote(y)}";
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not the JSON Source Link writes: an excerpt around the first difference still helps.
        }

        return Excerpts(Encoding.UTF8.GetString(local), Encoding.UTF8.GetString(restored));

        static string Quote(string? value) => value is null ? "absent" : $"'{OutputComparison.Truncate(value, 120)}'";
    }

    private static Dictionary<string, string?> SourceLinkDocuments(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var documents = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var entry in document.RootElement.GetProperty("documents").EnumerateObject())
        {
            documents[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : entry.Value.GetRawText();
        }

        return documents;
    }

    private static string Excerpts(string local, string restored)
    {
        var at = local.AsSpan().CommonPrefixLength(restored);
        var start = Math.Max(0, at - 20);
        return $"'{Excerpt(local)}' vs '{Excerpt(restored)}'";

        string Excerpt(string text) =>
            (start > 0 ? "…" : "") + OutputComparison.Truncate(text[Math.Min(start, text.Length)..], 60);
    }

    // Compilation options are NUL-terminated UTF-8 name/value pairs.
    private static string DescribeOptions(byte[] local, byte[] restored)
    {
        var a = Options(local);
        var b = Options(restored);
        foreach (var name in a.Keys.Union(b.Keys))
        {
            a.TryGetValue(name, out var x);
            b.TryGetValue(name, out var y);
            if (x != y)
            {
                return $"{name} {(x is null ? "absent" : $"'{x}'")} vs {(y is null ? "absent" : $"'{y}'")}";
            }
        }

        return "same options in another encoding";
    }

    private static Dictionary<string, string> Options(byte[] blob)
    {
        var parts = Encoding.UTF8.GetString(blob).Split('\0');
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < parts.Length; i += 2)
        {
            options.TryAdd(parts[i], parts[i + 1]);
        }

        return options;
    }

    // Each reference: file name\0, aliases\0, flags (1 byte), time stamp (4), image size (4), MVID (16).
    private static string DescribeReferences(byte[] local, byte[] restored)
    {
        var a = References(local);
        var b = References(restored);
        if (a is null || b is null)
        {
            return "unreadable reference list";
        }

        foreach (var name in a.Keys.Union(b.Keys, StringComparer.Ordinal))
        {
            a.TryGetValue(name, out var x);
            b.TryGetValue(name, out var y);
            if (x is null || y is null)
            {
                return $"{name} only in {(x is null ? "restored" : "local")}";
            }

            if (!x.AsSpan().SequenceEqual(y))
            {
                return $"{name} (a different build of it)";
            }
        }

        return "same references in another order";
    }

    private static Dictionary<string, byte[]>? References(byte[] blob)
    {
        const int FixedSize = 1 + 4 + 4 + 16;
        var references = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var at = 0;
        while (at < blob.Length)
        {
            var nameEnd = Array.IndexOf(blob, (byte)0, at);
            var aliasesEnd = nameEnd < 0 ? -1 : Array.IndexOf(blob, (byte)0, nameEnd + 1);
            if (aliasesEnd < 0 || aliasesEnd + 1 + FixedSize > blob.Length)
            {
                return null;
            }

            var name = Encoding.UTF8.GetString(blob, at, nameEnd - at);
            var aliases = Encoding.UTF8.GetString(blob, nameEnd + 1, aliasesEnd - nameEnd - 1);
            references.TryAdd(aliases.Length == 0 ? name : $"{name} ({aliases})", blob[(aliasesEnd + 1)..(aliasesEnd + 1 + FixedSize)]);
            at = aliasesEnd + 1 + FixedSize;
        }

        return references;
    }

    // Sequence points and local scopes, compared by content: their rows refer to documents and methods by row
    // number, which are the same for the same compilation, while heap offsets are not worth aligning.
    private static bool SameMethodDebugInformation(MetadataReader local, MetadataReader restored)
    {
        if (local.MethodDebugInformation.Count != restored.MethodDebugInformation.Count ||
            local.LocalScopes.Count != restored.LocalScopes.Count ||
            local.LocalVariables.Count != restored.LocalVariables.Count ||
            local.LocalConstants.Count != restored.LocalConstants.Count)
        {
            return false;
        }

        foreach (var (a, b) in local.MethodDebugInformation.Zip(restored.MethodDebugInformation))
        {
            var x = local.GetMethodDebugInformation(a);
            var y = restored.GetMethodDebugInformation(b);
            if (x.Document.IsNil != y.Document.IsNil ||
                !SameBlob(local, x.SequencePointsBlob, restored, y.SequencePointsBlob))
            {
                return false;
            }
        }

        foreach (var (a, b) in local.LocalScopes.Zip(restored.LocalScopes))
        {
            var x = local.GetLocalScope(a);
            var y = restored.GetLocalScope(b);
            if (x.Method != y.Method || x.StartOffset != y.StartOffset || x.Length != y.Length)
            {
                return false;
            }
        }

        foreach (var (a, b) in local.LocalVariables.Zip(restored.LocalVariables))
        {
            var x = local.GetLocalVariable(a);
            var y = restored.GetLocalVariable(b);
            if (x.Index != y.Index || x.Attributes != y.Attributes || local.GetString(x.Name) != restored.GetString(y.Name))
            {
                return false;
            }
        }

        foreach (var (a, b) in local.LocalConstants.Zip(restored.LocalConstants))
        {
            var x = local.GetLocalConstant(a);
            var y = restored.GetLocalConstant(b);
            if (local.GetString(x.Name) != restored.GetString(y.Name) ||
                !SameBlob(local, x.Signature, restored, y.Signature))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameBlob(MetadataReader local, BlobHandle a, MetadataReader restored, BlobHandle b) =>
        local.GetBlobContent(a).AsSpan().SequenceEqual(restored.GetBlobContent(b).AsSpan());
}
