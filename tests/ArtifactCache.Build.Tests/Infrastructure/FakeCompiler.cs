using System.Text;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Tests.Infrastructure;

/// <summary>
/// Stands in for csc (and fsc, in its syntax) behind <see cref="ICompiler"/>: writes the outputs its arguments name (/out, /refout, /doc, and the
/// pdb beside /out under /debug:portable) with content the test controls, the <c>/touchedfiles</c> read list the way csc
/// writes it (one upper-cased full path per line), and returns the diagnostics and exit code the test sets. Records
/// every call's arguments.
/// </summary>
public sealed class FakeCompiler : ICompiler
{
    private readonly List<IReadOnlyList<string>> _calls = [];

    /// <summary>Goes into every output this call writes: change it to make a compile differ from what was stored.</summary>
    public string Version { get; set; } = "v1";

    /// <summary>Roles (out, refout, pdb, doc) this compiler does not write, as a compile with other settings would not.</summary>
    public HashSet<string> SkipRoles { get; } = [];

    /// <summary>Whether to write the <c>.read</c> list for a /touchedfiles argument.</summary>
    public bool WriteReadList { get; set; } = true;

    /// <summary>Files read besides those the command line names (an XML doc include file), listed as csc lists them.</summary>
    public List<string> ExtraReads { get; } = [];

    public List<ToolDiagnostic> Diagnostics { get; } = [];

    public int ExitCode { get; set; }

    /// <summary>Runs after the outputs are written and before the compile returns: an editor saving a file mid-compile.</summary>
    public Action? During { get; set; }

    public IReadOnlyList<IReadOnlyList<string>> Calls => _calls;

    public CompilerResult Run(CompilerInvocation invocation, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        _calls.Add(arguments.ToList());
        // csc's /name: or fsc's --name: (and fsc's -o: for --out:).
        string? Value(string name) => arguments.LastOrDefault(a => a.StartsWith("/" + name + ":", StringComparison.OrdinalIgnoreCase) || a.StartsWith("--" + name + ":", StringComparison.Ordinal) || (name == "out" && a.StartsWith("-o:", StringComparison.Ordinal))) is { } argument
            ? Path.GetFullPath(Unquote(argument[(argument.IndexOf(':', StringComparison.Ordinal) + 1)..]), invocation.WorkingDirectory)
            : null;

        var outputs = new Dictionary<string, string?>
        {
            ["out"] = Value("out"),
            ["refout"] = Value("refout"),
            ["doc"] = Value("doc"),
            ["pdb"] = (arguments.Contains("/debug:portable") || arguments.Contains("--debug:portable")) && Value("out") is { } assembly ? Value("pdb") ?? Path.ChangeExtension(assembly, ".pdb") : null,
        };
        foreach (var (role, path) in outputs)
        {
            if (path is not null && !SkipRoles.Contains(role))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, $"{role} {Version}");
            }
        }

        if (Value("touchedfiles") is { } prefix && WriteReadList)
        {
            var inputs = CompilerCommandLine.Parse(arguments.Where(a => !a.StartsWith("/touchedfiles:", StringComparison.Ordinal)), invocation.WorkingDirectory).Arguments
                .Where(a => a.Path is not null && a.Kind != ArgumentKind.Output)
                .Select(a => a.Path!);
            File.WriteAllLines(prefix + ".read", inputs.Concat(ExtraReads).Select(p => p.ToUpperInvariant()), Encoding.UTF8);
        }

        During?.Invoke();
        return new CompilerResult(ExitCode, Diagnostics.ToList(), [], TimeSpan.FromMilliseconds(120));
    }

    private static string Unquote(string value) => value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
}
