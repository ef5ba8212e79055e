namespace NtkDynamics.Onnx;

/// <summary>
/// Detects a PyTorch export in evaluation mode (torch.onnx.export's default, TrainingMode.EVAL with constant folding):
/// it folds every BatchNorm into the convolution before it, so the Conv reads a weight and a bias that PyTorch computed
/// at export, named "onnx::Conv_&lt;n&gt;", instead of the module's parameters. That is another parametrisation of the
/// same function: its gradients, its training and its eNTK are not the BatchNorm network's.
/// </summary>
public static class FoldedBatchNorm
{
    /// <summary>The export call that keeps BatchNormalization nodes (docs/onnx.md).</summary>
    public const string ExportCall = "torch.onnx.export(model.eval(), x, path, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False, opset_version=17)";

    /// <summary>A one-line warning naming the file and the convolutions, or null when no Conv reads computed weights.</summary>
    public static string? Detect(IReadOnlyList<OnnxNode> nodes, string path)
    {
        var folded = nodes.Where(n => n.OpType == "Conv" && n.Inputs.Skip(1).Any(i => i.StartsWith("onnx::", StringComparison.Ordinal))).ToList();
        if (folded.Count == 0) return null;
        return $"{path}: {folded.Count} of {nodes.Count(n => n.OpType == "Conv")} convolutions (first {folded[0]}) read weights " +
            $"PyTorch computed at export ('{folded[0].Inputs.Skip(1).First(i => i.StartsWith("onnx::", StringComparison.Ordinal))}'): " +
            "an eval-mode export folded BatchNorm into them, which changes the parameters, their gradients and the eNTK; " +
            $"export with {ExportCall} to keep the BatchNormalization nodes";
    }
}
