using Contoso.Data;
using Contoso.Services;

var catalog = await Catalog.SeedAsync();
var service = new OrderService(catalog, TimeProvider.System);
var text = args.Length > 0 ? string.Join(' ', args) : "2 x TEA-01, 1 x MUG-01";
var result = await service.PlaceAsync("demo", text);
Console.WriteLine(result.Match(order => $"Order {order.Id:N}: {order.Total("EUR")}", reason => "Refused: " + reason));
Console.WriteLine($"Catalog API {Contoso.Client.ShopRoutes.ApiVersion}: {Contoso.Client.ShopClient.ProductUrl("TEA-01")}");
