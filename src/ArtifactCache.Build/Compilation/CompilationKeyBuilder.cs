using System.Collections.Concurrent;
using System.Text;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Builds the key of one C# compilation from its complete command line: every switch's text, and the content of every
/// file the command line names, hashed in parallel. Machine-specific parts are normalised only where the outputs do not
/// depend on them: the repository root (mapped by PathMap, so the outputs carry /_/ instead), and the location of
/// references and analyzers (the compiler records only their file names and identities).
/// </summary>
public sealed class CompilationKeyBuilder
{
    public const string KeyFormat = "artifactcache-csc-v1";

    /// <summary>The hash given to a named file that does not exist; such a key must never be used.</summary>
    public const string MissingFile = "missing";

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly FileHasher _hasher;

    public CompilationKeyBuilder(FileHasher hasher)
    {
        _hasher = hasher;
    }

    public CompilationKey Build(CompilerCommandLine commandLine, KeyContext context)
    {
        var root = context.RepositoryRoot is null ? null : WithTrailingSeparator(Path.GetFullPath(context.RepositoryRoot));
        var assemblyInfo = context.GeneratedAssemblyInfoFile is null
            ? null
            : Path.GetFullPath(Path.Combine(commandLine.ProjectDirectory, context.GeneratedAssemblyInfoFile));

        var files = commandLine.Arguments
            .Where(a => a.Path is not null && a.Kind is not ArgumentKind.Output)
            .Select(a => a.Path!)
            .Concat(context.CompilerFiles)
            .Distinct(PathComparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase)
            .ToList();

        var contentHashes = new ConcurrentDictionary<string, string>(
            PathComparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, path =>
        {
            contentHashes[path] = HashContent(path, root, context, assemblyInfo, commandLine);
        });

        var inputs = new List<KeyInput>
        {
            new("format", KeyFormat),
            // Path separators inside mapped paths differ between Windows and Unix outputs.
            new("platform", OperatingSystem.IsWindows() ? "windows" : "unix"),
            new("relocation", root is null ? "absolute paths" : "repository root mapped to " + KeyContext.MappedRoot),
            new("compiler", FileHasher.HashText(string.Join("\n", context.CompilerFiles.Select(f => Path.GetFileName(f) + "=" + contentHashes[f])))),
            new("compiler environment", FileHasher.HashText(context.CompilerEnvironment)),
        };
        inputs.AddRange(context.Extra);

        foreach (var argument in commandLine.Arguments)
        {
            switch (argument.Kind)
            {
                case ArgumentKind.Option:
                    inputs.Add(new KeyInput(NormaliseText(argument.Text, root, null), ""));
                    break;
                case ArgumentKind.Source:
                    inputs.Add(new KeyInput(NormalisePath(argument.Path!, root, locationFree: false), contentHashes[argument.Path!]));
                    break;
                case ArgumentKind.Output:
                    inputs.Add(new KeyInput($"/{argument.Switch}:{NormalisePath(argument.Path!, root, locationFree: false)}", ""));
                    break;
                case ArgumentKind.LocationFreeInput:
                case ArgumentKind.Input:
                    var path = NormalisePath(argument.Path!, root, argument.Kind == ArgumentKind.LocationFreeInput || IsGlobalConfig(argument));
                    var name = argument.Switch == "@"
                        ? "@" + path
                        : $"/{argument.Switch}:{NormaliseText(argument.Prefix, root, null)}{path}{NormaliseText(argument.Suffix, root, null)}";
                    inputs.Add(new KeyInput(name, contentHashes[argument.Path!]));
                    break;
                default:
                    inputs.Add(new KeyInput(argument.Text, "unsupported"));
                    break;
            }
        }

        return CompilationKey.FromInputs(inputs);
    }

    // A .globalconfig (and the SDK's generated, global editorconfig) applies wherever it lives; an .editorconfig
    // applies to the folder it is in, so its folder is part of what it means.
    private static bool IsGlobalConfig(CompilerArgument argument) =>
        argument.Switch == "analyzerconfig" && !string.Equals(Path.GetFileName(argument.Path), ".editorconfig", StringComparison.OrdinalIgnoreCase);

    private string HashContent(string path, string? root, KeyContext context, string? assemblyInfo, CompilerCommandLine commandLine)
    {
        // A reference built in this repository carries the commit it was built at; its dependents must not care.
        if (context.SourceRevisionId is not null && root is not null && IsUnder(path, root) && IsReference(path, commandLine))
        {
            return File.Exists(path) ? _hasher.Hash(path, StampNeutralHash.Hash) ?? MissingFile : MissingFile;
        }

        if (NeedsTextNormalisation(path, assemblyInfo, commandLine, root))
        {
            if (!File.Exists(path))
            {
                return MissingFile;
            }

            var text = File.ReadAllText(path);
            return FileHasher.HashText(NormaliseText(text, root, context.SourceRevisionId));
        }

        return _hasher.Hash(path) ?? MissingFile;
    }

    // Files the SDK generates with machine paths or the commit id in them: the analyzer configs (project folder),
    // the Source Link map (repository folder and commit) and the AssemblyInfo (commit in the informational version).
    private static bool NeedsTextNormalisation(string path, string? assemblyInfo, CompilerCommandLine commandLine, string? root)
    {
        if (assemblyInfo is not null && string.Equals(path, assemblyInfo, PathComparison))
        {
            return true;
        }

        return commandLine.Arguments.Any(a =>
            a.Path is not null && string.Equals(a.Path, path, PathComparison) &&
            (a.Switch == "sourcelink" || (root is not null && a.Switch == "analyzerconfig" && IsUnder(path, root))));
    }

    private static bool IsReference(string path, CompilerCommandLine commandLine) =>
        commandLine.Arguments.Any(a => a.Switch is "reference" or "r" && a.Path is not null && string.Equals(a.Path, path, PathComparison));

    private static string NormalisePath(string fullPath, string? root, bool locationFree)
    {
        if (root is not null && IsUnder(fullPath, root))
        {
            return "{root}/" + fullPath[root.Length..].Replace('\\', '/');
        }

        return locationFree ? "{any}/" + Path.GetFileName(fullPath) : fullPath;
    }

    private static bool IsUnder(string fullPath, string rootWithSeparator) => fullPath.StartsWith(rootWithSeparator, PathComparison);

    /// <summary>Replaces the repository root (in the spellings tools write it) and the commit id with placeholders.</summary>
    internal static string NormaliseText(string text, string? root, string? revision)
    {
        if (root is not null)
        {
            var bare = root.TrimEnd('/', '\\');
            var builder = new StringBuilder(text);
            foreach (var spelling in new[] { bare.Replace("\\", "\\\\", StringComparison.Ordinal), bare, bare.Replace('\\', '/') }.Distinct())
            {
                builder.Replace(spelling, "{root}");
            }

            text = builder.ToString();
        }

        if (!string.IsNullOrEmpty(revision) && revision.Length >= 7)
        {
            text = text.Replace(revision, "{revision}", StringComparison.OrdinalIgnoreCase);
        }

        return text;
    }

    private static string WithTrailingSeparator(string path) =>
        path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar) ? path : path + Path.DirectorySeparatorChar;
}
