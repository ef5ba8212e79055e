using NtkDynamics.Data;
using NtkDynamics.Formats;

namespace NtkDynamics.Tests.Data;

public class DatasetToolsTests
{
    /// <summary>A data set of 2-channel 1x2 images: class c has n images; image i of a split has pixels i, 2i, 100+c, 3.</summary>
    internal static ImageDataset Tiny(int classes, int trainPerClass, int testPerClass)
    {
        ImageSplit Make(int perClass)
        {
            int n = classes * perClass;
            var labels = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
            var pixels = new byte[n * 4];
            for (int i = 0; i < n; i++) { pixels[4 * i] = (byte)i; pixels[4 * i + 1] = (byte)(2 * i); pixels[4 * i + 2] = (byte)(100 + labels[i]); pixels[4 * i + 3] = 3; }
            return new ImageSplit(pixels, labels, 2, 1, 2);
        }
        return new ImageDataset("tiny", "memory", Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(), Make(trainPerClass), Make(testPerClass));
    }

    [Fact]
    public void Area_resize_averages_blocks_and_handles_fractions()
    {
        // (1, 4, 4) -> (1, 2, 2): each output is the mean of a 2x2 block
        byte[] src = [0, 2, 10, 20, 4, 6, 30, 40, 100, 100, 0, 0, 100, 101, 0, 1];
        var dst = new byte[4];
        AreaResize.Planes(src, 1, 4, 4, dst, 2, 2);
        Assert.Equal([3, 25, 100, 0], dst); // 100.25 -> 100, 0.25 -> 0

        // (1, 1, 3) -> (1, 1, 2): outputs cover 1.5 pixels: (a + b/2) / 1.5
        var two = new byte[2];
        AreaResize.Planes([30, 60, 90], 1, 1, 3, two, 1, 2);
        Assert.Equal([40, 80], two);
    }

    [Fact]
    public void Normalizer_uses_train_statistics_per_channel()
    {
        var data = Tiny(classes: 2, trainPerClass: 2, testPerClass: 1);
        var norm = Normalizer.FromSplit(data.Train);
        // channel 0 holds pixels (i, 2i) for i = 0..3: 0,0,1,2,2,4,3,6; channel 1 holds 100+c and 3
        double[] ch0 = [0, 0, 1, 2, 2, 4, 3, 6], ch1 = [100, 3, 101, 3, 100, 3, 101, 3];
        foreach (var (values, c) in new[] { (ch0, 0), (ch1, 1) })
        {
            double mean = values.Average(), std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
            // float64 statistics on both sides (ours from Σx and Σx², well within 1e-12), each rounded once to float32
            Close.Ulps((float)(mean / 255), norm.Mean[c], 1, $"mean {c}");
            Close.Ulps((float)(std / 255), norm.Std[c], 1, $"std {c}");
        }
        var x = norm.Apply(data.Test, [1]);
        Assert.Equal([1, 2, 1, 2], x.Shape);
        // float32 on both sides from the same Mean and Std: ours p·(1/(255 std)) - mean/std (5 roundings), this 3; the
        // difference cancels at most 2.1x (101 against the mean 52.25, 1 against 2.25)
        Close.Roundings((1 / 255f - norm.Mean[0]) / norm.Std[0], x.Data[0], 6, 3, u: Close.U32);
        Close.Roundings((2 / 255f - norm.Mean[0]) / norm.Std[0], x.Data[1], 6, 3, u: Close.U32);
        Close.Roundings((101 / 255f - norm.Mean[1]) / norm.Std[1], x.Data[2], 6, 3, u: Close.U32);
    }

    [Fact]
    public void Subset_keeps_k_per_class_in_order_and_is_seeded()
    {
        var data = Tiny(classes: 3, trainPerClass: 10, testPerClass: 4);
        var a = data.Subset(trainPerClass: 4, testPerClass: null, seed: 7);
        var b = data.Subset(4, null, 7);
        var c = data.Subset(4, null, 8);
        Assert.Equal([4, 4, 4], a.Train.CountPerClass(3));
        Assert.Equal(12, a.Test.Count);
        Assert.Equal(a.Train.Pixels, b.Train.Pixels);
        Assert.NotEqual(a.Train.Pixels, c.Train.Pixels);
        var kept = Enumerable.Range(0, a.Train.Count).Select(i => (int)a.Train.Image(i)[0]).ToArray(); // pixel 0 = original index
        Assert.Equal(kept.Order(), kept);
        Assert.All(Enumerable.Range(0, kept.Length), i => Assert.Equal(kept[i] % 3, a.Train.Labels[i]));
        Assert.Contains("data.test_per_class: 5 images asked for but class 0 (c0) has 4", Assert.Throws<InputException>(() => data.Subset(null, 5, 0)).Message);
    }

    [Fact]
    public void Contact_sheet_names_every_class_beside_its_row_in_svg_and_png()
    {
        using var dir = new TempFolder();
        var data = EmbeddedData.Load();
        string svg = dir.File("sheet.svg"), png = dir.File("sheet.png");
        ContactSheet.Write(data, Split.Test, 4, 1, svg);
        ContactSheet.Write(data, Split.Test, 4, 1, png);
        string text = File.ReadAllText(svg);
        Assert.Contains("data:image/png;base64,", text);
        Assert.Contains("9 Ankle boot (100)", text);
        Assert.Contains("0 T-shirt/top (100)", text);
        Assert.Equal([0x89, (byte)'P'], File.ReadAllBytes(png)[..2]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        // the class names are the y ticks, one per row, top to bottom in class order.
        NtkDynamics.Reporting.Chart chart = ContactSheet.Figure(data, Split.Test, 4, 1);
        chart.ToSvg(); // its ticks are laid out when rendered
        ScottPlot.Plot sheet = chart.Panels.Single();
        ScottPlot.Tick[] ticks = [.. sheet.Axes.Left.TickGenerator.Ticks.OrderByDescending(t => t.Position)];
        Assert.Equal([.. Enumerable.Range(0, 10).Select(c => $"{c} {data.ClassNames[c]} (100)")], ticks.Select(t => t.Label));
        Assert.Single(sheet.GetPlottables<ScottPlot.Plottables.ImageRect>());
        // the grid holds the drawn images: row 3 (Dress) column 0 is one of the test split's dresses
        var (grid, width, _) = ContactSheet.Grid(data, data.Test, 4, 1);
        var dresses = Enumerable.Range(0, data.Test.Count).Where(i => data.Test.Labels[i] == 3);
        int top = 2 + 3 * 30, left = 2;
        Assert.Contains(dresses, i => Enumerable.Range(0, 28 * 28).All(p => grid[((top + p / 28) * width + left + p % 28) * 3] == data.Test.Image(i)[p]));
    }
}
