namespace NtkDynamics.Nn.Layers;

/// <summary>
/// PyTorch's GroupNorm(num_groups, num_channels, eps, affine) over (N, C, ...): the C channels fall into G groups of C/G
/// consecutive channels, each sample's group is normalised over its channels and positions; γ and β are per channel [C].
/// </summary>
public sealed class GroupNorm : Normalization
{
    public int Groups { get; }
    public int Channels { get; }

    public GroupNorm(int groups, int channels, double epsilon = DefaultEpsilon, bool affine = true) : base([Check(groups, channels)], epsilon, affine)
    {
        Groups = groups; Channels = channels;
    }

    private static int Check(int groups, int channels) =>
        groups >= 1 && channels >= 1 && channels % groups == 0 ? channels
            : throw new ArgumentException($"GroupNorm: the {channels} channels must split into {groups} groups of the same size");

    public override int[] OutputShape(int[] s)
    {
        if (s.Length < 2 || s[1] != Channels) throw ShapeError($"[N, {Channels}, ...]", s);
        return s;
    }

    // A group is C/G consecutive channels of S = H·W... positions: one row of (C/G)·S elements, S per channel's γ.
    protected override (int Rows, int Segment) Layout(int[] s) => (Groups, NtkDynamics.Tensors.Tensor.Count(s.AsSpan(2)));

    protected override int ParameterBase(int row) => row * (Channels / Groups);

    public override string Describe() => $"GroupNorm({Groups} groups, {Channels} channels{(Weight is null ? ", no affine" : "")})";
}
