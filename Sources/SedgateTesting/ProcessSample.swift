// ProcessSample: what a running node has spent so far, read from /proc/<pid>/stat and /proc/<pid>/io (CPU time,
// bytes written, write calls), and the durable operations it counted itself (var/io-counters.json, written when
// it stops). For `sedgate bench`; reads /proc and the spool, writes nothing.

import Foundation
import Glibc

/// CPU and I/O of one process at one moment.
public struct ProcessSample: Sendable {
    /// User plus system CPU time, in seconds.
    public var cpuSeconds: Double
    /// Bytes the process caused to be written to storage (`write_bytes`).
    public var writeBytes: Int
    /// Write system calls (`syscw`).
    public var writeCalls: Int

    /// Reads the sample of process `pid`; nil when it is gone or /proc cannot be read.
    public static func read(pid: Int32) -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var sample = ProcessSample(cpuSeconds: (user + system) / ticks, writeBytes: 0, writeCalls: 0)
        if let io = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) {
            for line in io.split(separator: "\n") {
                let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let value = Int(parts[1]) else { continue }
                if parts[0] == "write_bytes" { sample.writeBytes = value }
                if parts[0] == "syscw" { sample.writeCalls = value }
            }
        }
        return sample
    }

    /// What was spent between `earlier` and this sample.
    public func since(_ earlier: ProcessSample) -> ProcessSample {
        ProcessSample(
            cpuSeconds: cpuSeconds - earlier.cpuSeconds, writeBytes: writeBytes - earlier.writeBytes,
            writeCalls: writeCalls - earlier.writeCalls)
    }
}

/// The durable operations a node counted over its whole run, from `var/io-counters.json` (written as it stops).
public struct DurableCounts: Sendable, Decodable {
    /// fsyncs sedgate made itself (files and folders).
    public var fsyncs: Int
    /// Journal write transactions (each one WAL sync with `synchronous = FULL`).
    public var journalCommits: Int

    /// Reads the counts a stopped node left in `varDirectory`; nil when it left none.
    public static func read(varDirectory: String) -> DurableCounts? {
        guard let data = FileManager.default.contents(atPath: varDirectory + "/io-counters.json") else { return nil }
        return try? JSONDecoder().decode(DurableCounts.self, from: data)
    }
}
