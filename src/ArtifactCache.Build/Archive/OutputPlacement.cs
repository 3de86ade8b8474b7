namespace ArtifactCache.Build.Archive;

/// <summary>
/// The file operations that put restored outputs in place. Windows refuses to replace a file another process holds
/// open (an IDE, a test host, a virus scanner, for a moment) or one marked read-only; tests stand in for it here.
/// </summary>
internal interface IOutputPlacement
{
    /// <summary>Moves <paramref name="temporary"/> over <paramref name="destination"/>.</summary>
    void Replace(string temporary, string destination);

    /// <summary>Clears the read-only attribute of <paramref name="path"/> when it exists and has it.</summary>
    void MakeWritable(string path);

    void Pause(TimeSpan delay);
}

/// <summary>The file system itself.</summary>
internal sealed class FileSystemPlacement : IOutputPlacement
{
    public static FileSystemPlacement Instance { get; } = new();

    public void Replace(string temporary, string destination) => File.Move(temporary, destination, overwrite: true);

    public void MakeWritable(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.IsReadOnly)
        {
            info.IsReadOnly = false;
        }
    }

    public void Pause(TimeSpan delay) => Thread.Sleep(delay);
}
