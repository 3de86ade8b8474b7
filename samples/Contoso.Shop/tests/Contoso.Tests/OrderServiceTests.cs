using Contoso.Core;
using Contoso.Data;
using Contoso.Services;
using Xunit;

namespace Contoso.Tests;

public sealed class OrderServiceTests
{
    [Fact]
    public async Task Places_an_order_and_totals_it()
    {
        var service = new OrderService(await Catalog.SeedAsync(), TimeProvider.System);

        var result = await service.PlaceAsync("ada", "2 x TEA-01, 1 x MUG-01");

        var order = Assert.IsType<Result<Order>.Ok>(result).Value;
        Assert.Equal(new Money(18.00m, "EUR"), order.Total("EUR"));
    }

    [Theory]
    [InlineData("two teas")]
    [InlineData("1 x NOPE-1")]
    [InlineData("")]
    public async Task Refuses_what_it_cannot_read(string text)
    {
        var service = new OrderService(await Catalog.SeedAsync(), TimeProvider.System);

        Assert.IsType<Result<Order>.Failed>(await service.PlaceAsync("ada", text));
    }

    [Fact]
    public async Task Lists_tagged_products_cheapest_first()
    {
        var catalog = await Catalog.SeedAsync();

        var hot = await catalog.TaggedAsync("hot");

        Assert.Equal(["TEA-02", "TEA-01"], hot.Select(p => p.Sku));
    }
}
