namespace MantisNative.Data.Synthetic;

/// <summary>Shapes of the synthetic set: four silhouettes that stay distinct at 10 pixels.</summary>
public enum ShapeKind { Circle, Square, Triangle, Cross }

/// <summary>Colours of the synthetic set: four hues far apart, all visible on a light background.</summary>
public enum ColourKind { Red, Green, Blue, Yellow }

/// <summary>Names (the answer words) and drawing values of the attributes.</summary>
public static class Attributes
{
    public static readonly ShapeKind[] Shapes = { ShapeKind.Circle, ShapeKind.Square, ShapeKind.Triangle, ShapeKind.Cross };
    public static readonly ColourKind[] Colours = { ColourKind.Red, ColourKind.Green, ColourKind.Blue, ColourKind.Yellow };

    public static string Name(ShapeKind s) => s switch
    {
        ShapeKind.Circle => "circle",
        ShapeKind.Square => "square",
        ShapeKind.Triangle => "triangle",
        _ => "cross",
    };

    public static string Plural(ShapeKind s) => s == ShapeKind.Cross ? "crosses" : Name(s) + "s";

    public static string Name(ColourKind c) => c switch
    {
        ColourKind.Red => "red",
        ColourKind.Green => "green",
        ColourKind.Blue => "blue",
        _ => "yellow",
    };

    public static (byte R, byte G, byte B) Rgb(ColourKind c) => c switch
    {
        ColourKind.Red => (215, 35, 35),
        ColourKind.Green => (30, 160, 55),
        ColourKind.Blue => (40, 85, 225),
        _ => (240, 190, 15),
    };

    public static readonly string[] ShapeNames = Shapes.Select(Name).ToArray();
    public static readonly string[] ColourNames = Colours.Select(Name).ToArray();

    public static ShapeKind ParseShape(string s) => Shapes.First(x => Name(x) == s);
    public static ColourKind ParseColour(string s) => Colours.First(x => Name(x) == s);
}
