namespace Contoso.Client;

/// <summary>Builds request URLs from the generated routes.</summary>
public static class ShopClient
{
    /// <summary>The URL of one product.</summary>
    public static string ProductUrl(string sku) => ShopRoutes.GetProduct.Replace("{sku}", Uri.EscapeDataString(sku), StringComparison.Ordinal);
}
