using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Hashes what a compiler can read from a reference assembly: its metadata, in a canonical form that does not depend
/// on where anything sits, and its managed resources. A compiler handed a reference reads its tables and the #Strings,
/// #Blob and #GUID heaps (and the machine and CLI flags of its headers), never its IL, the #US heap of the string
/// literals the IL loads, the StandAloneSig table of its local-variable signatures, field data, Win32 resources, debug
/// directory or PE layout; fsc
/// also reads an F# reference's managed resources, which hold its F# signature and optimization data (the bodies of
/// <c>inline</c> functions among them: a body edit that changes no table changes what a dependent compiles). So every table
/// of the <c>#~</c> stream is walked by the ECMA-335 schema (partition II, §22) and each column contributes its
/// VALUE: a string or blob its bytes rather than its heap offset, a row or coded index its number (rows do not move
/// when a string grows). A version that changes length between commits (git height: "0.0.0-alpha.0+&lt;sha&gt;", then
/// "0.0.0-alpha.0.1+&lt;sha&gt;") moves the #Blob heap, every blob offset after it, section sizes and RVAs, yet leaves
/// this form unchanged but for its own value, which is then neutralised by value (see <see cref="VolatileStamps"/>).
/// Each resource embedded in the image is then hashed by content, in row order (csc and vbc leave resources out of a
/// reference assembly, so for theirs this adds nothing).
/// </summary>
/// <remarks>
/// Fails closed: a table this schema does not know, a stream it does not know, a layout that disagrees with
/// System.Reflection.Metadata's or anything out of bounds gives null, and the caller hashes the bytes instead.
/// Every variable-length piece is length-prefixed, so two different images cannot concatenate to the same form.
/// </remarks>
internal static class ReferenceMetadataHash
{
    /// <summary>The lowercase hex SHA-256 of the canonical metadata, or null when the file cannot be read that way.</summary>
    public static string? TryHash(string path, VolatileStamps stamps)
    {
        try
        {
            return TryHash(File.ReadAllBytes(path), stamps);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    internal static string? TryHash(byte[] image, VolatileStamps stamps)
    {
        try
        {
            using var pe = new PEReader(new MemoryStream(image, writable: false));
            var headers = pe.PEHeaders;
            if (headers.PEHeader is null || headers.CorHeader is null || !pe.HasMetadata)
            {
                return null;
            }

            var start = headers.MetadataStartOffset;
            var size = headers.MetadataSize;
            if (start < 0 || size <= 0 || (long)start + size > image.Length)
            {
                return null;
            }

            var walker = new Walker(image.AsSpan(start, size).ToArray(), pe.GetMetadataReader(), stamps);
            using var canon = new Canon();
            // "/4" leaves the StandAloneSig table out, "/3" the #US heap; "/2" added managed resources ("/1" left them out,
            // and so let F# dependents hit stale). A new form never equals an old one's hash.
            canon.Text("ArtifactCache.ReferenceMetadataHash/4");
            // The headers a compiler consults: the target machine and the CLI flags (32-bit required, IL only).
            canon.UInt32((uint)headers.CoffHeader.Machine);
            canon.UInt32((uint)headers.CoffHeader.Characteristics);
            canon.UInt32((uint)headers.PEHeader.Magic);
            canon.UInt32((uint)headers.CorHeader.Flags);
            canon.UInt32(headers.CorHeader.MajorRuntimeVersion);
            canon.UInt32(headers.CorHeader.MinorRuntimeVersion);
            return walker.Write(canon) && WriteResources(canon, pe, headers, stamps) ? canon.Finish() : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // System.Reflection.Metadata reports damaged images with BadImageFormat-, InvalidOperation-, Argument- and
            // OverflowException alike; whatever it is, the caller's byte-level hash is always sound.
            return null;
        }
    }

    // F#'s signature data is pickled with its own string table, which holds each assembly attribute's value: the
    // informational version with its "+<commit>" among them, so every commit changes it. Measured with SDK 10.0.401:
    // the signature resource is Deflate-compressed unless --compressmetadata- is given, and its strings are a compressed
    // length and UTF-8 (p_prim_string), so a string entry is found exactly as its length and bytes.
    private const string FSharpSignaturePrefix = "FSharpSignature";
    private const long MaxInflatedSignature = 256L << 20;

    // The content of each manifest resource embedded in this image (II.6.2.2, II.25.3.3: at its offset into the CLI
    // header's resources directory, a 4-byte length and the bytes), in row order; the table walk has hashed each row's
    // name, flags and where it lives. In F# signature data, the one string entry equal to the assembly's informational
    // (or file) version is neutralised as the attribute is (a literal or attribute equal to it has its own row in the
    // tables, hashed as it is). False when a resource lies outside the directory or its signature data does not inflate.
    private static bool WriteResources(Canon canon, PEReader pe, PEHeaders headers, VolatileStamps stamps)
    {
        var reader = pe.GetMetadataReader();
        var directory = headers.CorHeader!.ResourcesDirectory;
        var substitutions = StampSubstitutions(reader, stamps);
        BlobReader? resources = null;
        foreach (var handle in reader.ManifestResources)
        {
            var resource = reader.GetManifestResource(handle);
            if (!resource.Implementation.IsNil)
            {
                continue;   // in another file or assembly, which the File or AssemblyRef row it points to names
            }

            if (directory.Size < 4 || resource.Offset < 0 || resource.Offset > directory.Size - 4)
            {
                return false;
            }

            if (resources is null)
            {
                var section = pe.GetSectionData(directory.RelativeVirtualAddress);
                if (section.Length < directory.Size)
                {
                    return false;
                }

                resources = section.GetReader(0, directory.Size);
            }

            var blob = resources.Value;
            blob.Offset = (int)resource.Offset;
            var length = blob.ReadUInt32();
            if (length > (uint)(directory.Size - resource.Offset - 4))
            {
                return false;
            }

            var content = blob.ReadBytes((int)length);
            var name = reader.GetString(resource.Name);
            if (substitutions.Count == 0 || !name.StartsWith(FSharpSignaturePrefix, StringComparison.Ordinal))
            {
                canon.Byte(0);
                canon.Bytes(content);
                continue;
            }

            if ((name.Contains("Compressed", StringComparison.Ordinal) ? Inflate(content) : content) is not { } signature)
            {
                return false;
            }

            foreach (var (from, to) in substitutions)
            {
                signature = ReplaceAll(signature, from, to);
            }

            canon.Byte(1);
            canon.Bytes(signature);
        }

        return true;
    }

    // Each version string F# signature data may hold, as a pickled string entry, and what it is hashed as instead.
    private static List<(byte[] From, byte[] To)> StampSubstitutions(MetadataReader reader, VolatileStamps stamps)
    {
        var substitutions = new List<(byte[] From, byte[] To)>();
        if (!reader.IsAssembly || stamps == VolatileStamps.None)
        {
            return substitutions;
        }

        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            var informational = AssemblyAttributes.IsReflectionAttribute(reader, attribute, "AssemblyInformationalVersionAttribute");
            if (!informational && !AssemblyAttributes.IsReflectionAttribute(reader, attribute, "AssemblyFileVersionAttribute"))
            {
                continue;
            }

            var blob = reader.GetBlobReader(attribute.Value);
            if (blob.Length < 3 || blob.ReadUInt16() != 1 || blob.ReadSerializedString() is not { Length: > 0 } value)
            {
                continue;
            }

            var bytes = Encoding.UTF8.GetBytes(value);
            if (stamps.HasFlag(VolatileStamps.Versions))
            {
                // Any length: the placeholder's control character never appears in a version.
                substitutions.Add((PickledString(bytes), PickledString(Encoding.UTF8.GetBytes(informational ? "\u0001informational" : "\u0001file"))));
            }
            else if (informational && stamps.HasFlag(VolatileStamps.CommitSuffix) && CommitStamps.SuffixLength(value) is > 0 and var digits)
            {
                var neutral = bytes.ToArray();
                neutral.AsSpan(neutral.Length - digits).Fill((byte)'0');
                substitutions.Add((PickledString(bytes), PickledString(neutral)));
            }
        }

        return substitutions;
    }

    // fsc's p_prim_string: the UTF-8 length as p_int32 writes it (one byte to 0x7F, two to 0x3FFF, else 0xFF and four
    // little-endian bytes), then the bytes.
    private static byte[] PickledString(byte[] utf8)
    {
        var n = utf8.Length;
        byte[] prefix = n <= 0x7F ? [(byte)n] : n <= 0x3FFF ? [(byte)(0x80 | (n >> 8)), (byte)(n & 0xFF)] : [0xFF, (byte)n, (byte)(n >> 8), (byte)(n >> 16), (byte)(n >> 24)];
        return [.. prefix, .. utf8];
    }

    private static byte[] ReplaceAll(byte[] data, byte[] from, byte[] to)
    {
        var output = new MemoryStream(data.Length);
        var rest = data.AsSpan();
        for (var at = rest.IndexOf(from); at >= 0; at = rest.IndexOf(from))
        {
            output.Write(rest[..at]);
            output.Write(to);
            rest = rest[(at + from.Length)..];
        }

        output.Write(rest);
        return output.ToArray();
    }

    // Null when the data is not Deflate or inflates past a bound no real signature comes near.
    private static byte[]? Inflate(byte[] compressed)
    {
        try
        {
            using var inflater = new DeflateStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            for (int read; (read = inflater.Read(buffer, 0, buffer.Length)) > 0;)
            {
                output.Write(buffer, 0, read);
                if (output.Length > MaxInflatedSignature)
                {
                    return null;
                }
            }

            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private enum Kind : byte
    {
        Byte,
        UInt16,
        UInt32,

        // An RVA or offset into data the compiler never reads (IL, field data, resources): whether there is one.
        Presence,
        String,
        Guid,
        Blob,
        Row,
        Coded,
    }

    private enum Coded
    {
        TypeDefOrRef,
        HasConstant,
        HasCustomAttribute,
        HasFieldMarshal,
        HasDeclSecurity,
        MemberRefParent,
        HasSemantics,
        MethodDefOrRef,
        MemberForwarded,
        Implementation,
        CustomAttributeType,
        ResolutionScope,
        TypeOrMethodDef,
    }

    private readonly record struct Column(Kind Kind, int Target = 0);

    private const int TableCount = 0x2D;   // Module (0x00) to GenericParamConstraint (0x2C)
    private const int ModuleTable = 0x00;
    private const int MvidColumn = 2;
    private const int CustomAttributeTable = 0x0C;
    private const int CustomAttributeValueColumn = 2;

    // Tables only IL points into, read (and bounds-checked) but left out of the form: StandAloneSig (0x11) holds the
    // local-variable signatures of method bodies (and calli call sites), so adding a local to a body adds a row. No
    // column of another table refers to it but HasCustomAttribute, whose attributes on a local signature no compiler
    // reads either.
    private const ulong IlOnlyTables = 1UL << 0x11;

    // The tables of each coded index, by tag; -1 for the tags CustomAttributeType leaves unused (II.24.2.6).
    private static readonly int[][] CodedTables =
    [
        [0x02, 0x01, 0x1B],
        [0x04, 0x08, 0x17],
        [0x06, 0x04, 0x01, 0x02, 0x08, 0x09, 0x0A, 0x00, 0x0E, 0x17, 0x14, 0x11, 0x1A, 0x1B, 0x20, 0x23, 0x26, 0x27, 0x28, 0x2A, 0x2C, 0x2B],
        [0x04, 0x08],
        [0x02, 0x06, 0x20],
        [0x02, 0x01, 0x1A, 0x06, 0x1B],
        [0x14, 0x17],
        [0x06, 0x0A],
        [0x04, 0x06],
        [0x26, 0x23, 0x27],
        [-1, -1, 0x06, 0x0A, -1],
        [0x00, 0x1A, 0x23, 0x01],
        [0x02, 0x06],
    ];

    private static readonly Column U8 = new(Kind.Byte);
    private static readonly Column U16 = new(Kind.UInt16);
    private static readonly Column U32 = new(Kind.UInt32);
    private static readonly Column Presence = new(Kind.Presence);
    private static readonly Column Str = new(Kind.String);
    private static readonly Column Guid = new(Kind.Guid);
    private static readonly Column Blob = new(Kind.Blob);

    private static Column Row(int table) => new(Kind.Row, table);

    private static Column Code(Coded coded) => new(Kind.Coded, (int)coded);

    // ECMA-335 II.22, every table of a type-system image in table number order, with its columns in row order.
    private static readonly Column[][] Schema =
    [
        /* 0x00 Module */ [U16, Str, Guid, Guid, Guid],
        /* 0x01 TypeRef */ [Code(Coded.ResolutionScope), Str, Str],
        /* 0x02 TypeDef */ [U32, Str, Str, Code(Coded.TypeDefOrRef), Row(0x04), Row(0x06)],
        /* 0x03 FieldPtr */ [Row(0x04)],
        /* 0x04 Field */ [U16, Str, Blob],
        /* 0x05 MethodPtr */ [Row(0x06)],
        /* 0x06 MethodDef */ [Presence, U16, U16, Str, Blob, Row(0x08)],
        /* 0x07 ParamPtr */ [Row(0x08)],
        /* 0x08 Param */ [U16, U16, Str],
        /* 0x09 InterfaceImpl */ [Row(0x02), Code(Coded.TypeDefOrRef)],
        /* 0x0A MemberRef */ [Code(Coded.MemberRefParent), Str, Blob],
        /* 0x0B Constant */ [U8, U8, Code(Coded.HasConstant), Blob],
        /* 0x0C CustomAttribute */ [Code(Coded.HasCustomAttribute), Code(Coded.CustomAttributeType), Blob],
        /* 0x0D FieldMarshal */ [Code(Coded.HasFieldMarshal), Blob],
        /* 0x0E DeclSecurity */ [U16, Code(Coded.HasDeclSecurity), Blob],
        /* 0x0F ClassLayout */ [U16, U32, Row(0x02)],
        /* 0x10 FieldLayout */ [U32, Row(0x04)],
        /* 0x11 StandAloneSig */ [Blob],
        /* 0x12 EventMap */ [Row(0x02), Row(0x14)],
        /* 0x13 EventPtr */ [Row(0x14)],
        /* 0x14 Event */ [U16, Str, Code(Coded.TypeDefOrRef)],
        /* 0x15 PropertyMap */ [Row(0x02), Row(0x17)],
        /* 0x16 PropertyPtr */ [Row(0x17)],
        /* 0x17 Property */ [U16, Str, Blob],
        /* 0x18 MethodSemantics */ [U16, Row(0x06), Code(Coded.HasSemantics)],
        /* 0x19 MethodImpl */ [Row(0x02), Code(Coded.MethodDefOrRef), Code(Coded.MethodDefOrRef)],
        /* 0x1A ModuleRef */ [Str],
        /* 0x1B TypeSpec */ [Blob],
        /* 0x1C ImplMap */ [U16, Code(Coded.MemberForwarded), Str, Row(0x1A)],
        /* 0x1D FieldRVA */ [Presence, Row(0x04)],
        /* 0x1E EncLog */ [U32, U32],
        /* 0x1F EncMap */ [U32],
        /* 0x20 Assembly */ [U32, U16, U16, U16, U16, U32, Blob, Str, Str],
        /* 0x21 AssemblyProcessor */ [U32],
        /* 0x22 AssemblyOS */ [U32, U32, U32],
        /* 0x23 AssemblyRef */ [U16, U16, U16, U16, U32, Blob, Str, Str, Blob],
        /* 0x24 AssemblyRefProcessor */ [U32, Row(0x23)],
        /* 0x25 AssemblyRefOS */ [U32, U32, U32, Row(0x23)],
        /* 0x26 File */ [U32, Str, Blob],
        /* 0x27 ExportedType */ [U32, U32, Str, Str, Code(Coded.Implementation)],
        /* 0x28 ManifestResource */ [Presence, U32, Str, Code(Coded.Implementation)],
        /* 0x29 NestedClass */ [Row(0x02), Row(0x02)],
        /* 0x2A GenericParam */ [U16, U16, Code(Coded.TypeOrMethodDef), Str],
        /* 0x2B MethodSpec */ [Code(Coded.MethodDefOrRef), Blob],
        /* 0x2C GenericParamConstraint */ [Row(0x2A), Code(Coded.TypeDefOrRef)],
    ];

    // How a blob column is written: its bytes, or a placeholder for a neutralised version stamp. The kind comes first,
    // so a placeholder can never equal real bytes.
    private const byte RealBlob = 0;
    private const byte NeutralisedVersion = 1;
    private const byte NeutralisedCommit = 2;

    /// <summary>Reads the metadata root, streams and tables of one image and writes their canonical form.</summary>
    private sealed class Walker
    {

        private readonly byte[] _md;
        private readonly MetadataReader _reader;
        private readonly VolatileStamps _stamps;
        private readonly Dictionary<int, bool> _versionRows = [];   // CustomAttribute row -> is the informational version
        private (int Offset, int Size) _tables = (-1, 0);
        private (int Offset, int Size) _strings = (-1, 0);
        private (int Offset, int Size) _userStrings = (-1, 0);
        private (int Offset, int Size) _blobs = (-1, 0);
        private (int Offset, int Size) _guids = (-1, 0);

        public Walker(byte[] metadata, MetadataReader reader, VolatileStamps stamps)
        {
            _md = metadata;
            _reader = reader;
            _stamps = stamps;
        }

        /// <summary>Writes the canonical form; false when the image is not one this schema reads exactly.</summary>
        public bool Write(Canon canon)
        {
            // The metadata root (II.24.2.1): signature, version, the version string, flags and the stream headers.
            if (ReadUInt32(0) != 0x424A5342)
            {
                return false;
            }

            canon.UInt32(ReadUInt16(4));
            canon.UInt32(ReadUInt16(6));
            var versionLength = ReadInt32(12);
            Require(16, versionLength);
            var version = _md.AsSpan(16, versionLength);
            var nul = version.IndexOf((byte)0);
            canon.Bytes(nul < 0 ? version : version[..nul]);

            var at = 16 + versionLength;
            var streams = ReadUInt16(at + 2);
            at += 4;
            for (var i = 0; i < streams; i++)
            {
                var offset = ReadInt32(at);
                var size = ReadInt32(at + 4);
                Require(offset, size);
                var name = new StringBuilder();
                var cursor = at + 8;
                for (; ReadByte(cursor) != 0; cursor++)
                {
                    name.Append((char)ReadByte(cursor));
                    if (name.Length > 32)
                    {
                        return false;
                    }
                }

                at = (cursor + 4) & ~3;   // past the NUL, padded to four bytes
                var stream = (offset, size);
                switch (name.ToString())
                {
                    case "#~" or "#-" when _tables.Offset < 0:
                        _tables = stream;
                        break;
                    case "#Strings" when _strings.Offset < 0:
                        _strings = stream;
                        break;
                    case "#US" when _userStrings.Offset < 0:
                        _userStrings = stream;
                        break;
                    case "#Blob" when _blobs.Offset < 0:
                        _blobs = stream;
                        break;
                    case "#GUID" when _guids.Offset < 0:
                        _guids = stream;
                        break;
                    default:
                        return false;   // a stream this schema does not know, or one twice
                }
            }

            if (_tables.Offset < 0 || !SameHeap(HeapIndex.String, _strings) || !SameHeap(HeapIndex.UserString, _userStrings) ||
                !SameHeap(HeapIndex.Blob, _blobs) || !SameHeap(HeapIndex.Guid, _guids))
            {
                return false;
            }

            // The #US heap is left out: only IL reads it (ldstr tokens), and no metadata table or other heap points into
            // it, so a compiler reading a reference never sees it. Keeping it made an edit of a string literal in one
            // method body of an implementation assembly (a netstandard2.0 or .NET Framework target, which gets no
            // reference assembly) change every dependent's key. Its bounds are still checked above.

            FindVersionRows();
            return WriteTables(canon);
        }

        // The heaps as this class found them must be where System.Reflection.Metadata found them (which trims the
        // zeros that pad a heap to four bytes).
        private bool SameHeap(HeapIndex heap, (int Offset, int Size) stream) =>
            stream.Offset < 0
                ? _reader.GetHeapSize(heap) == 0
                : _reader.GetHeapMetadataOffset(heap) == stream.Offset && _reader.GetHeapSize(heap) <= stream.Size;

        // The #~ stream (II.24.2.6): a header, a row count for each present table, then the tables in order.
        private bool WriteTables(Canon canon)
        {
            var at = _tables.Offset;
            var end = _tables.Offset + _tables.Size;
            Require(at, 24);
            canon.UInt32(ReadByte(at + 4));   // schema major and minor version
            canon.UInt32(ReadByte(at + 5));
            var heapSizes = ReadByte(at + 6);
            var present = BinaryPrimitives.ReadUInt64LittleEndian(_md.AsSpan(at + 8, 8));
            var sorted = BinaryPrimitives.ReadUInt64LittleEndian(_md.AsSpan(at + 16, 8));
            if ((present >> TableCount) != 0)
            {
                return false;   // a table this schema does not know (portable pdb tables included): fail closed
            }

            canon.UInt64(present & ~IlOnlyTables);
            canon.UInt64(sorted);
            at += 24;

            var rows = new int[TableCount];
            for (var table = 0; table < TableCount; table++)
            {
                if ((present & (1UL << table)) != 0)
                {
                    rows[table] = ReadInt32(at);
                    at += 4;
                    if ((IlOnlyTables & (1UL << table)) == 0)
                    {
                        canon.UInt32((uint)rows[table]);
                    }
                }
            }

            if ((heapSizes & 0x40) != 0)
            {
                at += 4;   // "extra data" of some uncompressed (#-) streams
            }

            var stringSize = (heapSizes & 0x01) != 0 ? 4 : 2;
            var guidSize = (heapSizes & 0x02) != 0 ? 4 : 2;
            var blobSize = (heapSizes & 0x04) != 0 ? 4 : 2;

            for (var table = 0; table < TableCount; table++)
            {
                if (rows[table] == 0)
                {
                    continue;
                }

                var columns = Schema[table];
                var sizes = new int[columns.Length];
                var rowSize = 0;
                for (var c = 0; c < columns.Length; c++)
                {
                    sizes[c] = columns[c].Kind switch
                    {
                        Kind.Byte => 1,
                        Kind.UInt16 => 2,
                        Kind.UInt32 or Kind.Presence => 4,
                        Kind.String => stringSize,
                        Kind.Guid => guidSize,
                        Kind.Blob => blobSize,
                        Kind.Row => rows[columns[c].Target] < (1 << 16) ? 2 : 4,
                        _ => CodedSize((Coded)columns[c].Target, rows),
                    };
                    rowSize += sizes[c];
                }

                // Fail closed when this layout is not System.Reflection.Metadata's (a schema mistake, or a Ptr table whose
                // index sizes the two read differently).
                var index = (TableIndex)table;
                if (_reader.GetTableRowCount(index) != rows[table] || _reader.GetTableRowSize(index) != rowSize ||
                    _reader.GetTableMetadataOffset(index) != at)
                {
                    return false;
                }

                Require(at, (long)rowSize * rows[table]);
                if ((long)at + ((long)rowSize * rows[table]) > end)
                {
                    return false;
                }

                for (var row = 1; row <= rows[table]; row++)
                {
                    for (var c = 0; c < columns.Length; c++)
                    {
                        var value = sizes[c] == 1 ? ReadByte(at) : sizes[c] == 2 ? ReadUInt16(at) : ReadUInt32(at);
                        if ((IlOnlyTables & (1UL << table)) == 0)
                        {
                            WriteValue(canon, table, row, c, columns[c].Kind, value);
                        }

                        at += sizes[c];
                    }
                }
            }

            return true;
        }

        private static int CodedSize(Coded coded, int[] rows)
        {
            var tables = CodedTables[(int)coded];
            var tagBits = BitOperations.Log2((uint)tables.Length - 1) + 1;
            var most = tables.Where(t => t >= 0).Max(t => rows[t]);
            return most < (1 << (16 - tagBits)) ? 2 : 4;
        }

        private void WriteValue(Canon canon, int table, int row, int column, Kind kind, uint value)
        {
            switch (kind)
            {
                case Kind.Presence:
                    canon.Byte(value == 0 ? (byte)0 : (byte)1);
                    break;
                case Kind.String:
                    canon.Bytes(ReadString(value));
                    break;
                case Kind.Guid when table == ModuleTable && column == MvidColumn:
                    // The MVID is derived from the whole content (or random): whether there is one.
                    canon.Byte(value == 0 ? (byte)0 : (byte)1);
                    break;
                case Kind.Guid:
                    canon.Bytes(ReadGuid(value));
                    break;
                case Kind.Blob when table == CustomAttributeTable && column == CustomAttributeValueColumn &&
                    _versionRows.TryGetValue(row, out var informational):
                    WriteVersion(canon, ReadBlob(value), informational);
                    break;
                case Kind.Blob:
                    canon.Byte(RealBlob);
                    canon.Bytes(ReadBlob(value));
                    break;
                default:
                    // Constants, flags, and row and coded indexes: their numbers, which no string's length moves.
                    canon.UInt32(value);
                    break;
            }
        }

        // The value of an AssemblyInformationalVersion or AssemblyFileVersion on the assembly: a placeholder for the
        // whole of it with volatile versions, the commit of an informational version alone with the commit flag.
        private void WriteVersion(Canon canon, ReadOnlySpan<byte> blob, bool informational)
        {
            if (_stamps.HasFlag(VolatileStamps.Versions))
            {
                canon.Byte(NeutralisedVersion);
                return;
            }

            if (informational && _stamps.HasFlag(VolatileStamps.CommitSuffix) && CommitAt(blob) is { } commit)
            {
                var copy = blob.ToArray();
                copy.AsSpan(commit.Start, commit.Length).Fill((byte)'0');
                canon.Byte(NeutralisedCommit);
                canon.Bytes(copy);
                return;
            }

            canon.Byte(RealBlob);
            canon.Bytes(blob);
        }

        // A one-string attribute value (II.23.3): prolog 0x0001, a SerString (compressed length and UTF-8, or 0xFF for
        // null), then the count of named arguments. The commit is "+" and 40 or 64 lowercase hex digits at its end.
        private static (int Start, int Length)? CommitAt(ReadOnlySpan<byte> blob)
        {
            if (blob.Length < 3 || blob[0] != 1 || blob[1] != 0 || blob[2] == 0xFF)
            {
                return null;
            }

            var (length, header) = ReadCompressed(blob, 2);
            var text = 2 + header;
            if (text + (long)length > blob.Length)
            {
                return null;
            }

            var value = blob.Slice(text, length);
            foreach (var digits in (ReadOnlySpan<int>)[40, 64])
            {
                // A commit is ASCII, and UTF-8 never uses ASCII bytes inside a longer sequence: a byte-wise test is exact.
                if (value.Length > digits && value[value.Length - digits - 1] == (byte)'+' &&
                    !value[^digits..].ContainsAnyExcept("0123456789abcdef"u8))
                {
                    return (text + length - digits, digits);
                }
            }

            return null;
        }

        // The rows of the version attributes on the Assembly row, by their constructor's type: a MemberRef to a
        // TypeRef (the BCL's attribute), or a MethodDef of a top-level TypeDef (an assembly that defines it).
        private void FindVersionRows()
        {
            if (!_reader.IsAssembly)
            {
                return;
            }

            foreach (var handle in _reader.GetAssemblyDefinition().GetCustomAttributes())
            {
                var attribute = _reader.GetCustomAttribute(handle);
                if (AssemblyAttributes.IsReflectionAttribute(_reader, attribute, "AssemblyInformationalVersionAttribute"))
                {
                    _versionRows[MetadataTokens.GetRowNumber(handle)] = true;
                }
                else if (AssemblyAttributes.IsReflectionAttribute(_reader, attribute, "AssemblyFileVersionAttribute"))
                {
                    _versionRows[MetadataTokens.GetRowNumber(handle)] = false;
                }
            }
        }

        // II.24.2.3: UTF-8, NUL-terminated; offset 0 is the empty string.
        private ReadOnlySpan<byte> ReadString(uint offset)
        {
            if (_strings.Offset < 0)
            {
                return offset == 0 ? [] : throw new BadImageFormatException("A string index without a #Strings heap.");
            }

            var heap = _md.AsSpan(_strings.Offset, _strings.Size);
            if (offset >= heap.Length)
            {
                throw new BadImageFormatException("A string index is past the #Strings heap.");
            }

            var text = heap[(int)offset..];
            var nul = text.IndexOf((byte)0);
            return nul >= 0 ? text[..nul] : throw new BadImageFormatException("A string runs past the #Strings heap.");
        }

        // II.24.2.4: a compressed length, then the bytes; offset 0 is the empty blob.
        private ReadOnlySpan<byte> ReadBlob(uint offset)
        {
            if (_blobs.Offset < 0)
            {
                return offset == 0 ? [] : throw new BadImageFormatException("A blob index without a #Blob heap.");
            }

            var heap = _md.AsSpan(_blobs.Offset, _blobs.Size);
            if (offset >= heap.Length)
            {
                throw new BadImageFormatException("A blob index is past the #Blob heap.");
            }

            var (length, header) = ReadCompressed(heap, (int)offset);
            if (offset + (long)header + length > heap.Length)
            {
                throw new BadImageFormatException("A blob runs past the #Blob heap.");
            }

            return heap.Slice((int)offset + header, length);
        }

        // II.24.2.5: 16-byte entries, indexed from 1; 0 is no GUID.
        private ReadOnlySpan<byte> ReadGuid(uint index)
        {
            if (index == 0)
            {
                return [];
            }

            if (_guids.Offset < 0 || index > _guids.Size / 16)
            {
                throw new BadImageFormatException("A GUID index is past the #GUID heap.");
            }

            return _md.AsSpan(_guids.Offset + (((int)index - 1) * 16), 16);
        }

        private static (int Length, int HeaderSize) ReadCompressed(ReadOnlySpan<byte> bytes, int at)
        {
            var first = bytes[at];
            if ((first & 0x80) == 0)
            {
                return (first, 1);
            }

            if ((first & 0xC0) == 0x80 && at + 2 <= bytes.Length)
            {
                return (((first & 0x3F) << 8) | bytes[at + 1], 2);
            }

            if ((first & 0xE0) == 0xC0 && at + 4 <= bytes.Length)
            {
                return (((first & 0x1F) << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3], 4);
            }

            throw new BadImageFormatException("A compressed length is malformed.");
        }

        private byte ReadByte(long at)
        {
            Require(at, 1);
            return _md[at];
        }

        private ushort ReadUInt16(long at)
        {
            Require(at, 2);
            return BinaryPrimitives.ReadUInt16LittleEndian(_md.AsSpan((int)at));
        }

        private uint ReadUInt32(long at)
        {
            Require(at, 4);
            return BinaryPrimitives.ReadUInt32LittleEndian(_md.AsSpan((int)at));
        }

        private int ReadInt32(long at)
        {
            var value = ReadUInt32(at);
            return value <= int.MaxValue ? (int)value : throw new BadImageFormatException("A size or offset is out of range.");
        }

        private void Require(long offset, long length)
        {
            if (offset < 0 || length < 0 || offset + length > _md.Length)
            {
                throw new BadImageFormatException("An offset or length is outside the metadata.");
            }
        }
    }

    /// <summary>The canonical form, streamed into SHA-256: fixed-size values as they are, every other piece length-prefixed.</summary>
    private sealed class Canon : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _used;

        public void Byte(byte value) => Span(1)[0] = value;

        public void UInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Span(4), value);

        public void UInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Span(8), value);

        public void Text(string value) => Bytes(Encoding.UTF8.GetBytes(value));

        public void Bytes(ReadOnlySpan<byte> value)
        {
            UInt32((uint)value.Length);
            if (value.Length > _buffer.Length / 2)
            {
                Flush();
                _hash.AppendData(value);
                return;
            }

            value.CopyTo(Span(value.Length));
        }

        public string Finish()
        {
            Flush();
            return Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
        }

        public void Dispose() => _hash.Dispose();

        private Span<byte> Span(int length)
        {
            if (_used + length > _buffer.Length)
            {
                Flush();
            }

            var span = _buffer.AsSpan(_used, length);
            _used += length;
            return span;
        }

        private void Flush()
        {
            _hash.AppendData(_buffer, 0, _used);
            _used = 0;
        }
    }
}
