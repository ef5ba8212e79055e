using System.Runtime.Intrinsics.X86;
using System.Text;

namespace NtkDynamics.Tensors;

/// <summary>
/// Which OpenBLAS kernel family ("core") suits this CPU, read from cpuid before OpenBLAS loads. OpenBLAS 0.3.21's own
/// detection does not know recent CPUs (a Xeon of family 6 model 207 gets the SSE3 "Prescott" kernels, 5x slower), so
/// the choice is made from the CPU's features rather than its model number: AVX-512 with BF16 → Cooperlake, AVX-512 →
/// SkylakeX, AVX2 + FMA → Zen on AMD or Hygon, Haswell elsewhere, AVX → Sandybridge. Names are the ones
/// <c>OPENBLAS_CORETYPE</c> accepts in 0.3.21 (it has no SapphireRapids core).
/// </summary>
public sealed record BlasCore(string Name, string Reason)
{
    /// <summary>Kernel families from weakest to strongest; a core's rank is its index (Zen ranks with Haswell).</summary>
    private static readonly string[][] Ranks = [["Prescott"], ["Sandybridge"], ["Haswell", "Zen"], ["SkylakeX"], ["Cooperlake"]];

    /// <summary>The strongest core this CPU can run, or null when it has no AVX (OpenBLAS's own choice is then as good).</summary>
    public static BlasCore? ForThisCpu() => X86Base.IsSupported ? Choose(CpuFeatures.Read()) : null;

    /// <summary>The choice for a given set of features (testable without the CPU at hand).</summary>
    public static BlasCore? Choose(CpuFeatures cpu)
    {
        if (cpu.Avx512 && cpu.Avx512Bf16) return new("Cooperlake", $"{cpu.Vendor} CPU with AVX-512 BF16");
        if (cpu.Avx512) return new("SkylakeX", $"{cpu.Vendor} CPU with AVX-512 (F, CD, BW, DQ, VL), no BF16");
        if (cpu.Avx2 && cpu.Fma) return cpu.Vendor is "AuthenticAMD" or "HygonGenuine"
            ? new("Zen", $"{cpu.Vendor} CPU with AVX2 + FMA")
            : new("Haswell", $"{cpu.Vendor} CPU with AVX2 + FMA, no AVX-512");
        if (cpu.Avx) return new("Sandybridge", $"{cpu.Vendor} CPU with AVX, no AVX2");
        return null;
    }

    /// <summary>The rank of an OpenBLAS core name (0 for anything older than Sandybridge).</summary>
    public static int Rank(string core)
    {
        for (int r = Ranks.Length - 1; r > 0; r--)
            if (Ranks[r].Any(n => n.Equals(core, StringComparison.OrdinalIgnoreCase))) return r;
        return 0;
    }
}

/// <summary>The x86 features that decide the OpenBLAS core, from cpuid leaves 0, 1 and 7 (sub-leaves 0 and 1).</summary>
public sealed record CpuFeatures(string Vendor, bool Avx, bool Avx2, bool Fma, bool Avx512, bool Avx512Bf16)
{
    /// <summary>Reads cpuid. A feature counts only when the operating system also saves its registers (the runtime's
    /// <c>IsSupported</c> checks that through XGETBV), so a VM or kernel that disables AVX-512 gets AVX2 kernels.</summary>
    public static CpuFeatures Read()
    {
        var (_, b0, c0, d0) = X86Base.CpuId(0, 0);
        var vendor = new StringBuilder();
        foreach (int r in new[] { b0, d0, c0 })
            for (int i = 0; i < 4; i++) vendor.Append((char)((r >> (8 * i)) & 0xFF));
        int maxLeaf = X86Base.CpuId(0, 0).Eax;
        var (_, _, c1, _) = X86Base.CpuId(1, 0);
        var (_, b7, _, _) = maxLeaf >= 7 ? X86Base.CpuId(7, 0) : default;
        var (a71, _, _, _) = maxLeaf >= 7 ? X86Base.CpuId(7, 1) : default;
        static bool Bit(int r, int i) => ((r >> i) & 1) != 0;
        bool avx = Bit(c1, 28) && System.Runtime.Intrinsics.X86.Avx.IsSupported;
        bool avx2 = Bit(b7, 5) && System.Runtime.Intrinsics.X86.Avx2.IsSupported;
        bool fma = Bit(c1, 12) && System.Runtime.Intrinsics.X86.Fma.IsSupported;
        // SkylakeX kernels need F, CD, BW, DQ and VL (leaf 7 EBX bits 16, 28, 30, 17, 31).
        bool avx512 = Bit(b7, 16) && Bit(b7, 28) && Bit(b7, 30) && Bit(b7, 17) && Bit(b7, 31) && Avx512F.IsSupported;
        bool bf16 = avx512 && Bit(a71, 5); // leaf 7 sub-leaf 1 EAX bit 5: AVX512_BF16
        return new(vendor.ToString(), avx, avx2, fma, avx512, bf16);
    }

    /// <summary>"AVX2 FMA AVX-512 AVX-512-BF16" (or "no AVX").</summary>
    public override string ToString()
    {
        var f = new List<string>();
        if (Avx) f.Add("AVX");
        if (Avx2) f.Add("AVX2");
        if (Fma) f.Add("FMA");
        if (Avx512) f.Add("AVX-512");
        if (Avx512Bf16) f.Add("AVX-512-BF16");
        return f.Count == 0 ? "no AVX" : string.Join(" ", f);
    }
}
