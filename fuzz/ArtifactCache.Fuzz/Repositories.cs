using System.Diagnostics;

namespace ArtifactCache.Fuzz;

/// <summary>
/// Writes checkout A of a repository kind. Every kind builds through the in-repo build/ files with the task assembly
/// under test, as the end-to-end tests do, so no package is packed.
/// </summary>
public static class Repositories
{
    public const string Origin = "https://github.com/contoso/fuzz.git";

    public const string Tfm = "net10.0";

    public static readonly string[] Kinds = ["layered", "sample", "template"];

    public static RepoShape Write(FuzzCase fuzzCase, string root, string repoRoot, string taskAssembly) => fuzzCase.Repo switch
    {
        "layered" => WriteLayered(root, repoRoot, taskAssembly, fuzzCase.VisualBasic, fuzzCase.FSharp),
        "sample" => WriteSample(root, repoRoot, taskAssembly),
        "template" => WriteTemplate(root, repoRoot, taskAssembly),
        _ => throw new ArgumentException($"Unknown repository kind '{fuzzCase.Repo}'."),
    };

    /// <summary>The imports every kind gets; the marker comment is where operators add properties.</summary>
    public static string PackageProps(string repoRoot, string taskAssembly, string own = "") => $"""
        <Project>
          <PropertyGroup>
            <ArtifactCacheTaskAssembly>{taskAssembly}</ArtifactCacheTaskAssembly>
          </PropertyGroup>
          <Import Project="{Path.Combine(repoRoot, "build", "ArtifactCache.Build.props")}" />
        {own}
        </Project>

        """;

    public static string PackageTargets(string repoRoot) => $"""
        <Project>
          <Import Project="{Path.Combine(repoRoot, "build", "ArtifactCache.Build.targets")}" />
        </Project>

        """;

    private static void Common(string root, string repoRoot, string taskAssembly, string own = "")
    {
        Files.Write(Path.Combine(root, "Directory.Build.props"), PackageProps(repoRoot, taskAssembly, own));
        Files.Write(Path.Combine(root, "Directory.Build.targets"), PackageTargets(repoRoot));
        Files.Write(Path.Combine(root, "Directory.Packages.props"), "<Project>\n  <PropertyGroup>\n    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>\n  </PropertyGroup>\n</Project>\n");
        Files.Write(Path.Combine(root, ".gitignore"), "bin/\nobj/\n");
        Files.Write(Path.Combine(root, "README.md"), "# fuzz\n");
    }

    private static RepoShape WriteLayered(string root, string repoRoot, string taskAssembly, bool visualBasic, bool fsharp)
    {
        Common(root, repoRoot, taskAssembly);
        var projects = new List<string> { "Gen/Gen.csproj", "Lib/Lib.csproj", "App/App.csproj" };
        WriteGenerator(root);
        WriteLibrary(root);
        var appReferences = "<ProjectReference Include=\"../Lib/Lib.csproj\" />";
        var appPrints = new List<string> { "Lib.Values" };
        if (visualBasic)
        {
            projects.Add("VbLib/VbLib.vbproj");
            appReferences += "\n    <ProjectReference Include=\"../VbLib/VbLib.vbproj\" />";
            WriteVisualBasic(root);
        }

        if (fsharp)
        {
            projects.Add("FsLib/FsLib.fsproj");
            appReferences += "\n    <ProjectReference Include=\"../FsLib/FsLib.fsproj\" />";
            WriteFSharp(root);
        }

        Files.Write(Path.Combine(root, "App", "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{Tfm}</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                {appReferences}
              </ItemGroup>
            </Project>

            """);
        // Prints every public static string property of every referenced repository assembly, so whatever an operator
        // adds to a library is part of the app's behaviour without the app knowing about it.
        Files.Write(Path.Combine(root, "App", "Program.cs"), $$"""
            using System.Reflection;

            var names = new[] { "Lib", "VbLib", "FsLib" };
            foreach (var name in names)
            {
                Assembly assembly;
                try { assembly = Assembly.Load(name); } catch (FileNotFoundException) { continue; }
                foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
                {
                    foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Static).Where(p => p.PropertyType == typeof(string)).OrderBy(p => p.Name, StringComparer.Ordinal))
                    {
                        Console.WriteLine($"{type.FullName}.{property.Name} = {property.GetValue(null)}");
                    }
                }
            }

            Console.WriteLine("Greeting = " + Lib.Values.Greeting());
            """);
        WriteSolution(root, "Fuzz.slnx", projects);
        return new RepoShape("Fuzz.slnx", "Lib", "App", HasGenerator: true, HasDocsInclude: true);
    }

    private static void WriteGenerator(string root)
    {
        Files.Write(Path.Combine(root, "Gen", "Gen.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>netstandard2.0</TargetFramework>
                <IsRoslynComponent>true</IsRoslynComponent>
                <EnforceExtendedAnalyzerRules>true</EnforceExtendedAnalyzerRules>
                <Nullable>enable</Nullable>
                <LangVersion>latest</LangVersion>
                <!-- The generator reads the environment and writes a file on purpose (operators use both). -->
                <NoWarn>$(NoWarn);RS1035;RS2008</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.CodeAnalysis.CSharp" Version="4.8.0" PrivateAssets="all" />
              </ItemGroup>
            </Project>

            """);
        Files.Write(Path.Combine(root, "Gen", "FuzzGenerator.cs"), """
            using System;
            using System.IO;
            using System.Linq;
            using System.Text;
            using Microsoft.CodeAnalysis;

            [Generator]
            public sealed class FuzzGenerator : IIncrementalGenerator
            {
                public void Initialize(IncrementalGeneratorInitializationContext context)
                {
                    // FUZZ_EDIT_DURING_COMPILE names a file to rewrite while the compiler runs, before it reads it: same
                    // length, same time stamp, as an editor racing a build might leave it.
                    var edit = Environment.GetEnvironmentVariable("FUZZ_EDIT_DURING_COMPILE");
                    if (!string.IsNullOrEmpty(edit) && File.Exists(edit))
                    {
                        var written = File.GetLastWriteTimeUtc(edit);
                        var text = File.ReadAllText(edit);
                        File.WriteAllText(edit, text.Replace('1', '2'));
                        File.SetLastWriteTimeUtc(edit, written);
                    }

                    // A value no key can see (the README's limit): the environment.
                    var environment = Environment.GetEnvironmentVariable("FUZZ_GEN_VALUE") ?? "";

                    var data = context.AdditionalTextsProvider
                        .Where(f => Path.GetFileName(f.Path) == "data.txt")
                        .Select((f, ct) => f.GetText(ct)?.ToString() ?? "")
                        .Collect();
                    var options = context.AnalyzerConfigOptionsProvider.Combine(context.CompilationProvider).Select((pair, _) =>
                    {
                        pair.Left.GlobalOptions.TryGetValue("build_property.FuzzOption", out var property);
                        pair.Left.GlobalOptions.TryGetValue("fuzz_global", out var global);
                        var markers = pair.Right.SyntaxTrees
                            .Select(t => pair.Left.GetOptions(t).TryGetValue("fuzz_marker", out var m) ? Path.GetFileName(t.FilePath) + ":" + m : "")
                            .Where(m => m.Length > 0)
                            .OrderBy(m => m, StringComparer.Ordinal);
                        return (property ?? "") + "|" + (global ?? "") + "|" + string.Join(",", markers);
                    });
                    context.RegisterSourceOutput(data.Combine(options), (output, pair) =>
                    {
                        var code = new StringBuilder("namespace Fuzz.Generated { public static class Info {\n");
                        code.Append("public static string Data => ").Append(Literal(string.Join(";", pair.Left))).Append(";\n");
                        code.Append("public static string Options => ").Append(Literal(pair.Right)).Append(";\n");
                        code.Append("public static string Environment => ").Append(Literal(environment)).Append(";\n");
                        code.Append("} }\n");
                        output.AddSource("Info.g.cs", code.ToString());
                    });
                }

                private static string Literal(string value) => "@\"" + value.Replace("\"", "\"\"") + "\"";
            }
            """);
        Files.Write(Path.Combine(root, "Gen", "LegacyAnalyzer.cs"), """
            using System.Collections.Immutable;
            using Microsoft.CodeAnalysis;
            using Microsoft.CodeAnalysis.Diagnostics;

            /// <summary>FZ0001: a type whose name starts with Legacy.</summary>
            [DiagnosticAnalyzer(LanguageNames.CSharp)]
            public sealed class LegacyAnalyzer : DiagnosticAnalyzer
            {
                private static readonly DiagnosticDescriptor Rule = new("FZ0001", "Legacy type", "Type {0} is legacy", "Fuzz", DiagnosticSeverity.Warning, isEnabledByDefault: true);

                public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

                public override void Initialize(AnalysisContext context)
                {
                    context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
                    context.EnableConcurrentExecution();
                    context.RegisterSymbolAction(c =>
                    {
                        if (c.Symbol.Name.StartsWith("Legacy", System.StringComparison.Ordinal))
                        {
                            c.ReportDiagnostic(Diagnostic.Create(Rule, c.Symbol.Locations[0], c.Symbol.Name));
                        }
                    }, SymbolKind.NamedType);
                }
            }
            """);
    }

    private static void WriteLibrary(string root)
    {
        Files.Write(Path.Combine(root, "Lib", "Lib.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{Tfm}</TargetFramework>
                <Nullable>enable</Nullable>
                <GenerateDocumentationFile>true</GenerateDocumentationFile>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="../Gen/Gen.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
                <AdditionalFiles Include="data.txt" />
                <CompilerVisibleProperty Include="FuzzOption" />
              </ItemGroup>
            </Project>

            """);
        Files.Write(Path.Combine(root, "Lib", "data.txt"), "data version 1\n");
        Files.Write(Path.Combine(root, "Lib", "Docs.xml"), Docs("Greets, as Docs.xml version 1 says."));
        Files.Write(Path.Combine(root, "Lib", "Strings.resx"), Resx("Greeting", "Hello from resx"));
        Files.Write(Path.Combine(root, "Lib", "Values.cs"), """
            namespace Lib;

            /// <summary>Values the app prints.</summary>
            public static class Values
            {
                /// <summary>A constant shaped like the SDK's commit suffix, and a path-like one.</summary>
                public const string Stamp = "+0123456789abcdef0123456789abcdef01234567";

                /// <summary>Looks like a checkout path.</summary>
                public const string PathLike = "/tmp/acb-fuzz/a/repo/Lib/Values.cs";

                /// <include file="Docs.xml" path="doc/member[@name='Greeting']/*" />
                public static string Greeting() => Helper.Decorate("hello");

                /// <summary>What the generator wrote.</summary>
                public static string Generated => Fuzz.Generated.Info.Data + " / " + Fuzz.Generated.Info.Options + " / " + Fuzz.Generated.Info.Environment;

                /// <summary>From the resx.</summary>
                public static string Resource => new System.Resources.ResourceManager("Lib.Strings", typeof(Values).Assembly).GetString("Greeting") ?? "";

                /// <summary>The constants, through a property the app prints.</summary>
                public static string Constants => Stamp + " " + PathLike;
            }
            """);
        Files.Write(Path.Combine(root, "Lib", "Sub", "Helper.cs"), """
            namespace Lib;

            internal static class Helper
            {
                internal static string Decorate(string text) => "[" + text + "]";
            }
            """);
        Files.Write(Path.Combine(root, "Lib", "Legacy.cs"), """
            namespace Lib;

            /// <summary>Warned about by FZ0001; holds an unused variable (CS0219) and a nullable conversion (CS8600).</summary>
            public class LegacyWidget
            {
                /// <summary>Does nothing.</summary>
                public static string Run()
                {
                    int unused = 0;
                    string text = null;
                    return text ?? "none";
                }
            }
            """);
    }

    private static void WriteVisualBasic(string root)
    {
        Files.Write(Path.Combine(root, "VbLib", "VbLib.vbproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{Tfm}</TargetFramework>
                <RootNamespace>VbLib</RootNamespace>
                <GenerateDocumentationFile>true</GenerateDocumentationFile>
              </PropertyGroup>
            </Project>

            """);
        Files.Write(Path.Combine(root, "VbLib", "Shout.vb"), """
            ''' <summary>Shouts.</summary>
            Public Module Shout
                ''' <summary>The shouted text.</summary>
                Public ReadOnly Property Text As String
                    Get
                        Return "VB SAYS HI"
                    End Get
                End Property
            End Module
            """);
    }

    private static void WriteFSharp(string root)
    {
        Files.Write(Path.Combine(root, "FsLib", "FsLib.fsproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{Tfm}</TargetFramework>
                <GenerateDocumentationFile>true</GenerateDocumentationFile>
              </PropertyGroup>
              <ItemGroup>
                <Compile Include="Library.fs" />
              </ItemGroup>
            </Project>

            """);
        Files.Write(Path.Combine(root, "FsLib", "Library.fs"), """
            namespace FsLib

            /// Inline arithmetic dependents compile into themselves.
            module Maths =
                /// Adds one.
                let inline addOne x = x + 1

            /// Text for the app.
            type Texts =
                /// The F# text.
                static member Text = "F# says " + string (Maths.addOne 41)
            """);
    }

    private static RepoShape WriteSample(string root, string repoRoot, string taskAssembly)
    {
        var sample = Path.Combine(repoRoot, "samples", "Contoso.Shop");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(sample, "src"), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sample, file);
            if (!relative.Split(Path.DirectorySeparatorChar).Any(s => s is "bin" or "obj"))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, relative))!);
                File.Copy(file, Path.Combine(root, relative));
            }
        }

        // The sample's own settings, without its package reference: the build goes through the in-repo files instead.
        Common(root, repoRoot, taskAssembly, """
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
            """);
        var projects = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        WriteSolution(root, "Shop.slnx", projects);
        return new RepoShape("Shop.slnx", Path.Combine("src", "Contoso.Core"), Path.Combine("src", "Contoso.App"), HasGenerator: false, HasDocsInclude: false);
    }

    private static RepoShape WriteTemplate(string root, string repoRoot, string taskAssembly)
    {
        Directory.CreateDirectory(root);
        RunDotnetNew(root, "classlib", "Lib");
        RunDotnetNew(root, "console", "App");
        Files.AddToProject(Path.Combine(root, "App", "App.csproj"), "  <ItemGroup>\n    <ProjectReference Include=\"../Lib/Lib.csproj\" />\n  </ItemGroup>");
        Files.Write(Path.Combine(root, "App", "Program.cs"), "Console.WriteLine(\"Hello, \" + typeof(Lib.Class1).Assembly.GetName().Name);\n");
        Common(root, repoRoot, taskAssembly);
        WriteSolution(root, "Template.slnx", ["Lib/Lib.csproj", "App/App.csproj"]);
        return new RepoShape("Template.slnx", "Lib", "App", HasGenerator: false, HasDocsInclude: false);
    }

    private static void RunDotnetNew(string root, string template, string name)
    {
        var start = new ProcessStartInfo("dotnet", ["new", template, "-n", name, "-o", Path.Combine(root, name), "--framework", Tfm])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet new {template} failed: {output.Result}{error}");
        }
    }

    private static void WriteSolution(string root, string name, IEnumerable<string> projects) =>
        Files.Write(Path.Combine(root, name), "<Solution>\n" + string.Concat(projects.Select(p => $"  <Project Path=\"{p}\" />\n")) + "</Solution>\n");

    public static string Docs(string summary) => $"""
        <doc>
          <member name="Greeting">
            <summary>{summary}</summary>
          </member>
        </doc>

        """;

    public static string Resx(string name, string value) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <root>
          <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>
          <resheader name="version"><value>2.0</value></resheader>
          <resheader name="reader"><value>System.Resources.ResXResourceReader, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
          <resheader name="writer"><value>System.Resources.ResXResourceWriter, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
          <data name="{name}" xml:space="preserve"><value>{value}</value></data>
        </root>

        """;
}
