using ArtifactCache.Build.Archive;

namespace ArtifactCache.Build.Tests.Infrastructure;

/// <summary>
/// Puts restored outputs in place as Windows would: a destination the test marks as held open refuses to be replaced
/// (a sharing violation) for as many tries as the test says, and a read-only destination refuses with access denied.
/// Pauses are recorded, not slept.
/// </summary>
public sealed class FakePlacement : IOutputPlacement
{
    /// <summary>Per destination, how many more tries fail as if another process held it open (int.MaxValue: always).</summary>
    public Dictionary<string, int> HeldOpen { get; } = [];

    public List<TimeSpan> Pauses { get; } = [];

    public int Tries { get; private set; }

    public void Replace(string temporary, string destination)
    {
        Tries++;
        if (HeldOpen.TryGetValue(destination, out var left) && left > 0)
        {
            HeldOpen[destination] = left == int.MaxValue ? left : left - 1;
            throw new IOException($"The process cannot access the file '{destination}' because it is being used by another process.");
        }

        if (File.Exists(destination) && new FileInfo(destination).IsReadOnly)
        {
            throw new UnauthorizedAccessException($"Access to the path '{destination}' is denied.");
        }

        File.Move(temporary, destination, overwrite: true);
    }

    public void MakeWritable(string path) => FileSystemPlacement.Instance.MakeWritable(path);

    public void Pause(TimeSpan delay) => Pauses.Add(delay);
}
