using System.Text.RegularExpressions;
using MantisNative.Data.Synthetic;

namespace MantisNative.Tests.Data.Synthetic;

/// <summary>
/// Re-derives the answer of a synthetic question from its text and the scenes alone, written independently of
/// the generators: if a generator and this oracle disagree, one of them is wrong.
/// </summary>
public static class SyntheticOracle
{
    public static string Answer(string family, string question, IReadOnlyList<Scene> s)
    {
        string N(int i) => (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string C(ColourKind c) => Attributes.Name(c);
        string Sh(ShapeKind k) => Attributes.Name(k);
        int ImageNo() => int.Parse(Regex.Match(question, @"image (\d)").Groups[1].Value) - 1;
        switch (family)
        {
            case "single_colour": return C(s[0].Colour);
            case "single_shape": return Sh(s[0].Shape);
            case "single_count": return N(s[0].Count - 1);
            case "coref_colour": return C(s[ImageNo()].Colour);
            case "coref_shape": return Sh(s[ImageNo()].Shape);
            case "coref_find":
            {
                var colour = Attributes.ParseColour(Regex.Match(question, @"shows the (\w+) shape").Groups[1].Value);
                return N(s.Select((x, i) => (x, i)).Single(t => t.x.Colour == colour).i);
            }
            case "compare_more":
            {
                var plural = Regex.Match(question, @"more (\w+)\?").Groups[1].Value;
                if (s.Any(x => Attributes.Plural(x.Shape) != plural)) throw new InvalidOperationException("compare_more shows another shape");
                return s[0].Count > s[1].Count ? "1" : s[1].Count > s[0].Count ? "2" : "tie";
            }
            case "compare_same_colour": return s[0].Colour == s[1].Colour ? "yes" : "no";
            case "compare_same_shape": return s[0].Shape == s[1].Shape ? "yes" : "no";
            case "nlvr_count":
            {
                bool more = question.Contains("has more");
                bool t = more ? s[0].Count > s[1].Count : s[0].Count < s[1].Count;
                return t ? "true" : "false";
            }
            case "nlvr_exists":
            {
                var m = Regex.Match(question, @"There is a (\w+) (\w+) in the (left|right) image");
                var x = s[m.Groups[3].Value == "left" ? 0 : 1];
                return C(x.Colour) == m.Groups[1].Value && Sh(x.Shape) == m.Groups[2].Value ? "true" : "false";
            }
            case "nlvr_both":
            {
                var shape = Regex.Match(question, @"show a (\w+)\.").Groups[1].Value;
                return s.All(x => Sh(x.Shape) == shape) ? "true" : "false";
            }
            case "temporal_direction":
            {
                var a = s[0].Objects[0];
                var b = s[^1].Objects[0];
                int dx = b.X - a.X, dy = b.Y - a.Y;
                if (dx != 0 && dy != 0) throw new InvalidOperationException("diagonal motion");
                return dx > 0 ? "right" : dx < 0 ? "left" : dy > 0 ? "down" : "up";
            }
            case "temporal_first":
            case "temporal_last":
            {
                var dir = Regex.Match(question, @"moving (\w+) are").Groups[1].Value;
                // progress along the motion: larger is later
                double Progress(Scene x) => dir switch
                {
                    "right" => x.Objects[0].X,
                    "left" => -x.Objects[0].X,
                    "down" => x.Objects[0].Y,
                    _ => -x.Objects[0].Y,
                };
                var ordered = s.Select((x, i) => (p: Progress(x), i)).OrderBy(t => t.p).ToList();
                if (ordered.Select(t => t.p).Distinct().Count() != s.Count) throw new InvalidOperationException("frames at the same place");
                return N(family == "temporal_first" ? ordered[0].i : ordered[^1].i);
            }
            default: throw new InvalidOperationException($"no oracle for family {family}");
        }
    }
}
