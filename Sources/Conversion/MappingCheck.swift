// MappingCheck: every problem in a mapping file at once, each with its line, for `sedgate mapping check`.

public import ConversionFunctions
public import SedgateCore

/// Checks mapping files without converting anything.
public enum MappingCheck {
    /// All layout and binding errors of the mapping at `path` (`.configuration`, each with file and line); empty
    /// when the mapping is usable.
    public static func check(_ path: String, library: FunctionLibrary) -> [SedgateError] {
        var loader = MappingLoader(path: path, library: library)
        _ = loader.load()
        return loader.errors.sorted { ($0.location?.line ?? 0) < ($1.location?.line ?? 0) }
    }
}
