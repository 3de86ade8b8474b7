using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class VersionStampsTests
{
    [Fact]
    public void The_sdk_assembly_info_gives_its_informational_and_file_versions_but_not_the_assembly_version()
    {
        var text = "[assembly: System.Reflection.AssemblyFileVersionAttribute(\"1.2.3.4\")]\r\n" +
                   "[assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"1.2.3-alpha.0.4+abc\")]\r\n" +
                   "[assembly: System.Reflection.AssemblyVersionAttribute(\"1.0.0.0\")]\r\n" +
                   "[assembly: System.Reflection.AssemblyMetadataAttribute(\"FileVersion\", \"9.9\")]\r\n";

        var split = VersionStamps.Split(text);

        Assert.Equal([new VersionStamp("AssemblyFileVersion", "1.2.3.4"), new VersionStamp("AssemblyInformationalVersion", "1.2.3-alpha.0.4+abc")], split.Stamps);
        Assert.Equal(
            "[assembly: System.Reflection.AssemblyFileVersionAttribute(\"{version}\")]\r\n" +
            "[assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"{version}\")]\r\n" +
            "[assembly: System.Reflection.AssemblyVersionAttribute(\"1.0.0.0\")]\r\n" +
            "[assembly: System.Reflection.AssemblyMetadataAttribute(\"FileVersion\", \"9.9\")]\r\n",
            split.Text);
    }

    [Fact]
    public void The_visual_basic_and_fsharp_assembly_info_give_their_stamps_too()
    {
        // As the SDK 10.0.401 writes them (WriteCodeFragment), measured.
        var vb = "<Assembly: System.Reflection.AssemblyCompanyAttribute(\"VbLib\"),  _\n" +
                 " Assembly: System.Reflection.AssemblyFileVersionAttribute(\"1.0.0.0\"),  _\n" +
                 " Assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"1.0.0+abc\"),  _\n" +
                 " Assembly: System.Reflection.AssemblyVersionAttribute(\"1.0.0.0\")> \n";
        var vbLast = "<Assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"2.0+def\")> \n";
        var fsharp = "[<assembly: System.Reflection.AssemblyFileVersionAttribute(\"1.0.0.0\")>]\n" +
                     "[<assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"1.0.0+abc\")>]\n" +
                     "[<assembly: System.Reflection.AssemblyVersionAttribute(\"1.0.0.0\")>]\n";

        var split = VersionStamps.Split(vb);
        Assert.Equal([new VersionStamp("AssemblyFileVersion", "1.0.0.0"), new VersionStamp("AssemblyInformationalVersion", "1.0.0+abc")], split.Stamps);
        Assert.Contains(" Assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"{version}\"),  _\n", split.Text, StringComparison.Ordinal);
        Assert.Contains("AssemblyVersionAttribute(\"1.0.0.0\")", split.Text, StringComparison.Ordinal);
        Assert.Equal([new VersionStamp("AssemblyInformationalVersion", "2.0+def")], VersionStamps.Split(vbLast).Stamps);
        Assert.Equal([new VersionStamp("AssemblyFileVersion", "1.0.0.0"), new VersionStamp("AssemblyInformationalVersion", "1.0.0+abc")], VersionStamps.Split(fsharp).Stamps);
    }

    // As Nerdbank.GitVersioning 3.10.94 writes it (obj/.../<Project>.Version.cs), measured.
    private const string Nerdbank = """
        #pragma warning disable CA2243

        [assembly: global::System.Reflection.AssemblyVersionAttribute("1.2.0.0")]
        [assembly: global::System.Reflection.AssemblyFileVersionAttribute("1.2.1.45749")]
        [assembly: global::System.Reflection.AssemblyInformationalVersionAttribute("1.2.1+b2b551d64b")]
        #if NETSTANDARD || NETFRAMEWORK || NETCOREAPP
        [global::System.CodeDom.Compiler.GeneratedCode("Nerdbank.GitVersioning.Tasks","3.10.94.57001")]
        #endif
        internal static partial class ThisAssembly {
            internal const string AssemblyConfiguration = "Debug";
            internal const string AssemblyFileVersion = "1.2.1.45749";
            internal const string AssemblyInformationalVersion = "1.2.1+b2b551d64b";
            internal const string AssemblyVersion = "1.2.0.0";
            internal static readonly global::System.DateTime GitCommitAuthorDate = new global::System.DateTime(639314505900000000L, global::System.DateTimeKind.Utc);
            internal static readonly global::System.DateTime GitCommitDate = new global::System.DateTime(639314505900000000L, global::System.DateTimeKind.Utc);
            internal const string GitCommitId = "b2b551d64b8669e9ead29ac1bc7ff59a21720793";
            internal const bool IsPrerelease = false;
        }
        """;

    [Fact]
    public void Nerdbank_gitversioning_gives_its_per_commit_constants_too()
    {
        var split = VersionStamps.Split(Nerdbank);

        Assert.Equal(
            ["AssemblyFileVersion", "AssemblyInformationalVersion", "ThisAssembly.AssemblyFileVersion", "ThisAssembly.AssemblyInformationalVersion",
             "ThisAssembly.GitCommitAuthorDate", "ThisAssembly.GitCommitDate", "ThisAssembly.GitCommitId"],
            split.Stamps.Select(s => s.Name));
        Assert.Contains("internal const string AssemblyVersion = \"1.2.0.0\";", split.Text, StringComparison.Ordinal);
        Assert.Contains("internal const string AssemblyConfiguration = \"Debug\";", split.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("b2b551d64b", split.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_class_named_this_assembly_that_nerdbank_did_not_write_is_ordinary_code()
    {
        var own = Nerdbank.Replace("Nerdbank.GitVersioning.Tasks", "My.Generator", StringComparison.Ordinal);

        Assert.DoesNotContain(VersionStamps.Split(own).Stamps, s => s.Name.StartsWith("ThisAssembly.", StringComparison.Ordinal));
    }
}
