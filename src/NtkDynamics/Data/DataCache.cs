namespace NtkDynamics.Data;

/// <summary>
/// Remembers the last data set loaded (by name or path and load options), so checking the cells of a sweep one after
/// another reads each data set once while only one is held in memory.
/// </summary>
public sealed class DataCache
{
    private (string Key, ImageDataset Data)? _last;

    /// <summary><see cref="DataSets.Load"/>, or the data set of the previous call with the same name and options.</summary>
    public ImageDataset Load(string nameOrPath, LoadOptions options)
    {
        string key = $"{(File.Exists(nameOrPath) || Directory.Exists(nameOrPath) ? Path.GetFullPath(nameOrPath) : nameOrPath.ToLowerInvariant())}|{options.ImageSize}|{options.UseCache}|{options.CacheFolder}";
        if (_last is { } last && last.Key == key) return last.Data;
        _last = null;
        var data = DataSets.Load(nameOrPath, options);
        _last = (key, data);
        return data;
    }
}
