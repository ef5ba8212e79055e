using System.CommandLine;
using System.Globalization;
using System.Text;
using NtkDynamics.Data;
using NtkDynamics.Formats;
using NtkDynamics.Nn;
using NtkDynamics.Reporting;
using NtkDynamics.Tensors;
using NtkDynamics.Theory;

namespace NtkDynamics.Cli;

/// <summary>
/// `ntk theory convergence | dynamics | lazy-rich | spectral-bias`: the finite-width networks against the infinite-width
/// theory (src/NtkDynamics/Theory/CONVENTIONS.md). Each writes figures (.svg + .png) and a table (.md + .csv) into --out.
/// </summary>
internal static class TheoryCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var cmd = new Command("theory", "Compare finite networks with the infinite-width NTK theory; write figures and tables");
        cmd.Subcommands.Add(ConvergenceCommand());
        cmd.Subcommands.Add(DynamicsCommand());
        cmd.Subcommands.Add(LazyRichCommand());
        cmd.Subcommands.Add(SpectralBiasCommand());
        return cmd;
    }

    private static Option<string> Out() => new("--out") { Description = "folder for the figures and tables", DefaultValueFactory = _ => "theory" };

    private static Option<ulong> SeedOption() => new("--seed") { Description = "seeds the inputs and every network", DefaultValueFactory = _ => 0 };

    private static Option<string> IntList(string name, string description, string defaults) =>
        new(name) { Description = $"{description} (comma-separated)", DefaultValueFactory = _ => defaults };

    private static Option<int> Int(string name, string description, int value) =>
        new(name) { Description = description, DefaultValueFactory = _ => value };

    private static int[] Ints(string value, string key)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, Inv, out result[i]))
                throw new InputException($"{key}: '{parts[i]}' is not a whole number (expected e.g. 64,256,1024)");
        if (result.Length == 0) throw new InputException($"{key}: needs at least one value");
        return result;
    }

    private static Command ConvergenceCommand()
    {
        var (o, depths, widths, seeds, points, inputDim) = (Out(), IntList("--depths", "hidden-layer counts", "2,3"),
            IntList("--widths", "widths", "64,128,256,512,1024,2048,4096,8192,16384"), Int("--seeds", "networks per depth and width", 4),
            Int("--points", "points on the sphere", 16), Int("--input-dim", "input dimension d", 8));
        var seed = SeedOption();
        var cmd = new Command("convergence", "Empirical NTK of NTK-parametrised MLPs against the analytic kernel as the width grows")
            { o, depths, widths, seeds, points, inputDim, seed };
        cmd.SetAction(r =>
        {
            var options = new ConvergenceOptions
            {
                Depths = Ints(r.GetValue(depths)!, "--depths"), Widths = Ints(r.GetValue(widths)!, "--widths"),
                Seeds = r.GetValue(seeds), Points = r.GetValue(points), InputDim = r.GetValue(inputDim), Seed = r.GetValue(seed),
            };
            var result = KernelConvergence.Run(options, Console.WriteLine);
            string folder = r.GetValue(o)!;
            Report(Save(ConvergenceFigure(result), folder, "convergence"));
            var rows = new List<string[]>();
            foreach (int depth in options.Depths)
                foreach (int width in options.Widths)
                    rows.Add([S(depth), S(width), F(result.MeanError(depth, width)),
                        F(result.Samples.Where(s => s.Depth == depth && s.Width == width).Min(s => s.RelativeError)),
                        F(result.Samples.Where(s => s.Depth == depth && s.Width == width).Max(s => s.RelativeError))]);
            var summary = options.Depths.Select(d => $"depth {d}: slope {F(result.Fit(d).Slope)}").ToList();
            WriteTable(folder, "convergence", ["depth", "width", "mean_relative_error", "min", "max"], rows, summary);
            return 0;
        });
        return cmd;
    }

    private static Chart ConvergenceFigure(ConvergenceResult result)
    {
        var o = result.Options;
        var fig = new Chart(1, 1, 600, 500);
        var p = fig.Panel(0, 0);
        p.Labels($"eNTK → analytic NTK ({o.Points} points on the sphere, d = {o.InputDim}, {o.Seeds} seeds)", "width n", "‖Θ_n − Θ_∞‖_F / ‖Θ_∞‖_F");
        p.LogX(); p.LogY();
        double[] xs = o.Widths.Select(w => (double)w).ToArray();
        for (int i = 0; i < o.Depths.Length; i++)
        {
            int depth = o.Depths[i];
            var color = Look.Categorical(i);
            var samples = result.Samples.Where(s => s.Depth == depth).ToArray();
            p.Dots(samples.Select(s => (double)s.Width).ToArray(), samples.Select(s => s.RelativeError).ToArray(), null, Look.Lighter(color, 0.55));
            var fit = result.Fit(depth);
            p.Line(xs, xs.Select(w => result.MeanError(depth, (int)w)).ToArray(), $"{depth} hidden layers: mean over seeds", color, markers: true);
            p.Line(xs, xs.Select(fit.At).ToArray(), $"fit: slope {fit.Slope:F3}", color, dashed: true);
        }
        p.LegendOutside(ScottPlot.Edge.Bottom);
        return fig;
    }

    private static Command DynamicsCommand()
    {
        var (o, depth, widths, seeds, steps) = (Out(), Int("--depth", "hidden layers", 2),
            IntList("--widths", "widths", "64,128,256,512,1024,2048,4096"), Int("--seeds", "networks per width", 2), Int("--steps", "gradient descent steps", 100));
        var stepLambda = new Option<double>("--step-lambda") { Description = "h·λmax of the analytic train kernel (sets the learning rate)", DefaultValueFactory = _ => 0.5 };
        var seed = SeedOption();
        var cmd = new Command("dynamics", "Full-batch gradient descent of NTK-parametrised MLPs against the closed-form kernel dynamics")
            { o, depth, widths, seeds, steps, stepLambda, seed };
        cmd.SetAction(r =>
        {
            var options = new DynamicsOptions
            {
                Depth = r.GetValue(depth), Widths = Ints(r.GetValue(widths)!, "--widths"), Seeds = r.GetValue(seeds),
                Steps = r.GetValue(steps), StepTimesLambdaMax = r.GetValue(stepLambda), Seed = r.GetValue(seed),
            };
            var result = DynamicsExperiment.Run(options, Console.WriteLine);
            string folder = r.GetValue(o)!;
            Report(Save(DynamicsFigure(result), folder, "dynamics"));
            var rows = options.Widths.Select(w => new[] { S(w), F(result.MeanError(w, true)), F(result.MeanError(w, false)) }).ToList();
            var (fa, fl) = (result.Fit(true), result.Fit(false));
            WriteTable(folder, "dynamics", ["width", "error_vs_analytic", "error_vs_linearised"], rows,
            [
                $"{options.Depth} hidden layers, n = {options.Train} training + {options.Test} held-out points on the sphere (d = {options.InputDim}), " +
                $"{options.Steps} steps of lr {F(result.LearningRate)} (h·λmax = {F(options.StepTimesLambdaMax)}), {options.Seeds} seeds",
                $"error = max over steps of RMS(f_t − prediction_t) over all points / RMS(f_0 − y) over the training points",
                $"slope vs width: analytic Θ_∞ {F(fa.Slope)}, linearised Θ_0 {F(fl.Slope)}",
            ]);
            return 0;
        });
        return cmd;
    }

    private static Chart DynamicsFigure(DynamicsResult result)
    {
        var o = result.Options;
        var fig = new Chart(1, 3, 1500, 460) { Title = $"Gradient descent of NTK-parametrised MLPs ({o.Depth} hidden layers) against the closed-form kernel dynamics" };
        int[] shown = [o.Widths.Min(), o.Widths.Max()];
        for (int c = 0; c < 2; c++)
        {
            var run = result.Runs.First(r => r.Width == shown[c] && r.Seed == 0);
            var p = fig.Panel(0, c);
            p.Labels($"width {shown[c]}: real (solid), Θ_∞ theory (dashed)", "step", "f_t(x)");
            if (c == 1) p.LegendOutside();   // the same points in both panels
            double[] steps = run.Real.Steps.Select(t => (double)t).ToArray();
            int[] points = [0, 1, o.Train, o.Train + 1];
            for (int i = 0; i < points.Length && points[i] < run.Real.Outputs[0].Length; i++)
            {
                int q = points[i];
                var color = Look.Categorical(i);
                string label = q < o.Train ? $"training point {q}" : $"held-out point {q - o.Train}";
                p.Line(steps, run.Real.Outputs.Select(f => f[q]).ToArray(), label, color);
                p.Line(steps, run.Analytic.Select(f => f[q]).ToArray(), null, color, dashed: true);
            }
        }
        var e = fig.Panel(0, 2);
        e.Labels("deviation from the theory", "width n", "max_t RMS(f_t − f̂_t) / RMS(f_0 − y)");
        e.LogX(); e.LogY();
        double[] xs = o.Widths.Select(w => (double)w).ToArray();
        foreach (var (analytic, name, i) in new[] { (true, "Θ_∞ (analytic)", 0), (false, "Θ_0 (linearised network)", 1) })
        {
            var fit = result.Fit(analytic);
            var color = Look.Categorical(i);
            e.Line(xs, xs.Select(w => result.MeanError((int)w, analytic)).ToArray(), $"vs {name}", color, markers: true);
            e.Line(xs, xs.Select(fit.At).ToArray(), $"fit: slope {fit.Slope:F2}", color, dashed: true);
        }
        e.LegendOutside(ScottPlot.Edge.Bottom);
        return fig;
    }

    private static Command LazyRichCommand()
    {
        var o = Out();
        var data = new Option<string>("--data") { Description = "data set name or path (see `ntk data list`)", DefaultValueFactory = _ => "embedded" };
        var classes = IntList("--classes", "the two classes of the binary task (targets +1 and −1)", "0,6");
        var (imageSize, train, test) = (Int("--image-size", "resize images to this square size", 16), Int("--train", "training images", 32), Int("--test", "held-out images", 32));
        var (mlpDepth, mlpWidths, cnnWidths) = (Int("--mlp-depth", "hidden layers of the MLP", 2),
            IntList("--mlp-widths", "MLP widths", "64,128,256,512,1024,2048"), IntList("--cnn-widths", "CNN channel widths", "8,16,32,64"));
        var steps = Int("--steps", "gradient descent steps", 200);
        var stepLambda = new Option<double>("--step-lambda") { Description = "h·λmax of the narrowest network's train kernel (sets each parametrisation's learning rate)", DefaultValueFactory = _ => 1.0 };
        var models = new Option<string>("--models") { Description = "which architectures: mlp, cnn or both (comma-separated)", DefaultValueFactory = _ => "mlp,cnn" };
        var seed = SeedOption();
        var cmd = new Command("lazy-rich", "Kernel change and linearisation error after training, NTK against standard parametrisation, as the width grows")
            { o, data, classes, imageSize, train, test, mlpDepth, mlpWidths, cnnWidths, steps, stepLambda, models, seed };
        cmd.SetAction(r =>
        {
            var pair = Ints(r.GetValue(classes)!, "--classes");
            if (pair.Length != 2 || pair[0] == pair[1]) throw new InputException($"--classes: need two different classes, got {r.GetValue(classes)}");
            var (probe, targets) = BinaryProbe(r.GetValue(data)!, pair, r.GetValue(imageSize), r.GetValue(train), r.GetValue(test));
            int[] shape = probe.Shape[1..];
            int depth = r.GetValue(mlpDepth);
            var chosen = r.GetValue(models)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (chosen.Length == 0 || chosen.Any(m => m is not ("mlp" or "cnn"))) throw new InputException($"--models: expected mlp, cnn or mlp,cnn, got '{r.GetValue(models)}'");
            var architectures = new (string Key, string Name, Func<int, ModelSpec> Spec, int[] Widths)[]
            {
                ("mlp", $"MLP ({depth} hidden layers)", w => ModelSpec.Mlp(shape, Enumerable.Repeat(w, depth).ToArray(), 1), Ints(r.GetValue(mlpWidths)!, "--mlp-widths")),
                ("cnn", "CNN (the paper's)", w => ModelSpec.Cnn(w, shape[0], shape[1], 1), Ints(r.GetValue(cnnWidths)!, "--cnn-widths")),
            }.Where(a => chosen.Contains(a.Key)).ToArray();
            var results = new List<(string Name, IReadOnlyList<LazyRichRun> Runs)>();
            foreach (var (_, name, spec, widths) in architectures)
            {
                Console.WriteLine(name);
                var options = new LazyRichOptions
                {
                    Architecture = spec, Widths = widths, Probe = probe, Train = r.GetValue(train), Targets = targets,
                    Steps = r.GetValue(steps), StepTimesLambdaMax = r.GetValue(stepLambda), Seed = r.GetValue(seed),
                };
                results.Add((name, LazyRich.Run(options, line => Console.WriteLine($"  {line}"))));
            }
            string folder = r.GetValue(o)!;
            Report(Save(LazyRichFigure(results), folder, "lazy-rich"));
            var rows = results.SelectMany(a => a.Runs.Select(run => new[]
            {
                a.Name.Split(' ')[0], run.Parametrisation, S(run.Width), F(run.LearningRate), F(run.StepLambda), F(run.StepLambdaEnd), F(run.KernelChange),
                F(run.KernelDistance), F(run.LinearisationError), F(run.LossStart), F(run.LossEnd),
            })).ToList();
            WriteTable(folder, "lazy-rich", ["model", "parametrisation", "width", "lr", "h_lambda_max_0", "h_lambda_max_T", "kernel_change", "one_minus_cka", "linearisation_error", "loss_0", "loss_T"], rows,
            [
                $"{r.GetValue(data)} classes {pair[0]} (+1) and {pair[1]} (−1), {r.GetValue(imageSize)}x{r.GetValue(imageSize)} images normalised by the training statistics, " +
                $"{r.GetValue(train)} training + {r.GetValue(test)} held-out images (the probe), {r.GetValue(steps)} full-batch GD steps on PyTorch's MSE",
                "kernel_change = ‖Θ_T − Θ_0‖_F / ‖Θ_0‖_F and one_minus_cka = 1 − CKA(Θ_T, Θ_0) on the probe; linearisation_error = max_t RMS(f_t − f_t^lin) / RMS(f_0 − y)",
                $"each parametrisation's lr is set on its narrowest network (h·λmax(Θ_0) = {F(r.GetValue(stepLambda))}, h = 2 lr / n) and kept for every width",
            ]);
            return 0;
        });
        return cmd;
    }

    // The first `train` rows: training images (classes alternating), then `test` held-out images; targets +1 / −1.
    private static (Tensor Probe, double[] Targets) BinaryProbe(string name, int[] pair, int imageSize, int train, int test)
    {
        if (train < 2 || test < 0) throw new InputException($"--train and --test: need >= 2 and >= 0 images, got {train} and {test}");
        var data = DataSets.Find(name).Load(new LoadOptions(imageSize));
        if (pair.Any(c => c < 0 || c >= data.NumClasses)) throw new InputException($"--classes: {data.Name} has classes 0..{data.NumClasses - 1}, got {pair[0]},{pair[1]}");
        var byClass = data.Train.IndicesPerClass(data.NumClasses);
        int total = train + test;
        if (pair.Any(c => byClass[c].Length < (total + 1) / 2)) throw new InputException($"--train/--test: {data.Name} has too few images of classes {pair[0]},{pair[1]} for {total}");
        var indices = Enumerable.Range(0, total).Select(i => byClass[pair[i % 2]][i / 2]).ToArray();
        var probe = Normalizer.FromSplit(data.Train).Apply(data.Train, indices);
        return (probe, Enumerable.Range(0, train).Select(i => i % 2 == 0 ? 1.0 : -1.0).ToArray());
    }

    private static Chart LazyRichFigure(List<(string Name, IReadOnlyList<LazyRichRun> Runs)> results)
    {
        var fig = new Chart(results.Count, 3, 1500, 420 * results.Count + 34) { Title = "Lazy against rich: NTK parametrisation (solid) and standard parametrisation (dashed, only h·λmax(Θ_0) < 2 on the right), one lr per parametrisation" };
        for (int row = 0; row < results.Count; row++)
        {
            var (name, runs) = results[row];
            var change = fig.Panel(row, 0);
            var cka = fig.Panel(row, 1);
            var along = fig.Panel(row, 2);
            change.Labels($"{name}: kernel change", "width", "‖Θ_T − Θ_0‖_F / ‖Θ_0‖_F");
            cka.Labels($"{name}: kernel distance (shape)", "width", "1 − CKA(Θ_T, Θ_0)");
            along.Labels($"{name}: real against linearised", "step", "RMS(f_t − f_t^lin) / RMS(f_0 − y)");
            foreach (var p in new[] { change, cka, along }) { p.LogY(); if (p != along) p.LogX(); }
            for (int k = 0; k < LazyRich.Parametrisations.Count; k++)
            {
                string par = LazyRich.Parametrisations[k].Name;
                var mine = runs.Where(x => x.Parametrisation == par).OrderBy(x => x.Width).ToArray();
                double[] widths = mine.Select(x => (double)x.Width).ToArray();
                var color = Look.Categorical(k);
                change.Line(widths, mine.Select(x => x.KernelChange).ToArray(), par, color, dashed: k > 0, markers: true);
                cka.Line(widths, mine.Select(x => x.KernelDistance).ToArray(), par, color, dashed: k > 0, markers: true);
                for (int i = 0; i < mine.Length; i++)
                    if (mine[i].StepLambda < 2)   // above 2 the linearised model itself diverges
                        along.Line(mine[i].Steps.Skip(1).Select(t => (double)t).ToArray(), mine[i].LinearisationAlong.Skip(1).ToArray(),
                            k == 0 ? $"width {mine[i].Width}" : null, Look.Sequential(i, mine.Length), dashed: k > 0);
            }
            change.LegendOutside(ScottPlot.Edge.Bottom);
            along.LegendOutside(ScottPlot.Edge.Bottom);
        }
        return fig;
    }

    private static Command SpectralBiasCommand()
    {
        var (o, points, frequencies, depth, width, steps) = (Out(), Int("--points", "equispaced training points on the circle", 64),
            IntList("--frequencies", "frequencies k of the target Σ cos(kθ)", "1,2,3,4,6,8"), Int("--depth", "hidden layers", 1),
            Int("--width", "hidden units", 16384), Int("--steps", "gradient descent steps", 2000));
        var stepLambda = new Option<double>("--step-lambda") { Description = "h·λmax of the analytic kernel (sets the learning rate)", DefaultValueFactory = _ => 1.0 };
        var seed = SeedOption();
        var cmd = new Command("spectral-bias", "Residual per frequency along training on the circle: a wide MLP against (1 − hλ_k)^t")
            { o, points, frequencies, depth, width, steps, stepLambda, seed };
        cmd.SetAction(r =>
        {
            var options = new SpectralBiasOptions
            {
                Points = r.GetValue(points), Frequencies = Ints(r.GetValue(frequencies)!, "--frequencies"), Depth = r.GetValue(depth),
                Width = r.GetValue(width), Steps = r.GetValue(steps), StepTimesLambdaMax = r.GetValue(stepLambda), Seed = r.GetValue(seed),
            };
            var result = SpectralBias.Run(options, Console.WriteLine);
            string folder = r.GetValue(o)!;
            Report(Save(SpectralBiasFigure(result), folder, "spectral-bias"));
            var rows = options.Frequencies.Select((k, q) => new[]
            {
                S(k), F(result.Eigenvalues[q]), F(result.EmpiricalEigenvalues[q]), F(result.StepSize * result.Eigenvalues[q]),
                F(result.TheoryHalfLife(q)), F(result.RealHalfLife(q)), F(result.Real[q][0]), F(result.Real[q][^1]), F(result.Theory[q][^1]),
            }).ToList();
            WriteTable(folder, "spectral-bias", ["frequency", "lambda_analytic", "lambda_network_init", "h_lambda", "half_life_theory", "half_life_network",
                "residual_0", "residual_T", "residual_T_theory"], rows,
            [
                $"{options.Points} equispaced points on the circle of radius √2, target Σ_k cos(kθ) over k in [{string.Join(", ", options.Frequencies)}]; " +
                $"MLP with {options.Depth} hidden layer(s) of {options.Width} units, NTK parametrisation (σ_w = √2, σ_b = 0.1)",
                $"{options.Steps} full-batch GD steps on PyTorch's MSE, lr {F(result.LearningRate)}, h = 2 lr / n = {F(result.StepSize)}",
                "residual = amplitude of the frequency-k component of f_t − y; theory: |1 − hλ_k|^t times its value at step 0; " +
                "half_life = steps until it is halved (theory: ln 2 / −ln|1 − hλ_k|)",
            ]);
            return 0;
        });
        return cmd;
    }

    private static Chart SpectralBiasFigure(SpectralBiasResult result)
    {
        var o = result.Options;
        var fig = new Chart(1, 2, 1200, 460) { Title = $"Spectral bias: {o.Points} points on the circle, MLP ({o.Depth} hidden, width {o.Width}), NTK parametrisation" };
        var p = fig.Panel(0, 0);
        p.Labels("residual per frequency: network (solid), (1 − hλ_k)^t (dashed)", "step", "residual at frequency k / its value at step 0");
        p.LogX();
        double[] steps = result.Steps.Skip(1).Select(t => (double)t).ToArray();
        for (int q = 0; q < o.Frequencies.Length; q++)
        {
            var color = Look.Sequential(q, o.Frequencies.Length);
            p.Line(steps, result.Real[q].Skip(1).Select(a => a / result.Real[q][0]).ToArray(), $"k = {o.Frequencies[q]}", color);
            p.Line(steps, result.Theory[q].Skip(1).Select(a => a / result.Theory[q][0]).ToArray(), null, color, dashed: true);
        }
        p.YRange(0, null);
        p.LegendOutside();
        var e = fig.Panel(0, 1);
        e.Labels("kernel eigenvalue per frequency", "frequency k", "λ_k");
        e.LogX(); e.LogY();
        double[] ks = o.Frequencies.Select(k => (double)k).ToArray();
        e.Line(ks, result.Eigenvalues, "analytic Θ_∞", Look.Categorical(0), markers: true);
        e.Dots(ks, result.EmpiricalEigenvalues, "network's Θ_0 (u_kᵀΘu_k)", Look.Categorical(1));
        e.LegendOutside(ScottPlot.Edge.Bottom);
        return fig;
    }

    private static SavedFigure Save(Chart figure, string folder, string name) => figure.Save(Path.Combine(folder, name + ".svg"));

    private static void Report(SavedFigure saved) => Console.WriteLine($"figure: {saved.SvgPath}, {saved.PngPath}");

    /// <summary>Writes folder/name.csv and folder/name.md (a markdown table, then the summary lines).</summary>
    private static void WriteTable(string folder, string name, string[] header, IReadOnlyList<string[]> rows, IReadOnlyList<string> summary)
    {
        var csv = new StringBuilder().AppendLine(string.Join(",", header));
        foreach (var row in rows) csv.AppendLine(string.Join(",", row));
        AtomicFile.WriteText(Path.Combine(folder, name + ".csv"), csv.ToString());
        var md = new StringBuilder()
            .AppendLine($"| {string.Join(" | ", header)} |")
            .AppendLine($"|{string.Concat(header.Select(_ => "---|"))}");
        foreach (var row in rows) md.AppendLine($"| {string.Join(" | ", row)} |");
        md.AppendLine();
        foreach (var line in summary) md.AppendLine($"- {line}");
        AtomicFile.WriteText(Path.Combine(folder, name + ".md"), md.ToString());
        Console.WriteLine($"table: {Path.Combine(folder, name)}.md, .csv");
        foreach (var line in summary) Console.WriteLine(line);
    }

    private static string S(int v) => v.ToString(Inv);

    private static string F(double v) => v.ToString("G4", Inv);
}
