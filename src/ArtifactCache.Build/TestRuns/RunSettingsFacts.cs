using System.Xml;

namespace ArtifactCache.Build.TestRuns;

/// <summary>What a run settings file can say that changes how the cache handles a run.</summary>
public sealed record RunSettingsFacts(bool NamesResultsDirectory, bool HasTrxLogger, string? Problem, bool HasDataCollectors = false)
{
    public static readonly RunSettingsFacts None = new(false, false, null);

    /// <summary>
    /// The folders RunConfiguration/TestAdaptersPaths names, as full paths: the run loads the adapters in them, so their
    /// bytes are keyed as --test-adapter-path's are. Environment variables expanded and relative paths taken from the
    /// run settings file's folder, as vstest.console resolves them.
    /// </summary>
    public IReadOnlyList<string> AdapterFolders { get; init; } = [];

    /// <summary>Reads RunConfiguration/ResultsDirectory, TestAdaptersPaths, the data collectors and the loggers of LoggerRunSettings, as XML.</summary>
    public static RunSettingsFacts Read(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            return None;
        }

        try
        {
            bool results = false, trx = false, collectors = false;
            var adapters = new List<string>();
            var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
            reader.MoveToContent();
            while (!reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "TestAdaptersPaths")
                {
                    // Reading the content leaves the reader on the node after the element: no Read() here.
                    adapters.AddRange(AdapterPaths(reader.ReadElementContentAsString(), folder));
                    continue;
                }

                if (reader.NodeType == XmlNodeType.Element)
                {
                    results |= reader.LocalName == "ResultsDirectory";
                    collectors |= reader.LocalName is "DataCollector" or "InProcDataCollector";
                    trx |= reader.LocalName == "Logger" && (IsTrxLogger(reader.GetAttribute("friendlyName")) || IsTrxLogger(reader.GetAttribute("uri")));
                }

                reader.Read();
            }

            return new RunSettingsFacts(results, trx, null, collectors) { AdapterFolders = adapters };
        }
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            return new RunSettingsFacts(false, false, $"the run settings file {path} could not be read ({e.Message})");
        }
    }

    public bool Equals(RunSettingsFacts? other) =>
        other is not null && NamesResultsDirectory == other.NamesResultsDirectory && HasTrxLogger == other.HasTrxLogger && Problem == other.Problem
        && HasDataCollectors == other.HasDataCollectors && AdapterFolders.SequenceEqual(other.AdapterFolders, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(NamesResultsDirectory, HasTrxLogger, Problem, HasDataCollectors, AdapterFolders.Count);

    /// <summary>A ';'-separated list of adapter folders as run settings write it, resolved against <paramref name="baseFolder"/>.</summary>
    public static IEnumerable<string> AdapterPaths(string list, string baseFolder) =>
        list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => Path.GetFullPath(Environment.ExpandEnvironmentVariables(p.Trim('"')), baseFolder));

    /// <summary>A logger argument ("trx", "trx;LogFileName=x.trx", the TRX logger's URI or type name) that is the TRX logger.</summary>
    public static bool IsTrxLogger(string? logger)
    {
        var name = (logger ?? "").Split(';', 2)[0].Trim();
        return name.Equals("trx", StringComparison.OrdinalIgnoreCase)
            || name.Equals("logger://Microsoft/TestPlatform/TrxLogger/v1", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith("TrxLogger", StringComparison.OrdinalIgnoreCase);
    }
}
