using System.Globalization;
using System.Text.RegularExpressions;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Reads the compiler's output lines: <c>file(line,col[,endLine,endCol]): warning CS0168: message</c>. vbc writes only
/// the line, <c>file(line) : warning BC42024: message</c>, then the source line and a line of <c>~</c> under the span;
/// the column is read from there, as the Vbc task does, so a diagnostic reads the same whether it was compiled or restored.
/// </summary>
public static partial class CompilerOutputParser
{
    [GeneratedRegex(
        @"^\s*(?:(?<origin>.*?)(?:\((?<line>\d+)(?:,(?<col>\d+))?(?:,(?<eline>\d+),(?<ecol>\d+))?\))?\s*:\s*)?(?<sev>error|warning|info)\s+(?<code>[A-Za-z]+\d+)\s*:\s*(?<msg>.*)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex CanonicalLine();

    /// <summary>The diagnostics in the compiler's output, in order, and every other non-blank line.</summary>
    public static (List<ToolDiagnostic> Diagnostics, List<string> Other) ParseAll(IReadOnlyList<string> lines)
    {
        var diagnostics = new List<ToolDiagnostic>();
        var other = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            if (Parse(lines[i]) is not { } diagnostic)
            {
                other.Add(lines[i]);
                continue;
            }

            if (diagnostic.Line > 0 && diagnostic.Column == 0 && Squiggle(lines, i) is { } squiggle)
            {
                diagnostic = diagnostic with { Column = squiggle.Column };
                i = squiggle.Index;
            }

            diagnostics.Add(diagnostic);
        }

        return (diagnostics, other);
    }

    // After a diagnostic at index 'at': blank lines, the source line, then a line of '~' only; null when not so.
    private static (int Column, int Index)? Squiggle(IReadOnlyList<string> lines, int at)
    {
        var source = at + 1;
        while (source < lines.Count && string.IsNullOrWhiteSpace(lines[source]))
        {
            source++;
        }

        var marks = source + 1;
        if (marks >= lines.Count || Parse(lines[source]) is not null || lines[marks].Trim().Length == 0 || lines[marks].Trim().Trim('~').Length != 0)
        {
            return null;
        }

        return (lines[marks].IndexOf('~', StringComparison.Ordinal) + 1, marks);
    }

    /// <summary>The diagnostic in a line of compiler output, or null for any other line.</summary>
    public static ToolDiagnostic? Parse(string line)
    {
        var match = CanonicalLine().Match(line);
        if (!match.Success)
        {
            return null;
        }

        // The compiler itself stands where a file would ("CSC : warning CS8032: ...", "vbc : error BC2001: ..."): kept as
        // the file, as MSBuild's own parsing of the compiler's output does, so a replayed warning reads "CSC : warning"
        // and is not placed at the package's targets file.
        var origin = match.Groups["origin"].Value.Trim();
        var file = origin.Length == 0 ? null : origin;
        return new ToolDiagnostic(
            match.Groups["sev"].Value,
            match.Groups["code"].Value,
            match.Groups["msg"].Value,
            file,
            Number(match.Groups["line"]),
            Number(match.Groups["col"]),
            Number(match.Groups["eline"]),
            Number(match.Groups["ecol"]));
    }

    private static int Number(Group group) =>
        group.Success ? int.Parse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
}
