using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;

namespace ArtifactCache.Fuzz;

/// <summary>The outcome of comparing one restored file with the local compile's.</summary>
public sealed record FileComparison(string Project, string File, bool Equal, string? Exemption, string? Difference)
{
    /// <summary>False when neither build wrote the file (a project without XML docs): nothing was compared.</summary>
    public bool Present { get; init; } = true;
}

/// <summary>
/// Compares a hit's outputs with the oracle's byte for byte. Each deliberate difference the README lists is a named,
/// narrow rule that rewrites exactly the value it allows to differ and compares again; nothing is ignored wholesale.
/// </summary>
public static class OutputComparer
{
    /// <summary>The README's "across commits": the <c>+&lt;commit&gt;</c> suffix of the informational version and the commit in the Source Link map.</summary>
    public const string CommitRule = "commit-stamp-across-commits";

    /// <summary>The files of a compilation's outputs, relative to the project folder, that the compiler writes.</summary>
    public static IEnumerable<string> OutputFiles(string projectName, string tfm, string configuration = "Debug")
    {
        var folder = Path.Combine("obj", configuration, tfm);
        yield return Path.Combine(folder, projectName + ".dll");
        yield return Path.Combine(folder, projectName + ".pdb");
        yield return Path.Combine(folder, projectName + ".xml");
        yield return Path.Combine(folder, "ref", projectName + ".dll");
        yield return Path.Combine(folder, "refint", projectName + ".dll");
    }

    /// <summary>Compares one output file; <paramref name="commitA"/> is A's commit (whose outputs a hit restores), <paramref name="commitB"/> B's.</summary>
    public static FileComparison Compare(string project, string file, byte[]? hit, byte[]? oracle, string commitA, string commitB, ISet<string> repositoryAssemblies)
    {
        if (hit is null || oracle is null)
        {
            return hit is null && oracle is null
                ? new FileComparison(project, file, true, null, null) { Present = false }
                : new FileComparison(project, file, false, null, hit is null ? "the hit did not restore it; the local compile wrote it" : "the hit restored it; the local compile did not write it");
        }

        if (hit.AsSpan().SequenceEqual(oracle))
        {
            return new FileComparison(project, file, true, null, null);
        }

        if (!string.Equals(commitA, commitB, StringComparison.Ordinal))
        {
            var rewritten = ReplaceCommit(hit, commitA, commitB);
            if (rewritten.AsSpan().SequenceEqual(oracle))
            {
                return new FileComparison(project, file, true, CommitRule, null);
            }

            if (file.EndsWith(".pdb", StringComparison.Ordinal))
            {
                return PdbComparer.CompareAcrossCommits(hit, oracle, commitA, commitB, repositoryAssemblies) is { } pdbDifference
                    ? new FileComparison(project, file, false, null, $"{pdbDifference} differs{Texts(hit, oracle)}")
                    : new FileComparison(project, file, true, CommitRule + " (pdb compared table by table)", null);
            }

            // The stamp also changes what is computed from the content: the MVID, the pdb id and checksum.
            if (file.EndsWith(".dll", StringComparison.Ordinal) && BlankDerivedIds(rewritten).AsSpan().SequenceEqual(BlankDerivedIds(oracle)))
            {
                return new FileComparison(project, file, true, CommitRule + " (with the MVID and pdb ids derived from it)", null);
            }
        }

        return new FileComparison(project, file, false, null, Describe(hit, oracle));
    }

    /// <summary>
    /// The hit's bytes with A's commit replaced by B's exactly where the README allows it: after the <c>+</c> (or
    /// <c>.</c>) that starts a version's metadata, and as a path segment of a Source Link URL.
    /// </summary>
    public static byte[] ReplaceCommit(byte[] bytes, string commitA, string commitB)
    {
        var result = (byte[])bytes.Clone();
        foreach (var encoding in new Encoding[] { Encoding.UTF8, Encoding.Unicode })
        {
            foreach (var (before, after) in new[] { ("+", ""), (".", ""), ("/", "/") })
            {
                var from = encoding.GetBytes(before + commitA + after);
                var to = encoding.GetBytes(before + commitB + after);
                var start = 0;
                int at;
                while ((at = result.AsSpan(start).IndexOf(from)) >= 0)
                {
                    to.CopyTo(result, start + at);
                    start += at + from.Length;
                }
            }
        }

        return result;
    }

    /// <summary>A PE image with its MVID and the debug directory's pdb id and checksum zeroed.</summary>
    public static byte[] BlankDerivedIds(byte[] image)
    {
        var result = (byte[])image.Clone();
        try
        {
            using var pe = new PEReader(new MemoryStream(image));
            var reader = pe.GetMetadataReader();
            var metadataStart = pe.PEHeaders.MetadataStartOffset;
            var guidHeap = metadataStart + reader.GetHeapMetadataOffset(HeapIndex.Guid);
            var mvidIndex = MetadataTokens.GetHeapOffset(reader.GetModuleDefinition().Mvid);
            Array.Clear(result, guidHeap + ((mvidIndex - 1) * 16), 16);
            foreach (var entry in pe.ReadDebugDirectory())
            {
                if (entry.Type is DebugDirectoryEntryType.CodeView or DebugDirectoryEntryType.PdbChecksum)
                {
                    Array.Clear(result, entry.DataPointer, entry.DataSize);
                }

                // The CodeView entry's time stamp is part of the pdb id.
                if (entry.Type == DebugDirectoryEntryType.CodeView)
                {
                    BlankTimeStamp(result, pe, entry);
                }
            }

            // Reference assemblies repeat the MVID in a section of their own, for build tools that read only it.
            foreach (var section in pe.PEHeaders.SectionHeaders.Where(h => h.Name == ".mvid"))
            {
                Array.Clear(result, section.PointerToRawData, Math.Min(section.SizeOfRawData, 16));
            }

            // The COFF time stamp is derived from the content in deterministic builds.
            Array.Clear(result, pe.PEHeaders.CoffHeaderStartOffset + 4, 4);
            Array.Clear(result, pe.PEHeaders.PEHeaderStartOffset + 64, 4);
        }
        catch (BadImageFormatException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        return result;
    }

    private static void BlankTimeStamp(byte[] result, PEReader pe, DebugDirectoryEntry entry)
    {
        if (pe.PEHeaders.PEHeader is not { } header || !pe.PEHeaders.TryGetDirectoryOffset(header.DebugTableDirectory, out var offset))
        {
            return;
        }

        // Each 28-byte entry: characteristics, time stamp, versions, type, size, address, pointer.
        for (var at = offset; at + 28 <= offset + header.DebugTableDirectory.Size; at += 28)
        {
            if (BitConverter.ToInt32(result, at + 24) == entry.DataPointer)
            {
                Array.Clear(result, at + 4, 4);
            }
        }
    }

    private static string Describe(byte[] hit, byte[] oracle)
    {
        var length = Math.Min(hit.Length, oracle.Length);
        var first = 0;
        while (first < length && hit[first] == oracle[first])
        {
            first++;
        }

        return $"bytes differ (hit {hit.Length} bytes, local compile {oracle.Length}; first difference at offset {first}){Texts(hit, oracle)}";
    }

    // Printable strings in one file and not the other: usually names the value that differs (a path, a stamp, a text).
    private static string Texts(byte[] hit, byte[] oracle)
    {
        var inHit = Strings(hit);
        var inOracle = Strings(oracle);
        var onlyHit = inHit.Except(inOracle).Take(4).ToList();
        var onlyOracle = inOracle.Except(inHit).Take(4).ToList();
        return onlyHit.Count + onlyOracle.Count == 0 ? "" :
            $"\n        only in the hit: {string.Join(" | ", onlyHit)}\n        only in the local compile: {string.Join(" | ", onlyOracle)}";
    }

    private static HashSet<string> Strings(byte[] bytes)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var encoding in new Encoding[] { Encoding.UTF8, Encoding.Unicode })
        {
            var step = encoding == Encoding.Unicode ? 2 : 1;
            for (var phase = 0; phase < step; phase++)
            {
                var current = new StringBuilder();
                for (var i = phase; i + step - 1 < bytes.Length; i += step)
                {
                    var c = bytes[i];
                    var printable = c is >= 0x20 and < 0x7f && (step == 1 || bytes[i + 1] == 0);
                    if (printable)
                    {
                        current.Append((char)c);
                    }
                    else
                    {
                        if (current.Length >= 8)
                        {
                            found.Add(current.ToString());
                        }

                        current.Clear();
                    }
                }
            }
        }

        return found;
    }
}
