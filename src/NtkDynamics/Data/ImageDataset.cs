using NtkDynamics.Tensors;

namespace NtkDynamics.Data;

/// <summary>
/// An image classification data set in memory: a training and a test split of uint8 (N, C, H, W) images
/// with the same image shape, and the class names (label k is <c>ClassNames[k]</c>).
/// </summary>
public sealed class ImageDataset
{
    /// <summary>A short name ("cifar10", "embedded", or the folder's name).</summary>
    public string Name { get; }

    /// <summary>Where it was read from (a path, or "embedded resource").</summary>
    public string Source { get; }

    public IReadOnlyList<string> ClassNames { get; }
    public ImageSplit Train { get; }
    public ImageSplit Test { get; }

    public int NumClasses => ClassNames.Count;
    public int Channels => Train.Channels;
    public int Height => Train.Height;
    public int Width => Train.Width;

    public ImageDataset(string name, string source, IReadOnlyList<string> classNames, ImageSplit train, ImageSplit test)
    {
        if (classNames.Count == 0) throw new InputException($"{source}: the data set has no classes");
        if (train.Channels != test.Channels || train.Height != test.Height || train.Width != test.Width)
            throw new InputException($"{source}: train images are ({train.Channels}, {train.Height}, {train.Width}) but test images are ({test.Channels}, {test.Height}, {test.Width})");
        foreach (var (split, s) in new[] { ("train", train), ("test", test) })
            foreach (int y in s.Labels)
                if ((uint)y >= (uint)classNames.Count)
                    throw new InputException($"{source}: {split} label {y} is out of range for {classNames.Count} classes");
        Name = name;
        Source = source;
        ClassNames = classNames;
        Train = train;
        Test = test;
    }

    public ImageSplit this[Split split] => split == Split.Train ? Train : Test;

    /// <summary>The superclass of each class (CIFAR-100's 20 coarse labels of its 100 fine ones; -1 when unknown), or null when the data set has none.</summary>
    public IReadOnlyList<int>? Superclasses { get; private init; }

    /// <summary>The superclasses' names (index = superclass), or null.</summary>
    public IReadOnlyList<string>? SuperclassNames { get; private init; }

    /// <summary>
    /// The same data set, knowing that class c belongs to superclass <paramref name="superclasses"/>[c] (named
    /// <paramref name="names"/>; -1: unknown); every superclass index must have a name.
    /// </summary>
    public ImageDataset WithSuperclasses(IReadOnlyList<int> superclasses, IReadOnlyList<string> names)
    {
        if (superclasses.Count != NumClasses) throw new InputException($"{Source}: {superclasses.Count} superclass labels for {NumClasses} classes");
        if (superclasses.FirstOrDefault(g => g < -1 || g >= names.Count, -1) is int bad and not -1)
            throw new InputException($"{Source}: superclass {bad} is out of range for {names.Count} superclass names");
        return new ImageDataset(Name, Source, ClassNames, Train, Test) { Superclasses = superclasses, SuperclassNames = names };
    }

    /// <summary>This data set's superclasses (if any) given to <paramref name="other"/>, a copy of it with other images.</summary>
    internal ImageDataset KeepSuperclasses(ImageDataset other) => Superclasses is null ? other : other.WithSuperclasses(Superclasses, SuperclassNames!);

    /// <summary>
    /// A smaller data set with at most <paramref name="trainPerClass"/> training and <paramref name="testPerClass"/> test
    /// images of each class (null keeps all), drawn without replacement by <paramref name="seed"/>; the kept images stay
    /// in their original order. Asking for more images than a class has is an error (key data.train_per_class / data.test_per_class).
    /// </summary>
    public ImageDataset Subset(int? trainPerClass, int? testPerClass, ulong seed)
    {
        var rng = new Rng(seed);
        var train = SubsetSplit(Train, trainPerClass, rng.Fork(), "data.train_per_class");
        var test = SubsetSplit(Test, testPerClass, rng.Fork(), "data.test_per_class");
        return KeepSuperclasses(new ImageDataset(Name, Source, ClassNames, train, test));
    }

    private ImageSplit SubsetSplit(ImageSplit split, int? perClass, Rng rng, string key)
    {
        if (perClass is null) return split;
        if (perClass <= 0) throw new InputException($"{key}: must be positive, got {perClass}");
        var keep = new List<int>();
        int[][] byClass = split.IndicesPerClass(NumClasses);
        for (int c = 0; c < NumClasses; c++)
        {
            if (byClass[c].Length < perClass)
                throw new InputException($"{key}: {perClass} images asked for but class {c} ({ClassNames[c]}) has {byClass[c].Length}");
            int[] pool = byClass[c];
            rng.Shuffle(pool.AsSpan());
            keep.AddRange(pool.AsSpan(0, perClass.Value));
        }
        keep.Sort();
        return split.Select(keep.ToArray());
    }
}
