namespace Contoso.Core;

/// <summary>The outcome of an operation that can fail for a reason a person can read.</summary>
public abstract record Result<T>
{
    private Result()
    {
    }

    public sealed record Ok(T Value) : Result<T>;

    public sealed record Failed(string Reason) : Result<T>;

    public TOut Match<TOut>(Func<T, TOut> ok, Func<string, TOut> failed) => this switch
    {
        Ok o => ok(o.Value),
        Failed f => failed(f.Reason),
        _ => throw new InvalidOperationException(),
    };
}
