namespace NtkDynamics.Data;

/// <summary>
/// The default data set shipped inside the library: Fashion-MNIST, the first 300 training and 100 test images of each
/// class (3,000 + 1,000 images, 1x28x28), so runs and tests need nothing downloaded. See Data/Embedded/README.md.
/// </summary>
public static class EmbeddedData
{
    private const string Prefix = "NtkDynamics.Data.Embedded.";

    public static ImageDataset Load() => Idx.FromStreams("embedded", "embedded resource (Fashion-MNIST 300/100 per class)",
        Idx.FashionMnistClasses, Open,
        "fashion-mnist-train-images-idx3-ubyte.gz", "fashion-mnist-train-labels-idx1-ubyte.gz",
        "fashion-mnist-test-images-idx3-ubyte.gz", "fashion-mnist-test-labels-idx1-ubyte.gz");

    private static Stream Open(string file) =>
        typeof(EmbeddedData).Assembly.GetManifestResourceStream(Prefix + file)
        ?? throw new InvalidOperationException($"embedded resource {Prefix + file} is missing from the build");
}
