using MantisNative.Cli;

return CliApp.Run(args);
