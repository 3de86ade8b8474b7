namespace Contoso.Core;

/// <summary>Stores entities by key.</summary>
public interface IRepository<TKey, TEntity>
    where TKey : notnull
{
    ValueTask<TEntity?> FindAsync(TKey key, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TEntity> ListAsync(CancellationToken cancellationToken = default);

    ValueTask SaveAsync(TKey key, TEntity entity, CancellationToken cancellationToken = default);
}
