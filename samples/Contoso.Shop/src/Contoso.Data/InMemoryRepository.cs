using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Contoso.Core;

namespace Contoso.Data;

/// <summary>A thread-safe repository in memory.</summary>
public sealed class InMemoryRepository<TKey, TEntity> : IRepository<TKey, TEntity>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TEntity> _items = new();

    public ValueTask<TEntity?> FindAsync(TKey key, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_items.TryGetValue(key, out var item) ? item : default);

    public async IAsyncEnumerable<TEntity> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var item in _items.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return item;
        }
    }

    public ValueTask SaveAsync(TKey key, TEntity entity, CancellationToken cancellationToken = default)
    {
        _items[key] = entity;
        return ValueTask.CompletedTask;
    }
}
