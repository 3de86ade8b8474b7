using ArtifactCache.Build.DeclaredTargets;

namespace ArtifactCache.Build.Tests.DeclaredTargets;

/// <summary>What an ArtifactCacheTarget item must say to be cached, and what makes it refused (the target then runs uncached).</summary>
public sealed class TargetDeclarationTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-td-");
    private readonly string _root;
    private readonly string _project;

    public TargetDeclarationTests()
    {
        _root = Path.Combine(_scratch.FullName, "repo");
        _project = Path.Combine(_root, "src", "Api");
        Directory.CreateDirectory(_project);
        File.WriteAllText(Path.Combine(_project, "spec.json"), "{}");
        File.WriteAllText(Path.Combine(_project, "Api.csproj"), "<Project />");
        File.WriteAllText(Path.Combine(_root, "template.txt"), "template");
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    private DeclarationCheck Check(string? inputs = "spec.json;Api.csproj", string? outputs = "obj/generated/**", string? properties = "ClientNamespace=Contoso", string? tools = "../../template.txt") =>
        TargetDeclarations.Check("GenerateClient", inputs, outputs, properties, tools, _project, _root);

    [Fact]
    public void A_complete_declaration_is_accepted_with_full_paths()
    {
        var declaration = Check().Declaration;

        Assert.NotNull(declaration);
        Assert.Equal("GenerateClient", declaration.Name);
        Assert.Equal([Path.Combine(_project, "spec.json"), Path.Combine(_project, "Api.csproj")], declaration.Inputs);
        Assert.Equal([Path.Combine(_root, "template.txt")], declaration.Tools);
        Assert.Equal([new KeyValuePair<string, string>("ClientNamespace", "Contoso")], declaration.Properties);
        Assert.Equal(Path.Combine(_project, "obj", "generated"), declaration.Outputs.Single().BaseDirectory);
    }

    [Fact]
    public void Outputs_elsewhere_in_the_repository_are_accepted()
    {
        Assert.NotNull(Check(outputs: "../../generated/*.cs").Declaration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ; ")]
    public void No_outputs_is_refused(string? outputs)
    {
        Assert.Contains("no Outputs", Check(outputs: outputs).Refusal);
    }

    [Theory]
    [InlineData("../../../elsewhere/**")]
    [InlineData("/tmp/anywhere/x.cs")]
    [InlineData("obj/**/../../../../x.cs")]
    public void Outputs_outside_the_project_and_the_repository_are_refused(string outputs)
    {
        var check = Check(outputs: outputs);

        Assert.Null(check.Declaration);
        Assert.NotNull(check.Refusal);
    }

    [Fact]
    public void An_output_outside_the_project_is_refused_when_the_repository_is_unknown()
    {
        var check = TargetDeclarations.Check("GenerateClient", "spec.json", "../../generated/*.cs", null, null, _project, null);

        Assert.Contains("outside the project and the repository", check.Refusal);
    }

    [Fact]
    public void An_input_that_does_not_exist_is_refused()
    {
        Assert.Contains("'missing.json' is not an existing file", Check(inputs: "spec.json;missing.json").Refusal);
    }

    [Fact]
    public void A_folder_as_input_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(_project, "specs"));

        Assert.Contains("not an existing file", Check(inputs: "specs").Refusal);
    }

    [Fact]
    public void A_wildcard_input_is_refused()
    {
        Assert.Contains("wildcard", Check(inputs: "*.json").Refusal);
    }

    [Fact]
    public void A_tool_that_does_not_exist_is_refused()
    {
        Assert.Contains("tool", Check(tools: "generator.dll").Refusal);
    }

    [Fact]
    public void A_property_without_a_value_is_refused_with_the_form_to_write()
    {
        Assert.Contains("ClientNamespace=$(ClientNamespace)", Check(properties: "ClientNamespace").Refusal);
    }

    [Fact]
    public void An_empty_property_value_is_a_value()
    {
        Assert.Equal("", Check(properties: "ClientNamespace=").Declaration!.Properties.Single().Value);
    }

    [Fact]
    public void No_inputs_no_properties_and_no_tools_is_a_valid_declaration()
    {
        Assert.NotNull(Check(inputs: null, properties: null, tools: null).Declaration);
    }
}

/// <summary>Output patterns mean what MSBuild item wildcards mean.</summary>
public sealed class OutputPatternTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-op-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Touch(string relative)
    {
        var path = Path.Combine(_scratch.FullName, relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, relative);
        return path;
    }

    [Fact]
    public void Double_star_matches_every_file_below_and_single_star_one_folder()
    {
        var top = Touch("obj/gen/A.cs");
        var nested = Touch("obj/gen/sub/B.cs");
        var text = Touch("obj/gen/readme.txt");
        Touch("obj/other/C.cs");

        Assert.Equal(new[] { top, text, nested }.Order(), OutputPattern.Parse("obj/gen/**", _scratch.FullName).Match().Order());
        Assert.Equal([top], OutputPattern.Parse("obj/gen/*.cs", _scratch.FullName).Match());
        Assert.Equal(new[] { top, nested }.Order(), OutputPattern.Parse("obj/gen/**/*.cs", _scratch.FullName).Match().Order());
        Assert.Equal([top], OutputPattern.Parse("obj/gen/A.cs", _scratch.FullName).Match());
        Assert.Empty(OutputPattern.Parse("obj/missing/**", _scratch.FullName).Match());
        Assert.Equal(new[] { top, text, nested }.Order(), OutputPattern.Parse("obj/gen/", _scratch.FullName).Match().Order());
        Assert.Equal(new[] { top, text, nested }.Order(), OutputPattern.Parse("obj\\gen\\", _scratch.FullName).Match().Order());
    }

    [Fact]
    public void IsMatch_agrees_with_Match_and_stays_under_the_base_folder()
    {
        var pattern = OutputPattern.Parse("obj/gen/**/*.cs", _scratch.FullName);

        Assert.True(pattern.IsMatch(Path.Combine(_scratch.FullName, "obj", "gen", "x", "A.cs")));
        Assert.False(pattern.IsMatch(Path.Combine(_scratch.FullName, "obj", "gen", "A.txt")));
        Assert.False(pattern.IsMatch(Path.Combine(_scratch.FullName, "obj", "genx", "A.cs")));
        Assert.False(pattern.IsMatch(Path.Combine(_scratch.FullName, "Program.cs")));
    }
}
