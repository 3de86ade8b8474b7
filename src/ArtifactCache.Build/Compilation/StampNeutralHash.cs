using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Hashes a reference assembly built in this repository with its per-commit stamps neutralised: the
/// <c>+&lt;commit&gt;</c> suffix the SDK puts into <c>AssemblyInformationalVersion</c> (and the Win32
/// <c>ProductVersion</c>), and the values derived from the whole content: the module version id (MVID), the PE time
/// stamp and checksum, a strong-name signature and the debug directory's ids. Without this, a new commit would change
/// every project's reference assembly and so every dependent's key, though nothing a dependent compiles against
/// changed. Used only outside strict mode (see README, "Across commits").
/// </summary>
/// <remarks>
/// First choice is <see cref="ReferenceMetadataHash"/>: the metadata alone, by value, which a version of another length
/// (git height) leaves unchanged. The byte-level blanking below is the fallback for images it does not read.
/// Every value is found by parsing the PE and metadata and blanked at its exact location, never by searching the
/// bytes: a public constant, attribute argument or default value that merely looks like a commit is API, and must
/// change the hash when it changes. A file that does not parse as a managed PE is hashed as its plain bytes, which
/// is always sound (it can only cost hits).
/// </remarks>
internal static class StampNeutralHash
{
    public static string Hash(string path) => Hash(path, VolatileStamps.CommitSuffix);

    /// <summary>
    /// The hash of the canonical metadata (<see cref="ReferenceMetadataHash"/>), which a version of another length
    /// leaves unchanged; when the file cannot be read that way, its bytes with the stamps blanked in place.
    /// </summary>
    public static string Hash(string path, VolatileStamps stamps) => Hash(File.ReadAllBytes(path), stamps);

    /// <summary>As <see cref="Hash(string, VolatileStamps)"/> for an image already read; may change <paramref name="bytes"/>.</summary>
    public static string Hash(byte[] bytes, VolatileStamps stamps)
    {
        if (ReferenceMetadataHash.TryHash(bytes, stamps) is { } metadata)
        {
            return metadata;
        }

        Neutralise(bytes, stamps);
        return Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    }

    /// <summary>Blanks the stamps in place; leaves a file it cannot read exactly as it is.</summary>
    internal static void Neutralise(byte[] bytes, VolatileStamps stamps)
    {
        foreach (var blank in StampLocator.TryFind(bytes, stamps))
        {
            blank.Apply(bytes);
        }
    }

    private enum Fill
    {
        Zeros,

        // A commit becomes forty (or sixty-four) '0' characters: still the shape of a commit, so a neutralised value
        // can only equal another value that is itself a neutralised commit.
        Utf8Digits,
        Utf16Digits,
    }

    private readonly record struct Blank(int Offset, int Length, Fill Fill)
    {
        public void Apply(byte[] bytes)
        {
            for (var i = 0; i < Length; i++)
            {
                bytes[Offset + i] = Fill switch
                {
                    Fill.Utf8Digits => (byte)'0',
                    Fill.Utf16Digits => i % 2 == 0 ? (byte)'0' : (byte)0,
                    _ => 0,
                };
            }
        }
    }

    /// <summary>Finds the stamps of one image without changing it; the caller blanks them once all are found.</summary>
    private sealed class StampLocator
    {
        private const int DebugEntrySize = 28;
        private const int CodeViewType = 2;
        private const int PdbChecksumType = 19;
        private const int VersionResourceType = 16;
        private const uint FixedFileInfoSignature = 0xFEEF04BD;

        private readonly byte[] _bytes;
        private readonly VolatileStamps _stamps;
        private readonly PEHeaders _headers;
        private readonly MetadataReader _metadata;
        private readonly List<Blank> _blanks = [];

        private StampLocator(byte[] bytes, VolatileStamps stamps, PEHeaders headers, MetadataReader metadata)
        {
            _bytes = bytes;
            _stamps = stamps;
            _headers = headers;
            _metadata = metadata;
        }

        /// <summary>The stamps to blank, or none when the file is not a managed PE this class can read exactly.</summary>
        public static IReadOnlyList<Blank> TryFind(byte[] bytes, VolatileStamps stamps)
        {
            try
            {
                using var pe = new PEReader(new MemoryStream(bytes, writable: false));
                if (pe.PEHeaders.PEHeader is null || !pe.HasMetadata)
                {
                    return [];
                }

                var locator = new StampLocator(bytes, stamps, pe.PEHeaders, pe.GetMetadataReader());
                locator.FindContentDerivedIds();
                locator.FindVersionAttributes();
                locator.FindVersionResources();
                return locator._blanks;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Malformed somewhere. System.Reflection.Metadata reports damaged images not only with
                // BadImageFormatException but with InvalidOperation-, Argument- and OverflowException too, and the key
                // must never fail the build over a file's content: its plain bytes are always a sound hash (they can
                // only cost hits). Blanking only part of the stamps would be sound as well, but is harder to reason about.
                return [];
            }
        }

        private void FindContentDerivedIds()
        {
            Add(_headers.CoffHeaderStartOffset + 4, 4, Fill.Zeros);   // TimeDateStamp
            Add(_headers.PEHeaderStartOffset + 64, 4, Fill.Zeros);    // CheckSum (same place in PE32 and PE32+)

            var signature = _headers.CorHeader?.StrongNameSignatureDirectory ?? default;
            if (signature.Size > 0)
            {
                Add(DirectoryOffset(signature), signature.Size, Fill.Zeros);
            }

            var mvidHandle = _metadata.GetModuleDefinition().Mvid;
            if (!mvidHandle.IsNil)
            {
                // A GUID handle is a 1-based index into the #GUID heap of 16-byte entries.
                var at = (long)_headers.MetadataStartOffset + _metadata.GetHeapMetadataOffset(HeapIndex.Guid) +
                    ((MetadataTokens.GetHeapOffset(mvidHandle) - 1L) * 16);
                Require(at, 16);
                if (!_bytes.AsSpan((int)at, 16).SequenceEqual(_metadata.GetGuid(mvidHandle).ToByteArray()))
                {
                    throw new BadImageFormatException("The MVID is not where the #GUID heap says.");
                }

                Add((int)at, 16, Fill.Zeros);
                FindMvidSection(_bytes.AsSpan((int)at, 16).ToArray());
            }

            FindDebugDirectoryIds();
        }

        // The compiler gives a reference assembly a ".mvid" section holding a copy of the MVID, so that MSBuild's
        // CopyRefAssembly can compare two of them without reading metadata.
        private void FindMvidSection(byte[] mvid)
        {
            foreach (var section in _headers.SectionHeaders)
            {
                if (section.Name == ".mvid" && section.SizeOfRawData >= 16)
                {
                    var at = RequireAt(section.PointerToRawData, 16);
                    if (_bytes.AsSpan(at, 16).SequenceEqual(mvid))
                    {
                        Add(at, 16, Fill.Zeros);
                    }
                }
            }
        }

        // Reference assemblies can carry a debug directory: CodeView (pdb id and age), PdbChecksum and Reproducible
        // entries, each with a time stamp derived from the content in deterministic builds.
        private void FindDebugDirectoryIds()
        {
            var directory = _headers.PEHeader!.DebugTableDirectory;
            if (directory.Size == 0)
            {
                return;
            }

            var table = DirectoryOffset(directory);
            Require(table, directory.Size);
            if (directory.Size % DebugEntrySize != 0)
            {
                throw new BadImageFormatException("The debug directory is not a whole number of entries.");
            }

            for (var entry = table; entry < table + directory.Size; entry += DebugEntrySize)
            {
                Add(entry + 4, 4, Fill.Zeros);   // TimeDateStamp
                var type = ReadInt32(entry + 12);
                var size = ReadInt32(entry + 16);
                var data = ReadInt32(entry + 24);   // PointerToRawData: a file offset
                if (size == 0 || data == 0)
                {
                    continue;
                }

                Require(data, size);
                if (type == CodeViewType && size >= 24 && ReadUInt32(data) == 0x53445352)   // "RSDS"
                {
                    Add(data + 4, 20, Fill.Zeros);   // pdb GUID and age; the pdb path after them is an input
                }
                else if (type == PdbChecksumType)
                {
                    // The algorithm name, NUL-terminated, then the checksum of the pdb.
                    var nameEnd = _bytes.AsSpan(data, size).IndexOf((byte)0);
                    if (nameEnd < 0)
                    {
                        throw new BadImageFormatException("A PdbChecksum entry has no algorithm name.");
                    }

                    Add(data + nameEnd + 1, size - nameEnd - 1, Fill.Zeros);
                }
            }
        }

        private void FindVersionAttributes()
        {
            if (!_metadata.IsAssembly)
            {
                return;
            }

            var versions = _stamps.HasFlag(VolatileStamps.Versions);
            foreach (var handle in _metadata.GetAssemblyDefinition().GetCustomAttributes())
            {
                var attribute = _metadata.GetCustomAttribute(handle);
                if (AssemblyAttributes.IsReflectionAttribute(_metadata, attribute, "AssemblyInformationalVersionAttribute") && IsOwnBlob(attribute.Value))
                {
                    FindInStringArgument(attribute.Value, wholeValue: versions, commitSuffix: _stamps.HasFlag(VolatileStamps.CommitSuffix));
                }
                else if (versions && AssemblyAttributes.IsReflectionAttribute(_metadata, attribute, "AssemblyFileVersionAttribute") && IsOwnBlob(attribute.Value))
                {
                    FindInStringArgument(attribute.Value, wholeValue: true, commitSuffix: false);
                }
            }
        }

        // The #Blob heap stores equal blobs once: another attribute with the same single string argument (a [Tag] that
        // repeats the informational version, say) shares the bytes, and blanking them would hide that API too.
        // Constants are the other blobs an argument could equal; signature blobs never start with the 0x0001 prolog.
        private bool IsOwnBlob(BlobHandle value)
        {
            var users = 0;
            foreach (var handle in _metadata.CustomAttributes)
            {
                users += _metadata.GetCustomAttribute(handle).Value == value ? 1 : 0;
            }

            for (var row = 1; row <= _metadata.GetTableRowCount(TableIndex.Constant); row++)
            {
                users += _metadata.GetConstant(MetadataTokens.ConstantHandle(row)).Value == value ? 1 : 0;
            }

            return users == 1;
        }

        // The blob of a custom attribute with one string argument: prolog 0x0001, then a SerString (a compressed length
        // and UTF-8, or 0xFF for null), then the count of named arguments.
        private void FindInStringArgument(BlobHandle value, bool wholeValue, bool commitSuffix)
        {
            if (value.IsNil)
            {
                return;
            }

            var blob = _headers.MetadataStartOffset + _metadata.GetHeapMetadataOffset(HeapIndex.Blob) + MetadataTokens.GetHeapOffset(value);
            var (blobLength, blobHeader) = ReadCompressedLength(blob);
            if (blobLength != _metadata.GetBlobReader(value).Length)
            {
                throw new BadImageFormatException("A custom attribute blob is not where the #Blob heap says.");
            }

            var start = RequireAt((long)blob + blobHeader, blobLength);
            var end = start + blobLength;
            if (blobLength < 3 || ReadUInt16(start) != 1 || _bytes[start + 2] == 0xFF)
            {
                return;   // not the shape of a one-string attribute, or a null string: nothing that is a stamp
            }

            var (stringLength, stringHeader) = ReadCompressedLength(start + 2);
            var text = start + 2 + stringHeader;
            if ((long)text + stringLength > end)
            {
                throw new BadImageFormatException("A custom attribute string runs past its blob.");
            }

            if (wholeValue)
            {
                Add(text, stringLength, Fill.Zeros);
                return;
            }

            if (commitSuffix)
            {
                // A commit is ASCII, and UTF-8 never uses ASCII bytes inside a longer sequence: a byte-wise test is exact.
                var units = new char[stringLength];
                for (var i = 0; i < stringLength; i++)
                {
                    units[i] = (char)_bytes[text + i];
                }

                var commit = CommitStamps.SuffixLength(units);
                if (commit > 0)
                {
                    Add(text + stringLength - commit, commit, Fill.Utf8Digits);
                }
            }
        }

        // The resource tree: type (RT_VERSION) -> name -> language -> data entry. Offsets in the tree are from the start
        // of the resource directory; a data entry points at its data by RVA.
        private void FindVersionResources()
        {
            var directory = _headers.PEHeader!.ResourceTableDirectory;
            if (directory.Size == 0)
            {
                return;
            }

            var root = DirectoryOffset(directory);
            foreach (var (isNamed, id, type) in ReadResourceDirectory(root, root))
            {
                if (isNamed || id != VersionResourceType || type.Data)
                {
                    continue;
                }

                foreach (var (_, _, name) in ReadResourceDirectory(root, root + type.Offset))
                {
                    if (name.Data)
                    {
                        continue;
                    }

                    foreach (var (_, _, language) in ReadResourceDirectory(root, root + name.Offset))
                    {
                        if (language.Data)
                        {
                            var entry = root + language.Offset;
                            var rva = ReadInt32(entry);
                            var size = ReadInt32(entry + 4);
                            FindInVersionInfo(RvaToOffset(rva, size), size);
                        }
                    }
                }
            }
        }

        private List<(bool IsNamed, int Id, (bool Data, int Offset) Target)> ReadResourceDirectory(int root, int directory)
        {
            var count = ReadUInt16(directory + 12) + ReadUInt16(directory + 14);   // named, then id entries
            Require(directory + 16, count * 8L);
            var entries = new List<(bool, int, (bool, int))>(count);
            for (var i = 0; i < count; i++)
            {
                var name = ReadUInt32(directory + 16 + (i * 8));
                var target = ReadUInt32(directory + 16 + (i * 8) + 4);
                var offset = (int)(target & 0x7FFFFFFF);
                Require((long)root + offset, 16);
                entries.Add(((name & 0x80000000) != 0, (int)(name & 0xFFFF), ((target & 0x80000000) == 0, offset)));
            }

            return entries;
        }

        // VS_VERSIONINFO: a tree of blocks, each wLength, wValueLength, wType, a NUL-terminated UTF-16 key, then the
        // value and the children, each DWORD-aligned from the start of the resource.
        private void FindInVersionInfo(int start, int size)
        {
            var info = ReadVersionBlock(start, start, start + size);
            if (info.Key != "VS_VERSION_INFO")
            {
                return;
            }

            var versions = _stamps.HasFlag(VolatileStamps.Versions);
            if (versions && info.ValueLength >= 52 && ReadUInt32(info.Value) == FixedFileInfoSignature)
            {
                // VS_FIXEDFILEINFO: dwFileVersionMS/LS and dwProductVersionMS/LS follow the signature and struct version.
                Add(info.Value + 8, 16, Fill.Zeros);
            }

            foreach (var fileInfo in ReadChildren(start, info, info.Value + info.ValueLength))
            {
                if (fileInfo.Key != "StringFileInfo")
                {
                    continue;
                }

                foreach (var table in ReadChildren(start, fileInfo, fileInfo.Value))
                {
                    foreach (var entry in ReadChildren(start, table, table.Value))
                    {
                        var isProduct = entry.Key == "ProductVersion";
                        if (!isProduct && entry.Key != "FileVersion")
                        {
                            continue;
                        }

                        // The value is UTF-16 up to its NUL or the block's end (writers disagree on wValueLength's unit).
                        var units = new List<char>();
                        for (var at = entry.Value; at + 2 <= entry.End && ReadUInt16(at) != 0; at += 2)
                        {
                            units.Add((char)ReadUInt16(at));
                        }

                        if (versions)
                        {
                            Add(entry.Value, units.Count * 2, Fill.Zeros);
                        }
                        else if (isProduct && _stamps.HasFlag(VolatileStamps.CommitSuffix))
                        {
                            var commit = CommitStamps.SuffixLength(units.ToArray());
                            if (commit > 0)
                            {
                                Add(entry.Value + ((units.Count - commit) * 2), commit * 2, Fill.Utf16Digits);
                            }
                        }
                    }
                }
            }
        }

        private readonly record struct VersionBlock(int End, string Key, int Value, int ValueLength);

        private VersionBlock ReadVersionBlock(int resource, int at, int limit)
        {
            var length = ReadUInt16(at);
            if (length < 6 || (long)at + length > limit)
            {
                throw new BadImageFormatException("A version resource block runs past its parent.");
            }

            var end = at + length;
            var key = new StringBuilder();
            var cursor = at + 6;
            for (; ; cursor += 2)
            {
                if (cursor + 2 > end)
                {
                    throw new BadImageFormatException("A version resource key is not terminated.");
                }

                var unit = ReadUInt16(cursor);
                if (unit == 0)
                {
                    break;
                }

                key.Append((char)unit);
            }

            var value = Align(resource, cursor + 2);
            var valueLength = ReadUInt16(at + 2);
            if (ReadUInt16(at + 4) == 0 && (long)value + valueLength > end)
            {
                throw new BadImageFormatException("A binary version resource value runs past its block.");
            }

            return new VersionBlock(end, key.ToString(), Math.Min(value, end), ReadUInt16(at + 4) == 0 ? valueLength : 0);
        }

        private List<VersionBlock> ReadChildren(int resource, VersionBlock parent, int afterValue)
        {
            var children = new List<VersionBlock>();
            for (var at = Align(resource, afterValue); at + 6 <= parent.End;)
            {
                var child = ReadVersionBlock(resource, at, parent.End);
                children.Add(child);
                at = Align(resource, child.End);
            }

            return children;
        }

        private static int Align(int resource, int at) => resource + ((at - resource + 3) & ~3);

        private int DirectoryOffset(DirectoryEntry directory) =>
            _headers.TryGetDirectoryOffset(directory, out var offset) ? RequireAt(offset, directory.Size) :
            throw new BadImageFormatException("A PE directory is outside every section.");

        private int RvaToOffset(int rva, int size)
        {
            var index = _headers.GetContainingSectionIndex(rva);
            if (index < 0)
            {
                throw new BadImageFormatException("An RVA is outside every section.");
            }

            var section = _headers.SectionHeaders[index];
            var within = (long)rva - section.VirtualAddress;
            if (within + size > section.SizeOfRawData)
            {
                throw new BadImageFormatException("Data runs past the raw data of its section.");
            }

            return RequireAt(section.PointerToRawData + within, size);
        }

        private (int Length, int HeaderSize) ReadCompressedLength(int at)
        {
            Require(at, 1);
            var first = _bytes[at];
            if ((first & 0x80) == 0)
            {
                return (first, 1);
            }

            if ((first & 0xC0) == 0x80)
            {
                Require(at, 2);
                return (((first & 0x3F) << 8) | _bytes[at + 1], 2);
            }

            if ((first & 0xE0) == 0xC0)
            {
                Require(at, 4);
                return (((first & 0x1F) << 24) | (_bytes[at + 1] << 16) | (_bytes[at + 2] << 8) | _bytes[at + 3], 4);
            }

            throw new BadImageFormatException("A compressed length is malformed.");
        }

        private void Add(long offset, long length, Fill fill)
        {
            Require(offset, length);
            _blanks.Add(new Blank((int)offset, (int)length, fill));
        }

        private ushort ReadUInt16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(RequireAt(at, 2)));

        private uint ReadUInt32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(RequireAt(at, 4)));

        private int ReadInt32(long at)
        {
            var value = ReadUInt32(at);
            return value <= int.MaxValue ? (int)value : throw new BadImageFormatException("A size or offset is out of range.");
        }

        private int RequireAt(long offset, long length)
        {
            Require(offset, length);
            return (int)offset;
        }

        private void Require(long offset, long length)
        {
            if (offset < 0 || length < 0 || offset + length > _bytes.Length)
            {
                throw new BadImageFormatException("An offset or length is outside the file.");
            }
        }
    }
}
