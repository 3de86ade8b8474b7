using System.Text;
using System.Text.RegularExpressions;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// The file names a C# or Visual Basic source gives in directives (<c>#line</c>, <c>#pragma checksum</c>,
/// <c>#ExternalSource</c>, <c>#ExternalChecksum</c>), each as the compiler writes it into <c>[CallerFilePath]</c> and
/// the pdb: a relative name resolved against the source's folder, the result made a full path (so <c>..</c> and doubled
/// separators are gone), then through the path map. So a name whose text is the same in every checkout but which
/// lands outside the mapped folder in one of them (<c>../../other-checkout/gen/Foo.tt</c>) is keyed as the absolute
/// path the outputs then hold. A name that is not a path (it holds <c>://</c> or a character no path may hold) is kept
/// as written, as the compiler keeps it.
/// </summary>
internal static partial class DirectivePaths
{
    /// <summary>Each directive's offset in the text and the path the compiler writes for it, one a line; null when there is none.</summary>
    public static string? Describe(byte[] bytes, string sourcePath, CompilerLanguage language, PathMap pathMap)
    {
        var directives = language switch
        {
            CompilerLanguage.CSharp => CSharpDirective(),
            CompilerLanguage.VisualBasic => VisualBasicDirective(),
            _ => null,
        };
        if (directives is null)
        {
            return null;
        }

        // Decoded as the compiler decodes a source without /codepage: by its byte order mark, else as UTF-8.
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var text = reader.ReadToEnd();
        var found = directives.Matches(text).Select(m => $"{m.Index}: {AsCompilerWrites(m.Groups["file"].Value, sourcePath, pathMap)}").ToList();
        return found.Count == 0 ? null : string.Join("\n", found);
    }

    /// <summary>The path the compiler writes for a directive's file name in the source at <paramref name="sourcePath"/>.</summary>
    internal static string AsCompilerWrites(string name, string sourcePath, PathMap pathMap)
    {
        if (name.Length == 0 || name.Contains("://", StringComparison.Ordinal) || name.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            return name;
        }

        string full;
        try
        {
            full = Path.GetFullPath(Path.IsPathRooted(name) ? name : Path.Combine(Path.GetDirectoryName(sourcePath) ?? "", name));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return name;
        }

        return pathMap.KeyForm(full) ?? full;
    }

    // A directive's file name is written without escapes: everything between the quotes.
    [GeneratedRegex(@"^[ \t]*#[ \t]*(line\b[^""\r\n]*|pragma[ \t]+checksum[ \t]*)""(?<file>[^""\r\n]*)""", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex CSharpDirective();

    [GeneratedRegex(@"^[ \t]*#[ \t]*External(Source|Checksum)[ \t]*\([ \t]*""(?<file>[^""\r\n]*)""", RegexOptions.Multiline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VisualBasicDirective();
}
