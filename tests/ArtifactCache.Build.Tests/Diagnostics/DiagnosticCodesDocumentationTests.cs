using System.Reflection;
using System.Text.RegularExpressions;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Diagnostics;

/// <summary>Every code in DiagnosticCodes has a row in the README's "## Diagnostics" table, and every row a code.</summary>
public sealed class DiagnosticCodesDocumentationTests
{
    [Fact]
    public void Every_code_has_one_README_row_and_every_row_a_code()
    {
        var codes = typeof(DiagnosticCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        var documented = RepositoryFiles.ReadmeTable("Diagnostics").Select(cells => RepositoryFiles.CodeSpans(cells[0]).Single()).ToList();

        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.Equal(documented.Count, documented.Distinct().Count());
        Assert.All(codes, code => Assert.Matches(new Regex("^ACB[1-5][0-9]{3}$"), code));
        Assert.Equal(codes.Order(), documented.Order());
    }
}
