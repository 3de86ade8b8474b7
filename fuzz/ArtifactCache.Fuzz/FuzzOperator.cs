namespace ArtifactCache.Fuzz;

/// <summary>
/// One way checkout B (or the builds) can differ from checkout A. An operator acts at up to three points: on A's files
/// before A's commit, on A's build (environment, arguments), and on B after it is derived. Its parameter comes from
/// the seed, so a printed case replays exactly.
/// </summary>
public abstract class FuzzOperator
{
    public abstract string Name { get; }

    public abstract string Category { get; }

    /// <summary>
    /// True for an operator that makes outputs depend on something the README lists as outside the key's reach: a
    /// difference it causes is reported as a known limit, not as a wrong hit.
    /// </summary>
    public virtual bool KnownLimit => false;

    /// <summary>Whether the operator makes sense for this repository and file system.</summary>
    public virtual bool AppliesTo(FuzzCase fuzzCase, RepoShape shape) => true;

    /// <summary>Changes A's files before A is committed.</summary>
    public virtual void OnA(Checkouts checkouts, int parameter)
    {
    }

    /// <summary>Changes B after it was derived from A (and before B's first build).</summary>
    public virtual void OnB(Checkouts checkouts, int parameter)
    {
    }

    public abstract string Describe(int parameter);
}

/// <summary>Thrown by an operator that cannot act on this machine (a file system without case or symbolic links).</summary>
public sealed class NotApplicableHereException(string reason) : Exception(reason);
