using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.DeclaredTargets;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.DeclaredTargets;

/// <summary>
/// The two steps around a declared target, over real checkouts and a local cache in a temp folder: what is stored,
/// restored, left alone, refused, and compared. "Running the target" is the test writing its output file.
/// </summary>
public sealed class CachedTargetTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-ct-");
    private readonly RecordingLog _log = new();
    private readonly string _cache;

    public CachedTargetTests()
    {
        _cache = Path.Combine(_scratch.FullName, "cache");
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Checkout(string name)
    {
        var root = Path.Combine(_scratch.FullName, name);
        Directory.CreateDirectory(Path.Combine(root, "Api"));
        File.WriteAllText(Path.Combine(root, "Api", "spec.json"), "{ \"orders\": 1 }");
        return root;
    }

    private static string Generated(string root) => Path.Combine(root, "Api", "obj", "generated", "Client.g.cs");

    private static TargetRequest Request(string root) => new()
    {
        Declaration = TargetDeclarations.Check("GenerateClient", "spec.json", "obj/generated/**", "ClientNamespace=Contoso", null, Path.Combine(root, "Api"), root).Declaration!,
        DisplayName = "Api GenerateClient",
    };

    private CachedTarget Cache(double verify = 0)
    {
        var settings = new CacheSettings { LocalDirectory = _cache, VerifyFraction = verify };
        return new CachedTarget(new ArtifactStore(settings, new LocalCache(_cache, CacheSettings.DefaultLocalMaxBytes, _log), null), settings, _log, new FileHasher(), sample: () => 0);
    }

    // What the user's target does: write the generated file.
    private static void RunTarget(string root, string content = "class Client {}")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Generated(root))!);
        File.WriteAllText(Generated(root), content);
    }

    private CompilationOutcome? BuildWithTarget(string root, bool targetRuns = true, double verify = 0, string content = "class Client {}")
    {
        var cache = Cache(verify);
        var lookup = cache.Lookup(Request(root), CancellationToken.None);
        if (targetRuns && lookup.State is TargetLookupState.Miss or TargetLookupState.Verify)
        {
            RunTarget(root, content);
        }

        return lookup.Outcome ?? cache.AfterTarget(Request(root), lookup, CancellationToken.None);
    }

    [Fact]
    public void A_miss_is_stored_and_another_checkout_restores_the_outputs_without_running_the_target()
    {
        var a = Checkout("a");
        var stored = BuildWithTarget(a);
        Assert.Equal("miss", stored!.Result);
        Assert.True(stored.Stored, stored.Reason);
        Assert.Equal(1, stored.Files);

        var b = Checkout("b");
        var lookup = Cache().Lookup(Request(b), CancellationToken.None);

        Assert.Equal(TargetLookupState.Restored, lookup.State);
        Assert.Equal("hit", lookup.Outcome!.Result);
        Assert.Equal(CacheSource.Local, lookup.Outcome.Source);
        Assert.Equal("class Client {}", File.ReadAllText(Generated(b)));
        Assert.Null(Cache().AfterTarget(Request(b), lookup, CancellationToken.None));
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void An_output_that_cannot_be_replaced_runs_the_target_with_one_warning_and_keeps_the_entry()
    {
        Assert.True(BuildWithTarget(Checkout("a"))!.Stored);
        var b = Checkout("b");
        // Something the build cannot replace where the output goes (on Windows, a file another process holds open).
        Directory.CreateDirectory(Generated(b));

        var lookup = Cache().Lookup(Request(b), CancellationToken.None);

        Assert.Equal(TargetLookupState.Miss, lookup.State);
        Assert.Equal([DiagnosticCodes.OutputInUse], _log.WarningCodes);
        Directory.Delete(Generated(b));
        Assert.Equal(TargetLookupState.Restored, Cache().Lookup(Request(b), CancellationToken.None).State);
        Assert.Equal("class Client {}", File.ReadAllText(Generated(b)));
    }

    [Fact]
    public void Outputs_already_in_place_are_left_alone_so_a_no_op_build_stays_a_no_op()
    {
        var a = Checkout("a");
        BuildWithTarget(a);
        var written = DateTime.UtcNow.AddMinutes(-1);
        File.SetLastWriteTimeUtc(Generated(a), written);
        File.SetLastWriteTimeUtc(Path.Combine(a, "Api", "spec.json"), written.AddMinutes(-1));

        var lookup = Cache().Lookup(Request(a), CancellationToken.None);

        Assert.Equal(TargetLookupState.InPlace, lookup.State);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Generated(a)));
    }

    [Fact]
    public void Outputs_older_than_an_input_are_restored_fresh()
    {
        var a = Checkout("a");
        BuildWithTarget(a);
        File.SetLastWriteTimeUtc(Generated(a), DateTime.UtcNow.AddMinutes(-5));

        Assert.Equal(TargetLookupState.Restored, Cache().Lookup(Request(a), CancellationToken.None).State);
        Assert.True(File.GetLastWriteTimeUtc(Generated(a)) > DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public void A_target_that_did_not_run_is_not_stored()
    {
        var a = Checkout("a");
        RunTarget(a);
        File.SetLastWriteTimeUtc(Generated(a), DateTime.UtcNow.AddMinutes(-5));

        var outcome = BuildWithTarget(a, targetRuns: false);

        Assert.False(outcome!.Stored);
        Assert.Contains("did not run", outcome.Reason);
        Assert.Equal(TargetLookupState.Miss, Cache().Lookup(Request(Checkout("b")), CancellationToken.None).State);
    }

    [Fact]
    public void A_target_whose_input_changed_while_it_ran_is_not_stored()
    {
        var a = Checkout("a");
        var cache = Cache();
        var lookup = cache.Lookup(Request(a), CancellationToken.None);
        RunTarget(a);
        File.WriteAllText(Path.Combine(a, "Api", "spec.json"), "{ \"orders\": 2 }");

        var outcome = cache.AfterTarget(Request(a), lookup, CancellationToken.None)!;

        Assert.False(outcome.Stored);
        Assert.Equal("an input changed while the target ran (input: Api/spec.json)", outcome.Reason);
    }

    [Fact]
    public void A_same_length_edit_while_the_target_ran_that_put_the_time_stamp_back_is_not_stored()
    {
        var a = Checkout("a");
        var spec = Path.Combine(a, "Api", "spec.json");
        var stamp = File.GetLastWriteTimeUtc(spec);
        var cache = Cache();
        var lookup = cache.Lookup(Request(a), CancellationToken.None);
        RunTarget(a);
        File.WriteAllText(spec, "{ \"orders\": 2 }");
        File.SetLastWriteTimeUtc(spec, stamp);

        var outcome = cache.AfterTarget(Request(a), lookup, CancellationToken.None)!;

        Assert.False(outcome.Stored);
        Assert.Contains("input: Api/spec.json", outcome.Reason);
    }

    [Fact]
    public void A_target_that_wrote_no_output_is_not_stored()
    {
        var a = Checkout("a");
        var cache = Cache();
        var lookup = cache.Lookup(Request(a), CancellationToken.None);

        var outcome = cache.AfterTarget(Request(a), lookup, CancellationToken.None)!;

        Assert.False(outcome.Stored);
        Assert.Equal("miss", outcome.Result);
    }

    [Fact]
    public void A_target_that_runs_after_its_outputs_were_restored_is_warned_about()
    {
        BuildWithTarget(Checkout("a"));
        var b = Checkout("b");
        var cache = Cache();
        var lookup = cache.Lookup(Request(b), CancellationToken.None);
        Thread.Sleep(20);
        RunTarget(b);

        cache.AfterTarget(Request(b), lookup, CancellationToken.None);

        Assert.Equal([DiagnosticCodes.TargetRanAfterRestore], _log.WarningCodes);
    }

    [Fact]
    public void An_artifact_with_a_file_outside_the_declared_outputs_restores_nothing()
    {
        var b = Checkout("b");
        var key = TargetKey.Build(Request(b).Declaration, new FileHasher());
        var program = Path.Combine(_scratch.FullName, "Program.cs");
        File.WriteAllText(program, "hostile");
        var artifact = Path.Combine(_scratch.FullName, "hostile.acb");
        using (var stream = File.Create(artifact))
        {
            ArtifactWriter.Write(stream, key.Value, [], [], 1, [new ArtifactFile("project/Program.cs", program)]);
        }

        Assert.True(new LocalCache(_cache, CacheSettings.DefaultLocalMaxBytes, _log).TryPut(key.Value, artifact));

        var lookup = Cache().Lookup(Request(b), CancellationToken.None);

        Assert.Equal(TargetLookupState.Miss, lookup.State);
        Assert.Equal([DiagnosticCodes.ArchiveUnsafeEntry], _log.WarningCodes);
        Assert.False(File.Exists(Path.Combine(b, "Api", "Program.cs")));
    }

    [Fact]
    public void Verify_mode_runs_the_target_and_confirms_identical_outputs()
    {
        BuildWithTarget(Checkout("a"));
        var b = Checkout("b");

        var outcome = BuildWithTarget(b, verify: 1)!;

        Assert.Equal("hit", outcome.Result);
        Assert.True(outcome.Verified);
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void Verify_mode_reports_different_outputs_and_replaces_the_entry()
    {
        BuildWithTarget(Checkout("a"));
        var b = Checkout("b");

        var outcome = BuildWithTarget(b, verify: 1, content: "class Client { int changed; }")!;

        Assert.False(outcome.Verified);
        Assert.Equal([DiagnosticCodes.VerifyMismatch], _log.WarningCodes);
        var c = Checkout("c");
        Cache().Lookup(Request(c), CancellationToken.None);
        Assert.Equal("class Client { int changed; }", File.ReadAllText(Generated(c)));
    }

    [Fact]
    public void Verify_mode_with_a_target_that_did_not_run_claims_nothing()
    {
        var a = Checkout("a");
        BuildWithTarget(a);
        File.SetLastWriteTimeUtc(Generated(a), DateTime.UtcNow.AddMinutes(-5));

        var outcome = BuildWithTarget(a, targetRuns: false, verify: 1);

        Assert.Null(outcome);
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void The_cache_switched_off_does_nothing()
    {
        var a = Checkout("a");
        var settings = new CacheSettings { Enabled = false, LocalDirectory = _cache };
        var cache = new CachedTarget(new ArtifactStore(settings, null, null), settings, _log, new FileHasher());

        var lookup = cache.Lookup(Request(a), CancellationToken.None);
        RunTarget(a);

        Assert.Equal(TargetLookupState.Off, lookup.State);
        Assert.Null(cache.AfterTarget(Request(a), lookup, CancellationToken.None));
    }
}
