using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace ArtifactCache.Build.Compilation;

/// <summary>Recognises an assembly attribute by its exact type, read from metadata.</summary>
internal static class AssemblyAttributes
{
    private const string ReflectionNamespace = "System.Reflection";

    /// <summary>
    /// True when the attribute's type is <c>System.Reflection.&lt;name&gt;</c>: its constructor is a MemberReference to the
    /// BCL's type, or a MethodDefinition when the assembly defines a top-level type of that name itself.
    /// </summary>
    public static bool IsReflectionAttribute(MetadataReader reader, CustomAttribute attribute, string name) =>
        IsAttribute(reader, attribute, ReflectionNamespace, name);

    /// <summary>True when the attribute's type is <c>&lt;typeNamespace&gt;.&lt;name&gt;</c> (see <see cref="IsReflectionAttribute"/>).</summary>
    public static bool IsAttribute(MetadataReader reader, CustomAttribute attribute, string expectedNamespace, string name)
    {
        StringHandle typeName;
        StringHandle typeNamespace;
        switch (attribute.Constructor.Kind)
        {
            case HandleKind.MemberReference:
                var parent = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
                if (parent.Kind != HandleKind.TypeReference)
                {
                    return false;
                }

                var reference = reader.GetTypeReference((TypeReferenceHandle)parent);
                (typeName, typeNamespace) = (reference.Name, reference.Namespace);
                break;
            case HandleKind.MethodDefinition:
                var definition = reader.GetTypeDefinition(reader.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType());
                if (definition.IsNested)
                {
                    return false;
                }

                (typeName, typeNamespace) = (definition.Name, definition.Namespace);
                break;
            default:
                return false;
        }

        return reader.StringComparer.Equals(typeName, name) && reader.StringComparer.Equals(typeNamespace, expectedNamespace);
    }

    /// <summary>
    /// True when the assembly declares itself an F# type provider (<c>[&lt;assembly: TypeProviderAssembly&gt;]</c>, on the
    /// runtime assembly a package's users reference, naming the design-time one fsc then loads); false for any other file.
    /// </summary>
    public static bool IsTypeProvider(string path) =>
        ReadAssembly(path, false, reader => reader.GetAssemblyDefinition().GetCustomAttributes()
            .Any(h => IsAttribute(reader, reader.GetCustomAttribute(h), "Microsoft.FSharp.Core.CompilerServices", "TypeProviderAssemblyAttribute")));

    /// <summary>
    /// The assembly's informational and file versions, as "name=value" lines, with the SDK's "+&lt;commit&gt;" suffix
    /// (40 or 64 lowercase hex digits at the end of the informational version) replaced when <paramref name="withoutCommit"/>;
    /// null when the file is not an assembly. What a reference's version stamps are, for a key input of their own.
    /// </summary>
    public static string? VersionValues(string path, bool withoutCommit) =>
        ReadAssembly<string?>(path, null, reader =>
        {
            var values = new List<string>();
            foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
            {
                var attribute = reader.GetCustomAttribute(handle);
                foreach (var name in new[] { "AssemblyInformationalVersionAttribute", "AssemblyFileVersionAttribute" })
                {
                    if (IsReflectionAttribute(reader, attribute, name))
                    {
                        var blob = reader.GetBlobReader(attribute.Value);
                        var value = blob.ReadUInt16() == 1 ? blob.ReadSerializedString() ?? "" : "";
                        values.Add(name + "=" + (withoutCommit && name == "AssemblyInformationalVersionAttribute" ? WithoutCommitSuffix(value) : value));
                    }
                }
            }

            return string.Join("\n", values);
        });

    // What read gives from an assembly's metadata; notAnAssembly for any other file, or one that cannot be read.
    private static T ReadAssembly<T>(string path, T notAnAssembly, Func<MetadataReader, T> read)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return notAnAssembly;
            }

            var reader = pe.GetMetadataReader();
            return reader.IsAssembly ? read(reader) : notAnAssembly;
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            return notAnAssembly;
        }
    }

    private static string WithoutCommitSuffix(string value) =>
        CommitStamps.SuffixLength(value) is > 0 and var digits ? value[..^digits] + "{revision}" : value;
}
