namespace NtkDynamics.Theory;

/// <summary>Which mean squared error gradient descent minimises, over n training points and k outputs.</summary>
public enum MseLoss
{
    /// <summary>L = ½ Σ_i ||f(x_i) - y_i||²: the function-space step is η Θ (f - y).</summary>
    Sum,

    /// <summary>L = (1/2n) Σ_i ||f(x_i) - y_i||²: the step is (η/n) Θ (f - y). (PyTorch's MSELoss(reduction="mean")
    /// averages over n·k entries without the ½: it is this with η replaced by 2η/k.)</summary>
    Mean,
}

/// <summary>
/// Gradient descent on the MSE in the linearised (infinite-width) regime, in closed form through one
/// eigendecomposition of the train kernel Θ = Θ(X, X). With step h = η (Sum) or η/n (Mean), the residual
/// r = f(X) - y obeys r_t = e^{-hΘt} r_0 (gradient flow; t in units of steps) or r_t = (I - hΘ)^t r_0 (t steps),
/// so mode r decays by e^{-hλ_r t} or (1 - hλ_r)^t (spectral bias), and a test input follows
/// f_t(x*) = f_0(x*) - Θ(x*, X) Θ^{-1}(I - decay(Θ)) r_0. Outputs are (n, k); every output column shares Θ.
/// </summary>
public sealed class GradientDescentDynamics
{
    public SpectralKernel Train { get; }

    public double LearningRate { get; }

    public MseLoss Loss { get; }

    /// <summary>h: η for <see cref="MseLoss.Sum"/>, η/n for <see cref="MseLoss.Mean"/>.</summary>
    public double StepSize { get; }

    public GradientDescentDynamics(SpectralKernel train, double learningRate, MseLoss loss = MseLoss.Sum)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be positive");
        Train = train; LearningRate = learningRate; Loss = loss;
        StepSize = loss == MseLoss.Sum ? learningRate : learningRate / train.N;
    }

    /// <summary>
    /// Per mode (ascending λ), the factor its residual is multiplied by after time or steps t: e^{-hλt}, or
    /// (1 - hλ)^t when <paramref name="discrete"/>. t may be +∞ when every mode above the cutoff converges
    /// (null modes keep factor 1).
    /// </summary>
    public double[] Decay(double t, bool discrete = false)
    {
        CheckTime(t, discrete);
        var decay = new double[Train.N];
        for (int r = 0; r < Train.N; r++) decay[r] = ModeDecay(r, t, discrete);
        return decay;
    }

    /// <summary>f_t(X) on the training inputs, from f_0(X) and targets y, each (n, k).</summary>
    public double[] TrainOutputs(double[] f0, double[] y, int k, double t, bool discrete = false)
    {
        var residual = Train.Expand(ModeResiduals(f0, y, k, t, discrete), k);
        for (int i = 0; i < residual.Length; i++) residual[i] += y[i];
        return residual;
    }

    /// <summary>
    /// f_t(x*) for m test inputs: <paramref name="cross"/> = Θ(x*, X) is (m, n), f0Test is (m, k), f0Train and y
    /// are (n, k). At t = +∞ the inverse is the pseudo-inverse (null modes dropped).
    /// </summary>
    public double[] TestOutputs(double[] cross, int m, double[] f0Test, double[] f0Train, double[] y, int k, double t, bool discrete = false)
    {
        Decay(t, discrete);   // checks t, and that every mode converges when t = +∞
        if (f0Test.Length != m * k) throw new ArgumentException($"f0Test: expected {m}x{k} = {m * k} values, got {f0Test.Length}");
        var moved = Train.Apply(r => TestFactor(r, t, discrete), Residual(f0Train, y, k), k);
        var f = KernelRegression.Multiply(cross, m, Train.N, moved, k);
        for (int i = 0; i < f.Length; i++) f[i] = f0Test[i] - f[i];
        return f;
    }

    /// <summary>
    /// The residual f_t(X) - y in the eigenbasis, (n, k): row r is v_rᵀ(f_t - y) = decay_r · v_rᵀ(f_0 - y).
    /// </summary>
    public double[] ModeResiduals(double[] f0, double[] y, int k, double t, bool discrete = false)
    {
        var decay = Decay(t, discrete);
        var p = Train.Project(Residual(f0, y, k), k);
        for (int r = 0; r < Train.N; r++)
            for (int c = 0; c < k; c++) p[r * k + c] *= decay[r];
        return p;
    }

    private double[] Residual(double[] f0, double[] y, int k)
    {
        Train.CheckColumns(f0, k, nameof(f0));
        Train.CheckColumns(y, k, nameof(y));
        var residual = new double[f0.Length];
        for (int i = 0; i < residual.Length; i++) residual[i] = f0[i] - y[i];
        return residual;
    }

    private double ModeDecay(int r, double t, bool discrete)
    {
        double x = StepSize * Train.Values[r];
        if (!double.IsPositiveInfinity(t)) return discrete ? Math.Pow(1 - x, t) : Math.Exp(-x * t);
        if (Train.IsNull(r)) return 1;
        if (x < 0 || (discrete && x >= 2))
            throw new ArgumentException($"gradient descent does not converge: step·λ = {x:g4} for mode {r} (needs 0 < step·λ{(discrete ? " < 2" : "")})");
        return 0;
    }

    // (1 - decay_r)/λ_r, accurate for small λ (→ h t); at t = +∞ the pseudo-inverse 1/λ_r (0 for null modes).
    private double TestFactor(int r, double t, bool discrete)
    {
        double lambda = Train.Values[r], h = StepSize, x = h * lambda;
        if (double.IsPositiveInfinity(t)) return Train.IsNull(r) ? 0 : 1 / lambda;
        if (lambda == 0) return h * t;
        if (!discrete) return -ExpM1(-x * t) / lambda;
        return Math.Abs(x) < 0.5 ? -ExpM1(t * Log1P(-x)) / lambda : (1 - Math.Pow(1 - x, t)) / lambda;
    }

    private static void CheckTime(double t, bool discrete)
    {
        if (!(t >= 0)) throw new ArgumentOutOfRangeException(nameof(t), t, "time must be 0 or positive");
        if (discrete && !double.IsPositiveInfinity(t) && t != Math.Floor(t))
            throw new ArgumentOutOfRangeException(nameof(t), t, "a number of discrete steps must be a whole number");
    }

    // e^x - 1 and ln(1 + x) without cancellation near 0 (Kahan's tricks; .NET's double.ExpM1 is exp(x) - 1).
    private static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1 || double.IsInfinity(u)) return u == 1 ? x : u;
        double um1 = u - 1;
        return um1 == -1 ? -1 : um1 * x / Math.Log(u);
    }

    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
