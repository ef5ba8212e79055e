namespace NtkDynamics.Data;

/// <summary>
/// Reads the CIFAR binary versions: CIFAR-10 (<c>cifar-10-batches-bin/</c>: data_batch_1..5.bin, test_batch.bin,
/// records of 1 label byte + 3072 pixel bytes) and CIFAR-100 (<c>cifar-100-binary/</c>: train.bin, test.bin, records of
/// coarse label, fine label, 3072 pixel bytes). Pixels are R, G, B planes of 32x32, i.e. already (C, H, W).
/// </summary>
public static class CifarBinary
{
    private const int Pixels = 3 * 32 * 32;

    /// <summary>True when <paramref name="dir"/> looks like cifar-10-batches-bin.</summary>
    public static bool IsCifar10(string dir) => File.Exists(Path.Combine(dir, "data_batch_1.bin"));

    /// <summary>True when <paramref name="dir"/> looks like cifar-100-binary.</summary>
    public static bool IsCifar100(string dir) => File.Exists(Path.Combine(dir, "train.bin")) && File.Exists(Path.Combine(dir, "test.bin"));

    /// <summary>CIFAR-10 from cifar-10-batches-bin; class names from batches.meta.txt when present, else "0".."9".</summary>
    public static ImageDataset LoadCifar10(string dir, string name = "cifar10")
    {
        var names = ClassNames(Path.Combine(dir, "batches.meta.txt"), 10);
        var trainFiles = Enumerable.Range(1, 5).Select(i => Path.Combine(dir, $"data_batch_{i}.bin")).ToArray();
        var train = ReadRecords(trainFiles, labelIndex: 0, classesPerLabel: [10]);
        var test = ReadRecords([Path.Combine(dir, "test_batch.bin")], labelIndex: 0, classesPerLabel: [10]);
        return new ImageDataset(name, dir, names, train, test);
    }

    /// <summary>
    /// CIFAR-100 from cifar-100-binary with the 100 fine labels, or the 20 coarse ones when <paramref name="coarse"/>;
    /// class names from fine_label_names.txt / coarse_label_names.txt when present, else the label numbers. With fine labels
    /// the data set also knows each class's superclass (its coarse label, which every record carries; a fine class seen
    /// with two coarse labels is an error).
    /// </summary>
    public static ImageDataset LoadCifar100(string dir, bool coarse = false, string name = "cifar100")
    {
        int numClasses = coarse ? 20 : 100;
        var names = ClassNames(Path.Combine(dir, coarse ? "coarse_label_names.txt" : "fine_label_names.txt"), numClasses);
        int labelIndex = coarse ? 0 : 1;
        string trainFile = Path.Combine(dir, "train.bin"), testFile = Path.Combine(dir, "test.bin");
        var train = ReadRecords([trainFile], labelIndex, [20, 100]);
        var test = ReadRecords([testFile], labelIndex, [20, 100]);
        var data = new ImageDataset(name, dir, names, train, test);
        if (coarse) return data;
        var superclass = Enumerable.Repeat(-1, 100).ToArray();
        foreach (var (file, split) in new[] { (trainFile, train), (testFile, test) })
        {
            var coarseLabels = CoarseLabels(file);
            for (int i = 0; i < coarseLabels.Length; i++)
            {
                int fine = split.Labels[i];
                if (superclass[fine] >= 0 && superclass[fine] != coarseLabels[i])
                    throw new InputException($"{file}: record {i} puts fine class {fine} in superclass {coarseLabels[i]}, an earlier record in {superclass[fine]}");
                superclass[fine] = coarseLabels[i];
            }
        }
        // a fine class without images keeps superclass -1 (unknown)
        return data.WithSuperclasses(superclass, ClassNames(Path.Combine(dir, "coarse_label_names.txt"), 20));
    }

    /// <summary>The first label byte (the coarse label) of every record of a CIFAR-100 file that ReadRecords has checked.</summary>
    private static int[] CoarseLabels(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        var labels = new int[bytes.Length / (2 + Pixels)];
        for (int i = 0; i < labels.Length; i++) labels[i] = bytes[i * (2 + Pixels)];
        return labels;
    }

    /// <summary>
    /// Reads fixed-size records (one byte per label kind, then 3072 pixel bytes) from the files in order; label byte b must
    /// be below <paramref name="classesPerLabel"/>[b] (CIFAR-100's coarse and fine labels are both checked); the label
    /// kept is byte <paramref name="labelIndex"/>.
    /// </summary>
    private static ImageSplit ReadRecords(string[] files, int labelIndex, int[] classesPerLabel)
    {
        int labelBytes = classesPerLabel.Length, record = labelBytes + Pixels;
        long total = 0;
        foreach (string file in files)
        {
            if (!File.Exists(file)) throw new InputException($"{file}: file not found");
            long length = new FileInfo(file).Length;
            if (length == 0 || length % record != 0)
                throw new InputException($"{file}: {length} bytes is not a whole number of {record}-byte records (truncated or not a CIFAR file?)");
            total += length / record;
        }
        var pixels = new byte[total * Pixels];
        var labels = new int[total];
        int n = 0;
        foreach (string file in files)
        {
            byte[] bytes = File.ReadAllBytes(file);
            for (int offset = 0; offset < bytes.Length; offset += record, n++)
            {
                for (int b = 0; b < labelBytes; b++)
                    if (bytes[offset + b] >= classesPerLabel[b])
                        throw new InputException($"{file}: label {bytes[offset + b]} at byte offset {offset + b} (record {offset / record}) is out of range for {classesPerLabel[b]} classes");
                labels[n] = bytes[offset + labelIndex];
                bytes.AsSpan(offset + labelBytes, Pixels).CopyTo(pixels.AsSpan(n * Pixels));
            }
        }
        return new ImageSplit(pixels, labels, 3, 32, 32);
    }

    /// <summary>One class name per non-empty line of <paramref name="file"/>; the label numbers when it is absent.</summary>
    internal static string[] ClassNames(string file, int numClasses)
    {
        if (!File.Exists(file)) return Enumerable.Range(0, numClasses).Select(i => i.ToString()).ToArray();
        var names = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != numClasses)
            throw new InputException($"{file}: {names.Length} class names, expected {numClasses}");
        return names;
    }
}
