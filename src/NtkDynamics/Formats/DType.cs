namespace NtkDynamics.Formats;

/// <summary>The element types our file formats read and write (all little-endian on disk).</summary>
public enum DType
{
    Float32,
    Float64,
    Int64,
    Int32,
    UInt8,
    Bool,
}

/// <summary>Sizes and names of <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ItemSize(this DType t) => t switch
    {
        DType.Float64 or DType.Int64 => 8,
        DType.Float32 or DType.Int32 => 4,
        _ => 1,
    };

    /// <summary>numpy's name: "float32", "int64", "bool", ...</summary>
    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        DType.Int32 => "int32",
        DType.UInt8 => "uint8",
        _ => "bool",
    };

    /// <summary>The C# element type of arrays holding <paramref name="t"/>.</summary>
    public static Type ElementType(this DType t) => t switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Int64 => typeof(long),
        DType.Int32 => typeof(int),
        DType.UInt8 => typeof(byte),
        _ => typeof(bool),
    };
}
