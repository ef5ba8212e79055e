using NtkDynamics.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace NtkDynamics.Nn.Layers;

/// <summary>The arithmetic of <see cref="ConstantOperand"/>: x + c, x - c, c - x, x · c, x / c or c / x.</summary>
public enum ConstantOp { Add, Subtract, SubtractFrom, Multiply, Divide, DivideInto }

/// <summary>
/// y = x ∘ c elementwise with a constant c broadcast over each sample (numpy's rules, aligned on the last axis; c has no
/// batch axis of its own, or one of size 1), as ONNX's Add, Sub, Mul and Div with a constant operand (GELU exported as
/// x · (1 + erf(x / √2)) · 0.5, <c>h - 0.5</c>, <c>h / 1.5</c>). c is a buffer of the state dict when it is a named
/// tensor of the model (a PyTorch buffer), else a constant that is in no state dict. No parameters.
/// </summary>
public sealed class ConstantOperand : UnaryLayer
{
    private readonly Tensor _constant;
    private readonly BufferTensor? _buffer;

    public ConstantOp Op { get; }

    /// <summary><paramref name="constant"/> is copied; <paramref name="bufferName"/> makes it a buffer of that name.</summary>
    public ConstantOperand(ConstantOp op, Tensor constant, string? bufferName = null)
    {
        Op = op;
        if (bufferName is not null)
        {
            _buffer = new BufferTensor(bufferName, constant.Shape);
            constant.Data.CopyTo(_buffer.Value.Data, 0);
            _constant = _buffer.Value;
        }
        else _constant = new Tensor(constant.Data.ToArray(), constant.Shape);
    }

    /// <summary>The constant c (the buffer's tensor when it is one).</summary>
    public Tensor Constant => _constant;

    public override IReadOnlyList<BufferTensor> Buffers => _buffer is null ? [] : [_buffer];

    public override int[] OutputShape(int[] s)
    {
        var c = _constant.Shape;
        bool fits = c.Length < s.Length || (c.Length == s.Length && c[0] == 1);
        for (int a = 1; fits && a <= c.Length && a < s.Length; a++)
            fits = c[^a] == 1 || c[^a] == s[^a];
        if (!fits) throw ShapeError($"a shape the constant {Tensor.Format(c)} broadcasts to without growing it", s);
        return s;
    }

    /// <summary>c expanded to one sample of <paramref name="sample"/> (the shape without the batch), C order.</summary>
    private float[] Expanded(ReadOnlySpan<int> sample)
    {
        int size = Tensor.Count(sample), rank = sample.Length;
        var c = _constant.Shape;
        var e = new float[size];
        // c's axis a (from the right) has stride cs; it repeats (stride 0) where its size is 1.
        var strides = new int[rank];
        for (int a = 1, cs = 1; a <= rank; a++)
        {
            int ca = a <= c.Length ? c[^a] : 1;
            strides[rank - a] = ca == 1 ? 0 : cs;
            cs *= ca;
        }
        var index = new int[rank];
        for (int i = 0; i < size; i++)
        {
            int at = 0;
            for (int a = 0; a < rank; a++) at += index[a] * strides[a];
            e[i] = _constant.Data[at];
            for (int a = rank - 1; a >= 0 && ++index[a] == sample[a]; a--) index[a] = 0;
        }
        return e;
    }

    private sealed class State : NodeState
    {
        public float[] Expanded = [];
    }

    public override NodeState CreateState() => new State();

    // x: (N, ...) -> y: (N, ...); per sample y = x ∘ e, e = c expanded to the sample's shape
    public override Tensor Forward(NodeState state, Tensor x)
    {
        OutputShape(x.Shape);
        var st = (State)state;
        var e = st.Expanded = Expanded(x.Shape.AsSpan(1));
        var y = Tensor.ReuseUninitialized(ref state.OutputBuffer, x.Shape);
        int size = e.Length;
        for (int n = 0; n < x.Shape[0]; n++)
        {
            var xs = x.Data.AsSpan(n * size, size);
            var ys = y.Data.AsSpan(n * size, size);
            switch (Op)
            {
                case ConstantOp.Add: TensorPrimitives.Add(xs, e, ys); break;
                case ConstantOp.Subtract: TensorPrimitives.Subtract(xs, e, ys); break;
                case ConstantOp.SubtractFrom: TensorPrimitives.Subtract(e, xs, ys); break;
                case ConstantOp.Multiply: TensorPrimitives.Multiply(xs, e, ys); break;
                case ConstantOp.Divide: TensorPrimitives.Divide(xs, e, ys); break;
                default: TensorPrimitives.Divide(e, xs, ys); break;
            }
        }
        return y;
    }

    // dy: (r·N, ...) -> dx: the same; row j reads sample j mod N. d/dx: 1, 1, -1, c, 1/c, -c/x².
    public override Tensor? Backward(NodeState state, Tensor gradOutput, Gradients? gradients, bool inputGradient)
    {
        if (!inputGradient) return null;
        if (Op is ConstantOp.Add or ConstantOp.Subtract) return gradOutput;
        var e = ((State)state).Expanded;
        var x = state.Input;
        var dx = Tensor.ReuseUninitialized(ref state.GradientBuffer, gradOutput.Shape);
        int size = e.Length, n = x.Shape[0];
        for (int j = 0; j < gradOutput.Shape[0]; j++)
        {
            var g = gradOutput.Data.AsSpan(j * size, size);
            var d = dx.Data.AsSpan(j * size, size);
            switch (Op)
            {
                case ConstantOp.SubtractFrom: TensorPrimitives.Negate(g, d); break;
                case ConstantOp.Multiply: TensorPrimitives.Multiply(g, e, d); break;
                case ConstantOp.Divide: TensorPrimitives.Divide(g, e, d); break;
                default:
                    var xs = x.Data.AsSpan(j % n * size, size);
                    for (int i = 0; i < size; i++) d[i] = -g[i] * e[i] / (xs[i] * xs[i]);
                    break;
            }
        }
        return dx;
    }

    public override string Describe()
    {
        string c = _constant.Length == 1 ? _constant.Data[0].ToString("G6", System.Globalization.CultureInfo.InvariantCulture) : $"c{Tensor.Format(_constant.Shape)}";
        return Op switch
        {
            ConstantOp.Add => $"x + {c}", ConstantOp.Subtract => $"x - {c}", ConstantOp.SubtractFrom => $"{c} - x",
            ConstantOp.Multiply => $"x * {c}", ConstantOp.Divide => $"x / {c}", _ => $"{c} / x",
        };
    }
}
