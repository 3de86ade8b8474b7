namespace ArtifactCache.Build.Caching;

/// <summary>
/// What every MSBuild node of one build shares (a build runs its projects in several processes): flags set by one node
/// and read by all (a remote found dead by one node is not tried again by the others), claims that one node at a time
/// holds (one download of an artifact per build, whichever node wants it), and lists every node appends to.
/// </summary>
public interface IBuildFlags
{
    bool IsSet(string name);

    void Set(string name);

    /// <summary>True for the one caller that holds <paramref name="name"/> until it releases it, on any node.</summary>
    bool TryClaim(string name);

    void Release(string name);

    bool IsClaimed(string name);

    /// <summary>Appends one line to the build's list <paramref name="list"/>.</summary>
    void Append(string list, string line);

    /// <summary>The lines every node appended to <paramref name="list"/> so far, in the order they were appended.</summary>
    IReadOnlyList<string> Read(string list);
}
