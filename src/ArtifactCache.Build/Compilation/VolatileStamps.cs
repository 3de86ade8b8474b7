namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Which per-build stamps <see cref="StampNeutralHash"/> neutralises in a reference assembly, beyond the values derived
/// from the whole content (MVID, time stamps, checksums, signature), which it always neutralises.
/// </summary>
[Flags]
internal enum VolatileStamps
{
    /// <summary>Only the content-derived ids.</summary>
    None = 0,

    /// <summary>
    /// The <c>+&lt;commit&gt;</c> suffix the SDK appends to the informational version, in
    /// <c>AssemblyInformationalVersionAttribute</c> and in the Win32 <c>ProductVersion</c> string.
    /// </summary>
    CommitSuffix = 1,

    /// <summary>
    /// The whole informational and file versions (attributes, Win32 strings and the fixed file info), for versions that
    /// change on every commit (git height). Never the assembly version, which dependents bind to.
    /// </summary>
    Versions = 2,
}
