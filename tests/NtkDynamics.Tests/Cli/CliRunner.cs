using NtkDynamics.Cli;

namespace NtkDynamics.Tests.Cli;

/// <summary>Runs `ntk` verbs in-process with Console.Out and Console.Error captured (tests that use it share the "Console" collection).</summary>
internal static class CliRunner
{
    private static readonly object Gate = new();

    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        lock (Gate)
        {
            TextWriter stdout = Console.Out, stderr = Console.Error;
            var (o, e) = (new StringWriter(), new StringWriter());
            Console.SetOut(o);
            Console.SetError(e);
            try
            {
                return (Commands.Run(args), o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(stdout);
                Console.SetError(stderr);
            }
        }
    }
}
