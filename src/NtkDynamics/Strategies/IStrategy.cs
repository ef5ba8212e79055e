using NtkDynamics.Continual;
using NtkDynamics.Formats;

namespace NtkDynamics.Strategies;

/// <summary>
/// A continual-learning strategy: what one training step does with a minibatch (it leaves in the parameters' gradients what
/// the optimiser steps on), what each task trains on, and what it does at the start and end of a task. The trainer calls
/// <see cref="BeginTask"/> before a task's first step, <see cref="Step"/> for each step, then the optimiser, and
/// <see cref="EndTask"/> after the task's last step (before that step's checkpoint). Everything it keeps between steps (buffer,
/// Fisher, old model, random state) goes into checkpoints through <see cref="SaveState"/>, so a resumed run continues exactly.
/// </summary>
public interface IStrategy
{
    /// <summary>The config's strategy.kind.</summary>
    string Kind { get; }

    /// <summary>The samples task <paramref name="task"/> trains on (the task's own; joint training: every task so far).</summary>
    Samples TrainingSet(int task);

    /// <summary>Before the first step of <paramref name="task"/>.</summary>
    void BeginTask(int task);

    /// <summary>
    /// One training step on <paramref name="batch"/> of task <paramref name="task"/>: zeroes the gradients, then fills them with
    /// the gradient of the strategy's objective. Returns the objective's value on this step (NaN or ∞ when it diverged).
    /// </summary>
    double Step(Samples batch, int task);

    /// <summary>After the last step of <paramref name="task"/>.</summary>
    void EndTask(int task);

    /// <summary>The strategy's state as named arrays (empty for fine-tuning).</summary>
    IReadOnlyDictionary<string, NdArray> SaveState();

    /// <summary>Restores a state <see cref="SaveState"/> wrote; errors name <paramref name="source"/>.</summary>
    void LoadState(IReadOnlyDictionary<string, NdArray> state, string source);
}
