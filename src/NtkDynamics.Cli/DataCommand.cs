using System.CommandLine;
using System.Diagnostics;
using NtkDynamics.Data;

namespace NtkDynamics.Cli;

/// <summary>`ntk data list` and `ntk data inspect NAME`: which data sets are found where, and what one holds.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var cmd = new Command("data", "List the data sets that can be found, or inspect one");
        cmd.Subcommands.Add(ListCommand());
        cmd.Subcommands.Add(InspectCommand());
        return cmd;
    }

    private static Command ListCommand()
    {
        var cmd = new Command("list", "Show the known data sets and where they were found");
        cmd.SetAction(_ =>
        {
            foreach (var source in DataSets.List())
                Console.WriteLine($"{source.Name,-16} {source.Format,-34} {source.Location ?? "not found"}");
            Console.WriteLine();
            Console.WriteLine($"search roots: {string.Join(", ", DataSets.SearchRoots())}");
            Console.WriteLine($"decoded cache: {DecodedCache.DefaultFolder} (NTK_CACHE)");
            Console.WriteLine("any path also works: a cifar-10-batches-bin or cifar-100-binary folder, IDX files, <split>/<class>/*.jpg folders or a .tar[.gz] of them");
            return 0;
        });
        return cmd;
    }

    private static Command InspectCommand()
    {
        var name = new Argument<string>("name") { Description = "a data set name (see `ntk data list`) or a path" };
        var sheet = new Option<string?>("--sheet") { Description = "write a contact sheet of samples here (.svg with class names, or .png); default NAME-SPLIT.svg" };
        var split = new Option<Split>("--split") { Description = "the split shown in the contact sheet", DefaultValueFactory = _ => Split.Train };
        var perClass = new Option<int>("--per-class") { Description = "images per class in the contact sheet", DefaultValueFactory = _ => 12 };
        var size = new Option<int?>("--image-size") { Description = "resize images to this square size (area averaging)" };
        var noCache = new Option<bool>("--no-cache") { Description = "decode again instead of using the decoded cache" };
        var seed = new Option<ulong>("--seed") { Description = "seed for the samples shown", DefaultValueFactory = _ => 0 };
        var cmd = new Command("inspect", "Show counts per class and split, image shape and channel statistics; write a contact sheet") { name, sheet, split, perClass, size, noCache, seed };
        cmd.SetAction(r =>
        {
            if (r.GetValue(perClass) <= 0) throw new InputException($"--per-class: must be positive, got {r.GetValue(perClass)}");
            if (r.GetValue(sheet) is { } target && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(target))))
                throw new InputException($"--sheet: folder {Path.GetDirectoryName(Path.GetFullPath(target))} does not exist");
            var source = DataSets.Find(r.GetValue(name)!);
            var watch = Stopwatch.StartNew();
            var options = new LoadOptions(r.GetValue(size), !r.GetValue(noCache), Log: line => Console.WriteLine($"  {line}"));
            var data = source.Load(options);
            Console.WriteLine($"{data.Name}: {source.Format}, {data.Source}, loaded in {watch.Elapsed.TotalSeconds:F2} s");
            Console.WriteLine($"images    {data.Channels}x{data.Height}x{data.Width} (C x H x W), uint8");
            Console.WriteLine($"classes   {data.NumClasses}");
            Console.WriteLine($"train     {data.Train.Count}");
            Console.WriteLine($"test      {data.Test.Count}");
            var norm = Normalizer.FromSplit(data.Train);
            Console.WriteLine($"mean      {string.Join(", ", norm.Mean.Select(m => m.ToString("F4")))} (per channel, train split, pixel/255)");
            Console.WriteLine($"std       {string.Join(", ", norm.Std.Select(m => m.ToString("F4")))}");
            Console.WriteLine();
            int[] train = data.Train.CountPerClass(data.NumClasses), test = data.Test.CountPerClass(data.NumClasses);
            Console.WriteLine($"{"label",5}  {"class",-24} {"train",7} {"test",7}");
            for (int c = 0; c < data.NumClasses; c++)
                Console.WriteLine($"{c,5}  {data.ClassNames[c],-24} {train[c],7} {test[c],7}");
            var which = r.GetValue(split);
            string path = r.GetValue(sheet) ?? $"{data.Name}-{which.ToString().ToLowerInvariant()}.svg";
            int k = r.GetValue(perClass);
            ContactSheet.Write(data, which, k, r.GetValue(seed), path);
            Console.WriteLine();
            Console.WriteLine($"contact sheet: {Path.GetFullPath(path)} ({k} {which.ToString().ToLowerInvariant()} images per class, one row per class)");
            return 0;
        });
        return cmd;
    }
}
