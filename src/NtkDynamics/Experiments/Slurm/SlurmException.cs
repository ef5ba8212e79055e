namespace NtkDynamics.Experiments.Slurm;

/// <summary>
/// A Slurm command failed or could not be run (sbatch refused the job, squeue could not reach the controller,
/// the command is not installed). The message is one line naming the command and what it printed.
/// </summary>
public sealed class SlurmException(string message) : Exception(message);
