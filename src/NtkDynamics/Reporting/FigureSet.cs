namespace NtkDynamics.Reporting;

/// <summary>What the x axis of the paper's panels counts.</summary>
public enum TimeAxis { Steps, Epochs }

/// <summary>Choices for the run and sweep figures.</summary>
/// <param name="Time">Steps or epochs along x.</param>
/// <param name="MaxHeatmapKernels">At most this many saved kernels enter the kernel-distance heatmap, taken evenly.</param>
/// <param name="SpectrumSteps">Steps whose eigenvalue spectrum is drawn (the nearest measurement at or before each); null =
/// initialisation, every task switch and the last measurement.</param>
public sealed record FigureOptions(TimeAxis Time = TimeAxis.Steps, int MaxHeatmapKernels = 80, IReadOnlyList<int>? SpectrumSteps = null);

/// <summary>A figure with its file name (no extension) and a caption for the report.</summary>
public sealed record NamedFigure(string Name, Chart Figure, string Caption);

/// <summary>The figures made for a run or a sweep, and notes on what was skipped and why.</summary>
public sealed record FigureSet(IReadOnlyList<NamedFigure> Figures, IReadOnlyList<string> Notes)
{
    /// <summary>The figure with this name, or null.</summary>
    public NamedFigure? Find(string name) => Figures.FirstOrDefault(f => f.Name == name);

    /// <summary>Writes every figure as folder/NAME.svg and folder/NAME.png.</summary>
    public IReadOnlyList<SavedFigure> Save(string folder) =>
        [.. Figures.Select(f => f.Figure.Save(Path.Combine(folder, f.Name + ".svg")))];
}
