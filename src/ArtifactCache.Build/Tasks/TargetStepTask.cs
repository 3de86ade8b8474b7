using ArtifactCache.Build.Diagnostics;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>What the tasks around a target the cache works around take from MSBuild, and how they end (cancelled or not).</summary>
public abstract class TargetStepTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    [Required]
    public string ProjectPath { get; set; } = "";

    public string? TargetFramework { get; set; }

    public string? Configuration { get; set; }

    /// <summary>The package's settings: Include = MSBuild property name, Value = its value.</summary>
    public ITaskItem[] Settings { get; set; } = [];

    public string? ReportFile { get; set; }

    /// <summary>"a declared target", "a test run": what a warning about a fault of this step names.</summary>
    private protected abstract string StepName { get; }

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        var step = new TargetStep(Log, BuildEngine, ProjectPath, TargetFramework, Configuration, Settings, ReportFile);
        try
        {
            Run(step, _cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Log.LogMessage(MessageImportance.High, "ArtifactCache: canceled.");
            return false;
        }
        catch (Exception e)
        {
            // A fault of the cache itself (an unreadable declaration, a session folder that throws) must not cost the
            // user their build: the target runs, or has run, as without the package.
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step around {StepName} failed ({e.GetType().Name}: {e.Message}); it is not cached in this build. Please report this.");
            return true;
        }
        finally
        {
            step.End();
        }
    }

    /// <summary>The step's work; cache faults are warnings inside it, never a failed task.</summary>
    private protected abstract void Run(TargetStep step, CancellationToken cancellationToken);
}
