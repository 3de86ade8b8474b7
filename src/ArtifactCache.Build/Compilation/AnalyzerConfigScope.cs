using System.Text.RegularExpressions;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Whether the compiler treats an <c>/analyzerconfig</c> file as global (it applies to every source, wherever it lives)
/// or as an editorconfig (it applies to the sources under its own folder), decided as Roslyn's <c>AnalyzerConfig</c>
/// decides it: global when the file is named <c>.globalconfig</c> (any case), or when its preamble (the properties before
/// the first section header) has the key <c>is_global</c>, whatever its value. Lines are split, comments skipped and
/// headers and properties matched with the parser's own patterns, so a header or a comment that merely mentions
/// <c>is_global</c> does not count.
/// </summary>
internal static partial class AnalyzerConfigScope
{
    private const string GlobalFileName = ".globalconfig";
    private const string GlobalKey = "is_global";

    /// <summary>Whether the compiler treats the config at <paramref name="path"/> with <paramref name="text"/> as global.</summary>
    public static bool IsGlobal(string path, string text) =>
        string.Equals(Path.GetFileName(path), GlobalFileName, StringComparison.OrdinalIgnoreCase) || PreambleHasGlobalKey(text);

    private static bool PreambleHasGlobalKey(string text)
    {
        foreach (var line in Lines(text))
        {
            if (string.IsNullOrWhiteSpace(line) || IsComment(line))
            {
                continue;
            }

            if (SectionHeader().IsMatch(line))
            {
                return false;
            }

            var property = Property().Match(line);
            if (property.Success && IsGlobalKey(property.Groups[1].Value))
            {
                return true;
            }
        }

        return false;
    }

    // The lines the compiler's SourceText sees: it breaks at CR LF, CR, LF, NEL and the Unicode line and paragraph separators.
    private static IEnumerable<string> Lines(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '\r' or '\n' or '\u0085' or '\u2028' or '\u2029')
            {
                yield return text[start..i];
                if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private static bool IsComment(string line)
    {
        foreach (var c in line)
        {
            if (!char.IsWhiteSpace(c))
            {
                return c is '#' or ';';
            }
        }

        return false;
    }

    // Keys compare as the compiler lowers them: ASCII letters folded, the Turkish dotted capital I kept, any other
    // character by invariant lower-casing (so a look-alike such as the long s is not an 's').
    private static bool IsGlobalKey(string key)
    {
        if (key.Length != GlobalKey.Length)
        {
            return false;
        }

        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            var lower = c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c < 0xC0 || c == '\u0130' ? c : char.ToLowerInvariant(c);
            if (lower != GlobalKey[i])
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"^\s*\[(([^#;]|\\#|\\;)+)\]\s*([#;].*)?$")]
    private static partial Regex SectionHeader();

    [GeneratedRegex(@"^\s*([\w\.\-_]+)\s*[=:]\s*(.*?)\s*$")]
    private static partial Regex Property();
}
