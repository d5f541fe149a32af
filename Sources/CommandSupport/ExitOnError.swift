// ExitOnError: how both executables end on an error: a clean `sedgate: ...` line on standard error and exit code
// 2 for a configuration error, 1 for any other (what scripts and systemd look at).

import ArgumentParser
public import SedgateCore

/// Turns a SedgateError into a clean message on stderr and exit code 2 (configuration) or 1.
public func exitOnError<T>(_ body: () throws(SedgateError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        printError("sedgate: \(error)")
        throw ExitCode(error.code == .configuration ? 2 : 1)
    }
}
