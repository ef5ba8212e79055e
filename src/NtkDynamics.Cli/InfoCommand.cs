using System.CommandLine;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using NtkDynamics.Tensors;

namespace NtkDynamics.Cli;

/// <summary>`ntk info`: backend, library path, threads, CPU features, .NET version.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Show the compute backend, threads, CPU features and .NET version");
        cmd.SetAction(_ =>
        {
            var blas = Blas.Current;
            Console.WriteLine($"backend      {blas.Name}");
            Console.WriteLine($"library      {blas.LibraryPath ?? "(managed SIMD, no native library)"}");
            if (blas is OpenBlas ob) Console.WriteLine($"openblas     {ob.Config}");
            Console.WriteLine($"threads      {blas.Threads} (cores: {Environment.ProcessorCount})");
            Console.WriteLine($"cpu          {RuntimeInformation.ProcessArchitecture}, {CpuFeatures()}");
            Console.WriteLine($"vector       {System.Numerics.Vector<float>.Count * 32}-bit Vector<float>");
            Console.WriteLine($".net         {RuntimeInformation.FrameworkDescription}");
            Console.WriteLine($"os           {RuntimeInformation.OSDescription}");
            return 0;
        });
        return cmd;
    }

    private static string CpuFeatures()
    {
        var f = new List<string>();
        if (Avx2.IsSupported) f.Add("AVX2");
        if (Fma.IsSupported) f.Add("FMA");
        if (Avx512F.IsSupported) f.Add("AVX-512F");
        if (Avx512BW.IsSupported) f.Add("AVX-512BW");
        if (Avx512Vbmi.IsSupported) f.Add("AVX-512VBMI");
        return f.Count == 0 ? "no AVX" : string.Join(" ", f);
    }
}
