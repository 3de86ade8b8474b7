using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Tasks;
using ArtifactCache.Build.Tests.Infrastructure;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tests.Tasks
{
    /// <summary>
    /// The route that compiles a miss through the SDK's own Csc (Vbc) task in the build's process, against a stand-in task
    /// that has the real one's public surface (its name and namespace included, so that it is found as the real one is).
    /// </summary>
    public sealed class SdkCompilerTaskTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "acb-sdktask-" + Guid.NewGuid().ToString("N"));
        private readonly RecordingBuildEngine _engine = new();
        private readonly RecordingLog _log = new();
        private readonly FakeCompiler _fallback = new();

        public SdkCompilerTaskTests() => Directory.CreateDirectory(_folder);

        public void Dispose() => Directory.Delete(_folder, recursive: true);

        [Fact]
        public void The_task_gets_the_arguments_in_a_response_file_with_noconfig_on_its_command_line_and_the_server_on()
        {
            var echo = Path.Combine(_folder, "echo.txt");

            var result = Route(typeof(Microsoft.CodeAnalysis.BuildTasks.Csc)).Run(Invocation(), ["/noconfig", "/echo:" + echo, "Program.cs"], CancellationToken.None);

            Assert.Equal(0, result.ExitCode);
            Assert.Empty(_fallback.Calls);
            var seen = File.ReadAllLines(echo);
            Assert.Equal(["/echo:" + echo, "Program.cs"], seen.Take(2));
            Assert.Contains("NoConfig=True", seen);
            Assert.Contains("UseSharedCompilation=True", seen);
            Assert.Contains("NoLogo=True", seen);
            // The response file is the route's own: it is gone once the compile returns.
            var responseFile = seen.Single(l => l.StartsWith("ResponseFile=", StringComparison.Ordinal))["ResponseFile=".Length..];
            Assert.False(File.Exists(responseFile));
            Assert.Contains(_log.Entries, e => e.Level == "detail" && e.Message.Contains("by the SDK's Csc task in this process", StringComparison.Ordinal));
        }

        [Fact]
        public void The_compilers_diagnostics_are_kept_for_the_cache_and_the_tasks_own_go_straight_to_the_log()
        {
            var result = Route(typeof(Microsoft.CodeAnalysis.BuildTasks.Csc)).Run(Invocation(), ["/diagnostics", "Program.cs"], CancellationToken.None);

            Assert.Equal(
                [
                    new("warning", "CS0168", "The variable 'x' is declared but never used", "/src/Program.cs", 3, 13, 0, 0),
                    // "CSC : warning CS8032": MSBuild's name for a diagnostic without a file is no file.
                    new("warning", "CS8032", "An instance of analyzer A cannot be created", null, 0, 0, 0, 0),
                    new("info", "IDE0005", "Using directive is unnecessary.", "/src/Program.cs", 1, 1, 0, 0),
                ],
                result.Diagnostics);
            Assert.True(result.Succeeded);
            // Neither stored nor replayed: the task's own warning (an MSB code), a code-less one (a failed server
            // connection) and its messages, the command line among them.
            Assert.Equal(["MSB3277", null], _engine.Warnings.Select(w => w.Code));
            Assert.Contains(_engine.Messages, m => m is TaskCommandLineEventArgs);
            Assert.Contains(_engine.Messages, m => m.Message == "CompilerServer: server - server processed compilation");
            Assert.DoesNotContain(_engine.Messages, m => m.Message!.Contains("IDE0005", StringComparison.Ordinal));
            Assert.Empty(_engine.Errors);
        }

        [Fact]
        public void A_compile_error_fails_with_the_compilers_exit_code_and_a_tasks_own_error_fails_it_too()
        {
            var failed = Route(typeof(Microsoft.CodeAnalysis.BuildTasks.Csc)).Run(Invocation(), ["/error:CS1002", "Program.cs"], CancellationToken.None);

            Assert.Equal(1, failed.ExitCode);
            Assert.False(failed.Succeeded);
            Assert.Equal("CS1002", Assert.Single(failed.Diagnostics).Code);
            Assert.Empty(_engine.Errors);

            // The task itself failed and said so with an MSB code, while the exit code stayed 0.
            var own = Route(typeof(Microsoft.CodeAnalysis.BuildTasks.Csc)).Run(Invocation(), ["/error:MSB3883", "Program.cs"], CancellationToken.None);

            Assert.False(own.Succeeded);
            Assert.Empty(own.Diagnostics);
            Assert.Equal("MSB3883", Assert.Single(_engine.Errors).Code);
        }

        [Fact]
        public void A_task_that_throws_is_compiled_again_by_the_process_route()
        {
            var result = Route(typeof(Microsoft.CodeAnalysis.BuildTasks.Csc)).Run(Invocation(), ["/throw", "Program.cs"], CancellationToken.None);

            Assert.Equal(0, result.ExitCode);
            Assert.Equal(["/throw", "Program.cs"], Assert.Single(_fallback.Calls));
            Assert.Contains(_log.Entries, e => e.Level == "detail" && e.Message.Contains("separate compiler process (the SDK's compiler task failed to run: InvalidOperationException)", StringComparison.Ordinal));
        }

        [Fact]
        public void Without_the_tasks_assembly_loaded_or_a_task_it_can_drive_the_process_route_compiles()
        {
            new SdkCompilerTask(_engine, _log, _fallback, _ => null).Run(Invocation(), ["Program.cs"], CancellationToken.None);
            Route(typeof(Microsoft.CodeAnalysis.BuildTasks.Vbc)).Run(Invocation() with { Language = CompilerLanguage.VisualBasic, CompilerPath = Path.Combine(_folder, "Roslyn", "bincore", "vbc.dll") }, ["Program.vb"], CancellationToken.None);

            Assert.Equal(2, _fallback.Calls.Count);
            Assert.Contains(_log.Entries, e => e.Message.Contains("(the SDK's compiler task is not loaded in this process)", StringComparison.Ordinal));
            // The stand-in Vbc lacks the public switches the route sets: it is left alone, not half driven.
            Assert.Contains(_log.Entries, e => e.Message.Contains("Microsoft.CodeAnalysis.BuildTasks.Vbc is not a task this package can drive", StringComparison.Ordinal));
        }

        [Fact]
        public void Only_a_shared_csc_or_vbc_beside_the_sdks_task_in_the_projects_folder_takes_the_route()
        {
            var current = Directory.GetCurrentDirectory();
            var invocation = Invocation();

            Assert.Null(SdkCompilerTask.Ineligible(invocation, current));
            Assert.Null(SdkCompilerTask.Ineligible(invocation with { Language = CompilerLanguage.VisualBasic, CompilerPath = Path.Combine(_folder, "Roslyn", "bincore", "vbc.dll") }, current));
            Assert.Equal("F# has no compiler server", SdkCompilerTask.Ineligible(invocation with { Language = CompilerLanguage.FSharp }, current));
            Assert.Equal("the compiler server is off", SdkCompilerTask.Ineligible(invocation with { UseSharedCompilation = false }, current));
            Assert.Equal("the compiler has environment variables of its own", SdkCompilerTask.Ineligible(invocation with { Environment = ["LIB=/x"] }, current));
            // A compiler of the user's choosing (CscToolPath, a compiler package) runs as a process, as CoreCompile runs it.
            Assert.Equal("the compiler is not the one beside the SDK's compiler task", SdkCompilerTask.Ineligible(invocation with { CompilerPath = Path.Combine(_folder, "tools", "csc.dll") }, current));
            Assert.Equal("the compiler is not the one beside the SDK's compiler task", SdkCompilerTask.Ineligible(invocation with { CompilerPath = Path.Combine(_folder, "Roslyn", "bincore", "vbc.dll") }, current));
            Assert.Equal("the current directory is not the project's", SdkCompilerTask.Ineligible(invocation, _folder));
            Assert.Equal(Path.Combine(_folder, "Roslyn", "Microsoft.Build.Tasks.CodeAnalysis.dll"), SdkCompilerTask.TasksAssemblyPath(invocation));
        }

        private SdkCompilerTask Route(Type task) =>
            new(_engine, _log, _fallback, path => path == Path.Combine(_folder, "Roslyn", SdkCompilerTask.TasksAssemblyName) ? task.Assembly : null);

        // The project's folder is the current one, as MSBuild makes it for a project's tasks.
        private CompilerInvocation Invocation() => new()
        {
            CompilerPath = Path.Combine(_folder, "Roslyn", "bincore", "csc.dll"),
            Language = CompilerLanguage.CSharp,
            UseSharedCompilation = true,
            WorkingDirectory = Directory.GetCurrentDirectory(),
        };
    }

    /// <summary>Keeps what a task logs through it.</summary>
    public sealed class RecordingBuildEngine : IBuildEngine
    {
        public List<BuildErrorEventArgs> Errors { get; } = [];

        public List<BuildWarningEventArgs> Warnings { get; } = [];

        public List<BuildMessageEventArgs> Messages { get; } = [];

        public bool ContinueOnError => false;

        public int LineNumberOfTaskNode => 0;

        public int ColumnNumberOfTaskNode => 0;

        public string ProjectFileOfTaskNode => "test.proj";

        public bool BuildProjectFile(string projectFileName, string[] targetNames, System.Collections.IDictionary globalProperties, System.Collections.IDictionary targetOutputs) => false;

        public void LogCustomEvent(CustomBuildEventArgs e)
        {
        }

        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);

        public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e);

        public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Add(e);
    }
}

namespace Microsoft.CodeAnalysis.BuildTasks
{
    /// <summary>
    /// Stands in for the SDK's Csc task: the public properties the route sets, and a compiler whose "arguments" (read from
    /// the response file) say what to do: /echo:FILE writes what the task was given, /diagnostics logs what csc and the
    /// task would, /error:CODE fails with that code, /throw throws.
    /// </summary>
    public sealed class Csc : Microsoft.Build.Utilities.Task, ICancelableTask
    {
        public ITaskItem[]? ResponseFiles { get; set; }

        public bool NoConfig { get; set; }

        public bool UseSharedCompilation { get; set; }

        public bool NoLogo { get; set; }

        public int ExitCode { get; private set; }

        public void Cancel()
        {
        }

        public override bool Execute()
        {
            var responseFile = ResponseFiles![0].ItemSpec;
            var arguments = File.ReadAllLines(responseFile);
            BuildEngine.LogMessageEvent(new TaskCommandLineEventArgs("csc /noconfig @" + responseFile, "Csc", MessageImportance.Normal));
            foreach (var argument in arguments)
            {
                if (argument.StartsWith("/echo:", StringComparison.Ordinal))
                {
                    File.WriteAllLines(argument["/echo:".Length..], [.. arguments, $"NoConfig={NoConfig}", $"UseSharedCompilation={UseSharedCompilation}", $"NoLogo={NoLogo}", "ResponseFile=" + responseFile]);
                }
                else if (argument == "/diagnostics")
                {
                    Log.LogMessage(MessageImportance.Normal, "CompilerServer: server - server processed compilation");
                    Log.LogMessageFromText("/src/Program.cs(3,13): warning CS0168: The variable 'x' is declared but never used", MessageImportance.Normal);
                    Log.LogMessageFromText("warning CS8032: An instance of analyzer A cannot be created", MessageImportance.Normal);
                    Log.LogMessageFromText("/src/Program.cs(1,1): info IDE0005: Using directive is unnecessary.", MessageImportance.Normal);
                    Log.LogWarning(null, "MSB3277", null, null, 0, 0, 0, 0, "Found conflicts between different versions.");
                    Log.LogWarning("CompilerServer: server failed - cannot connect to the server");
                }
                else if (argument.StartsWith("/error:CS", StringComparison.Ordinal))
                {
                    Log.LogMessageFromText($"/src/Program.cs(3,13): error {argument["/error:".Length..]}: ; expected", MessageImportance.Normal);
                    ExitCode = 1;
                    return false;
                }
                else if (argument.StartsWith("/error:MSB", StringComparison.Ordinal))
                {
                    Log.LogError(null, argument["/error:".Length..], null, null, 0, 0, 0, 0, "The task failed unexpectedly.");
                    return false;
                }
                else if (argument == "/throw")
                {
                    throw new InvalidOperationException("The stand-in was told to throw.");
                }
            }

            return true;
        }
    }

    /// <summary>Stands in for a Vbc task of another version, without the public switches the route sets.</summary>
    public sealed class Vbc : Microsoft.Build.Utilities.Task
    {
        public override bool Execute() => true;
    }
}
