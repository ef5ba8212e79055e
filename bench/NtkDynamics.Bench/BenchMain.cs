namespace NtkDynamics.Bench;

/// <summary>Benchmarks that run us and the PyTorch reference side by side in one run and print ratios.</summary>
public static class BenchMain
{
    public static int Run(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "gemm": GemmBench.Run(); return 0;
            case "train": TrainBench.Run(args.Skip(1).ToArray()); return 0;
            case "entk": EntkBench.Run(args.Skip(1).ToArray()); return 0;
            case "entk-wide": EntkBench.RunWide(args.Skip(1).ToArray()); return 0;
            case "entk-case": EntkBench.RunCase(args.Skip(1).ToArray()); return 0;
            case "onnx": OnnxBench.Run(args.Skip(1).ToArray()); return 0;
            case "entk-profile": ProfileBench.Run(args.Skip(1).ToArray()); return 0;
            case "resnet": ResNetBench.Run(args.Skip(1).ToArray()); return 0;
            case "resnet-train-case": ResNetBench.RunTrainCase(args.Skip(1).ToArray()); return 0;
            default:
                Console.Error.WriteLine("usage: NtkDynamics.Bench (gemm | train [--quick] [--no-torch] | entk [--quick] [--no-torch] [--only cnn|mlp] [--repeat R] | entk-wide [WIDTH] | onnx [--nf 64] [--rounds 5] [--entk-nf 20] [--cnn-width 64] [--entk-rounds 3] | entk-profile MODEL WIDTH KIND [CALLS [BUDGET_GIB]] | resnet [--rounds 1] [--train-rounds 1] [--only entk|train] [--nf N] [--budget-gib B] [--ntkvp] [--no-torch])");
                return 2;
        }
    }
}
