// FuzzHarness: the libFuzzer entry points. One executable holds every target; SEDGATE_FUZZ_TARGET names the one
// a run exercises (`make fuzz` sets it). Reads the input libFuzzer hands over and feeds it to the library call the
// node makes on outside bytes; a thrown SedgateError is the parser doing its job, anything else (a trap, a sanitizer
// report, a timeout, memory without bound) is a finding.

import Foundation

/// One parser under fuzzing: how to prepare it once and what to do with one input.
struct FuzzTarget: Sendable {
    /// The name `SEDGATE_FUZZ_TARGET` and `make fuzz` use (`sed`, `mtom`...).
    let name: String
    /// What the target feeds, for `make fuzz` listings and errors.
    let summary: String
    /// Loads what the target needs (mappings, keys) and returns the function run on every input.
    let prepare: @Sendable () throws -> ([UInt8]) -> Void
    /// Writes inputs that cannot be committed (signed with keys made at set-up) into a corpus folder; nil if none.
    var writeSeeds: (@Sendable (String) throws -> Void)? = nil
}

/// Every target, in the order `make fuzz` runs them.
let fuzzTargets: [FuzzTarget] = [
    DocumentTargets.sed, PackagingTargets.mtom, WireTargets.soap, WireTargets.wsse, PackagingTargets.manifest,
    ConversionTargets.mtf, ConversionTargets.cff, ConversionTargets.mapping, ConfigurationTarget.toml,
    BatchTargets.manifest, BatchTargets.archive,
]

/// The function the chosen target runs on each input, set once by `LLVMFuzzerInitialize`.
nonisolated(unsafe) private var runInput: ([UInt8]) -> Void = { _ in }

/// Chooses the target named by SEDGATE_FUZZ_TARGET, prepares it, and writes its generated seeds into
/// SEDGATE_FUZZ_SEEDS when that is set. Exits with a message naming the targets when the name is unknown.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    let environment = ProcessInfo.processInfo.environment
    let names = fuzzTargets.map(\.name).joined(separator: ", ")
    guard let name = environment["SEDGATE_FUZZ_TARGET"], let target = fuzzTargets.first(where: { $0.name == name })
    else {
        FileHandle.standardError.write(Data("set SEDGATE_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    do {
        runInput = try target.prepare()
        if let folder = environment["SEDGATE_FUZZ_SEEDS"], let write = target.writeSeeds {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try write(folder)
        }
    } catch {
        FileHandle.standardError.write(Data("fuzz target \(name) cannot start: \(error)\n".utf8))
        exit(2)
    }
    return 0
}

/// Runs the chosen target on one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    runInput(bytes)
    return 0
}

/// Splits an input into its first line (a Content-Type, say) and the bytes after the line feed.
func splitFirstLine(_ bytes: [UInt8]) -> (line: String, rest: [UInt8]) {
    guard let newline = bytes.firstIndex(of: 0x0A) else { return (String(decoding: bytes, as: UTF8.self), []) }
    return (String(decoding: bytes[..<newline], as: UTF8.self), Array(bytes[(newline + 1)...]))
}

/// The repository root: SEDGATE_FUZZ_ROOT, else the current directory (`make fuzz` runs from the root).
var repositoryRoot: String {
    ProcessInfo.processInfo.environment["SEDGATE_FUZZ_ROOT"] ?? FileManager.default.currentDirectoryPath
}
