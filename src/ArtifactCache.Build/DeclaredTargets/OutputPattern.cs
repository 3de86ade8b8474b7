using System.Text.RegularExpressions;
using System.Text;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.DeclaredTargets;

/// <summary>
/// One output pattern of a declared target, as MSBuild item wildcards mean it: <c>*</c> and <c>?</c> within a folder
/// name, <c>**</c> across folders. <see cref="BaseDirectory"/> is the folder before the first wildcard: only files
/// under it can match, and it is what the declaration check holds to the project and the repository.
/// </summary>
public sealed class OutputPattern
{
    private readonly Regex? _regex;

    private OutputPattern(string fullPattern, string baseDirectory, Regex? regex)
    {
        Pattern = fullPattern;
        BaseDirectory = baseDirectory;
        _regex = regex;
    }

    /// <summary>The pattern as a full path.</summary>
    public string Pattern { get; }

    /// <summary>The folder before the first wildcard (the file's own folder for a pattern without one).</summary>
    public string BaseDirectory { get; }

    public static OutputPattern Parse(string pattern, string projectDirectory)
    {
        var normalised = pattern.Replace('\\', '/');
        // A folder ("obj/generated/") means every file below it, as "obj/generated/**".
        if (normalised.EndsWith('/'))
        {
            normalised += "**";
        }

        var segments = normalised.Split('/');
        var firstWild = Array.FindIndex(segments, s => s.AsSpan().IndexOfAny('*', '?') >= 0);
        if (firstWild < 0)
        {
            var file = Path.GetFullPath(Path.Combine(projectDirectory, normalised));
            return new OutputPattern(file, Path.GetDirectoryName(file)!, null);
        }

        // GetFullPath resolves ".." in the fixed part, so a pattern cannot reach outside its base by climbing later.
        var fixedPart = string.Join('/', segments[..firstWild]);
        var baseDirectory = Path.GetFullPath(Path.Combine(projectDirectory, fixedPart.Length == 0 ? "." : fixedPart));
        var wild = segments[firstWild..];
        if (wild.Any(s => s is "." or ".."))
        {
            throw new ArgumentException($"The output pattern '{pattern}' climbs out of its folder after a wildcard.", nameof(pattern));
        }

        var regex = new StringBuilder("^");
        for (var i = 0; i < wild.Length; i++)
        {
            var last = i == wild.Length - 1;
            if (wild[i] == "**")
            {
                // Any number of folders, or (as the last segment) any file below.
                regex.Append(last ? ".*" : "(?:[^/]*/)*");
                continue;
            }

            foreach (var character in wild[i])
            {
                regex.Append(character switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(character.ToString()),
                });
            }

            if (!last)
            {
                regex.Append('/');
            }
        }

        regex.Append('$');
        var options = PathPolicy.Current.IgnoresCase ? RegexOptions.IgnoreCase : RegexOptions.None;
        return new OutputPattern(Path.Combine(baseDirectory, string.Join(Path.DirectorySeparatorChar, wild)), baseDirectory, new Regex(regex.ToString(), options | RegexOptions.CultureInvariant));
    }

    /// <summary>Whether <paramref name="fullPath"/> is a file this pattern names.</summary>
    public bool IsMatch(string fullPath)
    {
        if (_regex is null)
        {
            return PathPolicy.Current.Equals(fullPath, Pattern);
        }

        return PathPolicy.Current.IsUnder(Path.GetDirectoryName(fullPath)!, BaseDirectory)
            && _regex.IsMatch(Path.GetRelativePath(BaseDirectory, fullPath).Replace('\\', '/'));
    }

    /// <summary>The files that exist now and match, full paths.</summary>
    public IEnumerable<string> Match()
    {
        if (_regex is null)
        {
            return File.Exists(Pattern) ? [Pattern] : [];
        }

        if (!Directory.Exists(BaseDirectory))
        {
            return [];
        }

        return Directory.EnumerateFiles(BaseDirectory, "*", SearchOption.AllDirectories)
            .Where(f => _regex.IsMatch(Path.GetRelativePath(BaseDirectory, f).Replace('\\', '/')));
    }
}
