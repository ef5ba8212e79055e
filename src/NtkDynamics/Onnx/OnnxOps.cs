namespace NtkDynamics.Onnx;

/// <summary>
/// The operators we import, the opsets they need, and the standard opsets we accept (11-22: their semantics for
/// float tensors are the ones implemented; later opsets are refused until checked against the spec).
/// </summary>
public static class OnnxOps
{
    public const int MinOpset = 11, MaxOpset = 22;

    /// <summary>Operators that become layers, with the first opset that has them.</summary>
    public static IReadOnlyDictionary<string, int> Compute { get; } = new Dictionary<string, int>
    {
        ["Conv"] = 1, ["Gemm"] = 1, ["MatMul"] = 1, ["Add"] = 1, ["Sub"] = 1, ["Mul"] = 1, ["Div"] = 1,
        ["Relu"] = 1, ["LeakyRelu"] = 1, ["Tanh"] = 1, ["Sigmoid"] = 1, ["Erf"] = 9, ["Softplus"] = 1, ["Gelu"] = 20,
        ["MaxPool"] = 1, ["AveragePool"] = 1, ["GlobalAveragePool"] = 1, ["Flatten"] = 1, ["Reshape"] = 1,
        ["BatchNormalization"] = 1, ["LayerNormalization"] = 17, ["Identity"] = 1, ["Dropout"] = 1, ["Pad"] = 1,
    };

    /// <summary>Operators on constants and shapes only, evaluated at load.</summary>
    public static IReadOnlyList<string> Folded { get; } = ["Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast"];

    /// <summary>What an unsupported op most likely came from, for the error message.</summary>
    private static readonly Dictionary<string, string> Hints = new()
    {
        ["ReduceMean"] = "a LayerNorm exported below opset 17 decomposes into ReduceMean/Sub/Pow/Sqrt/Div: export with opset_version=17",
        ["Pow"] = "a LayerNorm exported below opset 17 decomposes into ReduceMean/Sub/Pow/Sqrt/Div: export with opset_version=17",
        ["Sqrt"] = "a LayerNorm exported below opset 17 decomposes into ReduceMean/Sub/Pow/Sqrt/Div: export with opset_version=17",
        ["Transpose"] = "we keep PyTorch's NCHW layout and do not permute axes",
        ["Softmax"] = "the model's output should be the logits; the loss applies the softmax",
        ["LogSoftmax"] = "the model's output should be the logits; the loss applies the softmax",
    };

    /// <summary>Why an op of <paramref name="domain"/> cannot be imported at <paramref name="opset"/>, or null when it can.</summary>
    public static string? Refusal(string opType, string domain, int opset)
    {
        if (domain is not ("" or "ai.onnx"))
            return $"domain '{domain}' is not the standard operator set; we import {List()}";
        if (Compute.TryGetValue(opType, out int since))
            return opset >= since ? null : $"{opType} needs opset {since} or newer, the model imports opset {opset}";
        if (Folded.Contains(opType)) return null;
        string hint = Hints.TryGetValue(opType, out var h) ? $" ({h})" : "";
        return $"{opType} is not supported{hint}; we import {List()}";
    }

    private static string List() => string.Join(", ", Compute.Keys) + " and, folded at load, " + string.Join(", ", Folded);
}
