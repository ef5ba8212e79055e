using System.Diagnostics;

namespace NtkDynamics.Reporting;

/// <summary>The optional external converter (rsvg-convert) the reports use.</summary>
internal static class FileOutput
{
    /// <summary>The full path of an executable found on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Renders an SVG file to PNG (zoom 2, for sharp figures) with rsvg-convert, atomically. Returns null on success, or
    /// why no PNG was written (no rsvg-convert on PATH, or it failed).
    /// </summary>
    public static string? SvgToPng(string svgPath, string pngPath)
    {
        string? rsvg = FindOnPath("rsvg-convert");
        if (rsvg is null) return "rsvg-convert is not on PATH";
        string tmp = $"{Path.GetFullPath(pngPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var info = new ProcessStartInfo(rsvg) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "--zoom", "2", "--format", "png", "--output", tmp, svgPath }) info.ArgumentList.Add(a);
        try
        {
            using var proc = Process.Start(info)!;
            Task<string> err = proc.StandardError.ReadToEndAsync();
            if (!proc.WaitForExit(60_000))
            {
                proc.Kill(entireProcessTree: true);
                return "rsvg-convert did not finish within 60 s";
            }
            if (proc.ExitCode != 0) return $"rsvg-convert failed (exit {proc.ExitCode}): {err.Result.Trim().Split('\n')[0]}";
            File.Move(tmp, pngPath, overwrite: true);
            return null;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
