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
    public void Reads_tool_level_diagnostics_without_a_file()
    {
        var tool = CompilerOutputParser.Parse("CSC : warning CS8032: An instance of analyzer X cannot be created");
        Assert.NotNull(tool);
        Assert.Null(tool.File);
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
}
