using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// A user's own slow target, declared with an ArtifactCacheTarget item: a generator that reads a spec and a template
/// (its tool), sleeps, writes a C# file and adds it to Compile. Every build is a fresh copy in a new folder.
/// </summary>
public sealed class DeclaredTargetTests : IDisposable
{
    private const string Target = "GenerateClient";
    private const string Ran = "GENERATOR RAN";

    // The generator target's own incrementality; without it MSBuild runs the target every time.
    private const string IncrementalAttributes = " Inputs=\"@(OpenApiSpec);$(ClientTemplate);$(MSBuildProjectFullPath)\" Outputs=\"$(GeneratedClient)\"";

    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void A_fresh_copy_hits_without_running_the_target_and_compiles_the_generated_file_and_each_kind_of_input_edit_misses()
    {
        var a = _workspace.PathOf("a");
        WriteGeneratorProject(a);
        var cache = _workspace.PathOf("cache");

        var cold = Build(a, cache);
        Assert.Contains(Ran, cold.Output, StringComparison.Ordinal);
        var stored = Single(cold);
        Assert.Equal("miss", stored.Result);
        Assert.True(stored.Stored, cold.ToString());
        Assert.Equal(1, stored.Files);

        var b = Copy(a, "b");
        var warm = Build(b, cache);
        Assert.DoesNotContain(Ran, warm.Output, StringComparison.Ordinal);
        var hit = Single(warm);
        Assert.Equal("hit", hit.Result);
        Assert.Equal("local", hit.Source);
        Assert.Equal(stored.Key, hit.Key);
        Assert.Equal(File.ReadAllBytes(Generated(a)), File.ReadAllBytes(Generated(b)));
        // Program.cs calls the generated class: the build compiled it, so the Compile item the target adds was there.
        Assert.Contains("hit", Single(warm, "CoreCompile").Result, StringComparison.Ordinal);
        Assert.DoesNotContain("warning ACB", warm.Output, StringComparison.Ordinal);

        // One edit of each kind of input, each in a fresh copy: the target misses, runs and stores.
        var input = Copy(a, "input");
        File.AppendAllText(Path.Combine(input, "Api", "spec.txt"), "GetInvoices\n");
        AssertMiss(Build(input, cache), "input: spec.txt");

        AssertMiss(Build(Copy(a, "property"), cache, "-p:ClientBanner=second"), "property: ClientBanner");

        var tool = Copy(a, "tool");
        File.AppendAllText(Path.Combine(tool, "tools", "ClientTemplate.txt"), "// template v2\n");
        AssertMiss(Build(tool, cache), "tool: ClientTemplate.txt");

        // A target without Inputs and Outputs of its own is never up to date to MSBuild: it runs after the restore, and
        // the package says so.
        var always = Copy(a, "always");
        var project = Path.Combine(always, "Api", "Api.csproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace(IncrementalAttributes, "", StringComparison.Ordinal));
        var ran = Build(always, cache);
        Assert.Contains(Ran, ran.Output, StringComparison.Ordinal);
        Assert.Equal("hit", Single(ran).Result);
        Assert.Contains("warning " + DiagnosticCodes.TargetRanAfterRestore, ran.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clone_with_an_empty_local_cache_hits_from_the_real_remote_server_and_verify_mode_confirms_it()
    {
        await using var server = await TurboRemoteCacheServer.StartAsync(signatureKey: null);
        var remote = Dotnet.RemoteEnvironment(server.Url, server.Token);
        var a = _workspace.PathOf("a");
        WriteGeneratorProject(a);

        var cold = Build(a, _workspace.PathOf("cache-a"), remote);
        Assert.True(Single(cold).Stored, cold.ToString());

        var b = Copy(a, "b");
        var warm = Build(b, _workspace.PathOf("cache-b"), remote);
        Assert.DoesNotContain(Ran, warm.Output, StringComparison.Ordinal);
        Assert.Equal("hit", Single(warm).Result);
        Assert.Equal("remote", Single(warm).Source);
        Assert.Equal(File.ReadAllBytes(Generated(a)), File.ReadAllBytes(Generated(b)));

        // Verify mode: the target runs instead of the restore, and its outputs are compared with the entry's.
        var verified = Build(Copy(a, "c"), _workspace.PathOf("cache-b"), remote, "-p:ArtifactCacheVerify=true");
        Assert.Contains(Ran, verified.Output, StringComparison.Ordinal);
        Assert.True(Single(verified).Verified, verified.ToString());
        Assert.DoesNotContain("warning ACB", verified.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_declaration_warns_and_the_target_runs_uncached()
    {
        var a = _workspace.PathOf("a");
        WriteGeneratorProject(a);

        var run = Build(a, _workspace.PathOf("cache"), "-p:ExtraSpec=missing.txt");

        Assert.Contains(Ran, run.Output, StringComparison.Ordinal);
        Assert.Contains("warning " + DiagnosticCodes.TargetDeclarationRefused, run.Output, StringComparison.Ordinal);
        var refused = Single(run);
        Assert.Null(refused.Key);
        Assert.Contains("missing.txt", refused.Reason, StringComparison.Ordinal);
        Assert.True(File.Exists(Generated(a)));
    }

    private static BuildRun Build(string root, string cache, params string[] arguments) => Build(root, cache, null, arguments);

    private static BuildRun Build(string root, string cache, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var run = Dotnet.Run(Path.Combine(root, "Api"), cache, ["build", .. arguments], environment);
        Assert.True(run.Succeeded, run.ToString());
        return run;
    }

    private static ReportEntry Single(BuildRun run, string target = Target)
    {
        var entries = run.Report.Where(r => r.Target == target).ToList();
        Assert.True(entries.Count == 1, run.ToString());
        return entries[0];
    }

    private static void AssertMiss(BuildRun run, string changedInput)
    {
        Assert.Contains(Ran, run.Output, StringComparison.Ordinal);
        var miss = Single(run);
        Assert.Equal("miss", miss.Result);
        Assert.True(miss.Stored, run.ToString());
        Assert.Contains(changedInput, miss.Explanation, StringComparison.Ordinal);
    }

    private string Copy(string from, string name)
    {
        var to = _workspace.PathOf(name);
        Workspace.CopyTree(from, to);
        return to;
    }

    private static string Generated(string root) => Path.Combine(root, "Api", "obj", "generated", "Client.g.cs");

    /// <summary>
    /// The generator project: an inline task (no shell, any OS) that sleeps a second and writes Client.g.cs from
    /// spec.txt and tools/ClientTemplate.txt; the target adds it to Compile, and Program.cs calls it.
    /// </summary>
    internal static void WriteGeneratorProject(string root)
    {
        Workspace.ImportPackageFromRepo(root);
        Workspace.Write(Path.Combine(root, "tools", "ClientTemplate.txt"), "namespace {namespace};\n\n// {banner}\npublic static class Api\n{\n{members}}\n");
        Workspace.Write(Path.Combine(root, "Api", "spec.txt"), "GetOrders\nGetCustomers\n");
        Workspace.Write(Path.Combine(root, "Api", "Program.cs"), "System.Console.WriteLine(Contoso.Client.Api.GetOrders());\n");
        Workspace.Write(Path.Combine(root, "Api", "Api.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Exe</OutputType>
                <ClientNamespace>Contoso.Client</ClientNamespace>
                <ClientBanner>first</ClientBanner>
                <ClientTemplate>$(MSBuildProjectDirectory)/../tools/ClientTemplate.txt</ClientTemplate>
                <GeneratedClient>$(BaseIntermediateOutputPath)generated/Client.g.cs</GeneratedClient>
              </PropertyGroup>
              <ItemGroup>
                <OpenApiSpec Include="spec.txt" />
                <ArtifactCacheTarget Include="GenerateClient"
                                     Inputs="@(OpenApiSpec);$(ExtraSpec)"
                                     Outputs="$(BaseIntermediateOutputPath)generated/**"
                                     Properties="ClientNamespace=$(ClientNamespace);ClientBanner=$(ClientBanner)"
                                     Tools="$(ClientTemplate)" />
              </ItemGroup>
              <UsingTask TaskName="SlowGenerate" TaskFactory="RoslynCodeTaskFactory" AssemblyFile="$(MSBuildToolsPath)/Microsoft.Build.Tasks.Core.dll">
                <ParameterGroup>
                  <Spec ParameterType="System.String" Required="true" />
                  <Template ParameterType="System.String" Required="true" />
                  <Namespace ParameterType="System.String" Required="true" />
                  <Banner ParameterType="System.String" Required="true" />
                  <Output ParameterType="System.String" Required="true" />
                </ParameterGroup>
                <Task>
                  <Code Type="Fragment" Language="cs"><![CDATA[
                    System.Threading.Thread.Sleep(1000);
                    var members = new System.Text.StringBuilder();
                    foreach (var line in System.IO.File.ReadAllLines(Spec))
                    {
                        if (line.Trim().Length > 0) { members.AppendLine("    public static string " + line.Trim() + "() => \"" + line.Trim() + "\";"); }
                    }
                    System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Output));
                    System.IO.File.WriteAllText(Output, System.IO.File.ReadAllText(Template).Replace("{namespace}", Namespace).Replace("{banner}", Banner).Replace("{members}", members.ToString()));
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "GENERATOR RAN");
                  ]]></Code>
                </Task>
              </UsingTask>
              <Target Name="GenerateClient" BeforeTargets="CoreCompile" Inputs="@(OpenApiSpec);$(ClientTemplate);$(MSBuildProjectFullPath)" Outputs="$(GeneratedClient)">
                <SlowGenerate Spec="@(OpenApiSpec)" Template="$(ClientTemplate)" Namespace="$(ClientNamespace)" Banner="$(ClientBanner)" Output="$(GeneratedClient)" />
                <ItemGroup>
                  <Compile Include="$(GeneratedClient)" />
                  <FileWrites Include="$(GeneratedClient)" />
                </ItemGroup>
              </Target>
            </Project>
            """);
    }
}
