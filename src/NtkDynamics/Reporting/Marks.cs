namespace NtkDynamics.Reporting;

internal enum MarkKind { Line, Scatter, Bars, Stems }

/// <summary>A data series of a panel; Xs, Ys and Errors (half-lengths of error bars, when given) have the same length.</summary>
internal sealed record Series(MarkKind Kind, double[] Xs, double[] Ys, string? Label, Rgb Color, bool Dashed, bool Markers, double[]? Errors = null);

/// <summary>A vertical (at x) or horizontal (at y) reference line across the whole plot.</summary>
internal sealed record RefLine(bool Vertical, double At, string? Label, Rgb Color);

/// <summary>A shaded band over x in [X0, X1], full plot height.</summary>
internal sealed record Shade(double X0, double X1, string? Label, Rgb Color);

/// <summary>A matrix drawn as coloured cells, row 0 at the top.</summary>
internal sealed record HeatmapData(double[,] Values, string? ColorBarLabel, string? CellFormat,
    IReadOnlyList<string>? RowLabels, IReadOnlyList<string>? ColLabels, double? Min, double? Max, IReadOnlyList<int>? Dividers = null);

/// <summary>A colour bar: discrete named levels (sequential colours in order), or continuous over [Min, Max].</summary>
internal sealed record ColorBarSpec(string? Label, IReadOnlyList<string>? Levels, double Min, double Max);
