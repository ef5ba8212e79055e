using System.ComponentModel;
using System.Diagnostics;

namespace NtkDynamics.Experiments.Slurm;

/// <summary>What a finished command printed and returned.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a command to its end (injectable, so tests can hand <see cref="SlurmClient"/> captured outputs).</summary>
public interface IProcessRunner
{
    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> (no shell) and returns its result;
    /// a program that cannot be started gives exit code <see cref="SystemProcessRunner.NotFound"/> (127, as in a shell).
    /// </summary>
    ProcessResult Run(string program, IReadOnlyList<string> arguments, string? workingDirectory = null);
}

/// <summary>
/// Runs real processes with a time limit per command and extra environment variables (e.g. <c>SLURM_CONF</c>);
/// always sets <c>SLURM_BITSTR_LEN=0</c> so Slurm prints array index lists in full rather than cut at 64 characters.
/// </summary>
public sealed class SystemProcessRunner(IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) : IProcessRunner
{
    /// <summary>The exit code for a program that cannot be started.</summary>
    public const int NotFound = 127;

    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(120);

    /// <inheritdoc/>
    /// <exception cref="SlurmException">The program ran past the time limit (it is killed).</exception>
    public ProcessResult Run(string program, IReadOnlyList<string> arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["SLURM_BITSTR_LEN"] = "0";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (Win32Exception e)
        {
            return new ProcessResult(NotFound, "", $"{program}: cannot run it ({e.Message}); is Slurm installed and on PATH?");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(_timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new SlurmException($"{program} {string.Join(' ', arguments)}: no answer after {_timeout.TotalSeconds:0} s");
            }
            return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
