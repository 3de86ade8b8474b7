using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.DeclaredTargets;

/// <summary>
/// One <c>&lt;ArtifactCacheTarget&gt;</c> item, checked: the target's name, the files it reads, the outputs it writes,
/// the property values and tool files it depends on. Its key (see <see cref="TargetKey"/>) is made of exactly these, so
/// a declared target is only as sound as this declaration.
/// </summary>
public sealed record TargetDeclaration
{
    public required string Name { get; init; }

    /// <summary>The input files, full paths, in declaration order.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>The output patterns, full paths with <c>*</c>, <c>?</c> and <c>**</c> wildcards.</summary>
    public required IReadOnlyList<OutputPattern> Outputs { get; init; }

    /// <summary>Property names and the values the declaration gave them, in declaration order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Properties { get; init; }

    /// <summary>The tool files (a generator's dll, a template), full paths.</summary>
    public required IReadOnlyList<string> Tools { get; init; }

    /// <summary>The project folder, with a trailing separator.</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>The repository root, with a trailing separator; null when it is not known.</summary>
    public string? RepositoryRoot { get; init; }
}

/// <summary>A declaration that could be used, or why it was refused (the target then runs uncached).</summary>
public sealed record DeclarationCheck(TargetDeclaration? Declaration, string? Refusal)
{
    public static DeclarationCheck Refused(string why) => new(null, why);
}

/// <summary>Turns the metadata of an <c>ArtifactCacheTarget</c> item into a <see cref="TargetDeclaration"/>, or refuses it.</summary>
public static class TargetDeclarations
{
    /// <summary>
    /// Checks one declaration. Refused: no outputs; an output outside both the project and the repository (restoring it
    /// would write where the build does not own); an input or tool that is not an existing file (its content could not be
    /// keyed); a wildcard in the inputs (MSBuild expands an item's wildcards, a raw one here would be keyed as text); a
    /// property without a value (a task cannot read a property by name, so the declaration must give
    /// <c>Name=$(Name)</c>).
    /// </summary>
    public static DeclarationCheck Check(
        string name,
        string? inputs,
        string? outputs,
        string? properties,
        string? tools,
        string projectDirectory,
        string? repositoryRoot)
    {
        var project = WithSeparator(Path.GetFullPath(projectDirectory));
        var root = string.IsNullOrWhiteSpace(repositoryRoot) ? null : WithSeparator(Path.GetFullPath(repositoryRoot));
        if (string.IsNullOrWhiteSpace(name))
        {
            return DeclarationCheck.Refused("it has no target name");
        }

        var outputList = new List<OutputPattern>();
        foreach (var pattern in Split(outputs))
        {
            OutputPattern output;
            try
            {
                output = OutputPattern.Parse(pattern, project);
            }
            catch (ArgumentException e)
            {
                return DeclarationCheck.Refused(e.Message);
            }

            if (!PathPolicy.Current.IsUnder(output.BaseDirectory, project) && (root is null || !PathPolicy.Current.IsUnder(output.BaseDirectory, root)))
            {
                return DeclarationCheck.Refused($"its output '{pattern}' is outside the project and the repository");
            }

            outputList.Add(output);
        }

        if (outputList.Count == 0)
        {
            return DeclarationCheck.Refused("it declares no Outputs");
        }

        var (inputList, inputRefusal) = Files(inputs, project, "input");
        if (inputList is null)
        {
            return DeclarationCheck.Refused(inputRefusal!);
        }

        var (toolList, toolRefusal) = Files(tools, project, "tool");
        if (toolList is null)
        {
            return DeclarationCheck.Refused(toolRefusal!);
        }

        var propertyList = new List<KeyValuePair<string, string>>();
        foreach (var entry in Split(properties))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return DeclarationCheck.Refused($"its property '{entry}' has no value: write it as {entry}=$({entry}) (a task cannot read a property by name)");
            }

            propertyList.Add(new(entry[..equals].Trim(), entry[(equals + 1)..]));
        }

        return new DeclarationCheck(
            new TargetDeclaration
            {
                Name = name.Trim(),
                Inputs = inputList,
                Outputs = outputList,
                Properties = propertyList,
                Tools = toolList,
                ProjectDirectory = project,
                RepositoryRoot = root,
            },
            null);
    }

    private static (List<string>? Files, string? Refusal) Files(string? list, string project, string kind)
    {
        var files = new List<string>();
        foreach (var entry in Split(list))
        {
            if (entry.AsSpan().IndexOfAny('*', '?') >= 0)
            {
                return (null, $"its {kind} '{entry}' has a wildcard: name the files (an item's wildcards are expanded by MSBuild)");
            }

            var path = Path.GetFullPath(Path.Combine(project, entry));
            if (!File.Exists(path))
            {
                return (null, $"its {kind} '{entry}' is not an existing file");
            }

            files.Add(path);
        }

        return (files, null);
    }

    // MSBuild hands item lists over as one string joined by ';'.
    private static IEnumerable<string> Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static string WithSeparator(string path) =>
        Path.EndsInDirectorySeparator(path) ? path : path + Path.DirectorySeparatorChar;
}
