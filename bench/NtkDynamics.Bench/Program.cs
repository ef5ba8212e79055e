using NtkDynamics.Bench;

return BenchMain.Run(args);
