namespace NtkDynamics;

/// <summary>
/// Bad input from the user (a file, a config key, a shape): the message is one line that names the file or key
/// and what was expected. The `ntk` command prints it and exits with code 2.
/// </summary>
public sealed class InputException(string message) : Exception(message);
