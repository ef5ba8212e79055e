using System.Globalization;
using System.Text;

namespace NtkDynamics.Formats;

/// <summary>
/// The header dictionary of a .npy file, e.g. <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>:
/// parsing (a tiny reader for this one Python literal) and formatting exactly as numpy 1.24 writes it.
/// </summary>
internal static class NpyHeader
{
    private static readonly (string Descr, DType Type)[] Descrs =
    [
        ("<f4", DType.Float32), ("<f8", DType.Float64), ("<i8", DType.Int64),
        ("<i4", DType.Int32), ("|u1", DType.UInt8), ("|b1", DType.Bool),
    ];

    /// <summary>numpy's dtype descriptor for <paramref name="t"/>.</summary>
    public static string Descr(DType t) => Array.Find(Descrs, d => d.Type == t).Descr;

    /// <summary>
    /// The header text numpy writes for a C-order array: the dict, spaces so the first dimension can grow to 21 digits,
    /// then spaces and a newline so that the 10-byte prefix plus header is a multiple of 64 bytes.
    /// </summary>
    public static string Format(DType t, int[] shape)
    {
        string dims = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var sb = new StringBuilder($"{{'descr': '{Descr(t)}', 'fortran_order': False, 'shape': {dims}, }}");
        if (shape.Length > 0) sb.Append(' ', Math.Max(0, 21 - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        int padding = 64 - (10 + sb.Length + 1) % 64;
        return sb.Append(' ', padding).Append('\n').ToString();
    }

    /// <summary>Parses the header dict; any problem throws an <see cref="InputException"/> naming <paramref name="path"/>.</summary>
    public static (DType Type, int[] Shape) Parse(string text, string path)
    {
        var p = new Parser(text, path);
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        p.Expect('{');
        while (!p.TryTake('}'))
        {
            string key = p.String();
            p.Expect(':');
            switch (key)
            {
                case "descr" when descr is null: descr = p.String(); break;
                case "fortran_order" when fortran is null: fortran = p.Boolean(); break;
                case "shape" when shape is null: shape = p.Shape(); break;
                default: throw p.Bad($"unexpected or repeated key '{key}'");
            }
            if (!p.TryTake(',')) { p.Expect('}'); break; }
        }
        p.ExpectEnd();
        if (descr is null || fortran is null || shape is null)
            throw p.Bad("header must have the keys 'descr', 'fortran_order' and 'shape'");
        if (fortran.Value) throw p.Bad("fortran_order is True; only C-order arrays are supported (save with np.ascontiguousarray)");
        var known = Array.FindIndex(Descrs, d => d.Descr == descr);
        if (known >= 0) return (Descrs[known].Type, shape);
        if (descr.StartsWith('>')) throw p.Bad($"big-endian dtype '{descr}' is not supported (save as little-endian)");
        throw p.Bad($"unsupported dtype '{descr}' (expected one of {string.Join(", ", Descrs.Select(d => d.Descr))})");
    }

    private sealed class Parser(string text, string path)
    {
        private int _at;

        public InputException Bad(string what) => new($"{path}: bad .npy header: {what}");

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        public bool TryTake(char c)
        {
            SkipSpace();
            if (_at < text.Length && text[_at] == c) { _at++; return true; }
            return false;
        }

        public void Expect(char c)
        {
            if (!TryTake(c)) throw Bad($"expected '{c}' at character {_at}");
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_at != text.Length) throw Bad($"unexpected text after the dict at character {_at}");
        }

        public string String()
        {
            SkipSpace();
            char q = _at < text.Length ? text[_at] : '\0';
            if (q is not ('\'' or '"')) throw Bad($"expected a quoted string at character {_at}");
            int end = text.IndexOf(q, _at + 1);
            if (end < 0) throw Bad("unterminated string");
            string s = text[(_at + 1)..end];
            _at = end + 1;
            return s;
        }

        public bool Boolean()
        {
            SkipSpace();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
                if (string.CompareOrdinal(text, _at, word, 0, word.Length) == 0) { _at += word.Length; return value; }
            throw Bad($"expected True or False at character {_at}");
        }

        public int[] Shape()
        {
            Expect('(');
            var dims = new List<int>();
            while (!TryTake(')'))
            {
                dims.Add(Dimension());
                if (!TryTake(',')) { Expect(')'); break; }
            }
            return [.. dims];
        }

        private int Dimension()
        {
            SkipSpace();
            int start = _at;
            while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
            if (!int.TryParse(text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                throw Bad($"expected a dimension (a non-negative integer below 2^31) at character {start}");
            return d;
        }
    }
}
