namespace NtkDynamics.Onnx;

/// <summary>
/// One entry of a shape vector folded at load (the second input of a Reshape): a number, or the size of axis
/// <see cref="Axis"/> of the runtime value <see cref="Of"/>, known only once the layer graph has its shapes
/// (axis 0 of a value computed from the model input is the batch size).
/// </summary>
public readonly record struct ShapeDim(long Value, string? Of = null, int Axis = 0)
{
    public bool IsNumber => Of is null;

    public static ShapeDim SizeOf(string value, int axis) => new(0, value, axis);

    public override string ToString() => Of is null ? Value.ToString() : $"{Of}.shape[{Axis}]";
}
