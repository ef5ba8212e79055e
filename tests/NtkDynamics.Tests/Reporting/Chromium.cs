using System.Diagnostics;

namespace NtkDynamics.Tests.Reporting;

/// <summary>Headless Chromium for tests: finds it on PATH and takes a screenshot of a page.</summary>
internal static class Chromium
{
    /// <summary>The browser's path, or null when none is installed.</summary>
    public static string? Find() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }.Select(OnPath).FirstOrDefault(p => p != null);

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>Renders the page at width x height into png (a fresh profile under scratch) and decodes it.</summary>
    public static PngImage Screenshot(string chromium, string page, string png, string scratch, int width = 1200, int height = 1600)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-quic",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={Path.Combine(scratch, "profile")}", $"--screenshot={png}", $"--window-size={width},{height}", new Uri(page).AbsoluteUri })
            info.ArgumentList.Add(a);
        using var proc = Process.Start(info)!;
        Task<string> stdout = proc.StandardOutput.ReadToEndAsync(), stderr = proc.StandardError.ReadToEndAsync();
        if (!proc.WaitForExit(30_000))
        {
            proc.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish the screenshot within 30 s");
        }
        Assert.True(proc.ExitCode == 0 && File.Exists(png), $"chromium exit {proc.ExitCode}: {stderr.Result}{stdout.Result}");
        return Png.Decode(File.ReadAllBytes(png));
    }
}
