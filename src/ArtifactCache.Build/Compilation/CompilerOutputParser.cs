using System.Globalization;
using System.Text.RegularExpressions;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Compilation;

/// <summary>Reads the compiler's output lines: <c>file(line,col[,endLine,endCol]): warning CS0168: message</c>.</summary>
public static partial class CompilerOutputParser
{
    [GeneratedRegex(
        @"^\s*(?:(?<origin>.*?)(?:\((?<line>\d+)(?:,(?<col>\d+))?(?:,(?<eline>\d+),(?<ecol>\d+))?\))?\s*:\s*)?(?<sev>error|warning|info)\s+(?<code>[A-Za-z]+\d+)\s*:\s*(?<msg>.*)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex CanonicalLine();

    /// <summary>The diagnostic in a line of compiler output, or null for any other line.</summary>
    public static ToolDiagnostic? Parse(string line)
    {
        var match = CanonicalLine().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var origin = match.Groups["origin"].Value.Trim();
        // "CSC : warning CS8032: ..." names the tool, not a file.
        var file = origin.Length == 0 || string.Equals(origin, "CSC", StringComparison.OrdinalIgnoreCase) ? null : origin;
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
