// ByteSearch: finds a byte pattern in a buffer (memchr for the first byte, memcmp for the rest).

import Foundation
import Glibc

/// Searching for delimiter patterns in raw bytes.
enum ByteSearch {
    /// The offset of the first occurrence of `pattern` in `haystack`, or nil.
    static func firstIndex(of pattern: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard !pattern.isEmpty, haystack.count >= pattern.count, let base = haystack.baseAddress else { return nil }
        let first = Int32(pattern[0])
        let lastStart = haystack.count - pattern.count
        var start = 0
        return pattern.withUnsafeBytes { needle in
            while start <= lastStart {
                guard let hit = memchr(base + start, first, lastStart - start + 1) else { return nil }
                let offset = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + offset, needle.baseAddress!, pattern.count) == 0 { return offset }
                start = offset + 1
            }
            return nil
        }
    }

    /// Whether `pattern` occurs in `data`.
    static func contains(_ pattern: [UInt8], in data: Data) -> Bool {
        data.withUnsafeBytes { firstIndex(of: pattern, in: $0) != nil }
    }
}

/// Watches a stream of chunks for a pattern, including occurrences split across two chunks.
struct PatternWatch {
    let pattern: [UInt8]
    /// The last `pattern.count - 1` bytes seen, which could begin an occurrence finished by the next chunk.
    private var tail: [UInt8] = []

    init(_ pattern: [UInt8]) {
        self.pattern = pattern
    }

    /// Whether the pattern occurs in the bytes seen so far, counting `chunk` as the newest.
    mutating func seen(_ chunk: UnsafeRawBufferPointer) -> Bool {
        let keep = pattern.count - 1
        var junction = tail
        junction.append(contentsOf: chunk.prefix(keep))
        if junction.withUnsafeBytes({ ByteSearch.firstIndex(of: pattern, in: $0) }) != nil { return true }
        if ByteSearch.firstIndex(of: pattern, in: chunk) != nil { return true }
        if chunk.count >= keep {
            tail = Array(chunk.suffix(keep))
        } else {
            tail.append(contentsOf: chunk)
            tail.removeFirst(max(0, tail.count - keep))
        }
        return false
    }
}
