namespace NtkDynamics;

/// <summary>
/// Bad input from the user (a file, a config key, a shape): the message is one line that names the file or key
/// and what was expected. The `ntk` command prints it and exits with code 2. Line breaks and other control characters
/// (from a damaged file's bytes quoted in the message) are shown as \uXXXX, so the message stays one line.
/// </summary>
public sealed class InputException(string message) : Exception(OneLine(message))
{
    private static string OneLine(string message) =>
        message.Any(char.IsControl) ? string.Concat(message.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : message;
}
