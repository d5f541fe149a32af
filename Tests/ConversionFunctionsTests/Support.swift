// Support: the shared library under test (the repository's conversions/) and call helpers.

import ConversionFunctions
import Foundation
import SedgateCore
import Testing

/// The library loaded once from the repository's `conversions/`.
let library: FunctionLibrary = {
    do {
        return try FunctionLibrary.standard()
    } catch {
        fatalError("cannot load conversions/: \(error)")
    }
}()

/// Calls `name` and returns the result, or records the error and returns it as text.
func call(_ name: String, _ arguments: String...) throws -> String {
    try library.call(name, arguments)
}

/// The error `name` throws with `arguments`, or nil when it succeeds.
func failure(_ name: String, _ arguments: String...) -> SedgateError? {
    do {
        _ = try library.call(name, arguments)
        return nil
    } catch {
        return error
    }
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sedgate-fn-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
