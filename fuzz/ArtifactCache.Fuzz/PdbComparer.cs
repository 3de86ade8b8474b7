using System.IO.Compression;
using System.Reflection.Metadata;

namespace ArtifactCache.Fuzz;

/// <summary>
/// Compares two portable pdbs table by table when the README lets them differ across commits: the Source Link map's
/// commit, the embedded generated sources that carry the commit suffix (and so their checksums), the pdb id derived
/// from all that, and, in the record of the compilation's references, the MVID, time stamp and image size of the
/// repository's own references. Every other row and blob must be equal.
/// </summary>
public static class PdbComparer
{
    private static readonly Guid EmbeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
    private static readonly Guid SourceLink = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid CompilationReferences = new("7E4D4708-096E-4C5C-AEDA-CB10BA6A740D");

    /// <summary>Null when equal under the rule; otherwise what differs.</summary>
    public static string? CompareAcrossCommits(byte[] hit, byte[] oracle, string commitA, string commitB, ISet<string> repositoryAssemblies)
    {
        try
        {
            using var hitProvider = MetadataReaderProvider.FromPortablePdbImage(System.Collections.Immutable.ImmutableArray.Create(hit));
            using var oracleProvider = MetadataReaderProvider.FromPortablePdbImage(System.Collections.Immutable.ImmutableArray.Create(oracle));
            var h = hitProvider.GetMetadataReader();
            var o = oracleProvider.GetMetadataReader();
            byte[] Commit(byte[] bytes) => OutputComparer.ReplaceCommit(bytes, commitA, commitB);

            if (h.Documents.Count != o.Documents.Count)
            {
                return "document count";
            }

            foreach (var (hd, od) in h.Documents.Zip(o.Documents))
            {
                var (hDoc, oDoc) = (h.GetDocument(hd), o.GetDocument(od));
                var name = h.GetString(hDoc.Name);
                if (name != o.GetString(oDoc.Name) || h.GetGuid(hDoc.Language) != o.GetGuid(oDoc.Language) || h.GetGuid(hDoc.HashAlgorithm) != o.GetGuid(oDoc.HashAlgorithm))
                {
                    return $"document {name}";
                }

                var sameHash = h.GetBlobBytes(hDoc.Hash).AsSpan().SequenceEqual(o.GetBlobBytes(oDoc.Hash));
                var (hSource, oSource) = (Embedded(h, hd), Embedded(o, od));
                if (hSource is null != oSource is null || (hSource is not null && !Commit(hSource).AsSpan().SequenceEqual(oSource)))
                {
                    return $"embedded source of {name}";
                }

                // A checksum may differ only where the embedded text shows the difference is the commit.
                if (!sameHash && hSource is null)
                {
                    return $"checksum of {name}";
                }
            }

            if (!Rows(h.MethodDebugInformation.Select(m => h.GetBlobBytes(h.GetMethodDebugInformation(m).SequencePointsBlob)), o.MethodDebugInformation.Select(m => o.GetBlobBytes(o.GetMethodDebugInformation(m).SequencePointsBlob))))
            {
                return "sequence points";
            }

            if (!Rows(h.LocalScopes.Select(s => Scope(h, s)), o.LocalScopes.Select(s => Scope(o, s))) ||
                !Rows(h.ImportScopes.Select(s => Imports(h, s)), o.ImportScopes.Select(s => Imports(o, s))))
            {
                return "scopes or imports";
            }

            var hCustom = h.CustomDebugInformation.Select(c => h.GetCustomDebugInformation(c)).ToList();
            var oCustom = o.CustomDebugInformation.Select(c => o.GetCustomDebugInformation(c)).ToList();
            if (hCustom.Count != oCustom.Count)
            {
                return "custom debug information count";
            }

            foreach (var (hc, oc) in hCustom.Zip(oCustom))
            {
                var kind = h.GetGuid(hc.Kind);
                if (kind != o.GetGuid(oc.Kind) || hc.Parent != oc.Parent)
                {
                    return "custom debug information rows";
                }

                var (hv, ov) = (h.GetBlobBytes(hc.Value), o.GetBlobBytes(oc.Value));
                var equal = kind == EmbeddedSource ? true // compared with the documents
                    : kind == SourceLink ? Commit(hv).AsSpan().SequenceEqual(ov)
                    : kind == CompilationReferences ? References(hv, repositoryAssemblies).SequenceEqual(References(ov, repositoryAssemblies), StringComparer.Ordinal)
                    : hv.AsSpan().SequenceEqual(ov);
                if (!equal)
                {
                    return kind == SourceLink ? "Source Link map" : kind == CompilationReferences ? "compilation references" : $"custom debug information {kind}";
                }
            }

            return null;
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or InvalidCastException or InvalidDataException or ArgumentException)
        {
            return "unreadable pdb: " + e.Message;
        }
    }

    private static bool Rows(IEnumerable<byte[]> hit, IEnumerable<byte[]> oracle)
    {
        var (h, o) = (hit.ToList(), oracle.ToList());
        return h.Count == o.Count && h.Zip(o).All(p => p.First.AsSpan().SequenceEqual(p.Second));
    }

    private static byte[] Scope(MetadataReader reader, LocalScopeHandle handle)
    {
        var scope = reader.GetLocalScope(handle);
        var text = $"{scope.Method.GetHashCode()} {scope.StartOffset} {scope.Length} " +
            string.Join(",", scope.GetLocalVariables().Select(v => reader.GetString(reader.GetLocalVariable(v).Name))) + " " +
            string.Join(",", scope.GetLocalConstants().Select(c => reader.GetString(reader.GetLocalConstant(c).Name) + Convert.ToHexString(reader.GetBlobBytes(reader.GetLocalConstant(c).Signature))));
        return System.Text.Encoding.UTF8.GetBytes(text);
    }

    // An import scope's blob names its namespaces by blob heap offsets, which move when an earlier blob (an embedded
    // source holding the commit) changes length: compare what the offsets point to.
    private static byte[] Imports(MetadataReader reader, ImportScopeHandle handle)
    {
        var scope = reader.GetImportScope(handle);
        var text = new System.Text.StringBuilder(scope.Parent.IsNil ? "root" : MetadataTokensRow(scope.Parent));
        foreach (var import in scope.GetImports())
        {
            // Which targets an import has depends on its kind; reading another one throws.
            text.Append('|').Append(import.Kind)
                .Append(':').Append(Part(() => import.Alias.IsNil ? "" : Convert.ToHexString(reader.GetBlobBytes(import.Alias))))
                .Append(':').Append(Part(() => import.TargetNamespace.IsNil ? "" : Convert.ToHexString(reader.GetBlobBytes(import.TargetNamespace))))
                .Append(':').Append(Part(() => import.TargetAssembly.IsNil ? "" : reader.GetString(reader.GetAssemblyReference(import.TargetAssembly).Name)))
                .Append(':').Append(Part(() => import.TargetType.IsNil ? "" : System.Reflection.Metadata.Ecma335.MetadataTokens.GetToken(import.TargetType).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return System.Text.Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Part(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (InvalidCastException)
        {
            return "";
        }
    }

    private static string MetadataTokensRow(ImportScopeHandle handle) =>
        System.Reflection.Metadata.Ecma335.MetadataTokens.GetRowNumber(handle).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static byte[]? Embedded(MetadataReader reader, DocumentHandle document)
    {
        foreach (var handle in reader.GetCustomDebugInformation(document))
        {
            var info = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(info.Kind) == EmbeddedSource)
            {
                var blob = reader.GetBlobBytes(info.Value);
                var size = BitConverter.ToInt32(blob, 0);
                if (size == 0)
                {
                    return blob[4..];
                }

                using var inflate = new DeflateStream(new MemoryStream(blob, 4, blob.Length - 4), CompressionMode.Decompress);
                var text = new MemoryStream();
                inflate.CopyTo(text);
                return text.ToArray();
            }
        }

        return null;
    }

    // Each reference: file name, aliases (zero-terminated UTF-8), flags, time stamp, image size, MVID. The last three
    // may be an earlier build's for the repository's own references (README "Deliberate differences").
    private static List<string> References(byte[] blob, ISet<string> repositoryAssemblies)
    {
        var result = new List<string>();
        var at = 0;
        string Text()
        {
            var end = Array.IndexOf(blob, (byte)0, at);
            var value = System.Text.Encoding.UTF8.GetString(blob, at, end - at);
            at = end + 1;
            return value;
        }

        while (at < blob.Length)
        {
            var name = Text();
            var aliases = Text();
            var flags = blob[at];
            var ids = Convert.ToHexString(blob, at + 1, 24);
            at += 25;
            result.Add($"{name}|{aliases}|{flags}|{(repositoryAssemblies.Contains(Path.GetFileNameWithoutExtension(name)) ? "(repository reference)" : ids)}");
        }

        return result;
    }
}
