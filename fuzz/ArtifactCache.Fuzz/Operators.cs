namespace ArtifactCache.Fuzz;

/// <summary>The operators, by name. Names are part of corpus files: never rename one.</summary>
public static class Operators
{
    public static readonly IReadOnlyList<FuzzOperator> All =
    [
        // file system
        new MoveSourceFile(),
        new RenameSourceFolder(),
        new CaseOnlyRename(),
        new SymlinkSource(),
        new EditKeepingLengthAndTime(),
        new EditDuringCompile(),
        new CaseTwinOfIncludedDocs(),
        // analyzer configs
        new CustomConfigMoved(),
        new GlobalConfigOption(),
        new EditorConfigAboveRoot(),
        // MSBuild
        new PropertyInDirectoryBuildProps(),
        new PropertyOnCommandLine(),
        new PropertyFromEnvironment(),
        new SourceRevisionIdStamp(),
        new VersionProperty(),
        new AssemblyMetadataItem(),
        new ItemAddedByTarget(),
        // source text
        new LineDirectiveAbsolutePath(),
        new PragmaChecksumAbsolutePath(),
        new LookAlikeLiterals(),
        new EditXmlDocInclude(),
        // git
        new GitCommit(),
        new GitEmptyCommit(),
        new GitBranch(),
        new GitRemoteUrl(),
        // generators and analyzers
        new GeneratorAdditionalFileEdit(),
        new GeneratorReadsEnvironment(),
        // references
        new MethodBodyLiteralEdit(),
        new InternalsVisibleToConstant(),
        new NetStandardLibraryWithoutRefAssembly(),
        new FSharpInlineEdit(),
        new VisualBasicEdit(),
    ];

    public static FuzzOperator Get(string name) =>
        All.FirstOrDefault(o => o.Name == name) ?? throw new ArgumentException($"Unknown operator '{name}'.");
}

internal static class Lib
{
    public static string Folder(Checkouts c, string root) => Path.Combine(root, c.Shape.Library);

    public static string Project(Checkouts c, string root) => Path.Combine(root, c.Shape.LibraryProject);

    /// <summary>The library's first source file, in name order: what file operators move, rename and edit.</summary>
    public static string FirstSource(Checkouts c, string root) =>
        Directory.EnumerateFiles(Folder(c, root), "*.cs", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal).First();

    public static string Namespace(Checkouts c) => c.Shape.LibraryName.Replace('-', '_');

    /// <summary>A small public type with static string properties (the layered app prints such properties).</summary>
    public static void AddType(Checkouts c, string root, string fileName, string body) =>
        Files.Write(Path.Combine(Folder(c, root), fileName), $$"""
            namespace {{Namespace(c)}};

            /// <summary>Added by the fuzzer.</summary>
            public static class {{Path.GetFileNameWithoutExtension(fileName)}}
            {
            {{body}}
            }

            """);
}

// ---------------------------------------------------------------- file system

/// <summary>B moves a library source into a new folder: the pdb's document names change, so the library must miss.</summary>
internal sealed class MoveSourceFile : FuzzOperator
{
    public override string Name => "move-source-file";

    public override string Category => "file system";

    public override void OnB(Checkouts c, int p)
    {
        var source = Lib.FirstSource(c, c.B);
        var folder = Path.Combine(Path.GetDirectoryName(source)!, p % 2 == 0 ? "Moved" : "Deeper/Still");
        Directory.CreateDirectory(folder);
        File.Move(source, Path.Combine(folder, Path.GetFileName(source)));
    }

    public override string Describe(int p) => $"B moves the library's first source into {(p % 2 == 0 ? "Moved/" : "Deeper/Still/")}";
}

/// <summary>B renames a folder of library sources (or moves it one level down).</summary>
internal sealed class RenameSourceFolder : FuzzOperator
{
    public override string Name => "rename-source-folder";

    public override string Category => "file system";

    public override void OnB(Checkouts c, int p)
    {
        var library = Lib.Folder(c, c.B);
        var folder = Directory.EnumerateDirectories(library).Where(d => Path.GetFileName(d) is not ("bin" or "obj")).Order(StringComparer.Ordinal).FirstOrDefault();
        if (folder is null)
        {
            // A library without subfolders: its sources move into a new one.
            folder = Path.Combine(library, "Sources");
            Directory.CreateDirectory(folder);
            foreach (var source in Directory.EnumerateFiles(library, "*.cs"))
            {
                File.Move(source, Path.Combine(folder, Path.GetFileName(source)));
            }

            return;
        }

        var target = p % 2 == 0 ? Path.Combine(library, "Renamed") : Path.Combine(library, "Nested", Path.GetFileName(folder));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Directory.Move(folder, target);
    }

    public override string Describe(int p) => $"B {(p % 2 == 0 ? "renames the library's first subfolder to Renamed/" : "moves the library's first subfolder under Nested/")} (or moves its sources into Sources/)";
}

/// <summary>B renames a source by case only (on a case-sensitive file system; elsewhere a no-op by the file system).</summary>
internal sealed class CaseOnlyRename : FuzzOperator
{
    public override string Name => "case-only-rename";

    public override string Category => "file system";

    public override void OnB(Checkouts c, int p)
    {
        if (!Files.CaseSensitive(c.B))
        {
            throw new NotApplicableHereException("the file system does not tell names apart by case");
        }

        var source = Lib.FirstSource(c, c.B);
        var name = Path.GetFileName(source);
        var renamed = Path.Combine(Path.GetDirectoryName(source)!, char.IsUpper(name[0]) ? char.ToLowerInvariant(name[0]) + name[1..] : char.ToUpperInvariant(name[0]) + name[1..]);
        var temporary = source + ".renaming";
        File.Move(source, temporary);
        File.Move(temporary, renamed);
    }

    public override string Describe(int p) => "B renames the library's first source by the case of its first letter (case-sensitive file systems only)";
}

/// <summary>B replaces a source by a symbolic link to an identical file outside the project.</summary>
internal sealed class SymlinkSource : FuzzOperator
{
    public override string Name => "symlink-source";

    public override string Category => "file system";

    public override void OnB(Checkouts c, int p)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new NotApplicableHereException("symbolic links need privileges on Windows");
        }

        var source = Lib.FirstSource(c, c.B);
        var target = Path.Combine(c.B, "shared", Path.GetFileName(source));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(source, target);
        File.CreateSymbolicLink(source, p % 2 == 0 ? target : Path.GetRelativePath(Path.GetDirectoryName(source)!, target));
    }

    public override string Describe(int p) => $"B makes the library's first source a {(p % 2 == 0 ? "absolute" : "relative")} symbolic link to shared/";
}

/// <summary>B edits a source keeping its length and time stamp: only the content tells.</summary>
internal sealed class EditKeepingLengthAndTime : FuzzOperator
{
    public override string Name => "edit-keeping-length-and-time";

    public override string Category => "file system";

    public override void OnB(Checkouts c, int p)
    {
        var source = Lib.FirstSource(c, c.B);
        var written = File.GetLastWriteTimeUtc(source);
        // Bytes, not text, so a byte order mark stays. The first string literal's first character, else the first
        // indentation's first space: same length, new bytes.
        var bytes = File.ReadAllBytes(source);
        var at = Array.IndexOf(bytes, (byte)'"');
        if (at >= 0 && at + 1 < bytes.Length)
        {
            bytes[at + 1] = bytes[at + 1] == (byte)'Q' ? (byte)'R' : (byte)'Q';
        }
        else if (bytes.AsSpan().IndexOf("    "u8) is var indent and >= 0)
        {
            bytes[indent] = (byte)'\t';
        }

        File.WriteAllBytes(source, bytes);
        File.SetLastWriteTimeUtc(source, written);
    }

    public override string Describe(int p) => "B edits the library's first source (its first string literal, else an indentation), keeping length and time stamp";
}

/// <summary>
/// A's build rewrites an input while the compiler runs, before the compiler reads it, keeping its length and time stamp
/// (the repository's own generator does it when FUZZ_EDIT_DURING_COMPILE names the file). A clean clone has the
/// committed content and must not hit outputs of the edited one.
/// </summary>
internal sealed class EditDuringCompile : FuzzOperator
{
    public override string Name => "edit-during-compile";

    public override string Category => "file system";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasGenerator;

    public override void OnA(Checkouts c, int p) =>
        c.EnvironmentA["FUZZ_EDIT_DURING_COMPILE"] = Path.Combine(c.A, "Lib", p % 3 != 2 ? "data.txt" : "Docs.xml");

    public override string Describe(int p) => $"A's compile rewrites Lib/{(p % 3 != 2 ? "data.txt (an additional file)" : "Docs.xml (an XML doc include)")} mid-compile, same length and time stamp";
}

/// <summary>
/// A has Docs.xml (read by the compiler through an XML doc include) and docs.xml (an additional file, named on the
/// command line); B edits Docs.xml. On a case-sensitive file system these are two files.
/// </summary>
internal sealed class CaseTwinOfIncludedDocs : FuzzOperator
{
    public override string Name => "case-twin-of-included-docs";

    public override string Category => "file system";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasDocsInclude;

    public override void OnA(Checkouts c, int p)
    {
        if (!Files.CaseSensitive(c.A))
        {
            throw new NotApplicableHereException("the file system does not tell Docs.xml from docs.xml");
        }

        Files.Write(Path.Combine(c.A, "Lib", "docs.xml"), "lower-case twin, an additional file\n");
        Files.AddToProject(Lib.Project(c, c.A), "  <ItemGroup>\n    <AdditionalFiles Include=\"docs.xml\" />\n  </ItemGroup>");
    }

    public override void OnB(Checkouts c, int p) =>
        Files.Write(Path.Combine(c.B, "Lib", "Docs.xml"), Repositories.Docs($"Greets, as Docs.xml version {p + 2} says."));

    public override string Describe(int p) => $"A adds Lib/docs.xml as an additional file beside the included Lib/Docs.xml; B edits Docs.xml (version {p + 2})";
}

// ---------------------------------------------------------------- analyzer configs

/// <summary>
/// A passes a custom-named analyzer config (fuzz.cfg) as an EditorConfigFiles item; B moves it to another folder. Not
/// global, it applies to the sources under its folder only, so where it sits changes warnings and the generator's view.
/// </summary>
internal sealed class CustomConfigMoved : FuzzOperator
{
    public override string Name => "custom-config-moved";

    public override string Category => "analyzer config";

    public override void OnA(Checkouts c, int p)
    {
        var global = p % 3 == 2;
        Files.Write(Path.Combine(Lib.Folder(c, c.A), "fuzz.cfg"), global
            ? "is_global = true\ndotnet_diagnostic.CS0219.severity = none\nfuzz_global = from-fuzz-cfg\n"
            : "[*.cs]\ndotnet_diagnostic.CS0219.severity = none\ndotnet_diagnostic.CS8600.severity = none\ndotnet_diagnostic.FZ0001.severity = none\nfuzz_marker = from-fuzz-cfg\n");
        Files.AddToProject(Lib.Project(c, c.A), "  <ItemGroup>\n    <EditorConfigFiles Include=\"fuzz.cfg\" />\n  </ItemGroup>");
    }

    public override void OnB(Checkouts c, int p)
    {
        var folder = p % 3 == 1 ? "config" : "Unrelated";
        var to = Path.Combine(Lib.Folder(c, c.B), folder, "fuzz.cfg");
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Move(Path.Combine(Lib.Folder(c, c.B), "fuzz.cfg"), to);
        Files.Replace(Lib.Project(c, c.B), "<EditorConfigFiles Include=\"fuzz.cfg\" />", $"<EditorConfigFiles Include=\"{folder}/fuzz.cfg\" />");
    }

    public override string Describe(int p) =>
        $"A passes Lib/fuzz.cfg ({(p % 3 == 2 ? "is_global = true" : "not global, [*.cs] section")}) as EditorConfigFiles; B moves it to Lib/{(p % 3 == 1 ? "config" : "Unrelated")}/";
}

/// <summary>B writes a .globalconfig with a generator option and a severity.</summary>
internal sealed class GlobalConfigOption : FuzzOperator
{
    public override string Name => "globalconfig-option";

    public override string Category => "analyzer config";

    public override void OnB(Checkouts c, int p) =>
        Files.Write(Path.Combine(Lib.Folder(c, c.B), ".globalconfig"), $"is_global = true\nfuzz_global = g{p}\ndotnet_diagnostic.CS0219.severity = {(p % 2 == 0 ? "none" : "warning")}\n");

    public override string Describe(int p) => $"B adds Lib/.globalconfig (fuzz_global = g{p})";
}

/// <summary>B's parent folder (outside the checkout) gets an .editorconfig: the SDK finds it by walking up.</summary>
internal sealed class EditorConfigAboveRoot : FuzzOperator
{
    public override string Name => "editorconfig-above-root";

    public override string Category => "analyzer config";

    public override void OnB(Checkouts c, int p) =>
        Files.Write(Path.Combine(Path.GetDirectoryName(c.B)!, ".editorconfig"), $"[*.cs]\ndotnet_diagnostic.CS0219.severity = none\nfuzz_marker = above-root-{p}\n");

    public override string Describe(int p) => $"B's parent folder gets an .editorconfig ([*.cs] fuzz_marker = above-root-{p})";
}

// ---------------------------------------------------------------- MSBuild

internal sealed class PropertyInDirectoryBuildProps : FuzzOperator
{
    public override string Name => "property-in-directory-build-props";

    public override string Category => "msbuild";

    public override void OnB(Checkouts c, int p)
    {
        // Odd parameters use Directory.Build.targets, which MSBuild reads after the project file.
        Files.AddToProject(Path.Combine(c.B, p % 2 == 0 ? "Directory.Build.props" : "Directory.Build.targets"), $"  <PropertyGroup>\n    <DefineConstants>$(DefineConstants);FUZZ_FLAG_{p}</DefineConstants>\n    <FuzzOption>props-{p}</FuzzOption>\n  </PropertyGroup>");
        Lib.AddType(c, c.B, "Flags.cs", $"#if FUZZ_FLAG_{p}\n    /// <summary>Set.</summary>\n    public static string Flag => \"flag {p}\";\n#endif");
    }

    public override string Describe(int p) => $"B's Directory.Build.{(p % 2 == 0 ? "props" : "targets")} defines FUZZ_FLAG_{p} and FuzzOption=props-{p}";
}

internal sealed class PropertyOnCommandLine : FuzzOperator
{
    public override string Name => "property-on-command-line";

    public override string Category => "msbuild";

    public override void OnB(Checkouts c, int p) => c.ArgumentsB.Add($"-p:FuzzOption=cli-{p}");

    public override string Describe(int p) => $"B is built with -p:FuzzOption=cli-{p}";
}

internal sealed class PropertyFromEnvironment : FuzzOperator
{
    public override string Name => "property-from-environment";

    public override string Category => "msbuild";

    public override void OnB(Checkouts c, int p) => c.EnvironmentB["FuzzOption"] = $"env-{p}";

    public override string Describe(int p) => $"B is built with the environment variable FuzzOption=env-{p}";
}

/// <summary>A and B are built with SourceRevisionId set to build stamps that are not the commit, and differ.</summary>
internal sealed class SourceRevisionIdStamp : FuzzOperator
{
    public override string Name => "source-revision-id-stamp";

    public override string Category => "msbuild";

    public override void OnA(Checkouts c, int p) => c.ArgumentsA.Add($"-p:SourceRevisionId=build{p}");

    public override void OnB(Checkouts c, int p) => c.ArgumentsB.Add($"-p:SourceRevisionId=build{p + 1}");

    public override string Describe(int p) => $"A is built with -p:SourceRevisionId=build{p}, B with build{p + 1}";
}

internal sealed class VersionProperty : FuzzOperator
{
    public override string Name => "version-property";

    public override string Category => "msbuild";

    public override void OnB(Checkouts c, int p) =>
        Files.AddToProject(Path.Combine(c.B, "Directory.Build.props"), p % 2 == 0
            ? $"  <PropertyGroup>\n    <Version>1.{p}.0</Version>\n  </PropertyGroup>"
            : $"  <PropertyGroup>\n    <InformationalVersion>1.0.0-fuzz{p}</InformationalVersion>\n  </PropertyGroup>");

    public override string Describe(int p) => p % 2 == 0 ? $"B sets Version=1.{p}.0" : $"B sets InformationalVersion=1.0.0-fuzz{p}";
}

internal sealed class AssemblyMetadataItem : FuzzOperator
{
    public override string Name => "assembly-metadata-item";

    public override string Category => "msbuild";

    public override void OnB(Checkouts c, int p) =>
        Files.AddToProject(Lib.Project(c, c.B), $"  <ItemGroup>\n    <AssemblyMetadata Include=\"Fuzz\" Value=\"meta-{p}\" />\n    <AssemblyAttribute Include=\"System.Reflection.AssemblyCompanyAttribute\"><_Parameter1>Fuzz {p}</_Parameter1></AssemblyAttribute>\n  </ItemGroup>");

    public override string Describe(int p) => $"B adds AssemblyMetadata Fuzz=meta-{p} and an AssemblyCompany attribute to the library";
}

/// <summary>A target adds an assembly attribute during the build: from the checkout folder, or a constant.</summary>
internal sealed class ItemAddedByTarget : FuzzOperator
{
    public override string Name => "item-added-by-target";

    public override string Category => "msbuild";

    public override void OnB(Checkouts c, int p) =>
        Files.AddToProject(Lib.Project(c, c.B), $"""
              <Target Name="FuzzAddMetadata" BeforeTargets="GetAssemblyAttributes">
                <ItemGroup><AssemblyMetadata Include="FuzzTarget" Value="{(p % 2 == 0 ? "$(MSBuildProjectDirectory)" : "target-" + p)}" /></ItemGroup>
              </Target>
            """);

    public override string Describe(int p) => $"B's library gets a target adding AssemblyMetadata FuzzTarget={(p % 2 == 0 ? "$(MSBuildProjectDirectory)" : "target-" + p)}";
}

// ---------------------------------------------------------------- source text

/// <summary>
/// A commits a source whose #line names an absolute path under checkout A, with a [CallerFilePath] use inside: the
/// compiler maps that path with /pathmap in A, and cannot in B, where it lies outside the checkout.
/// </summary>
internal sealed class LineDirectiveAbsolutePath : FuzzOperator
{
    public override string Name => "line-directive-absolute-path";

    public override string Category => "source text";

    public override void OnA(Checkouts c, int p)
    {
        var template = Path.Combine(Lib.Folder(c, c.A), p % 2 == 0 ? "Gen.tt" : Path.Combine("Templates", "Gen.tt"));
        Lib.AddType(c, c.A, "Templated.cs", $"""
            #line 1 "{template}"
                /// <summary>Where the template says the caller is.</summary>
                public static string Caller => Where();
            #line default

                private static string Where([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;
            """);
    }

    public override string Describe(int p) => $"A commits Templated.cs with #line 1 \"<checkout A>/{(p % 2 == 0 ? "" : "Templates/")}Gen.tt\" around a [CallerFilePath] use";
}

/// <summary>A commits a source with a #pragma checksum naming an absolute path under checkout A.</summary>
internal sealed class PragmaChecksumAbsolutePath : FuzzOperator
{
    public override string Name => "pragma-checksum-absolute-path";

    public override string Category => "source text";

    public override void OnA(Checkouts c, int p)
    {
        var template = Path.Combine(Lib.Folder(c, c.A), "View.cshtml");
        Lib.AddType(c, c.A, "Checksummed.cs", $$"""
            #pragma checksum "{{template}}" "{8829d00f-11b8-4213-878b-770e8597ac16}" "{{p:x2}}{{new string('0', 62)}}"
            #line 3 "{{template}}"
                /// <summary>A value from the view.</summary>
                public static string View => "view {{p}}";
            #line default
            """);
    }

    public override string Describe(int p) => "A commits Checksummed.cs with #pragma checksum and #line naming <checkout A>/View.cshtml";
}

/// <summary>B changes literals that look like a commit suffix and like a checkout path: ordinary inputs.</summary>
internal sealed class LookAlikeLiterals : FuzzOperator
{
    public override string Name => "look-alike-literals";

    public override string Category => "source text";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasGenerator;

    public override void OnB(Checkouts c, int p)
    {
        var values = Path.Combine(c.B, "Lib", "Values.cs");
        if (p % 2 == 0)
        {
            Files.Replace(values, "+0123456789abcdef0123456789abcdef01234567", "+fedcba9876543210fedcba9876543210fedcba98");
        }
        else
        {
            Files.Replace(values, "/tmp/acb-fuzz/a/repo/Lib/Values.cs", c.B + "/Lib/Values.cs");
        }
    }

    public override string Describe(int p) => p % 2 == 0 ? "B changes the commit-suffix look-alike constant" : "B changes the path look-alike constant to B's own path";
}

internal sealed class EditXmlDocInclude : FuzzOperator
{
    public override string Name => "edit-xml-doc-include";

    public override string Category => "source text";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasDocsInclude;

    public override void OnB(Checkouts c, int p) =>
        Files.Write(Path.Combine(c.B, "Lib", "Docs.xml"), Repositories.Docs($"Greets, as Docs.xml edit {p} says."));

    public override string Describe(int p) => $"B edits Lib/Docs.xml (an XML doc include), edit {p}";
}

// ---------------------------------------------------------------- git

internal sealed class GitCommit : FuzzOperator
{
    public override string Name => "git-commit";

    public override string Category => "git";

    public override void OnB(Checkouts c, int p)
    {
        File.AppendAllText(Path.Combine(c.B, "README.md"), $"change {p}\n");
        Git.Run(c.B, "add", "-A");
        Git.Run(c.B, "commit", "-q", "-m", $"fuzz commit {p}");
    }

    public override string Describe(int p) => "B commits everything changed so far (and a README line)";
}

internal sealed class GitEmptyCommit : FuzzOperator
{
    public override string Name => "git-empty-commit";

    public override string Category => "git";

    public override void OnB(Checkouts c, int p) => Git.Run(c.B, "commit", "-q", "--allow-empty", "-m", $"empty {p}");

    public override string Describe(int p) => "B makes an empty commit";
}

internal sealed class GitBranch : FuzzOperator
{
    public override string Name => "git-branch";

    public override string Category => "git";

    public override void OnB(Checkouts c, int p) => Git.Run(c.B, "checkout", "-q", "-b", $"fuzz-branch-{p}");

    public override string Describe(int p) => $"B switches to a new branch fuzz-branch-{p}";
}

internal sealed class GitRemoteUrl : FuzzOperator
{
    public override string Name => "git-remote-url";

    public override string Category => "git";

    public override void OnB(Checkouts c, int p) => Git.Run(c.B, "remote", "set-url", "origin", $"https://github.com/contoso/fork{p}.git");

    public override string Describe(int p) => $"B's origin becomes https://github.com/contoso/fork{p}.git (Source Link URL)";
}

// ---------------------------------------------------------------- generators and analyzers

internal sealed class GeneratorAdditionalFileEdit : FuzzOperator
{
    public override string Name => "generator-additional-file-edit";

    public override string Category => "generator";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasGenerator;

    public override void OnB(Checkouts c, int p) => File.WriteAllText(Path.Combine(c.B, "Lib", "data.txt"), $"data version {p + 2}\n");

    public override string Describe(int p) => $"B edits Lib/data.txt, which the generator reads (version {p + 2})";
}

/// <summary>The generator writes FUZZ_GEN_VALUE into code: the README's limit (a generator reading the environment).</summary>
internal sealed class GeneratorReadsEnvironment : FuzzOperator
{
    public override string Name => "generator-reads-environment";

    public override string Category => "generator";

    public override bool KnownLimit => true;

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasGenerator;

    public override void OnA(Checkouts c, int p) => c.EnvironmentA["FUZZ_GEN_VALUE"] = $"a{p}";

    public override void OnB(Checkouts c, int p) => c.EnvironmentB["FUZZ_GEN_VALUE"] = $"b{p}";

    public override string Describe(int p) => $"the generator reads FUZZ_GEN_VALUE: a{p} for A, b{p} for B (README limit)";
}

// ---------------------------------------------------------------- references

/// <summary>B edits a string literal in a method body of the library: its reference assembly stays, its dependents may hit.</summary>
internal sealed class MethodBodyLiteralEdit : FuzzOperator
{
    public override string Name => "method-body-literal-edit";

    public override string Category => "references";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasGenerator;

    public override void OnB(Checkouts c, int p) =>
        Files.Replace(Path.Combine(c.B, "Lib", "Sub", "Helper.cs"), "\"[\" + text + \"]\"", $"\"<{p}>\" + text + \"]\"");

    public override string Describe(int p) => $"B edits a string literal in Lib's internal Helper.Decorate body (<{p}>)";
}

/// <summary>A gives App access to Lib's internals and App prints an internal constant; B changes that constant.</summary>
internal sealed class InternalsVisibleToConstant : FuzzOperator
{
    public override string Name => "internals-visible-to-constant";

    public override string Category => "references";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasGenerator;

    public override void OnA(Checkouts c, int p)
    {
        Files.AddToProject(Path.Combine(c.A, "Lib", "Lib.csproj"), "  <ItemGroup>\n    <InternalsVisibleTo Include=\"App\" />\n  </ItemGroup>");
        Files.Write(Path.Combine(c.A, "Lib", "Internal.cs"), "namespace Lib;\n\ninternal static class Internal\n{\n    internal const string Value = \"internal 1\";\n}\n");
        Files.Write(Path.Combine(c.A, "App", "Internals.cs"), "internal static class Internals\n{\n    internal static void Print() => System.Console.WriteLine(\"Internal = \" + Lib.Internal.Value);\n}\n");
        Files.Replace(Path.Combine(c.A, "App", "Program.cs"), "Console.WriteLine(\"Greeting", "Internals.Print();\nConsole.WriteLine(\"Greeting");
    }

    public override void OnB(Checkouts c, int p) => Files.Replace(Path.Combine(c.B, "Lib", "Internal.cs"), "internal 1", $"internal {p + 2}");

    public override string Describe(int p) => $"A: InternalsVisibleTo App and an internal const App prints; B changes it to 'internal {p + 2}'";
}

/// <summary>A adds a netstandard2.0 library (no reference assembly by default) that Lib uses; B edits its method body.</summary>
internal sealed class NetStandardLibraryWithoutRefAssembly : FuzzOperator
{
    public override string Name => "netstandard-library-body-edit";

    public override string Category => "references";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => shape.HasGenerator;

    public override void OnA(Checkouts c, int p)
    {
        Files.Write(Path.Combine(c.A, "Std", "Std.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>netstandard2.0</TargetFramework>\n  </PropertyGroup>\n</Project>\n");
        Files.Write(Path.Combine(c.A, "Std", "Text.cs"), "namespace Std\n{\n    public static class Text\n    {\n        public const string Constant = \"std constant 1\";\n\n        public static string Body() { return \"std body 1\"; }\n    }\n}\n");
        Files.AddToProject(Path.Combine(c.A, "Lib", "Lib.csproj"), "  <ItemGroup>\n    <ProjectReference Include=\"../Std/Std.csproj\" />\n  </ItemGroup>");
        Lib.AddType(c, c.A, "FromStd.cs", "    /// <summary>Std's constant and body.</summary>\n    public static string Std => global::Std.Text.Constant + \" \" + global::Std.Text.Body();");
        Files.Replace(Path.Combine(c.A, "Fuzz.slnx"), "</Solution>", "  <Project Path=\"Std/Std.csproj\" />\n</Solution>");
    }

    public override void OnB(Checkouts c, int p) =>
        Files.Replace(Path.Combine(c.B, "Std", "Text.cs"), p % 2 == 0 ? "std body 1" : "std constant 1", p % 2 == 0 ? $"std body {p + 2}" : $"std constant {p + 2}");

    public override string Describe(int p) => $"A: Lib uses a netstandard2.0 library Std (no ref assembly); B edits its {(p % 2 == 0 ? "method body" : "public constant")}";
}

internal sealed class FSharpInlineEdit : FuzzOperator
{
    public override string Name => "fsharp-inline-edit";

    public override string Category => "references";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => fuzzCase.FSharp;

    public override void OnB(Checkouts c, int p) => Files.Replace(Path.Combine(c.B, "FsLib", "Library.fs"), "x + 1", $"x + {p + 2}");

    public override string Describe(int p) => $"B edits the body of the F# inline function addOne (x + {p + 2})";
}

internal sealed class VisualBasicEdit : FuzzOperator
{
    public override string Name => "visual-basic-edit";

    public override string Category => "references";

    public override bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => fuzzCase.VisualBasic;

    public override void OnB(Checkouts c, int p) => Files.Replace(Path.Combine(c.B, "VbLib", "Shout.vb"), "VB SAYS HI", $"VB SAYS {p}");

    public override string Describe(int p) => $"B edits the VB library's string (VB SAYS {p})";
}
