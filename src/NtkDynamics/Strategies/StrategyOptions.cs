namespace NtkDynamics.Strategies;

/// <summary>
/// The experiment's <c>strategy:</c> section, every value resolved. Each kind reads only its own keys (<see cref="KeysOf"/>);
/// the defaults are Mammoth's best hyperparameters for seq-cifar10 with a buffer of 500 (utils/best_args.py; docs/strategies.md).
/// </summary>
/// <param name="Kind">finetune, joint, er, derpp, agem, ewc-online or lwf.</param>
/// <param name="Buffer">Samples the memory holds (er, derpp, agem).</param>
/// <param name="ReplayBatch">Samples drawn from the memory per step (Mammoth's minibatch_size; er, derpp, agem).</param>
/// <param name="Alpha">derpp: weight of the logit replay; lwf: weight of the distillation.</param>
/// <param name="Beta">derpp: weight of the label replay (0: DER).</param>
/// <param name="Lambda">ewc-online: weight of the penalty (Mammoth's e_lambda).</param>
/// <param name="Gamma">ewc-online: decay of the accumulated Fisher.</param>
/// <param name="Temperature">lwf: softmax temperature of the distillation.</param>
/// <param name="WarmupEpochs">lwf: epochs of output-layer warm-up at each new task; null = train.epochs_per_task (Mammoth's n_epochs).</param>
public sealed record StrategyOptions(string Kind, int Buffer = 0, int ReplayBatch = 0, double Alpha = 0, double Beta = 0, double Lambda = 0,
    double Gamma = 0, double Temperature = 0, int? WarmupEpochs = null)
{
    public static IReadOnlyList<string> Kinds { get; } = ["finetune", "joint", "er", "derpp", "agem", "ewc-online", "lwf"];

    /// <summary>The config keys a kind reads besides <c>kind</c>.</summary>
    public static IReadOnlyList<string> KeysOf(string kind) => kind switch
    {
        "er" or "agem" => ["buffer", "replay_batch"],
        "derpp" => ["buffer", "replay_batch", "alpha", "beta"],
        "ewc-online" => ["lambda", "gamma"],
        "lwf" => ["alpha", "temperature", "warmup_epochs"],
        _ => [],
    };

    /// <summary>Mammoth's seq-cifar10 hyperparameters for buffer 500 (utils/best_args.py), by kind.</summary>
    public static StrategyOptions Defaults(string kind) => kind switch
    {
        "er" or "agem" => new(kind, Buffer: 500, ReplayBatch: 32),
        "derpp" => new(kind, Buffer: 500, ReplayBatch: 32, Alpha: 0.2, Beta: 0.5),
        "ewc-online" => new(kind, Lambda: 10, Gamma: 1),
        "lwf" => new(kind, Alpha: 3, Temperature: 2),
        _ when Kinds.Contains(kind) => new(kind),
        _ => throw new ArgumentException($"unknown strategy {kind}"),
    };

    /// <summary>Mammoth's learning rate for the kind on seq-cifar10 (utils/best_args.py; joint as sgd), for docs and sweeps.</summary>
    public static double MammothLearningRate(string kind) => kind switch
    {
        "finetune" or "joint" or "er" => 0.1,
        "derpp" or "agem" or "ewc-online" => 0.03,
        "lwf" => 0.01,
        _ => throw new ArgumentException($"unknown strategy {kind}"),
    };

    /// <summary>The value of one of the kind's keys, as the config writes it.</summary>
    public object? Value(string key) => key switch
    {
        "buffer" => Buffer, "replay_batch" => ReplayBatch, "alpha" => Alpha, "beta" => Beta, "lambda" => Lambda,
        "gamma" => Gamma, "temperature" => Temperature, "warmup_epochs" => WarmupEpochs,
        _ => throw new ArgumentException($"unknown strategy key {key}"),
    };

    /// <summary>The strategy these options describe, training <paramref name="context"/>'s model.</summary>
    public IStrategy Create(StrategyContext context) => Kind switch
    {
        "finetune" => new FineTune(context),
        "joint" => new Joint(context),
        "er" => new ExperienceReplay(context, Buffer, ReplayBatch),
        "derpp" => new DarkExperienceReplay(context, Buffer, ReplayBatch, Alpha, Beta),
        "agem" => new AGem(context, Buffer, ReplayBatch),
        "ewc-online" => new OnlineEwc(context, Lambda, Gamma),
        "lwf" => new LearningWithoutForgetting(context, Alpha, Temperature, WarmupEpochs ?? context.EpochsPerTask),
        _ => throw new ArgumentException($"unknown strategy {Kind}"),
    };
}
