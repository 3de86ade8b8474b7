using System.Text.RegularExpressions;
using Contoso.Core;
using Contoso.Data;

namespace Contoso.Services;

/// <summary>Places orders from text such as "2 x TEA-01, 1 x MUG-01".</summary>
public sealed partial class OrderService(Catalog catalog, TimeProvider time)
{
    [GeneratedRegex(@"^\s*(?<quantity>\d+)\s*x\s*(?<sku>[A-Z]+-\d+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex LinePattern();

    public async Task<Result<Order>> PlaceAsync(string customer, string text, CancellationToken cancellationToken = default)
    {
        var lines = new List<OrderLine>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = LinePattern().Match(part);
            if (!match.Success)
            {
                return new Result<Order>.Failed($"'{part.Trim()}' is not like '2 x TEA-01'.");
            }

            var product = await catalog.FindAsync(match.Groups["sku"].Value, cancellationToken);
            if (product is null)
            {
                return new Result<Order>.Failed($"No product {match.Groups["sku"].Value}.");
            }

            lines.Add(new OrderLine(product, int.Parse(match.Groups["quantity"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        return lines.Count == 0
            ? new Result<Order>.Failed("An order needs at least one line.")
            : new Result<Order>.Ok(new Order(Guid.NewGuid(), customer, lines, time.GetUtcNow()));
    }
}
