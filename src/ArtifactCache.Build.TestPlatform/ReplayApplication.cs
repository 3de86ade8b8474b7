using ArtifactCache.Build.TestRuns;
using Microsoft.Testing.Platform.Builder;
using Microsoft.Testing.Platform.Capabilities.TestFramework;
using Microsoft.Testing.Platform.Extensions.Messages;
using Microsoft.Testing.Platform.Extensions.TestFramework;
using Microsoft.Testing.Platform.Requests;

namespace ArtifactCache.Build.TestPlatform;

/// <summary>
/// A replay: a Microsoft.Testing.Platform application whose one "test framework" publishes the stored run's tests, with
/// their stored states, durations and skip reasons, to the `dotnet test` that started the launcher.
/// </summary>
internal static class ReplayApplication
{
    public static async Task<int> RunAsync(RecordedTestResults tests, IReadOnlyList<string> serverArguments)
    {
        var builder = await TestApplication.CreateBuilderAsync([.. serverArguments]).ConfigureAwait(false);
        builder.RegisterTestFramework(_ => new NoCapabilities(), (_, _) => new ReplayFramework(tests));
        using var application = await builder.BuildAsync().ConfigureAwait(false);
        return await application.RunAsync().ConfigureAwait(false);
    }

    private sealed class NoCapabilities : ITestFrameworkCapabilities
    {
        public IReadOnlyCollection<ITestFrameworkCapability> Capabilities => [];
    }

    private sealed class ReplayFramework(RecordedTestResults tests) : ITestFramework, IDataProducer
    {
        public string Uid => "ArtifactCache.Build.Replay";

        public string Version => "1.0.0";

        public string DisplayName => "ArtifactCache replay";

        public string Description => "Publishes a stored passing test run again.";

        public Type[] DataTypesProduced => [typeof(TestNodeUpdateMessage)];

        public Task<bool> IsEnabledAsync() => Task.FromResult(true);

        public Task<CreateTestSessionResult> CreateTestSessionAsync(CreateTestSessionContext context) => Task.FromResult(new CreateTestSessionResult { IsSuccess = true });

        public Task<CloseTestSessionResult> CloseTestSessionAsync(CloseTestSessionContext context) => Task.FromResult(new CloseTestSessionResult { IsSuccess = true });

        public async Task ExecuteRequestAsync(ExecuteRequestContext context)
        {
            try
            {
                if (context.Request is RunTestExecutionRequest run)
                {
                    foreach (var test in tests.Tests)
                    {
                        // Only passing runs are stored: every test passed or was skipped.
                        IProperty state = test.IsSkipped ? new SkippedTestNodeStateProperty(test.Explanation) : PassedTestNodeStateProperty.CachedInstance;
                        var duration = TimeSpan.FromTicks(test.DurationTicks);
                        var node = new TestNode
                        {
                            Uid = new TestNodeUid(test.Uid),
                            DisplayName = test.DisplayName,
                            Properties = new PropertyBag(state, new TimingProperty(new TimingInfo(DateTimeOffset.UtcNow - duration, DateTimeOffset.UtcNow, duration))),
                        };
                        await context.MessageBus.PublishAsync(this, new TestNodeUpdateMessage(run.Session.SessionUid, node)).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                context.Complete();
            }
        }
    }
}
