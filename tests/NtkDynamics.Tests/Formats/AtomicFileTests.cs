using NtkDynamics.Formats;

namespace NtkDynamics.Tests.Formats;

public class AtomicFileTests
{
    [Fact]
    public void ReplacesTheTargetAndLeavesNoTemporaryFile()
    {
        using var dir = new TempDir();
        string path = dir.Path("k.npy");
        File.WriteAllText(path, "old");
        Npy.Write(path, new double[] { 1, 2 }, 2);
        Assert.Equal([1.0, 2.0], Npy.Read(path).ToDouble());
        Assert.Equal([path], Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileUntouched()
    {
        using var dir = new TempDir();
        string path = dir.Path("w.safetensors");
        File.WriteAllText(path, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100]);
            throw new IOException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Root));
    }
}
