using Contoso.Core;

namespace Contoso.Data;

/// <summary>The products on sale, with queries over them.</summary>
public sealed class Catalog(IRepository<string, Product> products)
{
    public static async Task<Catalog> SeedAsync(CancellationToken cancellationToken = default)
    {
        var repository = new InMemoryRepository<string, Product>();
        var seed = new[]
        {
            new Product("TEA-01", "Green tea", new Money(4.50m, "EUR"), new HashSet<string> { "drink", "hot" }),
            new Product("TEA-02", "Black tea", new Money(3.90m, "EUR"), new HashSet<string> { "drink", "hot" }),
            new Product("MUG-01", "Mug", new Money(9.00m, "EUR"), new HashSet<string> { "kitchen" }),
            new Product("COOK-1", "Cookies", new Money(2.20m, "EUR"), new HashSet<string> { "food", "sweet" }),
        };
        foreach (var product in seed)
        {
            await repository.SaveAsync(product.Sku, product, cancellationToken);
        }

        return new Catalog(repository);
    }

    public async Task<IReadOnlyList<Product>> TaggedAsync(string tag, CancellationToken cancellationToken = default)
    {
        var result = new List<Product>();
        await foreach (var product in products.ListAsync(cancellationToken))
        {
            if (product.Tags.Contains(tag))
            {
                result.Add(product);
            }
        }

        return result.OrderBy(p => p.Price.Amount).ThenBy(p => p.Sku, StringComparer.Ordinal).ToList();
    }

    public ValueTask<Product?> FindAsync(string sku, CancellationToken cancellationToken = default) => products.FindAsync(sku, cancellationToken);
}
