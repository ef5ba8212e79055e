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
            if (blas is OpenBlas ob)
            {
                Console.WriteLine($"openblas     {ob.Config}");
                Console.WriteLine($"core         {ob.Core} ({ob.CoreReason})");
                if (ob.CoreWarning is not null) Console.WriteLine($"warning      {ob.CoreWarning}");
            }
            Console.WriteLine($"threads      {blas.Threads} (cores: {Environment.ProcessorCount})");
            Console.WriteLine($"cpu          {RuntimeInformation.ProcessArchitecture}, {CpuFeatures()}{CpuModel()}");
            Console.WriteLine($"vector       {System.Numerics.Vector<float>.Count * 32}-bit Vector<float>");
            Console.WriteLine($".net         {RuntimeInformation.FrameworkDescription}");
            Console.WriteLine($"os           {RuntimeInformation.OSDescription}");
            return 0;
        });
        return cmd;
    }

    // "family 6 model 207" from cpuid leaf 1 (extended family and model folded in as Intel documents).
    private static string CpuModel()
    {
        if (!X86Base.IsSupported) return "";
        int a = X86Base.CpuId(1, 0).Eax, family = (a >> 8) & 0xF, model = (a >> 4) & 0xF;
        if (family == 0xF) family += (a >> 20) & 0xFF;
        if (family is 6 or >= 0xF) model += ((a >> 16) & 0xF) << 4;
        return $", family {family} model {model}";
    }

    private static string CpuFeatures() => X86Base.IsSupported ? Tensors.CpuFeatures.Read().ToString() : "not x86";
}
