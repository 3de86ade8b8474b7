using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class CompilerOutputParserTests
{
    [Fact]
    public void Reads_a_located_warning()
    {
        var d = CompilerOutputParser.Parse("/src/Lib/Class1.cs(6,51): warning CS0168: The variable 'unused' is declared but never used");

        Assert.NotNull(d);
        Assert.Equal("warning", d.Severity);
        Assert.Equal("CS0168", d.Code);
        Assert.Equal("/src/Lib/Class1.cs", d.File);
        Assert.Equal(6, d.Line);
        Assert.Equal(51, d.Column);
        Assert.Equal("The variable 'unused' is declared but never used", d.Message);
    }

    [Fact]
    public void Reads_an_error_with_an_end_location_and_a_windows_path()
    {
        var d = CompilerOutputParser.Parse(@"C:\src\A (1)\B.cs(3,5,3,9): error CS0103: The name 'x' does not exist in the current context");

        Assert.NotNull(d);
        Assert.True(d.IsError);
        Assert.Equal(@"C:\src\A (1)\B.cs", d.File);
        Assert.Equal((3, 5, 3, 9), (d.Line, d.Column, d.EndLine, d.EndColumn));
    }

    [Fact]
    public void Reads_tool_level_diagnostics_with_the_tool_where_the_file_would_be()
    {
        // MSBuild logs these with the tool's name as the file ("CSC : warning ..."), and so must a replay.
        var tool = CompilerOutputParser.Parse("CSC : warning CS8032: An instance of analyzer X cannot be created");
        Assert.NotNull(tool);
        Assert.Equal("CSC", tool.File);
        Assert.Equal("CS8032", tool.Code);

        var bare = CompilerOutputParser.Parse("error CS2001: Source file 'a.cs' could not be found.");
        Assert.NotNull(bare);
        Assert.True(bare.IsError);
        Assert.Null(bare.File);
    }

    [Theory]
    [InlineData("Microsoft (R) Visual C# Compiler version 5.0.0")]
    [InlineData("")]
    [InlineData("warning: this is not a coded diagnostic")]
    public void Ignores_other_lines(string line) => Assert.Null(CompilerOutputParser.Parse(line));

    [Fact]
    public void Reads_a_vbc_diagnostic_column_from_the_squiggle_under_its_source_line()
    {
        // As vbc 5.x prints an unused local (measured); the Vbc task reports it at (3,13).
        var (diagnostics, other) = CompilerOutputParser.ParseAll(
        [
            "/src/Lib/Warn.vb(3) : warning BC42024: Unused local variable: 'x'.",
            "",
            "        Dim x As Integer",
            "            ~           ",
            "vbc : error BC2001: file 'b.vb' could not be found",
            "Some other line",
        ]);

        Assert.Equal(2, diagnostics.Count);
        Assert.Equal(("/src/Lib/Warn.vb", 3, 13, "BC42024"), (diagnostics[0].File, diagnostics[0].Line, diagnostics[0].Column, diagnostics[0].Code));
        Assert.Equal("vbc", diagnostics[1].File);
        Assert.True(diagnostics[1].IsError);
        Assert.Equal(["Some other line"], other);
    }

    [Fact]
    public void A_line_diagnostic_without_a_squiggle_keeps_no_column_and_the_next_line()
    {
        var (diagnostics, other) = CompilerOutputParser.ParseAll(["/src/A.vb(3) : warning BC42024: Unused.", "next", "not a squiggle"]);

        Assert.Equal(0, Assert.Single(diagnostics).Column);
        Assert.Equal(["next", "not a squiggle"], other);
    }
}
