using System.Security.Cryptography;

namespace ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Small solutions written from templates (MSBuild.ProjectCreation is not available here).
/// The chain: App -> Lib2 -> Core. With <c>rich</c>, Core also has what the edit matrix needs: a source generator (Gen)
/// reading an additional file, an embedded resource, a .resx, a strong-name key and a package reference.
/// </summary>
public static class SampleSolution
{
    public const string Tfm = "net10.0";

    public static readonly string[] ChainProjects = ["App", "Core", "Lib2"];

    public static void WriteChain(string root, bool rich = false)
    {
        Workspace.ImportPackageFromRepo(root);
        WriteProject(root, "Core", rich ? CoreRichItems : "", rich ? CoreRichProperties : "");
        Workspace.Write(Path.Combine(root, "Core", "Greeter.cs"), """
            namespace Core;

            /// <summary>Greets people.</summary>
            public static class Greeter
            {
                /// <summary>Says hello.</summary>
                public static string Hello(string name) => Helper.Decorate("Hello " + name);
            }
            """);
        Workspace.Write(Path.Combine(root, "Core", "Helper.cs"), """
            namespace Core;

            internal static class Helper
            {
                internal static string Decorate(string text) => "[" + text + "]";
            }
            """);

        WriteProject(root, "Lib2", """<ProjectReference Include="../Core/Core.csproj" />""");
        Workspace.Write(Path.Combine(root, "Lib2", "Welcome.cs"), """
            namespace Lib2;

            /// <summary>Welcomes people.</summary>
            public static class Welcome
            {
                /// <summary>The welcome text.</summary>
                public static string For(string name) => Core.Greeter.Hello(name) + "!";
            }
            """);

        WriteProject(root, "App", """<ProjectReference Include="../Lib2/Lib2.csproj" />""", "<OutputType>Exe</OutputType>");
        Workspace.Write(Path.Combine(root, "App", "Program.cs"), """System.Console.WriteLine(Lib2.Welcome.For("world"));""");

        if (rich)
        {
            WriteRichCore(root);
        }
    }

    public static void WriteProject(string root, string name, string items = "", string properties = "", string tfm = Tfm)
    {
        Workspace.Write(Path.Combine(root, name, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{tfm}</TargetFramework>
                <Nullable>enable</Nullable>
                <GenerateDocumentationFile>true</GenerateDocumentationFile>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                {items}
              </ItemGroup>
            </Project>
            """);
    }

    /// <summary>Inserts XML into a project file just before its closing tag.</summary>
    public static void AddToProject(string projectFile, string xml)
    {
        var text = File.ReadAllText(projectFile);
        File.WriteAllText(projectFile, text.Replace("</Project>", xml + "\n</Project>", StringComparison.Ordinal));
    }

    private const string CoreRichProperties = """
        <SignAssembly>true</SignAssembly>
        <AssemblyOriginatorKeyFile>key.snk</AssemblyOriginatorKeyFile>
        """;

    private const string CoreRichItems = """
        <ProjectReference Include="../Gen/Gen.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
        <AdditionalFiles Include="names.txt" />
        <EmbeddedResource Include="data.txt" />
        <PackageReference Include="Newtonsoft.Json" Version="13.0.1" />
        """;

    private static void WriteRichCore(string root)
    {
        Workspace.Write(Path.Combine(root, "Core", "names.txt"), "Ada;Grace");
        Workspace.Write(Path.Combine(root, "Core", "data.txt"), "embedded data v1");
        Workspace.Write(Path.Combine(root, "Core", "Strings.resx"), Resx("Greeting", "Hello from resx"));
        File.WriteAllBytes(Path.Combine(root, "Core", "key.snk"), StrongNameKey());
        // Documentation the compiler reads by itself, and values shaped like the SDK's "+<commit>" suffix.
        Workspace.Write(Path.Combine(root, "Core", "docs.xml"), "<doc><member name=\"Stamps\"><summary>Stamps v1.</summary></member></doc>\n");
        Workspace.Write(Path.Combine(root, "Core", "Stamps.cs"), """
            namespace Core;

            /// <include file="docs.xml" path="doc/member[@name='Stamps']/*" />
            [System.ComponentModel.Description("+0123456789abcdef0123456789abcdef01234567")]
            public static class Stamps
            {
                /// <summary>A constant.</summary>
                public const string Build = "+0123456789abcdef0123456789abcdef01234567";

                /// <summary>A default parameter value.</summary>
                public static string Echo(string value = "+0123456789abcdef0123456789abcdef01234567") => value;
            }
            """);
        Workspace.Write(Path.Combine(root, "Core", "Names.cs"), """
            namespace Core;

            /// <summary>Uses the generated names and the package.</summary>
            public static class Directory
            {
                /// <summary>All names, from the generator.</summary>
                public static string All => GeneratedNames.All;

                /// <summary>Serialised.</summary>
                public static string Json => Newtonsoft.Json.JsonConvert.SerializeObject(All);
            }
            """);

        WriteGeneratorProject(root, "Gen");
        Workspace.Write(Path.Combine(root, "Gen", "NamesGenerator.cs"), """
            using System.Linq;
            using Microsoft.CodeAnalysis;

            [Generator]
            public sealed class NamesGenerator : IIncrementalGenerator
            {
                public void Initialize(IncrementalGeneratorInitializationContext context)
                {
                    var names = context.AdditionalTextsProvider
                        .Where(f => f.Path.EndsWith("names.txt"))
                        .Select((f, ct) => f.GetText(ct)?.ToString() ?? "");
                    context.RegisterSourceOutput(names.Collect(), (output, all) =>
                        output.AddSource("GeneratedNames.g.cs",
                            "namespace Core { internal static class GeneratedNames { public const string All = @\"" +
                            string.Join(";", all).Replace("\"", "\"\"") + "\"; } }"));
                }
            }
            """);
    }

    /// <summary>A source generator project (netstandard2.0, Roslyn 4.8 so any SDK 8+ compiler loads it); sources are the caller's.</summary>
    public static void WriteGeneratorProject(string root, string name) =>
        Workspace.Write(Path.Combine(root, name, name + ".csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>netstandard2.0</TargetFramework>
                <IsRoslynComponent>true</IsRoslynComponent>
                <EnforceExtendedAnalyzerRules>true</EnforceExtendedAnalyzerRules>
                <Nullable>enable</Nullable>
                <LangVersion>latest</LangVersion>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.CodeAnalysis.CSharp" Version="4.8.0" PrivateAssets="all" />
              </ItemGroup>
            </Project>
            """);

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

    /// <summary>A new strong-name key pair in the .snk format (a CAPI private key blob).</summary>
    public static byte[] StrongNameKey()
    {
        using var rsa = new RSACryptoServiceProvider(1024);
        return rsa.ExportCspBlob(includePrivateParameters: true);
    }
}
