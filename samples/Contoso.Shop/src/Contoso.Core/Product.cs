namespace Contoso.Core;

/// <summary>Something the shop sells.</summary>
public sealed record Product(string Sku, string Name, Money Price, IReadOnlySet<string> Tags);

/// <summary>One line of an order.</summary>
public sealed record OrderLine(Product Product, int Quantity)
{
    public Money Total => Product.Price.Times(Quantity);
}

/// <summary>An order: lines and who placed it.</summary>
public sealed record Order(Guid Id, string Customer, IReadOnlyList<OrderLine> Lines, DateTimeOffset PlacedAt)
{
    public Money Total(string currency) => Lines.Aggregate(Money.Zero(currency), (sum, line) => sum.Add(line.Total));
}
