using System.Xml;

namespace ArtifactCache.Build.TestRuns;

/// <summary>What a run settings file can say that changes how the cache handles a run.</summary>
public sealed record RunSettingsFacts(bool NamesResultsDirectory, bool HasTrxLogger, string? Problem, bool HasDataCollectors = false)
{
    public static readonly RunSettingsFacts None = new(false, false, null);

    /// <summary>Reads RunConfiguration/ResultsDirectory and the loggers of LoggerRunSettings, as XML.</summary>
    public static RunSettingsFacts Read(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            return None;
        }

        try
        {
            bool results = false, trx = false, collectors = false;
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                results |= reader.LocalName == "ResultsDirectory";
                collectors |= reader.LocalName is "DataCollector" or "InProcDataCollector";
                trx |= reader.LocalName == "Logger" && (IsTrxLogger(reader.GetAttribute("friendlyName")) || IsTrxLogger(reader.GetAttribute("uri")));
            }

            return new RunSettingsFacts(results, trx, null, collectors);
        }
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            return new RunSettingsFacts(false, false, $"the run settings file {path} could not be read ({e.Message})");
        }
    }

    /// <summary>A logger argument ("trx", "trx;LogFileName=x.trx", the TRX logger's URI or type name) that is the TRX logger.</summary>
    public static bool IsTrxLogger(string? logger)
    {
        var name = (logger ?? "").Split(';', 2)[0].Trim();
        return name.Equals("trx", StringComparison.OrdinalIgnoreCase)
            || name.Equals("logger://Microsoft/TestPlatform/TrxLogger/v1", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith("TrxLogger", StringComparison.OrdinalIgnoreCase);
    }
}
