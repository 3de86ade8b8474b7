namespace ArtifactCache.Fuzz;

/// <summary>
/// Delta debugging over the operator list: drops halves, then single operators, keeping any smaller list that still
/// gives a wrong hit, until no single operator can go.
/// </summary>
public static class Shrinker
{
    public static (FuzzCase Case, ScenarioResult Result) Shrink(FuzzCase fuzzCase, ScenarioResult found, Func<FuzzCase, ScenarioResult> run, Func<ScenarioResult, bool> stillWrong, Action<string> log)
    {
        var best = (Case: fuzzCase, Result: found);
        var changed = true;
        while (changed && best.Case.Operators.Count > 1)
        {
            changed = false;
            var operators = best.Case.Operators;
            var candidates = new List<IReadOnlyList<OperatorStep>>();
            if (operators.Count >= 4)
            {
                candidates.Add(operators.Take(operators.Count / 2).ToList());
                candidates.Add(operators.Skip(operators.Count / 2).ToList());
            }

            candidates.AddRange(Enumerable.Range(0, operators.Count).Select(i => (IReadOnlyList<OperatorStep>)operators.Where((_, j) => j != i).ToList()));
            foreach (var candidate in candidates)
            {
                var smaller = best.Case with { Operators = candidate };
                log($"  shrinking: trying {smaller.Describe()}");
                var result = run(smaller);
                if (result.Skipped is null && stillWrong(result))
                {
                    best = (smaller, result);
                    changed = true;
                    break;
                }
            }
        }

        return best;
    }
}
