using System.Reflection.Metadata;

namespace ArtifactCache.Build.Compilation;

/// <summary>Recognises an assembly attribute by its exact type, read from metadata.</summary>
internal static class AssemblyAttributes
{
    private const string ReflectionNamespace = "System.Reflection";

    /// <summary>
    /// True when the attribute's type is <c>System.Reflection.&lt;name&gt;</c>: its constructor is a MemberReference to the
    /// BCL's type, or a MethodDefinition when the assembly defines a top-level type of that name itself.
    /// </summary>
    public static bool IsReflectionAttribute(MetadataReader reader, CustomAttribute attribute, string name)
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

        return reader.StringComparer.Equals(typeName, name) && reader.StringComparer.Equals(typeNamespace, ReflectionNamespace);
    }
}
