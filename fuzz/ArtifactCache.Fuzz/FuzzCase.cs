using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ArtifactCache.Fuzz;

/// <summary>One operator of a case, with the parameter the seed chose for it.</summary>
public sealed record OperatorStep(string Name, int Parameter);

/// <summary>
/// Everything that decides a scenario: the repository generator and its shape, how checkout B is derived from A, and
/// the operators. A case is replayable on its own: the seed only drew it.
/// </summary>
public sealed record FuzzCase
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary><c>layered</c>, <c>sample</c> or <c>template</c>.</summary>
    public required string Repo { get; init; }

    public int Seed { get; init; }

    /// <summary><c>clone</c>, <c>copy</c> (time stamps kept) or <c>worktree</c>.</summary>
    public required string Derivation { get; init; }

    /// <summary>Whether B's folder name is as long as A's (F# entries are shared only then).</summary>
    public bool SamePathLength { get; init; } = true;

    public bool VisualBasic { get; init; }

    public bool FSharp { get; init; }

    public required IReadOnlyList<OperatorStep> Operators { get; init; }

    /// <summary>What replaying the case must give; regression cases say <c>no-wrong-hit</c>.</summary>
    public string Expect { get; init; } = "no-wrong-hit";

    /// <summary>For a case saved from a finding: the class of wrong hit it reproduces, so an integrator knows which fix it waits for.</summary>
    public string? Class { get; init; }

    public string? Note { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static FuzzCase FromJson(string json) =>
        JsonSerializer.Deserialize<FuzzCase>(json, Json) ?? throw new FormatException("The case file is empty.");

    /// <summary>The case as one command-line token (base64url of its compact JSON).</summary>
    public string Encode()
    {
        var compact = JsonSerializer.Serialize(this with { Note = null }, new JsonSerializerOptions(Json) { WriteIndented = false });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(compact)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static FuzzCase Decode(string token)
    {
        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        return FromJson(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
    }

    public string Describe() =>
        $"repo={Repo}{(VisualBasic ? "+vb" : "")}{(FSharp ? "+fs" : "")} derivation={Derivation}{(SamePathLength ? "" : " (other path length)")} seed={Seed} " +
        $"operators=[{string.Join(", ", Operators.Select(o => $"{o.Name}({o.Parameter})"))}]";
}
