using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class CompilerRuntimeTests
{
    private static readonly Version[] Installed = [new(8, 0, 11), new(9, 0, 3), new(10, 0, 1), new(10, 0, 12), new(10, 2, 0), new(11, 0, 1)];

    [Theory]
    [InlineData("10.0.0", "Major", "10.0.12")]
    [InlineData("10.0.0", "Minor", "10.0.12")]
    [InlineData("10.0.0", "LatestPatch", "10.0.12")]
    [InlineData("10.1.0", "Minor", "10.2.0")]
    [InlineData("10.0.0", "LatestMinor", "10.2.0")]
    [InlineData("10.0.0", "LatestMajor", "11.0.1")]
    [InlineData("12.0.0", "Major", null)]
    [InlineData("10.0.1", "Disable", "10.0.1")]
    public void The_runtime_is_chosen_as_the_host_rolls_forward(string requested, string rollForward, string? expected)
    {
        Assert.Equal(expected, CompilerRuntime.Choose(Installed, Version.Parse(requested), rollForward)?.ToString());
    }

    [Fact]
    public void The_sdk_compiler_resolves_to_an_installed_runtime_and_architecture()
    {
        var compiler = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..", "sdk"), "csc.dll", SearchOption.AllDirectories).FirstOrDefault();
        if (compiler is null)
        {
            return;
        }

        Assert.Matches(@"^Microsoft\.NETCore\.App \d+\.\d+\.\d+ (x64|arm64|x86|arm)", CompilerRuntime.Describe(compiler, null));
    }

    [Fact]
    public void A_rewritten_runtimeconfig_of_the_same_compiler_is_read_again()
    {
        var root = Directory.CreateTempSubdirectory("acb-runtime-");
        try
        {
            var dotnet = Path.Combine(root.FullName, "dotnet");
            Directory.CreateDirectory(Path.Combine(dotnet, "shared", "Microsoft.NETCore.App", "8.0.1"));
            Directory.CreateDirectory(Path.Combine(dotnet, "shared", "Microsoft.NETCore.App", "10.0.2"));
            var compiler = Path.Combine(root.FullName, "compiler", "csc.dll");
            Directory.CreateDirectory(Path.GetDirectoryName(compiler)!);
            File.WriteAllBytes(compiler, [1]);
            void Requests(string version) => File.WriteAllText(
                Path.ChangeExtension(compiler, ".runtimeconfig.json"),
                $$"""{ "runtimeOptions": { "framework": { "name": "Microsoft.NETCore.App", "version": "{{version}}" }, "rollForward": "LatestPatch" } }""");

            Requests("8.0.0");
            Assert.StartsWith("Microsoft.NETCore.App 8.0.1 ", CompilerRuntime.Describe(compiler, Path.Combine(dotnet, "dotnet")), StringComparison.Ordinal);

            // A compiler built in the repository and rebuilt for another runtime, seen by the same (reused) process.
            Requests("10.0.0");
            Assert.StartsWith("Microsoft.NETCore.App 10.0.2 ", CompilerRuntime.Describe(compiler, Path.Combine(dotnet, "dotnet")), StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
