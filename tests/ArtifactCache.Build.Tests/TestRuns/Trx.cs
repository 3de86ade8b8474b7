namespace ArtifactCache.Build.Tests.TestRuns;

/// <summary>TRX files shaped as VSTest 18's TRX logger writes them (see a captured one in TrxRunTests), for the tests to "run".</summary>
internal static class Trx
{
    public static string Text(string testAssembly, int passed = 2, int failed = 0, int skipped = 0, string? outcome = null, string deploymentRoot = "_vm_2026-11-28_13_57_19") =>
        $"""
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun id="b95378dd-2ab6-4bb5-ac9e-dabb54324275" name="@vm 2026-11-28 13:57:19" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Times creation="2026-11-28T13:57:19.9463217+00:00" queuing="2026-11-28T13:57:19.9463217+00:00" start="2026-11-28T13:57:16.6669605+00:00" finish="2026-11-28T13:57:19.9560391+00:00" />
          <TestSettings name="default" id="43d64a20-3ac5-4aba-8361-3a085d29189b">
            <Deployment runDeploymentRoot="{deploymentRoot}" />
          </TestSettings>
          <TestDefinitions>
            <UnitTest name="Tests.UnitTest1.Test1" storage="{testAssembly.ToLowerInvariant()}" id="4c47b93c-7f9c-1909-f3b1-ebea7017be91">
              <TestMethod codeBase="{testAssembly}" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="Tests.UnitTest1" name="Test1" />
            </UnitTest>
          </TestDefinitions>
          <ResultSummary outcome="{outcome ?? (failed == 0 ? "Completed" : "Failed")}">
            <Counters total="{passed + failed + skipped}" executed="{passed + failed}" passed="{passed}" failed="{failed}" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="0" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />
          </ResultSummary>
        </TestRun>
        """;

    public static void Write(string path, string testAssembly, int passed = 2, int failed = 0, int skipped = 0, string deploymentRoot = "_vm_2026-11-28_13_57_19")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Text(testAssembly, passed, failed, skipped, deploymentRoot: deploymentRoot));
    }
}
