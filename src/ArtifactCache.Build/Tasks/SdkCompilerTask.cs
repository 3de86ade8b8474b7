using System.Diagnostics;
using System.Reflection;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Paths;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// Compiles a miss through the compiler server from this process, as CoreCompile does: the SDK's own Csc (Vbc) task,
/// which MSBuild has already loaded here for CoreCompile's dry run, gets the very arguments of that dry run in a response
/// file and sends them down the server's pipe itself. Starting <c>csc /shared</c> as a separate client process costs
/// 60-90 ms of processor time per compile instead, measured as the largest part of the miss overhead with the server on.
/// Every other case (the server off, F#, a compiler of the user's choosing, compiler environment variables, a current
/// directory that is not the project's, a task this package cannot drive) goes through <see cref="ProcessCompiler"/>.
/// </summary>
public sealed class SdkCompilerTask : ICompiler
{
    /// <summary>The Roslyn tasks assembly, one folder above the compiler it runs ("Roslyn/bincore/csc.dll").</summary>
    internal const string TasksAssemblyName = "Microsoft.Build.Tasks.CodeAnalysis.dll";

    private readonly IBuildEngine _engine;
    private readonly ICacheLog _log;
    private readonly ICompiler _fallback;
    private readonly Func<string, Assembly?> _loadedAssembly;

    public SdkCompilerTask(IBuildEngine engine, ICacheLog log)
        : this(engine, log, ProcessCompiler.Instance, LoadedAssembly)
    {
    }

    internal SdkCompilerTask(IBuildEngine engine, ICacheLog log, ICompiler fallback, Func<string, Assembly?> loadedAssembly)
    {
        _engine = engine;
        _log = log;
        _fallback = fallback;
        _loadedAssembly = loadedAssembly;
    }

    public CompilerResult Run(CompilerInvocation invocation, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var reason = Ineligible(invocation, Directory.GetCurrentDirectory());
        var taskType = reason is null ? FindTaskType(invocation, out reason) : null;
        if (taskType is not null && RunTask(taskType, invocation, arguments, cancellationToken, out reason) is { } compiled)
        {
            _log.Detail($"ArtifactCache: compiled through the compiler server by the SDK's {taskType.Name} task in this process.");
            return compiled;
        }

        _log.Detail($"ArtifactCache: compiling with a separate compiler process ({reason}).");
        return _fallback.Run(invocation, arguments, cancellationToken);
    }

    /// <summary>Why this compile cannot go through the SDK's task in this process, or null when it can.</summary>
    internal static string? Ineligible(CompilerInvocation invocation, string currentDirectory)
    {
        if (invocation.Language == CompilerLanguage.FSharp)
        {
            return "F# has no compiler server";
        }

        if (!invocation.UseSharedCompilation)
        {
            return "the compiler server is off";
        }

        if (invocation.Environment.Count > 0)
        {
            return "the compiler has environment variables of its own";
        }

        if (TasksAssemblyPath(invocation) is null)
        {
            return "the compiler is not the one beside the SDK's compiler task";
        }

        // The task sends its current directory as the compilation's; relative paths in the arguments resolve against it.
        return SamePath(currentDirectory, invocation.WorkingDirectory) ? null : "the current directory is not the project's";
    }

    /// <summary>Where the Csc (Vbc) task that runs this compiler lives: "Roslyn/bincore/csc.dll" has it in "Roslyn"; null for any other compiler.</summary>
    internal static string? TasksAssemblyPath(CompilerInvocation invocation)
    {
        var compiler = Path.GetFullPath(invocation.CompilerPath);
        var expected = invocation.Language == CompilerLanguage.VisualBasic ? "vbc.dll" : "csc.dll";
        var bincore = Path.GetDirectoryName(compiler);
        if (!PathPolicy.Current.Equals(Path.GetFileName(compiler), expected) || bincore is null
            || !PathPolicy.Current.Equals(Path.GetFileName(bincore), "bincore")
            || Path.GetDirectoryName(bincore) is not { } roslyn)
        {
            return null;
        }

        return Path.Combine(roslyn, TasksAssemblyName);
    }

    private Type? FindTaskType(CompilerInvocation invocation, out string? reason)
    {
        var assembly = _loadedAssembly(TasksAssemblyPath(invocation)!);
        if (assembly is null)
        {
            reason = "the SDK's compiler task is not loaded in this process";
            return null;
        }

        var name = invocation.Language == CompilerLanguage.VisualBasic ? "Microsoft.CodeAnalysis.BuildTasks.Vbc" : "Microsoft.CodeAnalysis.BuildTasks.Csc";
        var type = assembly.GetType(name, throwOnError: false);
        reason = type is not null && Drivable(type) ? null : $"{name} is not a task this package can drive";
        return reason is null ? type : null;
    }

    // Only the task's public surface is used, and all of it is checked before anything runs.
    private static bool Drivable(Type type) =>
        typeof(ITask).IsAssignableFrom(type) && typeof(ICancelableTask).IsAssignableFrom(type) && type.GetConstructor(Type.EmptyTypes) is not null
        && Settable(type, "ResponseFiles", typeof(ITaskItem[])) && Settable(type, "NoConfig", typeof(bool)) && Settable(type, "UseSharedCompilation", typeof(bool));

    private static bool Settable(Type type, string name, Type valueType) =>
        type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is { CanWrite: true } property && property.PropertyType == valueType;

    /// <summary>Runs the task; null (with the reason) when it could not be run at all, so that the caller compiles with a process instead.</summary>
    internal CompilerResult? RunTask(Type taskType, CompilerInvocation invocation, IReadOnlyList<string> arguments, CancellationToken cancellationToken, out string? reason)
    {
        var (responseFile, noConfig) = CompilerRunner.WriteResponseFile(arguments, fsharp: false);
        try
        {
            var engine = new CompilerTaskEngine(_engine, taskType.Name.ToUpperInvariant());
            var task = (ITask)Activator.CreateInstance(taskType)!;
            task.BuildEngine = engine;
            taskType.GetProperty("ResponseFiles")!.SetValue(task, new ITaskItem[] { new TaskItem(responseFile) });
            taskType.GetProperty("NoConfig")!.SetValue(task, noConfig);
            taskType.GetProperty("UseSharedCompilation")!.SetValue(task, true);
            // As the process route passes /nologo: a compiler the task falls back to running itself prints no banner.
            if (Settable(taskType, "NoLogo", typeof(bool)))
            {
                taskType.GetProperty("NoLogo")!.SetValue(task, true);
            }

            var stopwatch = Stopwatch.StartNew();
            bool succeeded;
            using (cancellationToken.Register(((ICancelableTask)task).Cancel))
            {
                succeeded = task.Execute();
            }

            cancellationToken.ThrowIfCancellationRequested();
            var exitCode = taskType.GetProperty("ExitCode")?.GetValue(task) is int code ? code : 0;
            // A failure the compiler did not report with an exit code (the task's own error) is a failed compile all the same.
            if (exitCode == 0 && (!succeeded || engine.ForwardedErrors > 0))
            {
                exitCode = 1;
            }

            reason = null;
            return new CompilerResult(exitCode, engine.Diagnostics, [], stopwatch.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The task could not be driven (another SDK's task, another MSBuild): the process route compiles it again, from the start.
            reason = $"the SDK's compiler task failed to run: {(e is TargetInvocationException { InnerException: { } inner } ? inner : e).GetType().Name}";
            return null;
        }
        finally
        {
            CompilerRunner.TryDelete(responseFile);
        }
    }

    // The copy MSBuild loaded for CoreCompile, found by its file: loading another copy here would bind to other dependencies.
    private static Assembly? LoadedAssembly(string path) =>
        AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => !a.IsDynamic && SamePath(a.Location, path));

    private static bool SamePath(string a, string b) =>
        a.Length > 0 && b.Length > 0 && PathPolicy.Current.Equals(
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)),
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)));
}

/// <summary>
/// The build engine the SDK's compiler task logs to. The compiler's own diagnostics are kept, not logged: CacheCompile logs
/// them as it does for a compiler process, and stores them for hits to replay. The task's own messages, and its own
/// warnings and errors (an MSB code, or none, such as a failed server connection), go straight to the build's log: they
/// are about this run, not about the code, so they are never replayed.
/// </summary>
internal sealed class CompilerTaskEngine(IBuildEngine inner, string toolName) : IBuildEngine
{
    private readonly List<ToolDiagnostic> _diagnostics = [];

    public IReadOnlyList<ToolDiagnostic> Diagnostics
    {
        get
        {
            lock (_diagnostics)
            {
                return [.. _diagnostics];
            }
        }
    }

    private int _forwardedErrors;

    public int ForwardedErrors => Volatile.Read(ref _forwardedErrors);

    public bool ContinueOnError => inner.ContinueOnError;

    public int LineNumberOfTaskNode => inner.LineNumberOfTaskNode;

    public int ColumnNumberOfTaskNode => inner.ColumnNumberOfTaskNode;

    public string ProjectFileOfTaskNode => inner.ProjectFileOfTaskNode;

    public bool BuildProjectFile(string projectFileName, string[] targetNames, System.Collections.IDictionary globalProperties, System.Collections.IDictionary targetOutputs) =>
        inner.BuildProjectFile(projectFileName, targetNames, globalProperties, targetOutputs);

    public void LogCustomEvent(CustomBuildEventArgs e) => inner.LogCustomEvent(e);

    public void LogErrorEvent(BuildErrorEventArgs e)
    {
        if (IsCompilerDiagnostic(e.Code))
        {
            Keep(new ToolDiagnostic("error", e.Code, e.Message ?? "", FileOf(e.File, e.LineNumber), e.LineNumber, e.ColumnNumber, e.EndLineNumber, e.EndColumnNumber));
            return;
        }

        Interlocked.Increment(ref _forwardedErrors);
        inner.LogErrorEvent(e);
    }

    public void LogWarningEvent(BuildWarningEventArgs e)
    {
        if (IsCompilerDiagnostic(e.Code))
        {
            Keep(new ToolDiagnostic("warning", e.Code, e.Message ?? "", FileOf(e.File, e.LineNumber), e.LineNumber, e.ColumnNumber, e.EndLineNumber, e.EndColumnNumber));
            return;
        }

        inner.LogWarningEvent(e);
    }

    public void LogMessageEvent(BuildMessageEventArgs e)
    {
        // MSBuild reads only errors and warnings out of a tool's output; an "info" diagnostic arrives as a plain line.
        if (e is not TaskCommandLineEventArgs && e.Message is { } text && CompilerOutputParser.Parse(text) is { Severity: "info" } info)
        {
            Keep(info);
            return;
        }

        inner.LogMessageEvent(e);
    }

    // The compiler gives every diagnostic a code; the task's own have an MSB code or none.
    private static bool IsCompilerDiagnostic(string? code) =>
        !string.IsNullOrEmpty(code) && !code.StartsWith("MSB", StringComparison.OrdinalIgnoreCase);

    // MSBuild puts the task's name in capitals where a diagnostic without a file has none ("CSC : warning CS8032").
    private string? FileOf(string? file, int line) =>
        string.IsNullOrEmpty(file) || (line == 0 && string.Equals(file, toolName, StringComparison.OrdinalIgnoreCase)) ? null : file;

    private void Keep(ToolDiagnostic diagnostic)
    {
        lock (_diagnostics)
        {
            _diagnostics.Add(diagnostic);
        }
    }
}
