namespace ArtifactCache.Build.Compilation;

/// <summary>One version value a generated source stamps, by what it is (attribute or constant name).</summary>
internal sealed record VersionStamp(string Name, string Value);

/// <summary>A generated source with its version values taken out: the text with placeholders, and the values.</summary>
internal sealed record StampedSource(string Text, IReadOnlyList<VersionStamp> Stamps);

/// <summary>
/// The version values a git-height tool (MinVer, Nerdbank.GitVersioning, GitVersion) writes into generated sources on
/// every commit, found by parsing the exact lines the SDK's WriteCodeFragment and Nerdbank.GitVersioning generate:
/// <c>AssemblyInformationalVersionAttribute</c> and <c>AssemblyFileVersionAttribute</c> (never
/// <c>AssemblyVersionAttribute</c>, the binding identity dependents record), and in Nerdbank.GitVersioning's
/// <c>ThisAssembly</c> class the constants that change per commit. The key holds them as an input of their own, so a
/// miss they cause says so, and <c>ArtifactCacheVolatileVersion</c> can leave them out.
/// </summary>
internal static class VersionStamps
{
    private const string Placeholder = "{version}";
    private const string NerdbankMarker = "[global::System.CodeDom.Compiler.GeneratedCode(\"Nerdbank.GitVersioning.Tasks\"";
    private const string ThisAssemblyStart = "internal static partial class ThisAssembly {";

    // The SDK's generated AssemblyInfo in each language: C# writes one attribute per line; Visual Basic one list,
    // "<Assembly: A(...),  _" then " Assembly: B(...),  _" ... and the last ending in ")>"; F# "[<assembly: A(...)>]".
    private static readonly (string Prefix, string Suffix, string Name)[] AttributeLines =
    [
        .. new[] { "AssemblyInformationalVersion", "AssemblyFileVersion" }.SelectMany(name => new[]
        {
            ($"[assembly: System.Reflection.{name}Attribute(\"", "\")]", name),
            ($"[assembly: global::System.Reflection.{name}Attribute(\"", "\")]", name),
            ($"<Assembly: System.Reflection.{name}Attribute(\"", "\"),  _", name),
            ($"<Assembly: System.Reflection.{name}Attribute(\"", "\")>", name),
            ($"Assembly: System.Reflection.{name}Attribute(\"", "\"),  _", name),
            ($"Assembly: System.Reflection.{name}Attribute(\"", "\")>", name),
            ($"[<assembly: System.Reflection.{name}Attribute(\"", "\")>]", name),
        }),
    ];

    // Inside Nerdbank.GitVersioning's ThisAssembly class: the values that follow the commit.
    private static readonly (string Prefix, string Suffix, string Name)[] ThisAssemblyLines =
    [
        ("internal const string AssemblyFileVersion = \"", "\";", "ThisAssembly.AssemblyFileVersion"),
        ("internal const string AssemblyInformationalVersion = \"", "\";", "ThisAssembly.AssemblyInformationalVersion"),
        ("internal const string GitCommitId = \"", "\";", "ThisAssembly.GitCommitId"),
        ("internal static readonly global::System.DateTime GitCommitDate = new global::System.DateTime(", ", global::System.DateTimeKind.Utc);", "ThisAssembly.GitCommitDate"),
        ("internal static readonly global::System.DateTime GitCommitAuthorDate = new global::System.DateTime(", ", global::System.DateTimeKind.Utc);", "ThisAssembly.GitCommitAuthorDate"),
    ];

    public static StampedSource Split(string text)
    {
        var lines = text.Split('\n');
        var stamps = new List<VersionStamp>();
        var nerdbank = text.Contains(NerdbankMarker, StringComparison.Ordinal);
        var inThisAssembly = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var trimmed = line.Trim();
            if (nerdbank && trimmed == ThisAssemblyStart)
            {
                inThisAssembly = true;
                continue;
            }

            if (inThisAssembly && trimmed == "}")
            {
                inThisAssembly = false;
                continue;
            }

            foreach (var (prefix, suffix, name) in inThisAssembly ? ThisAssemblyLines : AttributeLines)
            {
                if (trimmed.StartsWith(prefix, StringComparison.Ordinal) && trimmed.EndsWith(suffix, StringComparison.Ordinal) &&
                    trimmed.Length >= prefix.Length + suffix.Length)
                {
                    stamps.Add(new VersionStamp(name, trimmed[prefix.Length..^suffix.Length]));
                    var indent = line[..(line.Length - line.TrimStart().Length)];
                    lines[i] = indent + prefix + Placeholder + suffix + lines[i][line.Length..];
                    break;
                }
            }
        }

        return new StampedSource(stamps.Count == 0 ? text : string.Join('\n', lines), stamps);
    }
}
