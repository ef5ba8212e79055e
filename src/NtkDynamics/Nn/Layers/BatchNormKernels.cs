using System.Numerics;

namespace NtkDynamics.Nn.Layers;

/// <summary>
/// BatchNorm's per-plane loops, SIMD: one plane is one sample's values of one channel (S floats). Sums go into float64
/// lanes (each lane in order, the lanes added at the end); the element-wise results round exactly as the scalar formulas.
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>x (S) -> (Σ x, Σ x²), both in float64.</summary>
    public static (double Sum, double Squares) SumAndSquares(ReadOnlySpan<float> x)
    {
        Vector<double> sum = Vector<double>.Zero, squares = Vector<double>.Zero;
        int e = 0;
        for (; e + Vector<float>.Count <= x.Length; e += Vector<float>.Count)
        {
            Vector.Widen(new Vector<float>(x[e..]), out var lo, out var hi);
            sum += lo + hi;
            squares += lo * lo + hi * hi;
        }
        double s = Vector.Sum(sum), q = Vector.Sum(squares);
        for (; e < x.Length; e++) { s += x[e]; q += (double)x[e] * x[e]; }
        return (s, q);
    }

    /// <summary>x (S) -> y (S) = x·scale + shift (two roundings, as Multiply then Add).</summary>
    public static void Affine(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        var vs = new Vector<float>(scale); var vb = new Vector<float>(shift);
        int e = 0;
        for (; e + Vector<float>.Count <= x.Length; e += Vector<float>.Count) (new Vector<float>(x[e..]) * vs + vb).CopyTo(y[e..]);
        for (; e < x.Length; e++) y[e] = x[e] * scale + shift;
    }

    /// <summary>dy, x (S) -> (Σ dy, Σ dy·x̂) in float64, x̂ = (x - mean)·inv rounded to float as is the product dy·x̂.</summary>
    public static (double SumDy, double SumDyXhat) CotangentSums(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean, float inv)
    {
        Vector<double> sumDy = Vector<double>.Zero, sumDyXhat = Vector<double>.Zero;
        var vm = new Vector<float>(mean); var vi = new Vector<float>(inv);
        int e = 0;
        for (; e + Vector<float>.Count <= dy.Length; e += Vector<float>.Count)
        {
            var v = new Vector<float>(dy[e..]);
            Vector.Widen(v, out var dlo, out var dhi);
            Vector.Widen(v * ((new Vector<float>(x[e..]) - vm) * vi), out var plo, out var phi);
            sumDy += dlo + dhi;
            sumDyXhat += plo + phi;
        }
        double s = Vector.Sum(sumDy), p = Vector.Sum(sumDyXhat);
        for (; e < dy.Length; e++) { s += dy[e]; p += dy[e] * ((x[e] - mean) * inv); }
        return (s, p);
    }

    /// <summary>dy, x (S) -> dx (S) = scale·(dy - meanDy - x̂·meanDyXhat), x̂ = (x - mean)·inv: the training-mode input gradient.</summary>
    public static void TrainInputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx, float scale, float meanDy, float mean, float inv, float meanDyXhat)
    {
        Vector<float> vs = new(scale), vd = new(meanDy), vm = new(mean), vi = new(inv), vx = new(meanDyXhat);
        int e = 0;
        for (; e + Vector<float>.Count <= dy.Length; e += Vector<float>.Count)
            (vs * (new Vector<float>(dy[e..]) - vd - (new Vector<float>(x[e..]) - vm) * vi * vx)).CopyTo(dx[e..]);
        for (; e < dy.Length; e++) dx[e] = scale * (dy[e] - meanDy - (x[e] - mean) * inv * meanDyXhat);
    }
}
