namespace ArtifactCache.Fuzz;

/// <summary>Draws scenario cases from a seed. The same seed and index always give the same case.</summary>
public static class Planner
{
    public static FuzzCase Draw(int seed, int index)
    {
        var random = new Random(unchecked((seed * 7919) + index));
        var repo = random.Next(10) switch
        {
            < 7 => "layered",
            < 9 => "sample",
            _ => "template",
        };
        var layered = repo == "layered";
        var fuzzCase = new FuzzCase
        {
            Repo = repo,
            Seed = seed,
            Derivation = random.Next(10) switch
            {
                < 6 => "clone",
                < 8 => "copy",
                _ => "worktree",
            },
            SamePathLength = random.Next(10) < 7,
            VisualBasic = layered && random.Next(10) < 3,
            FSharp = layered && random.Next(10) < 2,
            Operators = [],
        };

        var shape = new RepoShape("", "Lib", "App", HasGenerator: layered, HasDocsInclude: layered);
        var candidates = Operators.All.Where(o => o.AppliesTo(fuzzCase, shape)).ToList();
        var count = 1 + random.Next(3);
        var chosen = new List<OperatorStep>();
        while (chosen.Count < count && candidates.Count > 0)
        {
            var pick = candidates[random.Next(candidates.Count)];
            candidates.Remove(pick);
            chosen.Add(new OperatorStep(pick.Name, random.Next(10)));
        }

        // Git operators last, so a commit takes in what the others changed.
        return fuzzCase with { Operators = chosen.OrderBy(s => Operators.Get(s.Name).Category == "git" ? 1 : 0).ToList() };
    }
}
