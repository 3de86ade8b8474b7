using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Compares two assemblies (or reference assemblies) of the same command line. A deterministic compile derives its
/// MVID, PE time stamp and checksum, strong-name signature and debug directory from its whole content or its pdb, so a
/// pdb-only difference changes them all: they are blanked first, at the locations the headers and metadata give.
/// </summary>
internal static class PeImageComparison
{
    // IMAGE_DEBUG_DIRECTORY: Characteristics, TimeDateStamp, Major/MinorVersion, Type, SizeOfData, AddressOfRawData, PointerToRawData.
    private const int DebugEntrySize = 28;
    private const int DebugEntryStampOffset = 4;
    private const int CoffTimeStampOffset = 4;
    private const int PeChecksumOffset = 64;
    private const int GuidSize = 16;

    public static (string Kind, string Detail) Compare(byte[] local, byte[] restored)
    {
        using var a = Image.TryOpen(local);
        using var b = Image.TryOpen(restored);
        if (a is null || b is null)
        {
            var which = a is null && b is null ? "both files" : a is null ? "the local file" : "the restored file";
            return (OutputComparison.ContentKind, OutputComparison.DescribeBytes($"not a valid assembly ({which})", local, restored));
        }

        try
        {
            if (a.Blanked.AsSpan().SequenceEqual(b.Blanked))
            {
                return (OutputComparison.DebugKind, DescribeDebugDirectories(a, b));
            }

            var parts = ContentDifferences(a, b);
            if (parts.Count > 0)
            {
                return (OutputComparison.ContentKind, string.Join(", ", parts));
            }

            // Debug data of another size (a longer pdb path, a larger embedded pdb) moves everything after it, so the
            // images cannot line up; the parts compared above are all the content there is.
            if (!SameDebugLayout(a, b))
            {
                return (OutputComparison.DebugKind, DescribeDebugDirectories(a, b));
            }

            var at = a.Blanked.AsSpan().CommonPrefixLength(b.Blanked);
            var section = a.Reader.PEHeaders.SectionHeaders.FirstOrDefault(s => at >= s.PointerToRawData && at < s.PointerToRawData + s.SizeOfRawData).Name;
            return (OutputComparison.ContentKind, $"the blanked images differ at offset {at}{(string.IsNullOrEmpty(section) ? " (headers)" : $" (section {section})")}");
        }
        catch (Exception ex) when (IsBadImage(ex))
        {
            return (OutputComparison.ContentKind, OutputComparison.DescribeBytes($"malformed assembly ({ex.GetType().Name})", local, restored));
        }
    }

    /// <summary>What System.Reflection.Metadata throws on malformed input.</summary>
    internal static bool IsBadImage(Exception ex) =>
        ex is BadImageFormatException or InvalidOperationException or ArgumentException or IndexOutOfRangeException
            or OverflowException or NotSupportedException or InvalidDataException or IOException;

    private sealed class Image : IDisposable
    {
        private Image(byte[] bytes, PEReader reader, MetadataReader metadata, ImmutableArray<DebugDirectoryEntry> debug, byte[] blanked)
        {
            Bytes = bytes;
            Reader = reader;
            Metadata = metadata;
            Debug = debug;
            Blanked = blanked;
        }

        public byte[] Bytes { get; }

        public PEReader Reader { get; }

        public MetadataReader Metadata { get; }

        public ImmutableArray<DebugDirectoryEntry> Debug { get; }

        public byte[] Blanked { get; }

        public static Image? TryOpen(byte[] bytes)
        {
            var reader = new PEReader(ImmutableArray.Create(bytes));
            try
            {
                var headers = reader.PEHeaders;
                if (!reader.HasMetadata || headers.PEHeader is null || headers.CorHeader is null)
                {
                    reader.Dispose();
                    return null;
                }

                var metadata = reader.GetMetadataReader();
                var debug = reader.ReadDebugDirectory();
                var image = new Image(bytes, reader, metadata, debug, Blank(bytes, headers, metadata, debug));
                return image;
            }
            catch (Exception ex) when (IsBadImage(ex))
            {
                reader.Dispose();
                return null;
            }
        }

        public void Dispose() => Reader.Dispose();

        private static byte[] Blank(byte[] bytes, PEHeaders headers, MetadataReader metadata, ImmutableArray<DebugDirectoryEntry> debug)
        {
            var blanked = (byte[])bytes.Clone();
            Clear(blanked, headers.CoffHeaderStartOffset + CoffTimeStampOffset, 4);
            Clear(blanked, headers.PEHeaderStartOffset + PeChecksumOffset, 4);

            var signature = headers.CorHeader!.StrongNameSignatureDirectory;
            if (signature.Size > 0 && headers.TryGetDirectoryOffset(signature, out var signatureOffset))
            {
                Clear(blanked, signatureOffset, signature.Size);
            }

            var mvid = metadata.GetModuleDefinition().Mvid;
            if (!mvid.IsNil)
            {
                // A GUID handle is a 1-based index into the #GUID heap of 16-byte entries.
                var guidHeap = headers.MetadataStartOffset + metadata.GetHeapMetadataOffset(HeapIndex.Guid);
                Clear(blanked, guidHeap + ((MetadataTokens.GetHeapOffset(mvid) - 1) * GuidSize), GuidSize);
            }

            var table = headers.PEHeader!.DebugTableDirectory;
            if (table.Size > 0 && headers.TryGetDirectoryOffset(table, out var tableOffset))
            {
                for (var entry = 0; entry < table.Size / DebugEntrySize; entry++)
                {
                    Clear(blanked, tableOffset + (entry * DebugEntrySize) + DebugEntryStampOffset, 4);
                }
            }

            foreach (var entry in debug)
            {
                if (entry.DataSize > 0 && entry.DataPointer > 0)
                {
                    Clear(blanked, entry.DataPointer, entry.DataSize);
                }
            }

            return blanked;
        }

        private static void Clear(byte[] bytes, int offset, int length)
        {
            if (offset >= 0 && length > 0 && offset <= bytes.Length - length)
            {
                Array.Clear(bytes, offset, length);
            }
        }
    }

    private static bool SameDebugLayout(Image a, Image b) =>
        a.Debug.Select(e => (e.Type, e.DataSize)).SequenceEqual(b.Debug.Select(e => (e.Type, e.DataSize)));

    // The content of an assembly part by part, each compared by value rather than by place, so a debug directory of
    // another size, which moves what follows it, does not count. Names the first difference of each part.
    private static List<string> ContentDifferences(Image a, Image b)
    {
        var parts = new List<string>();
        if (DescribeHeaders(a, b) is { } headers)
        {
            parts.Add(headers);
        }

        if (DescribeMetadata(a, b) is { } metadata)
        {
            parts.Add(metadata);
        }

        if (DescribeMethodBodies(a, b) is { } bodies)
        {
            parts.Add(bodies);
        }

        if (DescribeManagedResources(a, b) is { } resources)
        {
            parts.Add(resources);
        }

        if (DescribeMappedFieldData(a, b) is { } data)
        {
            parts.Add(data);
        }

        if (DescribeWin32Resources(a, b) is { } win32)
        {
            parts.Add(win32);
        }

        return parts;
    }

    private static string? DescribeHeaders(Image a, Image b)
    {
        var x = a.Reader.PEHeaders;
        var y = b.Reader.PEHeaders;
        var fields = new List<string>();
        Check("machine", x.CoffHeader.Machine, y.CoffHeader.Machine);
        Check("characteristics", x.CoffHeader.Characteristics, y.CoffHeader.Characteristics);
        Check("PE kind", x.PEHeader!.Magic, y.PEHeader!.Magic);
        Check("subsystem", x.PEHeader.Subsystem, y.PEHeader.Subsystem);
        Check("DLL characteristics", x.PEHeader.DllCharacteristics, y.PEHeader.DllCharacteristics);
        Check("image base", x.PEHeader.ImageBase, y.PEHeader.ImageBase);
        Check("file alignment", x.PEHeader.FileAlignment, y.PEHeader.FileAlignment);
        Check("section alignment", x.PEHeader.SectionAlignment, y.PEHeader.SectionAlignment);
        Check("subsystem version", (x.PEHeader.MajorSubsystemVersion, x.PEHeader.MinorSubsystemVersion), (y.PEHeader.MajorSubsystemVersion, y.PEHeader.MinorSubsystemVersion));
        Check("stack and heap sizes", (x.PEHeader.SizeOfStackReserve, x.PEHeader.SizeOfHeapReserve), (y.PEHeader.SizeOfStackReserve, y.PEHeader.SizeOfHeapReserve));
        Check("sections", string.Join(",", x.SectionHeaders.Select(h => h.Name)), string.Join(",", y.SectionHeaders.Select(h => h.Name)));
        Check("CLI flags", x.CorHeader!.Flags, y.CorHeader!.Flags);
        Check("entry point", x.CorHeader.EntryPointTokenOrRelativeVirtualAddress, y.CorHeader.EntryPointTokenOrRelativeVirtualAddress);
        Check("metadata version", a.Metadata.MetadataVersion, b.Metadata.MetadataVersion);
        return fields.Count == 0 ? null : $"PE/CLI headers ({string.Join(", ", fields)})";

        void Check<T>(string name, T left, T right)
        {
            if (!EqualityComparer<T>.Default.Equals(left, right))
            {
                fields.Add(name);
            }
        }
    }

    private static string? DescribeMetadata(Image a, Image b)
    {
        var x = a.Metadata;
        var y = b.Metadata;
        var xStart = a.Reader.PEHeaders.MetadataStartOffset;
        var yStart = b.Reader.PEHeaders.MetadataStartOffset;
        foreach (var table in Enum.GetValues<TableIndex>())
        {
            var rows = x.GetTableRowCount(table);
            if (rows != y.GetTableRowCount(table))
            {
                return $"metadata table {table} ({rows} vs {y.GetTableRowCount(table)} rows)";
            }

            var size = x.GetTableRowSize(table);
            if (rows == 0)
            {
                continue;
            }

            if (size != y.GetTableRowSize(table))
            {
                return $"metadata table {table}";
            }

            // A method's or a field's RVA says where its body or data lies, which moves with what precedes it; the
            // body and the data themselves are compared below.
            var skip = table is TableIndex.MethodDef or TableIndex.FieldRva ? 4 : 0;
            var xTable = a.Blanked.AsSpan(xStart + x.GetTableMetadataOffset(table), rows * size);
            var yTable = b.Blanked.AsSpan(yStart + y.GetTableMetadataOffset(table), rows * size);
            for (var row = 0; row < rows; row++)
            {
                if (!xTable.Slice((row * size) + skip, size - skip).SequenceEqual(yTable.Slice((row * size) + skip, size - skip)))
                {
                    return $"metadata table {table} (row {row + 1})";
                }
            }
        }

        foreach (var heap in (ReadOnlySpan<HeapIndex>)[HeapIndex.String, HeapIndex.UserString, HeapIndex.Blob, HeapIndex.Guid])
        {
            var xHeap = a.Blanked.AsSpan(xStart + x.GetHeapMetadataOffset(heap), x.GetHeapSize(heap));
            var yHeap = b.Blanked.AsSpan(yStart + y.GetHeapMetadataOffset(heap), y.GetHeapSize(heap));
            if (!xHeap.SequenceEqual(yHeap))
            {
                return $"metadata {heap} heap";
            }
        }

        return null;
    }

    private static string? DescribeMethodBodies(Image a, Image b)
    {
        foreach (var (x, y) in a.Metadata.MethodDefinitions.Zip(b.Metadata.MethodDefinitions))
        {
            var xRva = a.Metadata.GetMethodDefinition(x).RelativeVirtualAddress;
            var yRva = b.Metadata.GetMethodDefinition(y).RelativeVirtualAddress;
            if ((xRva == 0) != (yRva == 0) || (xRva != 0 && !MethodBody(a, xRva).SequenceEqual(MethodBody(b, yRva))))
            {
                return $"method bodies (first: {MethodName(a.Metadata, x)})";
            }
        }

        return null;

        static ImmutableArray<byte> MethodBody(Image image, int rva)
        {
            var size = image.Reader.GetMethodBody(rva).Size;
            return image.Reader.GetSectionData(rva).GetContent(0, size);
        }
    }

    private static string MethodName(MetadataReader metadata, MethodDefinitionHandle handle)
    {
        var method = metadata.GetMethodDefinition(handle);
        var type = metadata.GetTypeDefinition(method.GetDeclaringType());
        var ns = metadata.GetString(type.Namespace);
        return $"{(ns.Length > 0 ? ns + "." : "")}{metadata.GetString(type.Name)}.{metadata.GetString(method.Name)}";
    }

    private static string? DescribeManagedResources(Image a, Image b)
    {
        var x = Resources(a);
        var y = Resources(b);
        foreach (var name in x.Keys.Union(y.Keys, StringComparer.Ordinal))
        {
            x.TryGetValue(name, out var left);
            y.TryGetValue(name, out var right);
            if (left.IsDefault || right.IsDefault || !left.SequenceEqual(right))
            {
                return $"managed resource '{name}'";
            }
        }

        return null;

        static Dictionary<string, ImmutableArray<byte>> Resources(Image image)
        {
            var resources = new Dictionary<string, ImmutableArray<byte>>(StringComparer.Ordinal);
            var directory = image.Reader.PEHeaders.CorHeader!.ResourcesDirectory;
            foreach (var handle in image.Metadata.ManifestResources)
            {
                var resource = image.Metadata.GetManifestResource(handle);
                if (!resource.Implementation.IsNil || directory.Size == 0)
                {
                    continue;
                }

                // Each embedded resource is a 4-byte length and the bytes, at its offset in the resources directory.
                var reader = image.Reader.GetSectionData(directory.RelativeVirtualAddress + (int)resource.Offset).GetReader();
                var length = reader.ReadInt32();
                resources.TryAdd(image.Metadata.GetString(resource.Name), reader.ReadBytes(length).ToImmutableArray());
            }

            return resources;
        }
    }

    // Static array initialisers and the like live at field RVAs; the compiler writes them together, after the debug
    // data, so they are compared from the first one to the end of their section, relative to that first one.
    private static string? DescribeMappedFieldData(Image a, Image b)
    {
        var x = MappedFieldData(a);
        var y = MappedFieldData(b);
        return x.SequenceEqual(y) ? null : "mapped field data (array initialisers)";

        static byte[] MappedFieldData(Image image)
        {
            var rvas = new List<int>();
            foreach (var handle in image.Metadata.FieldDefinitions)
            {
                var field = image.Metadata.GetFieldDefinition(handle);
                if ((field.Attributes & FieldAttributes.HasFieldRVA) != 0)
                {
                    rvas.Add(field.GetRelativeVirtualAddress());
                }
            }

            if (rvas.Count == 0)
            {
                return [];
            }

            var first = rvas.Min();
            var section = image.Reader.PEHeaders.SectionHeaders.FirstOrDefault(s => first >= s.VirtualAddress && first < s.VirtualAddress + s.VirtualSize);
            var length = section.VirtualAddress + section.VirtualSize - first;
            var data = image.Reader.GetSectionData(first);
            var content = data.GetContent(0, Math.Max(0, Math.Min(length, data.Length)));
            var offsets = rvas.SelectMany(rva => BitConverter.GetBytes(rva - first));
            return [.. offsets, .. content];
        }
    }

    private static string? DescribeWin32Resources(Image a, Image b)
    {
        var x = Win32Resources(a);
        var y = Win32Resources(b);
        return x.AsSpan().SequenceEqual(y) ? null : "Win32 resources";
    }

    // The resource tree points at its data by RVA, which moves with the section when the code before it grows (a
    // longer pdb path, a larger embedded pdb): those RVAs are made relative to the tree before comparing.
    private static byte[] Win32Resources(Image image)
    {
        var directory = image.Reader.PEHeaders.PEHeader!.ResourceTableDirectory;
        if (directory.Size == 0)
        {
            return [];
        }

        var tree = image.Reader.GetSectionData(directory.RelativeVirtualAddress).GetContent(0, directory.Size).ToArray();
        var pending = new Stack<int>([0]);
        var visited = new HashSet<int>();
        var outside = new List<byte>();
        while (pending.Count > 0)
        {
            // IMAGE_RESOURCE_DIRECTORY: 12 bytes, then named and id entry counts, then 8-byte entries.
            var at = pending.Pop();
            if (!visited.Add(at))
            {
                throw new BadImageFormatException("The Win32 resource tree has a cycle.");
            }

            var entries = BinaryPrimitives.ReadUInt16LittleEndian(tree.AsSpan(at + 12)) + BinaryPrimitives.ReadUInt16LittleEndian(tree.AsSpan(at + 14));
            for (var i = 0; i < entries; i++)
            {
                var target = BinaryPrimitives.ReadUInt32LittleEndian(tree.AsSpan(at + 16 + (i * 8) + 4));
                if ((target & 0x8000_0000) != 0)
                {
                    pending.Push((int)(target & 0x7FFF_FFFF));
                }
                else if (visited.Add(-(int)target - 1))
                {
                    // IMAGE_RESOURCE_DATA_ENTRY: data RVA, size, code page, reserved. Data outside the tree is compared too.
                    var entry = tree.AsSpan((int)target, 16);
                    var rva = BinaryPrimitives.ReadInt32LittleEndian(entry);
                    var size = BinaryPrimitives.ReadInt32LittleEndian(entry[4..]);
                    if (rva < directory.RelativeVirtualAddress || rva - directory.RelativeVirtualAddress > directory.Size - size)
                    {
                        outside.AddRange(image.Reader.GetSectionData(rva).GetContent(0, size));
                    }

                    BinaryPrimitives.WriteInt32LittleEndian(entry, rva - directory.RelativeVirtualAddress);
                }
            }
        }

        return [.. tree, .. outside];
    }

    private static string DescribeDebugDirectories(Image a, Image b)
    {
        var findings = new List<string>();
        var xTypes = a.Debug.Select(e => e.Type).ToList();
        var yTypes = b.Debug.Select(e => e.Type).ToList();
        if (!xTypes.SequenceEqual(yTypes))
        {
            findings.Add($"debug directory entries: {string.Join(", ", xTypes)} vs {string.Join(", ", yTypes)}");
        }

        foreach (var x in a.Debug)
        {
            var y = b.Debug.FirstOrDefault(e => e.Type == x.Type);
            if (y.Type != x.Type)
            {
                continue;
            }

            switch (x.Type)
            {
                case DebugDirectoryEntryType.CodeView:
                    var xView = a.Reader.ReadCodeViewDebugDirectoryData(x);
                    var yView = b.Reader.ReadCodeViewDebugDirectoryData(y);
                    if (xView.Guid != yView.Guid || xView.Age != yView.Age)
                    {
                        findings.Add("pdb id/CodeView");
                    }

                    if (xView.Path != yView.Path)
                    {
                        findings.Add($"pdb path in the debug directory: '{xView.Path}' vs '{yView.Path}'");
                    }

                    break;
                case DebugDirectoryEntryType.PdbChecksum:
                    var xSum = a.Reader.ReadPdbChecksumDebugDirectoryData(x);
                    var ySum = b.Reader.ReadPdbChecksumDebugDirectoryData(y);
                    if (xSum.AlgorithmName != ySum.AlgorithmName || !xSum.Checksum.SequenceEqual(ySum.Checksum))
                    {
                        findings.Add("pdb checksum");
                    }

                    break;
                case DebugDirectoryEntryType.EmbeddedPortablePdb when !Data(a, x).SequenceEqual(Data(b, y)):
                    using (var xPdb = a.Reader.ReadEmbeddedPortablePdbDebugDirectoryData(x))
                    using (var yPdb = b.Reader.ReadEmbeddedPortablePdbDebugDirectoryData(y))
                    {
                        findings.Add($"embedded pdb: {PortablePdbComparison.Describe(xPdb.GetMetadataReader(), yPdb.GetMetadataReader())}");
                    }

                    break;
                default:
                    if (!Data(a, x).SequenceEqual(Data(b, y)))
                    {
                        findings.Add($"{x.Type} debug entry");
                    }

                    break;
            }
        }

        return findings.Count > 0 ? string.Join("; ", findings)
            : a.Bytes.Length == b.Bytes.Length ? "only the MVID, time stamps or checksum differ (a non-deterministic compile?)"
            : "debug directory layout";

        static ReadOnlySpan<byte> Data(Image image, DebugDirectoryEntry entry) =>
            entry.DataSize > 0 && entry.DataPointer >= 0 && entry.DataPointer <= image.Bytes.Length - entry.DataSize
                ? image.Bytes.AsSpan(entry.DataPointer, entry.DataSize)
                : [];
    }
}
