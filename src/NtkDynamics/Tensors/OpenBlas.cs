using System.Runtime.InteropServices;

namespace NtkDynamics.Tensors;

/// <summary>OpenBLAS (cblas_sgemm, cblas_dgemm, and LAPACK dsyevd as a reference) loaded at run time from libopenblas.so.0.</summary>
public sealed unsafe class OpenBlas : IBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> _dgemm;
    private readonly delegate* unmanaged<byte*, byte*, int*, double*, int*, double*, double*, int*, int*, int*, int*, void> _dsyevd;
    private readonly delegate* unmanaged<int> _getThreads;
    private readonly delegate* unmanaged<int, void> _setThreads;

    public string Name => "openblas";
    public string? LibraryPath { get; }
    public int Threads => _getThreads();

    /// <summary>The build string OpenBLAS reports (kernel target, threading).</summary>
    public string Config { get; }

    /// <summary>The kernel family OpenBLAS loaded (openblas_get_corename), e.g. "Cooperlake".</summary>
    public string Core { get; }

    /// <summary>Why this core: chosen by us from the CPU's features, set by the user, or OpenBLAS's own detection.</summary>
    public string CoreReason { get; }

    /// <summary>Set when the loaded core is weaker than the best this CPU can run (a one-line advice), else null.</summary>
    public string? CoreWarning { get; }

    private OpenBlas(nint lib, string path)
    {
        LibraryPath = path;
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(lib, "cblas_sgemm");
        _dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)NativeLibrary.GetExport(lib, "cblas_dgemm");
        _dsyevd = (delegate* unmanaged<byte*, byte*, int*, double*, int*, double*, double*, int*, int*, int*, int*, void>)NativeLibrary.GetExport(lib, "dsyevd_");
        _getThreads = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "openblas_get_num_threads");
        _setThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(lib, "openblas_set_num_threads");
        var getConfig = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(lib, "openblas_get_config");
        Config = Marshal.PtrToStringAnsi((nint)getConfig()) ?? "";
        var getCore = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(lib, "openblas_get_corename");
        Core = Marshal.PtrToStringAnsi((nint)getCore()) ?? "";
        var (best, reason) = CoreSelection.Value;
        CoreReason = reason;
        if (best is not null && BlasCore.Rank(Core) < BlasCore.Rank(best.Name))
            CoreWarning = $"OpenBLAS runs its {Core} kernels, weaker than this CPU's best, {best.Name} ({best.Reason})"
                + (UserCore is null ? "" : "; unset OPENBLAS_CORETYPE to get them");
    }

    private static string? UserCore => Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { Length: > 0 } c ? c : null;

    // Made once, before the library first loads: OpenBLAS reads OPENBLAS_CORETYPE from the C environment when it loads.
    private static readonly Lazy<(BlasCore? Best, string Reason)> CoreSelection = new(() =>
    {
        var best = BlasCore.ForThisCpu();
        if (UserCore is { } user) return (best, $"OPENBLAS_CORETYPE={user} set by the user");
        if (best is null) return (null, "OpenBLAS's own detection (no AVX on this CPU)");
        try { setenv("OPENBLAS_CORETYPE", best.Name, 1); } // unset or empty: ours
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (best, $"OpenBLAS's own detection (could not set OPENBLAS_CORETYPE: {e.Message})");
        }
        return (best, $"chosen by ntk: {best.Reason}");
    });

    /// <summary>Loads libopenblas.so.0, or returns null when it is not installed.</summary>
    public static OpenBlas? TryLoad()
    {
        QuietIdleThreads();
        _ = CoreSelection.Value;
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so" })
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            string path = ResolvePath(name);
            try { return new OpenBlas(lib, path); }
            catch (EntryPointNotFoundException) { NativeLibrary.Free(lib); }
        }
        return null;
    }

    // OpenBLAS's idle worker threads spin on sched_yield for about 2^28 cycles after each GEMM, taking the cores from our
    // own parallel loops in between; 2^4 (its minimum) puts them to sleep at once. Read when the library loads, from the C
    // environment (Environment.SetEnvironmentVariable does not reach it), and only where the user has not set it.
    private static void QuietIdleThreads()
    {
        const string name = "OPENBLAS_THREAD_TIMEOUT";
        if (Environment.GetEnvironmentVariable(name) is not null) return;
        try { setenv(name, "4", 0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // only slower, never wrong
    }

    [DllImport("libc")] // strings go as UTF-8 on Unix
    private static extern int setenv(string name, string value, int overwrite);

    private static string ResolvePath(string name)
    {
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib" })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return new FileInfo(p).ResolveLinkTarget(true)?.FullName ?? p;
        }
        return name;
    }

    /// <summary>Sets OpenBLAS's thread count for the whole process.</summary>
    public void SetThreads(int threads) => _setThreads(threads);

    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (k == 0) { ManagedBlas.Scale(c, m, n, ldc, beta); return; }
        _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    public void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
    {
        if (k == 0) { ManagedBlas.Scale(c, m, n, ldc, beta); return; }
        _dgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>LAPACK dsyevd on a symmetric row-major n x n matrix: eigenvalues ascending into <paramref name="values"/>,
    /// eigenvectors (when asked) as rows of <paramref name="a"/>. Fast, but its last bits vary with OpenBLAS's threads and
    /// core; the library uses <see cref="SymmetricEigen"/>, and this stays as the reference it is tested and timed against.</summary>
    public void LapackEigen(double* a, int n, double* values, bool vectors)
    {
        // Column-major LAPACK on a symmetric matrix: the row-major input is its own transpose.
        // Eigenvectors come back as columns (column-major), i.e. rows of the row-major buffer.
        byte jobz = vectors ? (byte)'V' : (byte)'N', uplo = (byte)'L';
        int lda = n, info = 0, lwork = -1, liwork = -1, iworkQuery = 0;
        double workQuery = 0;
        _dsyevd(&jobz, &uplo, &n, a, &lda, values, &workQuery, &lwork, &iworkQuery, &liwork, &info);
        lwork = (int)workQuery; liwork = iworkQuery;
        var work = new double[Math.Max(1, lwork)];
        var iwork = new int[Math.Max(1, liwork)];
        fixed (double* pw = work) fixed (int* piw = iwork)
            _dsyevd(&jobz, &uplo, &n, a, &lda, values, pw, &lwork, piw, &liwork, &info);
        if (info != 0) throw new InvalidOperationException($"LAPACK dsyevd failed (info = {info}) on a {n}x{n} matrix");
    }
}
