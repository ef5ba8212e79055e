using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using NtkDynamics.Analysis;
using NtkDynamics.Data;
using NtkDynamics.Experiments;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Tests.Data;
using NtkDynamics.Tests.Experiments;
using Xunit.Abstractions;

namespace NtkDynamics.Tests.Fuzz;

/// <summary>
/// FsCheck properties over every reader of user files: truncations, bit flips, wrong header values, overwritten runs and
/// appended garbage (<see cref="Mutation"/>) always give a one-line <see cref="InputException"/> naming the file, or a clean
/// read; never another exception, a hang or a huge allocation. Each property has a fixed seed and prints how many cases it ran.
/// </summary>
public class ReaderFuzzTests(ITestOutputHelper output)
{
    private void Fuzz(string name, TempFolder dir, IReadOnlyList<FuzzFile> files, Action<string> read, int cases, ulong seed)
    {
        var fuzzer = new Fuzzer(dir.Path, files, read);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        fuzzer.Run(cases, seed);
        output.WriteLine($"{fuzzer.Summary(name)}; {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(cases, fuzzer.Cases);
        Assert.True(fuzzer.Rejected > 0, $"{name}: no mutation was ever rejected: the property checks nothing");
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static List<Field> NoFields(byte[] _) => [];

    // Npy: magic, version, header length (uint16 LE), then the dict's text.
    private static List<Field> NpyFields(byte[] b) =>
        b.Length < 10 ? [] : [new(6, 1, FieldEncoding.LittleEndian), new(7, 1, FieldEncoding.LittleEndian), new(8, 2, FieldEncoding.LittleEndian),
            .. Mutation.Tokens(b, 10, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)))];

    // Safetensors: header length (uint64 LE), then the header's JSON.
    private static List<Field> SafeTensorsFields(byte[] b) =>
        b.Length < 8 ? [] : [new(0, 8, FieldEncoding.LittleEndian), .. Mutation.Tokens(b, 8, (int)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(b), 1 << 20))];

    private static List<Field> TextFields(byte[] b) => Mutation.Tokens(b);

    [Fact]
    public void Npy()
    {
        using var dir = new TempFolder();
        string[] names = ["npy_f4_2x3.npy", "npy_i8_5.npy", "npy_b1_4.npy", "npy_f8_scalar.npy", "npy_u1_2x2x2.npy"];
        foreach (string n in names) File.Copy(Fixture(n), dir.File(n));
        Fuzz("npy", dir, [.. names.Select(n => new FuzzFile(n, NpyFields))], d => { foreach (string n in names) NtkDynamics.Formats.Npy.Read(Path.Combine(d, n)); }, 1500, 1);
    }

    [Fact]
    public void SafeTensors()
    {
        using var dir = new TempFolder();
        string[] names = ["st_mixed.safetensors", "st_f16.safetensors", "mlp_weights.safetensors"];
        foreach (string n in names) File.Copy(Fixture(n), dir.File(n));
        Fuzz("safetensors", dir, [.. names.Select(n => new FuzzFile(n, SafeTensorsFields))],
            d => { foreach (string n in names) NtkDynamics.Formats.SafeTensors.ReadArrays(Path.Combine(d, n)); }, 1500, 2);
    }

    private static void WriteIdx(TempFolder dir, bool gzip)
    {
        byte[] Maybe(byte[] b) => gzip ? Mutation.Gzip(b) : b;
        string ext = gzip ? ".gz" : "";
        byte[] labels = [.. Enumerable.Range(0, 12).Select(i => (byte)(i % 3))];
        File.WriteAllBytes(dir.File($"train-images-idx3-ubyte{ext}"), Maybe(IdxTests.ImagesFile(12, 6, 5, (i, p) => (byte)(i * 9 + p))));
        File.WriteAllBytes(dir.File($"train-labels-idx1-ubyte{ext}"), Maybe(IdxTests.LabelsFile(labels)));
        File.WriteAllBytes(dir.File($"t10k-images-idx3-ubyte{ext}"), Maybe(IdxTests.ImagesFile(6, 6, 5, (i, p) => (byte)(i + p))));
        File.WriteAllBytes(dir.File($"t10k-labels-idx1-ubyte{ext}"), Maybe(IdxTests.LabelsFile(labels[..6])));
    }

    private static List<Field> IdxFields(byte[] b) =>
        [.. Enumerable.Range(0, 4).Where(k => b.Length >= 4 * k + 4).Select(k => new Field(4 * k, 4, FieldEncoding.BigEndian)),
            .. b.Length >= 4 ? new[] { new Field(2, 1, FieldEncoding.BigEndian), new Field(3, 1, FieldEncoding.BigEndian) } : []];

    [Theory]
    [InlineData(false, 1200, 3UL)]
    [InlineData(true, 800, 4UL)]
    public void Idx(bool gzip, int cases, ulong seed)
    {
        using var dir = new TempFolder();
        WriteIdx(dir, gzip);
        var files = Directory.GetFiles(dir.Path).Select(f => new FuzzFile(Path.GetFileName(f), IdxFields, Gzipped: gzip)).ToList();
        Fuzz(gzip ? "IDX (gzipped)" : "IDX", dir, files, d => NtkDynamics.Data.Idx.LoadDirectory(d, "fuzz"), cases, seed);
    }

    [Fact]
    public void CifarBinary()
    {
        using var dir = new TempFolder();
        byte[] Records(int n, int seed, int labelBytes) => [.. Enumerable.Range(0, n).SelectMany(i =>
            Enumerable.Range(0, labelBytes).Select(b => (byte)((seed + i + b) % 10)).Concat(Enumerable.Range(0, 3072).Select(p => (byte)(seed * 31 + i * 7 + p))))];
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(dir.File($"c10/data_batch_{b}.bin"), Records(2, b, 1));
        File.WriteAllBytes(dir.File("c10/test_batch.bin"), Records(2, 9, 1));
        File.WriteAllLines(dir.File("c10/batches.meta.txt"), ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]);
        File.WriteAllBytes(dir.File("c100/train.bin"), Records(3, 1, 2));
        File.WriteAllBytes(dir.File("c100/test.bin"), Records(2, 2, 2));
        List<Field> Labels(byte[] b) => [.. Enumerable.Range(0, 3).SelectMany(k => new[] { k * 3073, k * 3074, k * 3074 + 1 }).Where(o => o < b.Length).Select(o => new Field(o, 1, FieldEncoding.BigEndian))];
        var files = new List<FuzzFile>(Enumerable.Range(1, 5).Select(b => new FuzzFile($"c10/data_batch_{b}.bin", Labels)))
        {
            new("c10/test_batch.bin", Labels), new("c10/batches.meta.txt", TextFields), new("c100/train.bin", Labels), new("c100/test.bin", Labels),
        };
        Fuzz("CIFAR binary", dir, files, d =>
        {
            NtkDynamics.Data.CifarBinary.LoadCifar10(Path.Combine(d, "c10"));
            NtkDynamics.Data.CifarBinary.LoadCifar100(Path.Combine(d, "c100"), coarse: true);
        }, 600, 5);
    }

    private static List<(string Path, byte[] Bytes)> Jpegs()
    {
        using var encoder = TurboJpeg.Encoder();
        var files = new List<(string, byte[])>();
        foreach (string split in new[] { "train", "test" })
            foreach (string cls in new[] { "a", "b" })
                for (int k = 0; k < 2; k++)
                    files.Add(($"{split}/{cls}/{k}.jpg", encoder.Encode([.. Enumerable.Range(0, 8 * 8 * 3).Select(i => (byte)(i * (k + 3) + cls[0]))], 8, 8, 90)));
        return files;
    }

    // JPEG: each marker segment's length (uint16 BE) and, in a frame header (SOF0..SOF2), the precision, height, width and components.
    private static List<Field> JpegFields(byte[] b)
    {
        var fields = new List<Field>();
        for (int at = 2; at + 4 <= b.Length && b[at] == 0xFF && b[at + 1] != 0xDA;)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at + 2));
            fields.Add(new(at + 2, 2, FieldEncoding.BigEndian));
            if (b[at + 1] is 0xC0 or 0xC1 or 0xC2 && at + 10 <= b.Length)
                fields.AddRange([new(at + 4, 1, FieldEncoding.BigEndian), new(at + 5, 2, FieldEncoding.BigEndian), new(at + 7, 2, FieldEncoding.BigEndian), new(at + 9, 1, FieldEncoding.BigEndian)]);
            at += 2 + length;
        }
        return fields;
    }

    [Fact]
    public void JpegFolders()
    {
        using var dir = new TempFolder();
        var jpegs = Jpegs();
        foreach (var (path, bytes) in jpegs) File.WriteAllBytes(dir.File($"set/{path}"), bytes);
        Fuzz("JPEG folders", dir, [.. jpegs.Take(5).Select(j => new FuzzFile($"set/{j.Path}", JpegFields))],
            d => ImageFolder.Load(Path.Combine(d, "set"), "fuzz", null), 500, 6);
    }

    // Tar: walks the 512-byte headers; for each, name, mode, size, mtime, checksum (octal) and type flag.
    private static List<Field> TarFields(byte[] b)
    {
        var fields = new List<Field>();
        for (long at = 0; at + 512 <= b.Length && b[(int)at] != 0 && fields.Count < 400;)
        {
            int h = (int)at;
            fields.AddRange([.. Mutation.Tokens(b, h, 100), new(h + 100, 8, FieldEncoding.Octal), new(h + 124, 12, FieldEncoding.Octal),
                new(h + 136, 12, FieldEncoding.Octal), new(h + 148, 8, FieldEncoding.Octal), new(h + 156, 1, FieldEncoding.BigEndian)]);
            string size = System.Text.Encoding.ASCII.GetString(b, h + 124, 12).Trim('\0', ' ');
            long n;
            try { n = size.Length == 0 ? 0 : Convert.ToInt64(size, 8); } catch (FormatException) { break; } catch (ArgumentException) { break; } catch (OverflowException) { break; }
            if (b[h + 156] is (byte)'x' or (byte)'g') fields.AddRange(Mutation.Tokens(b, h + 512, (int)Math.Min(n, 4096)));
            at += 512 + (n + 511) / 512 * 512;
        }
        return fields;
    }

    // After a header mutation, the checksum of the header holding it is made right again, so the reader meets the lying value.
    private static byte[] TarChecksum(byte[] b, int offset)
    {
        int h = offset / 512 * 512;
        if (h + 512 > b.Length) return b;
        var copy = (byte[])b.Clone();
        copy.AsSpan(h + 148, 8).Fill((byte)' ');
        int sum = 0;
        for (int i = h; i < h + 512; i++) sum += copy[i];
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(copy, h + 148);
        return copy;
    }

    [Theory]
    [InlineData(false, 800, 7UL)]
    [InlineData(true, 500, 8UL)]
    public void Tar(bool gzip, int cases, ulong seed)
    {
        using var dir = new TempFolder();
        string name = gzip ? "set.tar.gz" : "set.tar";
        using (Stream file = File.Create(dir.File(name)), stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file)
        using (var tar = new TarWriter(stream, TarEntryFormat.Pax))
        {
            foreach (var (path, bytes) in Jpegs()) tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"data/{path}") { DataStream = new MemoryStream(bytes) });
        }
        Fuzz(gzip ? "tar.gz" : "tar", dir, [new FuzzFile(name, TarFields, Gzipped: gzip, FixUp: TarChecksum)],
            d => ImageFolder.Load(Path.Combine(d, name), "fuzz", null), cases, seed);
    }

    [Fact]
    public void ExperimentConfigs()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("e.yaml"), RunnerTests.TinyYaml("fuzz", dir.File("runs"), "eval: {every_steps: 3}\n"));
        File.WriteAllText(dir.File("e.json"), """
            {"name": "j", "seed": 2, "model": {"kind": "mlp", "hidden": [16, 8], "parametrisation": "ntk", "sigma_w": 1.4},
             "data": {"dataset": "embedded", "train_per_class": 10, "test_per_class": 5},
             "stream": {"kind": "frequency-mixture", "alphas": [0.1, 0.6], "train_size": 40, "test_size": 20, "probe_size": 8},
             "train": {"lr": "0.1/width", "batch_size": 8, "epochs_per_task": 1}, "ntk": {"kind": "full", "every": 2, "budget_gib": 0.5}}
            """);
        var data = new DataCache();
        Fuzz("YAML/JSON configs", dir, [new FuzzFile("e.yaml", TextFields), new FuzzFile("e.json", TextFields)], d =>
        {
            foreach (string f in new[] { "e.yaml", "e.json" }) Experiment.Build(ExperimentConfig.Load(Path.Combine(d, f)), data: data);
        }, 400, 9);
    }

    [Fact]
    public void SweepFiles()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("s.yaml"), $"""
            name: fuzz
            output: {dir.File("runs")}
            workers: 2
            experiment:
              model: {"{"}kind: cnn, width: 4{"}"}
              data: {"{"}dataset: embedded, train_per_class: 8{"}"}
              stream: {"{"}kind: class-overlap, classes_per_task: 5{"}"}
            grid:
              stream.shifts: [0, 2, 5]
              train.lr: ['0.1/width', 0.01]
              seed: [0, 1]
            slurm: {"{"}cpus: 2, memory: 4G, time: '1:00:00', max_concurrent: 3{"}"}
            """);
        Fuzz("sweep files", dir, [new FuzzFile("s.yaml", TextFields)], d => Sweep.Load(Path.Combine(d, "s.yaml")), 600, 10);
    }

    /// <summary>A finished tiny run (with checkpoints and saved kernels) to take files from.</summary>
    private static RunFolder TinyRun(TempFolder dir)
    {
        var config = ExperimentConfig.Parse(RunnerTests.TinyYaml("run", dir.Path).Replace("epochs_per_task: 2", "epochs_per_task: 1"), "tiny.yaml");
        return Runner.Start(config);
    }

    [Fact]
    public void Checkpoints()
    {
        using var dir = new TempFolder();
        var run = TinyRun(dir);
        string checkpoint = Checkpoint.Latest(run)!;
        var experiment = Experiment.Build(ExperimentConfig.Load(run.Config));
        var optimizer = new Sgd(experiment.Model.Parameters, 0.1, 0.9);
        var tracker = new KernelTracker(experiment.Stream.Probe.Labels, experiment.Stream.NumClasses, 5);
        string relative = Path.GetRelativePath(dir.Path, checkpoint);
        var files = new List<FuzzFile>
        {
            new($"{relative}/model.safetensors", SafeTensorsFields), new($"{relative}/optimizer.safetensors", SafeTensorsFields),
            new($"{relative}/kernels.safetensors", SafeTensorsFields), new($"{relative}/strategy.safetensors", SafeTensorsFields),
            new($"{relative}/state.json", TextFields),
            new("run/checkpoints/latest", TextFields),
        };
        files.AddRange(Directory.GetFiles(checkpoint).Where(f => Path.GetFileName(f) is not ("model.safetensors" or "optimizer.safetensors" or "kernels.safetensors" or "strategy.safetensors" or "state.json"))
            .Select(f => new FuzzFile(Path.GetRelativePath(dir.Path, f), TextFields)));
        Fuzz("checkpoints", dir, files, d =>
        {
            if (Checkpoint.Latest(new RunFolder(Path.Combine(d, "run"))) is { } latest) Checkpoint.Load(latest, experiment.Model, optimizer, tracker, experiment.Strategy);
        }, 600, 11);
    }

    [Fact]
    public void RunFoldersAsTheAnalysisReadsThem()
    {
        using var dir = new TempFolder();
        var run = TinyRun(dir);
        string[] text = ["metrics.jsonl", "accuracy.csv", "stream.json", "status.json", "summary.json", "config.yaml"];
        var kernels = Directory.GetFiles(run.Kernels).Order().Take(3).ToList();
        var files = text.Select(f => new FuzzFile($"run/{f}", TextFields))
            .Concat(kernels.Select(k => new FuzzFile(Path.GetRelativePath(dir.Path, k), NpyFields))).ToList();
        Fuzz("run folders and metrics", dir, files, d =>
        {
            var data = RunData.Load(Path.Combine(d, "run"));
            SwitchAnalysis.Analyze(data);
            KernelDistanceMatrix.FromRun(data, 80);
            data.AccuracyMatrix();
            RunIndex.Read(Path.Combine(d, "run"));
        }, 500, 12);
    }

    [Fact]
    public void DecodedCacheEntriesAreAMissWhenDamaged()
    {
        using var dir = new TempFolder();
        var jpegs = Jpegs();
        foreach (var (path, bytes) in jpegs) File.WriteAllBytes(dir.File($"set/{path}"), bytes);
        var original = DataSets.Load(dir.File("set/.keep")[..^6], new LoadOptions(CacheFolder: dir.File("cache/.keep")[..^6]));
        string entry = Directory.GetFiles(dir.File("cache/.keep")[..^6], "*.ntkcache").Single();
        string key = Path.GetFileNameWithoutExtension(entry);
        List<Field> CacheFields(byte[] b) => [.. Enumerable.Range(0, Math.Max(0, (Math.Min(b.Length, 200) - 4) / 4)).Select(k => new Field(12 + 4 * k, 4, FieldEncoding.LittleEndian))];
        int misses = 0;
        Fuzz("decoded cache", dir, [new FuzzFile(Path.GetRelativePath(dir.Path, entry), CacheFields)], d =>
        {
            var data = DecodedCache.GetOrLoad(Path.GetDirectoryName(Path.Combine(d, Path.GetRelativePath(dir.Path, entry)))!, key, "set", "set", () =>
            {
                misses++;
                throw new InputException($"{d}: a miss (the damaged entry was not used)");
            });
            Assert.Equal(original.Train.Pixels, data.Train.Pixels);
            Assert.Equal(original.Train.Labels, data.Train.Labels);
        }, 600, 13);
        output.WriteLine($"{misses} misses");
    }
}
