// PayloadDigest: SHA-256 of data or of a file (streamed), as the lowercase hex that manifests carry.

import Crypto
public import Foundation
public import SedgateCore

/// SHA-256 digests in lowercase hex, the form `FragmentManifest` uses.
public enum PayloadDigest {
    /// The SHA-256 of `data`.
    public static func sha256(_ data: Data) -> String {
        SHA256.hex(data)
    }

    /// The SHA-256 of the file at `path`, read 64 KiB at a time; `.io` when it cannot be read.
    public static func sha256(file path: String) throws(SedgateError) -> String {
        let input = try ReadableFile(path: path)
        var hash = SHA256()
        var chunk = [UInt8](repeating: 0, count: Syscall.chunkSize)
        var offset: Int64 = 0
        while true {
            let count = try chunk.withMutableBytes { (buffer) throws(SedgateError) in
                try input.read(into: buffer, at: offset)
            }
            if count == 0 { break }
            offset += Int64(count)
            chunk.withUnsafeBytes { hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return hash.finalize().hex
    }
}
