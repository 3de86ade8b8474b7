namespace Contoso.Core;

/// <summary>An amount in a currency.</summary>
public readonly record struct Money(decimal Amount, string Currency)
{
    public static Money Zero(string currency) => new(0m, currency);

    public Money Add(Money other)
    {
        if (other.Currency != Currency)
        {
            throw new InvalidOperationException($"Cannot add {other.Currency} to {Currency}.");
        }

        return this with { Amount = Amount + other.Amount };
    }

    public Money Times(int quantity) => this with { Amount = Amount * quantity };

    public override string ToString() => $"{Amount:0.00} {Currency}";
}
