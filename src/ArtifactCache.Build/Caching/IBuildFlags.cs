namespace ArtifactCache.Build.Caching;

/// <summary>
/// Flags that every MSBuild node of one build sees: set by one node, read by all (a build runs its projects in
/// several processes). Used so that a remote found dead by one node is not tried again by the others.
/// </summary>
public interface IBuildFlags
{
    bool IsSet(string name);

    void Set(string name);
}
