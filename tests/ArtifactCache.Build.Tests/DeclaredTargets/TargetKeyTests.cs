using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.DeclaredTargets;

namespace ArtifactCache.Build.Tests.DeclaredTargets;

/// <summary>
/// A declared target's key is its name, its inputs' content (named relative to the repository root), its listed
/// property values, its tools' content and the key format: each changes it, and nothing else does.
/// </summary>
public sealed class TargetKeyTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-tk-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Checkout(string name)
    {
        var root = Path.Combine(_scratch.FullName, name);
        var project = Path.Combine(root, "src", "Api");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "spec.json"), "{ \"paths\": {} }");
        File.WriteAllText(Path.Combine(project, "other.json"), "{}");
        File.WriteAllText(Path.Combine(project, "Api.csproj"), "<Project />");
        var tools = Path.Combine(_scratch.FullName, name + "-nuget", "generator", "1.0.0");
        Directory.CreateDirectory(tools);
        File.WriteAllText(Path.Combine(tools, "Generator.dll"), "tool v1");
        return root;
    }

    private static string Key(string root, string name = "GenerateClient", string inputs = "spec.json;other.json", string outputs = "obj/generated/**", string properties = "ClientNamespace=Contoso", string? tools = null)
    {
        var project = Path.Combine(root, "src", "Api");
        tools ??= Path.Combine(root + "-nuget", "generator", "1.0.0", "Generator.dll");
        var declaration = TargetDeclarations.Check(name, inputs, outputs, properties, tools, project, root).Declaration!;
        return TargetKey.Build(declaration, new FileHasher()).Value;
    }

    [Fact]
    public void Two_checkouts_in_different_folders_with_tools_in_different_folders_have_one_key()
    {
        Assert.Equal(Key(Checkout("a")), Key(Checkout("b")));
    }

    [Fact]
    public void Each_kind_of_input_changes_the_key()
    {
        var root = Checkout("a");
        var baseline = Key(root);

        Assert.NotEqual(baseline, Key(root, name: "GenerateServer"));
        Assert.NotEqual(baseline, Key(root, properties: "ClientNamespace=Fabrikam"));
        Assert.NotEqual(baseline, Key(root, properties: "ClientNamespace=Contoso;OpenApiToolVersion=2"));
        Assert.NotEqual(baseline, Key(root, inputs: "spec.json"));

        File.WriteAllText(Path.Combine(root, "src", "Api", "spec.json"), "{ \"paths\": { \"/orders\": {} } }");
        var inputEdited = Key(root);
        Assert.NotEqual(baseline, inputEdited);

        File.WriteAllText(Path.Combine(root + "-nuget", "generator", "1.0.0", "Generator.dll"), "tool v2");
        Assert.NotEqual(inputEdited, Key(root));
    }

    [Fact]
    public void Nothing_else_changes_the_key()
    {
        var root = Checkout("a");
        var baseline = Key(root);

        // Files the declaration does not name, the order of its inputs, the outputs' pattern, time stamps.
        File.WriteAllText(Path.Combine(root, "src", "Api", "Api.csproj"), "<Project><PropertyGroup><Other>1</Other></PropertyGroup></Project>");
        File.SetLastWriteTimeUtc(Path.Combine(root, "src", "Api", "spec.json"), DateTime.UtcNow.AddDays(1));
        Assert.Equal(baseline, Key(root));
        Assert.Equal(baseline, Key(root, inputs: "other.json;spec.json"));
        Assert.Equal(baseline, Key(root, outputs: "obj/elsewhere/*.cs"));
    }

    [Fact]
    public void Inputs_are_named_relative_to_the_repository_root_and_the_format_is_named()
    {
        var root = Checkout("a");
        var declaration = TargetDeclarations.Check("GenerateClient", "spec.json", "obj/g/**", "A=1", null, Path.Combine(root, "src", "Api"), root).Declaration!;

        var names = TargetKey.Build(declaration, new FileHasher()).Inputs.Select(i => i.Name).ToList();

        Assert.Equal(["format", "target", "input: src/Api/spec.json", "property: A"], names);
        Assert.Equal(TargetKey.KeyFormat, TargetKey.Build(declaration, new FileHasher()).Inputs[0].Hash);
    }
}
