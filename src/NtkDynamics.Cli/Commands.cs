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
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(RunCommand.Demo());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(EntkCommand.Create());
        root.Subcommands.Add(ModelCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
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
        catch (NtkDynamics.Experiments.RunBusyException e)
        {
            Console.Error.WriteLine($"ntk: {e.Message}");
            return NtkDynamics.Experiments.SweepRunner.BusyExitCode;
        }
        catch (NtkDynamics.Experiments.Slurm.SlurmException e)
        {
            Console.Error.WriteLine($"ntk: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file system refused (permissions, a full disk): .NET's message names the path.
            Console.Error.WriteLine($"ntk: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }
}
