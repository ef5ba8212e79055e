using System.CommandLine;

namespace NtkDynamics.Cli;

/// <summary>The `ntk` verbs. Each verb lives in its own file and adds itself here.</summary>
public static class Commands
{
    /// <summary>Parses and runs; returns the process exit code (2 for bad input).</summary>
    public static int Run(string[] args)
    {
        var root = new RootCommand("NtkDynamics: empirical NTK dynamics under task shifts");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(TheoryCommand.Create());
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (InputException e)
        {
            Console.Error.WriteLine($"ntk: {e.Message}");
            return 2;
        }
    }
}
