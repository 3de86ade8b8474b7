using ArtifactCache.Build.Remote;

namespace ArtifactCache.Build.Tests.Remote;

public class CiEnvironmentTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void A_terminal_without_ci_variables_is_interactive() =>
        Assert.Equal((null, true), CiEnvironment.Detect(Env()));

    [Theory]
    [InlineData("GITHUB_ACTIONS", "true", "GITHUB_ACTIONS")]
    [InlineData("TF_BUILD", "True", "AZURE_PIPELINES")]
    [InlineData("GITLAB_CI", "true", "GITLAB_CI")]
    [InlineData("VERCEL", "1", "VERCEL")]
    [InlineData("JENKINS_URL", "http://jenkins", "JENKINS")]
    public void A_known_ci_is_named_and_not_interactive(string variable, string value, string expected) =>
        Assert.Equal((expected, false), CiEnvironment.Detect(Env((variable, value))));

    [Theory]
    [InlineData("true", false)]
    [InlineData("1", false)]
    [InlineData("false", true)]
    [InlineData("0", true)]
    public void The_generic_CI_variable_only_sets_interactivity(string value, bool interactive) =>
        Assert.Equal((null, interactive), CiEnvironment.Detect(Env(("CI", value))));

    [Fact]
    public void Names_fit_the_header_limit()
    {
        foreach (var variable in new[] { "VERCEL", "GITHUB_ACTIONS", "TF_BUILD", "CIRCLECI", "BITBUCKET_BUILD_NUMBER", "CF_PAGES", "BUDDY_WORKSPACE_ID" })
        {
            var (name, _) = CiEnvironment.Detect(Env((variable, "1")));
            Assert.NotNull(name);
            Assert.InRange(name!.Length, 1, CiEnvironment.MaxNameLength);
        }
    }
}
