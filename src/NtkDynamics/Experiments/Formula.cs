using System.Globalization;

namespace NtkDynamics.Experiments;

/// <summary>
/// A small arithmetic formula of named variables, for values such as the learning rate "0.1/width" (the paper's
/// appendix C.4): numbers, variables, + - * / ^, parentheses, sqrt() and log().
/// </summary>
public static class Formula
{
    public static double Evaluate(string text, IReadOnlyDictionary<string, double> variables, string key)
    {
        int pos = 0;
        InputException Bad(string what) => new($"{key}: cannot read formula '{text}': {what}");
        void Skip() { while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++; }
        bool Take(char c) { Skip(); if (pos < text.Length && text[pos] == c) { pos++; return true; } return false; }

        double Sum()
        {
            double v = Product();
            while (true)
            {
                if (Take('+')) v += Product();
                else if (Take('-')) v -= Product();
                else return v;
            }
        }
        double Product()
        {
            double v = Power();
            while (true)
            {
                if (Take('*')) v *= Power();
                else if (Take('/')) v /= Power();
                else return v;
            }
        }
        double Power()
        {
            double v = Unary();
            return Take('^') ? Math.Pow(v, Power()) : v;
        }
        double Unary() => Take('-') ? -Unary() : Take('+') ? Unary() : Atom();
        double Atom()
        {
            Skip();
            if (Take('('))
            {
                double v = Sum();
                if (!Take(')')) throw Bad("missing ')'");
                return v;
            }
            int start = pos;
            if (pos < text.Length && (char.IsDigit(text[pos]) || text[pos] == '.'))
            {
                while (pos < text.Length && (char.IsDigit(text[pos]) || text[pos] is '.' or 'e' or 'E' ||
                       (text[pos] is '-' or '+' && pos > start && text[pos - 1] is 'e' or 'E'))) pos++;
                return double.TryParse(text[start..pos], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) ? n : throw Bad($"'{text[start..pos]}' is not a number");
            }
            while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] == '_')) pos++;
            string name = text[start..pos];
            if (name.Length == 0) throw Bad(pos < text.Length ? $"unexpected '{text[pos]}'" : "it ends too early");
            if (name is "sqrt" or "log")
            {
                if (!Take('(')) throw Bad($"{name} needs parentheses");
                double arg = Sum();
                if (!Take(')')) throw Bad("missing ')'");
                return name == "sqrt" ? Math.Sqrt(arg) : Math.Log(arg);
            }
            return variables.TryGetValue(name, out double value) ? value
                : throw Bad($"unknown name '{name}' (known: {string.Join(", ", variables.Keys)})");
        }

        double result = Sum();
        Skip();
        if (pos != text.Length) throw Bad($"unexpected '{text[pos..]}'");
        if (!double.IsFinite(result)) throw Bad("the value is not finite");
        return result;
    }
}
