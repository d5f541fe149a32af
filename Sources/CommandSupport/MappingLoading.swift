// MappingLoading: a mapping loaded with the standard function library for a command (`convert`, `bench convert`),
// its errors turned into clean exits.

public import Conversion
public import ConversionFunctions
import SedgateCore

/// Loads the function library and a mapping, turning errors into clean messages.
public func loadMapping(_ path: String) throws -> (Mapping, FunctionLibrary) {
    let library = try exitOnError { () throws(SedgateError) in try FunctionLibrary.standard() }
    let mapping = try exitOnError { () throws(SedgateError) in try Mapping.load(path, library: library) }
    return (mapping, library)
}
