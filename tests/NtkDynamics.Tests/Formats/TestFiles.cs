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

internal static class InputErrors
{
    /// <summary>Asserts that <paramref name="action"/> throws a one-line InputException starting "<paramref name="source"/>: " and containing <paramref name="part"/>.</summary>
    public static void Assert(Action action, string source, string part)
    {
        var e = Xunit.Assert.Throws<InputException>(action);
        Xunit.Assert.StartsWith(source + ": ", e.Message);
        Xunit.Assert.Contains(part, e.Message);
        Xunit.Assert.DoesNotContain('\n', e.Message);
    }
}
