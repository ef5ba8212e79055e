using NtkDynamics.Theory;
using static NtkDynamics.Tests.Theory.TheoryTestData;

namespace NtkDynamics.Tests.Theory;

public class DynamicsTests
{
    private const int N = 12, M = 5, D = 4, K = 2;

    // Train kernel (N, N), cross-kernel (M, N) of test to train inputs, f0 (N, K), f0Test (M, K), y (N, K).
    private sealed record Problem(double[] Theta, double[] Cross, double[] F0, double[] F0Test, double[] Y);

    private static Problem Analytic()
    {
        var x = Normal(N + M, D, 21);
        var net = AnalyticNtk.Mlp(2, sigmaB: 0.1);
        var train = net.Kernel(x[..(N * D)], N, D).Ntk;
        var cross = net.Kernel(x[(N * D)..], M, x[..(N * D)], N, D).Ntk;
        var f0 = Normal(N + M, K, 22).Select(v => 0.3 * v).ToArray();
        return new Problem(train, cross, f0[..(N * K)], f0[(N * K)..], Normal(N, K, 23));
    }

    // Θ = Φ Φᵀ with Φ (N, 4): rank 4, so N - 4 null modes; the cross-kernel Φ* Φᵀ.
    private static Problem RankDeficient()
    {
        const int p = 4;
        var phi = Normal(N, p, 31);
        var phiTest = Normal(M, p, 32);
        var phiT = new double[p * N];
        for (int i = 0; i < N; i++) for (int c = 0; c < p; c++) phiT[c * N + i] = phi[i * p + c];
        var theta = Multiply(phi, N, p, phiT, N);
        for (int i = 0; i < N; i++) for (int j = 0; j < i; j++) theta[i * N + j] = theta[j * N + i];
        return new Problem(theta, Multiply(phiTest, M, p, phiT, N), Normal(N, K, 33), Normal(M, K, 34), Normal(N, K, 35));
    }

    // t explicit steps f ← f - hΘ(f - y), f* ← f* - hΘ*(f - y); returns (f, f*).
    private static (double[] Train, double[] Test) Iterate(Problem p, double h, int steps)
    {
        var f = (double[])p.F0.Clone();
        var fTest = (double[])p.F0Test.Clone();
        for (int s = 0; s < steps; s++)
        {
            var r = f.Select((v, i) => v - p.Y[i]).ToArray();
            var dTrain = Multiply(p.Theta, N, N, r, K);
            var dTest = Multiply(p.Cross, M, N, r, K);
            for (int i = 0; i < f.Length; i++) f[i] -= h * dTrain[i];
            for (int i = 0; i < fTest.Length; i++) fTest[i] -= h * dTest[i];
        }
        return (f, fTest);
    }

    private static GradientDescentDynamics Dynamics(Problem p, double stepTimesLambdaMax, MseLoss loss)
    {
        var spectrum = new SpectralKernel(p.Theta, N);
        double lambdaMax = spectrum.Values[N - 1];
        double eta = stepTimesLambdaMax / lambdaMax * (loss == MseLoss.Mean ? N : 1);
        return new GradientDescentDynamics(spectrum, eta, loss);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AtTimeZeroTheOutputsAreTheInitialOnes(bool discrete)
    {
        var p = Analytic();
        var gd = Dynamics(p, 0.5, MseLoss.Sum);
        Assert.InRange(MaxAbsDiff(gd.TrainOutputs(p.F0, p.Y, K, 0, discrete), p.F0), 0, 1e-12);
        Assert.InRange(MaxAbsDiff(gd.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, 0, discrete), p.F0Test), 0, 1e-12);
    }

    [Theory]
    [InlineData(MseLoss.Sum, 0.9, false)]
    [InlineData(MseLoss.Mean, 0.9, false)]
    [InlineData(MseLoss.Sum, 1.7, false)]
    [InlineData(MseLoss.Sum, 2.3, false)]   // unstable, still exact for a finite number of steps
    [InlineData(MseLoss.Sum, 0.9, true)]
    public void DiscreteStepsEqualExplicitGradientDescent(MseLoss loss, double stepTimesLambdaMax, bool rankDeficient)
    {
        var p = rankDeficient ? RankDeficient() : Analytic();
        var gd = Dynamics(p, stepTimesLambdaMax, loss);
        Assert.Equal(loss == MseLoss.Sum ? gd.LearningRate : gd.LearningRate / N, gd.StepSize); // the same division: exact
        foreach (int steps in new[] { 1, 7, 40 })
        {
            var (train, test) = Iterate(p, gd.StepSize, steps);
            Assert.InRange(MaxAbsDiff(gd.TrainOutputs(p.F0, p.Y, K, steps, discrete: true), train), 0, 1e-10 * (1 + MaxAbs(train)));
            Assert.InRange(MaxAbsDiff(gd.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, steps, discrete: true), test), 0, 1e-10 * (1 + MaxAbs(test)));
        }
    }

    [Fact]
    public void EachEigenmodeOfTheResidualDecaysByOneMinusStepTimesLambdaPerStep()
    {
        var p = Analytic();
        var gd = Dynamics(p, 0.9, MseLoss.Sum);
        var spectrum = gd.Train;
        const int steps = 25;
        var (train, _) = Iterate(p, gd.StepSize, steps);
        var modes = gd.ModeResiduals(p.F0, p.Y, K, steps, discrete: true);
        var decay = gd.Decay(steps, discrete: true);
        for (int r = 0; r < N; r++)
        {
            double expected = Math.Pow(1 - gd.StepSize * spectrum.Values[r], steps);
            Assert.Equal(expected, decay[r], 1e-15);
            for (int c = 0; c < K; c++)
            {
                // v_rᵀ(f_0 - y) and v_rᵀ(f_t - y) by explicit dot products
                double before = 0, after = 0;
                for (int i = 0; i < N; i++)
                {
                    before += spectrum.Vectors[r * N + i] * (p.F0[i * K + c] - p.Y[i * K + c]);
                    after += spectrum.Vectors[r * N + i] * (train[i * K + c] - p.Y[i * K + c]);
                }
                Assert.Equal(expected * before, after, 1e-11);
                Assert.Equal(after, modes[r * K + c], 1e-11);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientFlowSolvesItsDifferentialEquation(bool rankDeficient)
    {
        // d/dt f_t(X) = -hΘ(f_t(X) - y) and d/dt f_t(x*) = -hΘ(x*, X)(f_t(X) - y), by central differences in t
        var p = rankDeficient ? RankDeficient() : Analytic();
        var gd = Dynamics(p, 0.5, MseLoss.Mean);
        const double t = 3.7, dt = 1e-4;
        var f = gd.TrainOutputs(p.F0, p.Y, K, t);
        var r = f.Select((v, i) => v - p.Y[i]).ToArray();
        var expectedTrain = Multiply(p.Theta, N, N, r, K).Select(v => -gd.StepSize * v).ToArray();
        var expectedTest = Multiply(p.Cross, M, N, r, K).Select(v => -gd.StepSize * v).ToArray();
        var slopeTrain = Difference(gd.TrainOutputs(p.F0, p.Y, K, t + dt), gd.TrainOutputs(p.F0, p.Y, K, t - dt), 2 * dt);
        var slopeTest = Difference(gd.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, t + dt), gd.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, t - dt), 2 * dt);
        Assert.InRange(MaxAbsDiff(slopeTrain, expectedTrain), 0, 1e-6 * MaxAbs(expectedTrain));
        Assert.InRange(MaxAbsDiff(slopeTest, expectedTest), 0, 1e-6 * MaxAbs(expectedTest));
    }

    private static double[] Difference(double[] a, double[] b, double over) => a.Select((v, i) => (v - b[i]) / over).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AtInfiniteTimeTrainingInterpolatesAndTestPointsFollowKernelRegression(bool discrete)
    {
        var p = Analytic();
        var gd = Dynamics(p, 0.9, MseLoss.Sum);
        Assert.InRange(MaxAbsDiff(gd.TrainOutputs(p.F0, p.Y, K, double.PositiveInfinity, discrete), p.Y), 0, 1e-9);
        // f_∞(x*) = f_0(x*) + Θ(x*, X) Θ^{-1} (y - f_0(X)): kernel regression on the residual targets
        var residualTargets = p.Y.Select((v, i) => v - p.F0[i]).ToArray();
        var regression = KernelRegression.Predict(gd.Train, p.Cross, M, residualTargets, K);
        var expected = regression.Select((v, i) => v + p.F0Test[i]).ToArray();
        var limit = gd.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, double.PositiveInfinity, discrete);
        Assert.InRange(MaxAbsDiff(limit, expected), 0, 1e-9 * MaxAbs(expected));
        // and a long finite run gets there
        var late = gd.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, 1e9, discrete);
        Assert.InRange(MaxAbsDiff(late, expected), 0, 1e-6 * MaxAbs(expected));
    }

    [Fact]
    public void RankDeficientKernelsConvergeToThePseudoInverseSolution()
    {
        // Null modes never move: f_∞(X) = y + (projection of f_0 - y on the null space), reached by iterating
        var p = RankDeficient();
        var gd = Dynamics(p, 0.9, MseLoss.Sum);
        var (train, test) = Iterate(p, gd.StepSize, 3000);
        Assert.InRange(MaxAbsDiff(gd.TrainOutputs(p.F0, p.Y, K, double.PositiveInfinity, discrete: true), train), 0, 1e-8);
        Assert.InRange(MaxAbsDiff(gd.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, double.PositiveInfinity, discrete: true), test), 0, 1e-8);
        Assert.Equal(N - 4, Enumerable.Range(0, N).Count(gd.Train.IsNull));
    }

    [Fact]
    public void KernelRegressionInterpolatesWithoutRidgeAndSolvesTheRidgeSystem()
    {
        var p = Analytic();
        var spectrum = new SpectralKernel(p.Theta, N);
        Assert.InRange(MaxAbsDiff(KernelRegression.Predict(spectrum, p.Theta, N, p.Y, K), p.Y), 0, 1e-9);
        const double ridge = 0.3;
        var alpha = KernelRegression.Coefficients(spectrum, p.Y, K, ridge);
        var back = Multiply(p.Theta, N, N, alpha, K).Select((v, i) => v + ridge * alpha[i]).ToArray();
        Assert.InRange(MaxAbsDiff(back, p.Y), 0, 1e-11);
    }

    [Fact]
    public void DivergentOrBadSettingsAreRejected()
    {
        var p = Analytic();
        var unstable = Dynamics(p, 2.3, MseLoss.Sum);
        Assert.Throws<ArgumentException>(() => unstable.TrainOutputs(p.F0, p.Y, K, double.PositiveInfinity, discrete: true));
        Assert.Throws<ArgumentException>(() => unstable.TestOutputs(p.Cross, M, p.F0Test, p.F0, p.Y, K, double.PositiveInfinity, discrete: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => unstable.Decay(2.5, discrete: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => unstable.Decay(-1));
        Assert.Throws<ArgumentException>(() => unstable.TrainOutputs(p.F0, p.Y, K + 1, 1));
        var asymmetric = (double[])p.Theta.Clone();
        asymmetric[1] += 1e-3;
        Assert.Throws<ArgumentException>(() => new SpectralKernel(asymmetric, N));
    }
}
