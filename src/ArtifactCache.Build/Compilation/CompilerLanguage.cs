namespace ArtifactCache.Build.Compilation;

/// <summary>
/// The compilers the cache runs. csc and vbc share Roslyn's switch syntax, path map and <c>/touchedfiles</c>; fsc has
/// its own syntax (<c>-o:</c>, <c>--refout:</c>), its own path map rule and no list of the files it read.
/// </summary>
public enum CompilerLanguage
{
    CSharp,
    VisualBasic,
    FSharp,
}

public static class CompilerLanguages
{
    /// <summary>From MSBuild's <c>$(Language)</c>: C#, VB or F#.</summary>
    public static CompilerLanguage FromMSBuild(string? language) => language switch
    {
        "VB" => CompilerLanguage.VisualBasic,
        "F#" => CompilerLanguage.FSharp,
        _ => CompilerLanguage.CSharp,
    };

    /// <summary>The assemblies beside the compiler that are part of it: any change to them is another compiler.</summary>
    public static IReadOnlyList<string> IdentityFileNames(this CompilerLanguage language) => language switch
    {
        CompilerLanguage.VisualBasic => ["Microsoft.CodeAnalysis.dll", "Microsoft.CodeAnalysis.VisualBasic.dll"],
        // fsc's own FSharp.Core, not the one the project references (that one is a reference like any other).
        CompilerLanguage.FSharp => ["FSharp.Compiler.Service.dll", "FSharp.Core.dll"],
        _ => ["Microsoft.CodeAnalysis.dll", "Microsoft.CodeAnalysis.CSharp.dll"],
    };
}
