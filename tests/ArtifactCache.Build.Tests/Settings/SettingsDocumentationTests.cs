using System.Xml.Linq;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Settings;

/// <summary>
/// A setting lives in three places: the targets' _ArtifactCacheSetting items, the resolver and the README table.
/// These tests fail when the copies drift (ArtifactCacheRemoteBudget was once resolved and documented, never passed).
/// </summary>
public sealed class SettingsDocumentationTests
{
    private static readonly string Targets = RepositoryFiles.FullPath("build", "ArtifactCache.Build.targets");
    private static readonly string Props = RepositoryFiles.FullPath("build", "ArtifactCache.Build.props");

    /// <summary>What the resolver asks for, recorded with every property and variable unset.</summary>
    private static (HashSet<string> Properties, HashSet<string> Variables) NamesTheResolverReads()
    {
        var properties = new HashSet<string>(StringComparer.Ordinal);
        var variables = new HashSet<string>(StringComparer.Ordinal);
        new SettingsResolver(
            name =>
            {
                properties.Add(name);
                return null;
            },
            name =>
            {
                variables.Add(name);
                return null;
            },
            NullCacheLog.Instance).Resolve();

        // The default local folder's inputs, not settings of their own (the README names them in its Default column).
        variables.ExceptWith(["HOME", "XDG_CACHE_HOME", "LOCALAPPDATA"]);
        return (properties, variables);
    }

    [Fact]
    public void The_resolver_reads_exactly_the_names_it_lists()
    {
        var (properties, variables) = NamesTheResolverReads();

        Assert.Equal(SettingsResolver.Names.Properties.Order(), properties.Order());
        Assert.Equal(SettingsResolver.Names.EnvironmentVariables.Order(), variables.Order());
    }

    [Fact]
    public void The_targets_pass_every_property_the_resolver_reads_and_no_other()
    {
        var passed = XDocument.Load(Targets)
            .Descendants()
            .Where(e => e.Name.LocalName == "_ArtifactCacheSetting" && e.Attribute("Include") is not null)
            .Select(e => e.Attribute("Include")!.Value)
            .ToList();

        Assert.Equal(passed.Count, passed.Distinct().Count());
        Assert.Equal(SettingsResolver.Names.Properties.Order(), passed.Order());
    }

    [Fact]
    public void Every_step_passes_the_one_settings_list()
    {
        // Compile, prefetch and declared targets: each task's Settings parameter is the one list, never a copy.
        var passed = Directory.GetFiles(RepositoryFiles.FullPath("build"), "*.targets")
            .SelectMany(file => XDocument.Load(file).Descendants())
            .Select(e => e.Attribute("Settings")?.Value)
            .OfType<string>()
            .ToList();

        Assert.True(passed.Count >= 4, $"{passed.Count} tasks take the settings");
        Assert.All(passed, value => Assert.Equal("@(_ArtifactCacheSetting)", value));
    }

    [Fact]
    public void The_README_settings_table_documents_every_setting_as_the_resolver_reads_it()
    {
        var rows = RepositoryFiles.ReadmeTable("Settings")
            .Select(cells => (Property: RepositoryFiles.CodeSpans(cells[0]).SingleOrDefault(), Variables: RepositoryFiles.CodeSpans(cells[1])))
            .ToList();

        foreach (var setting in SettingsResolver.Names.All)
        {
            var row = setting.Property is { } property
                ? rows.SingleOrDefault(r => r.Property == property)
                : rows.SingleOrDefault(r => r.Property is null && r.Variables.SequenceEqual(setting.Variables));
            Assert.True(row != default, $"README '## Settings' has no row for {setting.Property ?? string.Join(", ", setting.Variables)}.");
            Assert.Equal(setting.Variables, row.Variables);
            rows.Remove(row);
        }

        // The other rows are properties the targets or props read themselves; only the resolver reads variables.
        var buildFiles = string.Concat(Directory.GetFiles(Path.GetDirectoryName(Targets)!).Order(StringComparer.Ordinal).Select(File.ReadAllText));
        foreach (var (property, variables) in rows)
        {
            Assert.True(property is not null, $"README '## Settings' has a row for {string.Join(", ", variables)}, which the resolver does not read.");
            // A property is read as $(Name); an item (ArtifactCacheTarget) as @(Name).
            Assert.True(
                buildFiles.Contains($"$({property})", StringComparison.Ordinal) || buildFiles.Contains($"@({property})", StringComparison.Ordinal),
                $"README '## Settings' documents {property}, which neither the resolver nor build/*.props or *.targets read.");
            Assert.True(variables.Count == 0, $"README '## Settings' gives {property} variables, but only the resolver reads variables and it does not read {property}.");
        }
    }
}
