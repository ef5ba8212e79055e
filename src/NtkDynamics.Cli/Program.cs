using NtkDynamics.Cli;

return Commands.Run(args);
