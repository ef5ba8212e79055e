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
            default:
                Console.Error.WriteLine("usage: NtkDynamics.Bench (gemm | train [--quick] [--no-torch])");
                return 2;
        }
    }
}
