using ArtifactCache.Build.TestPlatform;
using ArtifactCache.Build.TestRuns;

// dotnet exec ArtifactCache.Build.TestPlatform.dll --artifactcache-run <description.json> <the arguments dotnet test gave the application>
if (args.Length < 2 || args[0] != "--artifactcache-run")
{
    Console.Error.WriteLine("error ACB5001: ArtifactCache: the test launcher is started by the package's targets only (--artifactcache-run <file> ...).");
    return 1;
}

var description = PlatformRunDescription.Read(args[1], out var problem);
if (description is null)
{
    // Without its description the launcher cannot even start the application: say why, in the code of a failed cache step.
    Console.Error.WriteLine($"error ACB5001: ArtifactCache: the test launcher could not read its run description ({problem}). Build the project again, or set ArtifactCacheTestResults=false.");
    return 1;
}

var log = new ConsoleCacheLog();
var run = new PlatformTestRun(description, log);
return await run.RunAsync(
    args[2..],
    ReplayApplication.RunAsync,
    (arguments, record) => PlatformTestRun.RunApplication(description, arguments, record),
    CancellationToken.None);
