using System.Diagnostics;

namespace ArtifactCache.Fuzz;

/// <summary>A run: the corpus, a replayed case or random scenarios; findings shrunk and printed; the final report.</summary>
public sealed class FuzzSession
{
    private readonly ScenarioRunner _runner;
    private readonly FuzzOptions _options;
    private readonly List<(FuzzCase Case, ScenarioResult Result)> _wrong = [];
    private readonly List<(FuzzCase Case, ScenarioResult Result)> _limits = [];
    private int _scenarios;
    private int _skipped;
    private int _builds;
    private int _hitsCompared;
    private int _filesCompared;
    private int _exempted;
    private readonly List<TimeSpan> _durations = [];

    public FuzzSession(ScenarioRunner runner, FuzzOptions options)
    {
        _runner = runner;
        _options = options;
    }

    public int Run()
    {
        var clock = Stopwatch.StartNew();
        if (_options.Replay is not null)
        {
            Judge(FuzzCase.Decode(_options.Replay), "replay");
        }

        if (_options.Corpus is not null)
        {
            foreach (var file in Directory.EnumerateFiles(_options.Corpus, "*.json").Order(StringComparer.Ordinal))
            {
                Judge(FuzzCase.FromJson(File.ReadAllText(file)), "corpus " + Path.GetFileName(file));
            }
        }

        var random = _options.Minutes is not null || _options.Scenarios is not null || (_options.Replay is null && _options.Corpus is null);
        if (random)
        {
            var limit = _options.Scenarios ?? (_options.Minutes is null ? 1 : int.MaxValue);
            var deadline = _options.Minutes is { } minutes ? TimeSpan.FromMinutes(minutes) : TimeSpan.MaxValue;
            var run = 0;
            foreach (var fuzzCase in FuzzCommand.RandomCases(_options))
            {
                if (run >= limit || clock.Elapsed >= deadline)
                {
                    break;
                }

                run++;
                Judge(fuzzCase, $"scenario {run}");
            }
        }

        return Report(clock.Elapsed);
    }

    private void Judge(FuzzCase fuzzCase, string label)
    {
        Console.WriteLine($"[{label}] {fuzzCase.Describe()}");
        foreach (var step in fuzzCase.Operators)
        {
            Console.WriteLine($"    - {step.Name}({step.Parameter}): {Operators.Get(step.Name).Describe(step.Parameter)}");
        }

        var result = Count(_runner.Run(fuzzCase));
        if (_options.Keep)
        {
            Console.WriteLine($"  work folder: {result.WorkFolder}");
        }

        if (result.Skipped is not null)
        {
            Console.WriteLine($"  skipped: {result.Skipped}");
            return;
        }

        Console.WriteLine($"  {result.Duration.TotalSeconds:0}s, hits [{string.Join(", ", result.Hits)}], {result.Comparisons.Count(c => c.Present)} files compared{(result.Different ? ", DIFFERENT" : "")}");
        if (!result.Different)
        {
            return;
        }

        foreach (var difference in result.Differences)
        {
            Console.WriteLine("    " + difference);
        }

        if (result.InvolvesKnownLimit)
        {
            // Without the known-limit operators, does a wrong hit remain? Then it is a wrong hit of its own.
            var without = fuzzCase with { Operators = fuzzCase.Operators.Where(o => !Operators.Get(o.Name).KnownLimit).ToList() };
            var rerun = without.Operators.Count == 0 ? null : Count(_runner.Run(without));
            if (rerun is null || rerun.Skipped is not null || !rerun.Different)
            {
                Console.WriteLine("  => outside the key's reach (README limit): a generator reads the environment");
                _limits.Add((fuzzCase, result));
                return;
            }

            (fuzzCase, result) = (without, rerun);
        }

        if (!_options.NoShrink && fuzzCase.Operators.Count > 1)
        {
            (fuzzCase, result) = Shrinker.Shrink(fuzzCase, result, c => Count(_runner.Run(c)), r => r.Different && !r.InvolvesKnownLimit, Console.WriteLine);
        }

        _wrong.Add((fuzzCase, result));
        PrintReproduction(fuzzCase, result);
    }

    private ScenarioResult Count(ScenarioResult result)
    {
        _scenarios++;
        _builds += result.Builds;
        _durations.Add(result.Duration);
        if (result.Skipped is not null)
        {
            _skipped++;
        }

        if (result.Comparisons.Count > 0)
        {
            _hitsCompared += result.Hits.Count;
            _filesCompared += result.Comparisons.Count(c => c.Present);
            _exempted += result.Comparisons.Count(c => c.Exemption is not null);
        }

        return result;
    }

    private void PrintReproduction(FuzzCase fuzzCase, ScenarioResult result)
    {
        Console.WriteLine("  WRONG HIT, minimal reproduction:");
        Console.WriteLine($"    seed {fuzzCase.Seed}, {fuzzCase.Describe()}");
        foreach (var step in fuzzCase.Operators)
        {
            Console.WriteLine($"    - {step.Name}({step.Parameter}): {Operators.Get(step.Name).Describe(step.Parameter)}");
        }

        foreach (var difference in result.Differences)
        {
            Console.WriteLine("    " + difference);
        }

        Console.WriteLine($"    dotnet run --project fuzz/ArtifactCache.Fuzz -- --replay \"{fuzzCase.Encode()}\"");
        var folder = _options.Findings ?? Path.Combine(FuzzCommand.FindRepoRoot(), "fuzz", "findings");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"{string.Join("+", fuzzCase.Operators.Select(o => o.Name))}-{fuzzCase.Seed}.json");
        File.WriteAllText(file, fuzzCase.ToJson() + "\n");
        Console.WriteLine($"    case written to {file} (copy it into fuzz/corpus/ to keep it as a regression case)");
    }

    private int Report(TimeSpan elapsed)
    {
        var judged = _durations.Count == 0 ? 0 : _durations.Average(d => d.TotalSeconds);
        Console.WriteLine();
        Console.WriteLine("==== ArtifactCache.Fuzz report ====");
        Console.WriteLine($"scenarios run:        {_scenarios} (shrinking and known-limit re-runs included; {_skipped} skipped), {elapsed.TotalMinutes:0.0} min, {judged:0}s per scenario on average");
        Console.WriteLine($"builds:               {_builds}");
        Console.WriteLine($"hits compared:        {_hitsCompared}");
        Console.WriteLine($"files compared:       {_filesCompared} ({_exempted} equal only under a named deliberate difference)");
        Console.WriteLine($"wrong hits:           {_wrong.Count}");
        foreach (var (fuzzCase, _) in _wrong)
        {
            Console.WriteLine($"  - {fuzzCase.Describe()}");
            Console.WriteLine($"    dotnet run --project fuzz/ArtifactCache.Fuzz -- --replay \"{fuzzCase.Encode()}\"");
        }

        Console.WriteLine($"known-limit findings: {_limits.Count} (outside the key's reach, README limit; not failures)");
        foreach (var (fuzzCase, _) in _limits)
        {
            Console.WriteLine($"  - {fuzzCase.Describe()}");
        }

        if (_wrong.Count > 0)
        {
            return 1;
        }

        if (_filesCompared == 0)
        {
            Console.WriteLine("FAIL: no hit was compared, so this run proves nothing.");
            return 2;
        }

        return 0;
    }
}
