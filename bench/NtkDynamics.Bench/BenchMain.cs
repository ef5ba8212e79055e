namespace NtkDynamics.Bench;

/// <summary>Benchmarks that run us and the PyTorch reference side by side and print ratios.</summary>
public static class BenchMain
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("usage: bench (gemm|train|entk) ...");
        return 2;
    }
}
