using NtkDynamics.Experiments;

namespace NtkDynamics.Tests.Experiments;

public class ConfigTests
{
    [Fact]
    public void DefaultsFillEverythingAndTheResolvedConfigReadsBack()
    {
        var c = ExperimentConfig.Parse("name: x\nmodel: {width: 16}\ntrain: {lr: 0.1/width}");
        Assert.Equal(16, c.Model.Width);
        Assert.Equal(0.1 / 16, c.Train.LrValue); // a division by a power of 2: exact
        Assert.Equal("embedded", c.Data.Dataset);
        Assert.Equal("trace", c.Ntk.Kind);
        var again = ExperimentConfig.Parse(c.ToYaml());
        Assert.Equal(c.ToYaml(), again.ToYaml());
        Assert.Equal(c.Train.LrValue, again.Train.LrValue);
    }

    [Fact]
    public void JsonIsAccepted()
    {
        var c = ExperimentConfig.Parse("""{"name": "j", "model": {"kind": "mlp", "hidden": [32, 16]}, "stream": {"kind": "class-overlap", "shifts": [0, 2, 5]}}""");
        Assert.Equal("mlp", c.Model.Kind);
        Assert.Equal(new[] { 32, 16 }, c.Model.Hidden);
        Assert.Equal(new[] { 0, 2, 5 }, c.Stream.Shifts);
    }

    [Theory]
    [InlineData("model: {widht: 3}", "unknown key 'model.widht'")]
    [InlineData("modle: {}", "unknown key 'modle'")]
    [InlineData("model: {width: wide}", "model.width: expected a whole number, got 'wide'")]
    [InlineData("model: {width: 0}", "model.width: must be >= 1, got 0")]
    [InlineData("model: {kind: resnet}", "model.kind: 'resnet' is not allowed (expected cnn, mlp, resnet18, graph, onnx)")]
    [InlineData("train: {lr: fast}", "train.lr: cannot read formula 'fast': unknown name 'fast'")]
    [InlineData("train: {lr: -1}", "train.lr: must be positive")]
    [InlineData("train: {momentum: 1.5}", "train.momentum: must be in [0, 1)")]
    [InlineData("ntk: {kind: diagonal}", "ntk.kind: 'diagonal' is not allowed (expected trace, full, logit)")]
    [InlineData("stream: {shifts: [1, x]}", "stream.shifts[1]: expected a whole number, got 'x'")]
    [InlineData("model: [1, 2]", "model: expected a mapping of keys")]
    [InlineData("model: {width: 3", "not valid YAML/JSON at line")]
    public void BadValuesNameTheKeyInOneLine(string yaml, string expected)
    {
        var e = Assert.Throws<InputException>(() => ExperimentConfig.Parse(yaml, "exp.yaml"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("exp.yaml: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void FormulasOfWidth()
    {
        var vars = new Dictionary<string, double> { ["width"] = 64 };
        // Powers of 2 and perfect squares: every operation below is exact.
        Assert.Equal(0.1 / 64, Formula.Evaluate("0.1/width", vars, "k"));
        Assert.Equal(1.0 / 8, Formula.Evaluate("1/sqrt(width)", vars, "k"));
        Assert.Equal(2e-3 * 4, Formula.Evaluate("2e-3 * (1 + 3)", vars, "k"));
        Assert.Equal(64.0 * 64, Formula.Evaluate("width^2", vars, "k"));
        Assert.Throws<InputException>(() => Formula.Evaluate("0.1/(width", vars, "k"));
        Assert.Throws<InputException>(() => Formula.Evaluate("1/0", vars, "k"));
    }

    [Fact]
    public void ContinualMetricsOfAConstructedAccuracyMatrix()
    {
        // After task 0: [0.9, 0.1, 0.0]; after task 1: [0.5, 0.8, 0.1]; after task 2: [0.3, 0.6, 0.7].
        double[][] r = [[0.9, 0.1, 0.0], [0.5, 0.8, 0.1], [0.3, 0.6, 0.7]];
        // Each side: the decimal inputs, two or three differences and sums, a mean; the differences cancel at most 3x (0.9 - 0.3).
        Close.Roundings((0.3 + 0.6 + 0.7) / 3, ContinualMetrics.AverageAccuracy(r), 6);
        Close.Roundings(((0.9 - 0.3) + (0.8 - 0.6)) / 2, ContinualMetrics.Forgetting(r), 8, 3);
        Close.Roundings(((0.3 - 0.9) + (0.6 - 0.8)) / 2, ContinualMetrics.BackwardTransfer(r), 8, 3);
        Assert.True(double.IsNaN(ContinualMetrics.Forgetting([[0.5]])));
    }
}
