using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.DeclaredTargets;

/// <summary>
/// The key of a declared target: the key format, the target's name, the content of every input file (named by its path
/// relative to the repository root), each listed property's value, and each tool file's content (named by its file
/// name, so a tool in another NuGet folder is the same tool). Nothing else: not the project's other properties or
/// items, not the machine, not the outputs' paths. That is the contract the README states: a target is only as sound as
/// its declaration.
/// </summary>
public static class TargetKey
{
    /// <summary>
    /// Changes whenever a fix shows that entries an earlier package stored may be wrong (a check after the step that let
    /// an edit through, inputs the key did not see): those entries must never be looked up again.
    /// </summary>
    public const string KeyFormat = "artifactcache-target-v2";

    /// <summary>The key; an input or tool that disappeared since the declaration was checked is hashed as <see cref="CompilationKeyBuilder.MissingFile"/>.</summary>
    public static CompilationKey Build(TargetDeclaration declaration, FileHasher hasher)
    {
        var inputs = new List<KeyInput>
        {
            new("format", KeyFormat),
            new("target", declaration.Name),
        };

        // Sorted by name, so reordering an item list is not a change (a target that depends on input order must say so
        // through a property).
        inputs.AddRange(declaration.Inputs
            .Select(path => new KeyInput("input: " + InputName(path, declaration.RepositoryRoot), hasher.Hash(path) ?? CompilationKeyBuilder.MissingFile))
            .DistinctBy(i => i.Name, StringComparer.Ordinal)
            .OrderBy(i => i.Name, StringComparer.Ordinal));
        inputs.AddRange(declaration.Properties.Select(p => new KeyInput("property: " + p.Key, FileHasher.HashText(p.Value))));
        inputs.AddRange(declaration.Tools
            .Select(path => new KeyInput("tool: " + Path.GetFileName(path), hasher.Hash(path) ?? CompilationKeyBuilder.MissingFile))
            .GroupBy(t => t.Name, StringComparer.Ordinal)
            // Two tools with one file name are both keyed: their hashes together, in a stable order.
            .Select(g => g.Count() == 1 ? g.First() : new KeyInput(g.Key, FileHasher.HashText(string.Join(",", g.Select(t => t.Hash).Order(StringComparer.Ordinal)))))
            .OrderBy(t => t.Name, StringComparer.Ordinal));
        return CompilationKey.FromInputs(inputs);
    }

    /// <summary>Forward-slash path under the repository root; an input outside it keeps its absolute path (it then only hits on machines with the same path).</summary>
    internal static string InputName(string path, string? root) =>
        root is not null && PathPolicy.Current.IsUnder(path, root) ? path[root.Length..].Replace('\\', '/') : path.Replace('\\', '/');
}
