using System.Runtime.InteropServices;

namespace NtkDynamics.Cli;

/// <summary>
/// Turns SIGTERM (Slurm's scancel and time limit) and SIGINT (Ctrl-C) into a cancellation: the run checkpoints after its current
/// step and exits with state "stopped" instead of dying mid-write. A second signal is not intercepted.
/// </summary>
internal static class StopSignal
{
    private static readonly CancellationTokenSource Source = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];

    public static CancellationToken Token()
    {
        lock (Registrations)
            if (Registrations.Count == 0)
                foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
                    Registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
                    {
                        if (Source.IsCancellationRequested) return;
                        ctx.Cancel = true;
                        Source.Cancel();
                    }));
        return Source.Token;
    }
}
