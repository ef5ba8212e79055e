namespace NtkDynamics.Tensors;

/// <summary>
/// Dense matrix multiply over row-major memory: C = alpha * op(A) * op(B) + beta * C, where op(A) is
/// m x k and op(B) is k x n. A backend is OpenBLAS or the managed SIMD fallback.
/// </summary>
public unsafe interface IBlas
{
    /// <summary>"openblas" or "managed".</summary>
    string Name { get; }

    /// <summary>Where the native library was loaded from, or null for the managed backend.</summary>
    string? LibraryPath { get; }

    /// <summary>Worker threads the backend uses.</summary>
    int Threads { get; }

    void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);
}
