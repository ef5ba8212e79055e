namespace NtkDynamics.Tests;

/// <summary>Paths of the committed fixture files (tests/NtkDynamics.Tests/Fixtures, copied beside the test assembly).</summary>
internal static class FixtureFiles
{
    public static string Dir => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Path(string name) => System.IO.Path.Combine(Dir, name);
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("ntk-test-").FullName;

    public string Path(string name) => System.IO.Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
