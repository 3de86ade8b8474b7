namespace ArtifactCache.Build.Compilation;

/// <summary>What one compiler argument is to the cache.</summary>
public enum ArgumentKind
{
    /// <summary>A switch whose text is all that matters (defines, nullable, warning options...).</summary>
    Option,

    /// <summary>A source file; its path (it lands in the pdb and [CallerFilePath]) and content matter.</summary>
    Source,

    /// <summary>An input file whose content matters and whose location does not change the output (reference, analyzer).</summary>
    LocationFreeInput,

    /// <summary>An input file whose content matters (additional file, resource, key file, editorconfig...).</summary>
    Input,

    /// <summary>A file the compiler writes.</summary>
    Output,

    /// <summary>Something the cache cannot reason about (wildcards, generated-files folder, error log): compile without the cache.</summary>
    Unsupported,
}

/// <summary>One argument as the Csc task produced it (response-file syntax), with the file it names, if any.</summary>
/// <param name="Text">The argument exactly as CoreCompile passes it.</param>
/// <param name="Kind">How the key treats it.</param>
/// <param name="Switch">The switch name in lower case, without '/' or '-'; null for a source file.</param>
/// <param name="Path">The full path of the file it names, if any.</param>
/// <param name="Prefix">Text of the value before the path (a reference alias such as "alias=").</param>
/// <param name="Suffix">Text of the value after the path (a resource's ",LogicalName,private").</param>
public sealed record CompilerArgument(string Text, ArgumentKind Kind, string? Switch, string? Path, string Prefix = "", string Suffix = "");

/// <summary>
/// The compiler's complete command line, as CoreCompile's dry run gives it in <c>@(CscCommandLineArgs)</c> or
/// <c>@(VbcCommandLineArgs)</c> (csc and vbc share Roslyn's switch syntax), split into the parts the key treats
/// differently. Paths are resolved against the project folder, the compiler's working directory.
/// </summary>
public sealed class CompilerCommandLine
{
    // Switch (lower case, without the leading '/' or '-') -> what its value is.
    private static readonly Dictionary<string, ArgumentKind> FileSwitches = new(StringComparer.OrdinalIgnoreCase)
    {
        ["reference"] = ArgumentKind.LocationFreeInput,
        ["r"] = ArgumentKind.LocationFreeInput,
        ["link"] = ArgumentKind.LocationFreeInput,
        ["l"] = ArgumentKind.LocationFreeInput,
        ["analyzer"] = ArgumentKind.LocationFreeInput,
        ["a"] = ArgumentKind.LocationFreeInput,
        ["addmodule"] = ArgumentKind.LocationFreeInput,
        ["additionalfile"] = ArgumentKind.Input,
        ["analyzerconfig"] = ArgumentKind.Input,
        ["embed"] = ArgumentKind.Input,
        ["resource"] = ArgumentKind.Input,
        ["res"] = ArgumentKind.Input,
        ["linkresource"] = ArgumentKind.Input,
        ["linkres"] = ArgumentKind.Input,
        ["keyfile"] = ArgumentKind.Input,
        ["ruleset"] = ArgumentKind.Input,
        ["sourcelink"] = ArgumentKind.Input,
        ["win32res"] = ArgumentKind.Input,
        ["win32resource"] = ArgumentKind.Input,
        ["win32icon"] = ArgumentKind.Input,
        ["win32manifest"] = ArgumentKind.Input,
        ["appconfig"] = ArgumentKind.Input,
        // vbc: the Microsoft.VisualBasic runtime to compile against, a reference by another name (/vbruntime+, -, *
        // carry no file and are options).
        ["vbruntime"] = ArgumentKind.LocationFreeInput,
        ["out"] = ArgumentKind.Output,
        ["refout"] = ArgumentKind.Output,
        ["doc"] = ArgumentKind.Output,
        ["pdb"] = ArgumentKind.Output,
        // Writes a folder of generated sources or a SARIF log with absolute paths: not restorable as-is.
        ["generatedfilesout"] = ArgumentKind.Unsupported,
        ["errorlog"] = ArgumentKind.Unsupported,
        ["touchedfiles"] = ArgumentKind.Unsupported,
        ["recurse"] = ArgumentKind.Unsupported,
        // Signs with a key from the machine's key store, which the key cannot see.
        ["keycontainer"] = ArgumentKind.Unsupported,
    };

    // Switches whose value is a list of files: csc and vbc both split it at unquoted ',' and ';' (the Vbc task passes
    // every reference in one /reference switch). Each file becomes an argument of its own, which the compilers read
    // exactly as the list.
    private static readonly HashSet<string> FileListSwitches = new(StringComparer.OrdinalIgnoreCase)
    {
        "reference", "r", "link", "l", "analyzer", "a", "addmodule", "additionalfile", "analyzerconfig", "embed",
    };

    // fsc: every switch starts with '-' or '--' (a '/' starts a path), and the files it names, by their long names (the
    // names the rest of the cache knows them by). --compilertool loads design-time code (type providers) that may read
    // files nothing lists; --sig writes a file the cache does not restore.
    private static readonly Dictionary<string, ArgumentKind> FSharpFileSwitches = new(StringComparer.Ordinal)
    {
        ["out"] = ArgumentKind.Output,
        ["refout"] = ArgumentKind.Output,
        ["doc"] = ArgumentKind.Output,
        ["pdb"] = ArgumentKind.Output,
        ["reference"] = ArgumentKind.LocationFreeInput,
        ["keyfile"] = ArgumentKind.Input,
        ["resource"] = ArgumentKind.Input,
        ["linkresource"] = ArgumentKind.Input,
        ["win32res"] = ArgumentKind.Input,
        ["win32manifest"] = ArgumentKind.Input,
        ["sourcelink"] = ArgumentKind.Input,
        ["embed"] = ArgumentKind.Input,
        ["versionfile"] = ArgumentKind.Input,
        ["compilertool"] = ArgumentKind.Unsupported,
        ["sig"] = ArgumentKind.Unsupported,
        ["keycontainer"] = ArgumentKind.Unsupported,
    };

    private static readonly Dictionary<string, string> FSharpShortNames = new(StringComparer.Ordinal)
    {
        ["o"] = "out",
        ["r"] = "reference",
        ["g"] = "debug",
        ["g+"] = "debug+",
        ["g-"] = "debug-",
        ["d"] = "define",
    };

    private CompilerCommandLine(IReadOnlyList<CompilerArgument> arguments, string projectDirectory, CompilerLanguage language)
    {
        Arguments = arguments;
        ProjectDirectory = projectDirectory;
        Language = language;
    }

    public CompilerLanguage Language { get; }

    /// <summary>fsc writes no list of the files it read (csc and vbc do, with /touchedfiles).</summary>
    public bool ListsReads => Language != CompilerLanguage.FSharp;

    /// <summary>A switch with a value in this compiler's syntax.</summary>
    public string Switch(string name, string value) => (Language == CompilerLanguage.FSharp ? "--" : "/") + name + ":" + value;

    public IReadOnlyList<CompilerArgument> Arguments { get; }

    public string ProjectDirectory { get; }

    /// <summary>The raw arguments, for running the compiler with exactly what CoreCompile would have passed.</summary>
    public IEnumerable<string> RawArguments => Arguments.Select(a => a.Text);

    /// <summary>Why this compilation cannot be cached, or null when it can.</summary>
    public string? UnsupportedReason =>
        Arguments.FirstOrDefault(a => a.Kind == ArgumentKind.Unsupported) is { } unsupported
            ? unsupported.Switch == "compilertool"
                ? "the compiler argument 'compilertool' loads F# design-time code (type providers), whose file reads the cache cannot see"
                : $"the compiler argument '{unsupported.Switch ?? unsupported.Text}' writes or reads files the cache cannot restore"
            : OutputPath("out") is null ? "no /out: argument"
            // Without /deterministic+ the compiler stamps a time and a random MVID (and allows AssemblyVersion("1.0.*")):
            // a cached copy would freeze them.
            : !IsDeterministic ? "the compilation is not deterministic (Deterministic=false)"
            : null;

    /// <summary>True when the last /deterministic switch turns it on; the compiler's default is off.</summary>
    public bool IsDeterministic =>
        Arguments.LastOrDefault(a => a.Kind == ArgumentKind.Option && a.Switch is "deterministic" or "deterministic+" or "deterministic-") is { } last &&
        last.Switch != "deterministic-";

    /// <summary>The path map of every /pathmap switch, in order.</summary>
    public PathMap PathMap => _pathMap ??= PathMapOf(Arguments.Where(a => a.Kind == ArgumentKind.Option && a.Switch == "pathmap"));

    /// <summary>The path map of the given /pathmap switches alone, parsed as this compiler parses it.</summary>
    public PathMap PathMapOf(IEnumerable<CompilerArgument> pathMapSwitches)
    {
        var values = pathMapSwitches.Where(a => ValueOf(a.Text) is not null).Select(a => Unquote(ValueOf(a.Text)!));
        return Language == CompilerLanguage.FSharp ? PathMap.ParseFSharp(values) : PathMap.Parse(values);
    }

    private PathMap? _pathMap;

    /// <summary>The full path of an output by role (out, refout, doc, pdb), or null when the command line has none.</summary>
    public string? OutputPath(string role) => Arguments.LastOrDefault(a => a.Kind == ArgumentKind.Output && a.Switch == role)?.Path;

    /// <summary>True when the compiler writes a separate pdb file (portable or full), as opposed to embedded or none.</summary>
    public bool WritesPdbFile
    {
        get
        {
            var emit = false;
            var separate = true;
            foreach (var argument in Arguments.Where(a => a.Kind == ArgumentKind.Option && a.Switch is "debug" or "debug+" or "debug-"))
            {
                var value = ValueOf(argument.Text)?.ToLowerInvariant();
                switch (argument.Switch, value)
                {
                    case ("debug-", _):
                        emit = false;
                        break;
                    case ("debug+", _):
                    case ("debug", null):
                        emit = true;
                        break;
                    case ("debug", "embedded"):
                        emit = true;
                        separate = false;
                        break;
                    case ("debug", "portable" or "full" or "pdbonly"):
                        emit = true;
                        separate = true;
                        break;
                }
            }

            return emit && separate;
        }
    }

    /// <summary>The pdb path: /pdb: when given, else the assembly path with a .pdb extension, as csc does.</summary>
    public string? PdbPath => OutputPath("pdb") ?? (OutputPath("out") is { } output ? System.IO.Path.ChangeExtension(output, ".pdb") : null);

    public static CompilerCommandLine Parse(IEnumerable<string> arguments, string projectDirectory, CompilerLanguage language = CompilerLanguage.CSharp)
    {
        var parsed = new List<CompilerArgument>();
        foreach (var text in arguments)
        {
            if (language == CompilerLanguage.FSharp)
            {
                parsed.Add(ClassifyFSharp(text, projectDirectory));
                continue;
            }

            foreach (var single in SplitFileList(FixDefine(text)))
            {
                parsed.Add(Classify(single, projectDirectory));
            }
        }

        return new CompilerCommandLine(parsed, projectDirectory, language);
    }

    /// <summary>
    /// The Fsc task of SDK 10.0.401 leaves <c>--refout:</c> out of the command line it reports, though it passes it when it
    /// compiles (measured: the only difference): put it back where the task puts it, just before the source files.
    /// </summary>
    public static IReadOnlyList<string> WithFSharpReferenceAssembly(IReadOnlyList<string> arguments, string? referenceAssembly)
    {
        if (string.IsNullOrEmpty(referenceAssembly) || arguments.Any(a => a.StartsWith("--refout:", StringComparison.Ordinal) || a == "--refonly" || a == "--refonly+"))
        {
            return arguments;
        }

        var list = arguments.ToList();
        var firstSource = list.FindIndex(a => !a.StartsWith('-'));
        list.Insert(firstSource < 0 ? list.Count : firstSource, "--refout:" + referenceAssembly);
        return list;
    }

    private static CompilerArgument ClassifyFSharp(string text, string projectDirectory)
    {
        if (!text.StartsWith('-'))
        {
            // Source files in order (signature files, .fsi, before their implementation): the key keeps the order.
            return new CompilerArgument(text, ArgumentKind.Source, null, Resolve(Unquote(text), projectDirectory));
        }

        var name = text.TrimStart('-');
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        name = colon < 0 ? name : name[..colon];
        name = FSharpShortNames.TryGetValue(name, out var longName) ? longName : name.ToLowerInvariant();
        var value = ValueOf(text);
        if (value is null || !FSharpFileSwitches.TryGetValue(name, out var kind))
        {
            return new CompilerArgument(text, ArgumentKind.Option, name, null);
        }

        if (kind == ArgumentKind.Unsupported)
        {
            return new CompilerArgument(text, kind, name, null);
        }

        // fsc knows no reference aliases: only a resource's value has more than the path in it.
        var (prefix, path, suffix) = name is "resource" or "linkresource" ? SplitFileValue(name, value) : ("", Unquote(value), "");
        return new CompilerArgument(text, kind, name, Resolve(path, projectDirectory), prefix, suffix);
    }

    private static CompilerArgument Classify(string text, string projectDirectory)
    {
        if (text.StartsWith('@'))
        {
            // A response file (CompilerResponseFile) can name further files the key would not see.
            return new CompilerArgument(text, ArgumentKind.Unsupported, "@", null);
        }

        if (IsOption(text, projectDirectory))
        {
            var name = SwitchName(text);
            if (FileSwitches.TryGetValue(name, out var kind))
            {
                var value = ValueOf(text);
                var lowered = name.ToLowerInvariant();
                if (value is null)
                {
                    return new CompilerArgument(text, ArgumentKind.Option, lowered, null);
                }

                var (prefix, path, suffix) = SplitFileValue(lowered, value);
                if (kind == ArgumentKind.Unsupported || path.Contains('*') || path.Contains('?'))
                {
                    return new CompilerArgument(text, ArgumentKind.Unsupported, lowered, null);
                }

                return new CompilerArgument(text, kind, lowered, Resolve(path, projectDirectory), prefix, suffix);
            }

            return new CompilerArgument(text, ArgumentKind.Option, name.ToLowerInvariant(), null);
        }

        var source = Unquote(text);
        if (source.Contains('*') || source.Contains('?'))
        {
            return new CompilerArgument(text, ArgumentKind.Unsupported, null, null);
        }

        return new CompilerArgument(text, ArgumentKind.Source, null, Resolve(source, projectDirectory));
    }

    // On Unix an absolute source path starts with '/', like a switch; csc tells them apart by whether the file exists.
    private static bool IsOption(string text, string projectDirectory)
    {
        if (text.StartsWith('-'))
        {
            return true;
        }

        if (!text.StartsWith('/'))
        {
            return false;
        }

        if (System.IO.Path.DirectorySeparatorChar == '\\')
        {
            return true;
        }

        var name = SwitchName(text);
        return name.Length == 0 || !text[1..].Contains('/') || FileSwitches.ContainsKey(name) || !File.Exists(Resolve(Unquote(text), projectDirectory));
    }

    // MSBuild on Unix turns every backslash in a task's output item into '/', and the Vbc task writes each quote inside
    // its /define value with a backslash before it: give the compiler back the escape it was written with (a '/' right
    // before a quote is never a define's own text, whose quotes are all escaped).
    private static string FixDefine(string text) =>
        System.IO.Path.DirectorySeparatorChar == '/' && (text.StartsWith('/') || text.StartsWith('-')) && SwitchName(text).ToLowerInvariant() is "define" or "d"
            ? text.Replace("/\"", "\\\"", StringComparison.Ordinal)
            : text;

    private static IEnumerable<string> SplitFileList(string text)
    {
        if (!(text.StartsWith('/') || text.StartsWith('-')) || !FileListSwitches.Contains(SwitchName(text)) || ValueOf(text) is not { } value)
        {
            return [text];
        }

        // An aliased reference (alias=path) names one file.
        if (AliasLength(value) > 0)
        {
            return [text];
        }

        var head = text[..(text.Length - value.Length)];
        var parts = new List<string>();
        var start = 0;
        int next;
        while ((next = FirstUnquoted(value, start, ',', ';')) >= 0)
        {
            parts.Add(value[start..next]);
            start = next + 1;
        }

        parts.Add(value[start..]);
        var files = parts.Where(p => p.Length > 0).ToList();
        return files.Count <= 1 ? [text] : files.Select(f => head + f);
    }

    private static string SwitchName(string text)
    {
        var body = text[1..];
        var end = body.IndexOf(':');
        return end < 0 ? body : body[..end];
    }

    private static string? ValueOf(string text)
    {
        var colon = text.IndexOf(':');
        return colon < 0 ? null : text[(colon + 1)..];
    }

    // /reference:alias=path, /resource:path,name[,private], /analyzerconfig:path: split off what is not the path.
    private static (string Prefix, string Path, string Suffix) SplitFileValue(string switchName, string value)
    {
        var prefix = "";
        var rest = value;
        var suffix = "";
        switch (switchName)
        {
            case "reference" or "r" or "link" or "l":
                var alias = AliasLength(rest);
                prefix = rest[..alias];
                rest = rest[alias..];

                break;
            case "resource" or "res" or "linkresource" or "linkres":
                var comma = FirstUnquoted(rest, 0, ',', ',');
                if (comma >= 0)
                {
                    suffix = rest[comma..];
                    rest = rest[..comma];
                }

                break;
        }

        return (prefix, Unquote(rest), suffix);
    }

    // The length of "alias=" before a reference's path, or 0 when there is none.
    private static int AliasLength(string value)
    {
        var equals = value.IndexOf('=');
        return equals > 0 && !value[..equals].Contains('"') && !value[..equals].Contains('/') && !value[..equals].Contains('\\') ? equals + 1 : 0;
    }

    private static int FirstUnquoted(string value, int start, char separator, char otherSeparator)
    {
        var inQuotes = false;
        for (var i = start; i < value.Length; i++)
        {
            if (value[i] == '"')
            {
                inQuotes = !inQuotes;
            }
            else if ((value[i] == separator || value[i] == otherSeparator) && !inQuotes)
            {
                return i;
            }
        }

        return -1;
    }

    internal static string Unquote(string value) => value.Replace("\"", "", StringComparison.Ordinal);

    private static string Resolve(string path, string projectDirectory) =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(projectDirectory, path));
}
