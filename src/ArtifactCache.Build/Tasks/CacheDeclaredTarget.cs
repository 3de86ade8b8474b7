using ArtifactCache.Build.DeclaredTargets;
using ArtifactCache.Build.Diagnostics;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>What the two tasks around a declared target take from MSBuild: the declaration.</summary>
public abstract class DeclaredTargetTask : TargetStepTask
{
    /// <summary>@(ArtifactCacheTarget): Include = the target's name; metadata Inputs, Outputs, Properties, Tools.</summary>
    [Required]
    public ITaskItem[] Declarations { get; set; } = [];

    private protected override string StepName => "a declared target";
}

/// <summary>
/// Runs just before a declared target (<c>BeforeTargets="@(ArtifactCacheTarget)"</c>): checks the declaration, keys it,
/// and on a hit restores its outputs so MSBuild skips the target as up to date. The decision is kept for
/// <see cref="CacheDeclaredTargetStore"/>, which runs just after the target in the same project build.
/// </summary>
public sealed class CacheDeclaredTargetLookup : DeclaredTargetTask
{
    public string? RepositoryRoot { get; set; }

    private protected override void Run(TargetStep step, CancellationToken cancellationToken)
    {
        step.Begin();
        if (step.Request(Declarations, RepositoryRoot) is not { } request)
        {
            return;
        }

        TargetLookup lookup;
        try
        {
            lookup = step.Cache().Lookup(request, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step before {request.DisplayName} failed ({e.GetType().Name}: {e.Message}); the target runs without the cache. Please report this.");
            lookup = new TargetLookup { State = TargetLookupState.Off, StartedUtc = DateTime.UtcNow, EndedUtc = DateTime.UtcNow };
        }

        TargetStep.Pending(BuildEngine)[step.PendingKey(request.Declaration.Name)] = (request, lookup);
        if (lookup.Outcome is { } outcome)
        {
            step.Report(request, outcome);
        }
        else
        {
            Log.LogMessage(MessageImportance.Low, $"ArtifactCache: {request.DisplayName}: {lookup.State}{(lookup.Key is null ? "" : ", key " + lookup.Key)}");
        }
    }
}

/// <summary>
/// Runs just after a declared target (<c>AfterTargets="@(ArtifactCacheTarget)"</c>): on a miss stores the files its
/// Outputs match; in verify mode compares them with the entry; after a restore checks that the target was skipped.
/// </summary>
public sealed class CacheDeclaredTargetStore : DeclaredTargetTask
{
    private protected override void Run(TargetStep step, CancellationToken cancellationToken)
    {
        if (Declarations.Length != 1 || !TargetStep.Pending(BuildEngine).TryRemove(step.PendingKey(Declarations[0].ItemSpec), out var entry))
        {
            // Refused before the target, or the lookup never ran: nothing to store.
            return;
        }

        step.Begin();
        var (request, lookup) = entry;
        try
        {
            if (step.Cache().AfterTarget(request, lookup, cancellationToken) is { } outcome)
            {
                step.Report(request, outcome);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step after {request.DisplayName} failed ({e.GetType().Name}: {e.Message}); its outputs were not stored. Please report this.");
        }
    }
}
