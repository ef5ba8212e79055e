namespace NtkDynamics.Reporting;

/// <summary>
/// Skia's SVG writer prints "Unsupported path effect in addPaint." on the process's stderr for every dashed line, though
/// it does write the dashes (as path segments). Its native library prints straight to file descriptor 2, so on Linux
/// descriptor 2 points at /dev/null while any figure's SVG is being written (counted, for threads writing at once).
/// </summary>
internal static class NativeStderr
{
    private static readonly Lock Gate = new();
    private static int _writers, _saved = -1;

    public static IDisposable? Silenced()
    {
        if (!OperatingSystem.IsLinux()) return null;
        lock (Gate)
        {
            if (_writers == 0)
            {
                int devNull = open("/dev/null", 1 /* O_WRONLY */);
                if (devNull < 0) return null;
                _saved = dup(2);
                if (_saved < 0 || dup2(devNull, 2) < 0)
                {
                    close(devNull);
                    if (_saved >= 0) close(_saved);
                    _saved = -1;
                    return null;
                }
                close(devNull);
            }
            _writers++;
            return new Restore();
        }
    }

    private sealed class Restore : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_done) return;
                _done = true;
                if (--_writers > 0) return;
                dup2(_saved, 2);
                close(_saved);
                _saved = -1;
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] private static extern int open(string path, int flags);
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] private static extern int dup(int fd);
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] private static extern int dup2(int from, int to);
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] private static extern int close(int fd);
}
