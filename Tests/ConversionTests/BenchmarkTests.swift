// BenchmarkTests: runs ConversionBenchmark when SEDGATE_BENCH_MB is set (skipped otherwise), a 1 MB smoke run, and
// a smoke run of the file-per-SED round trip.

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("Conversion benchmark")
struct BenchmarkTests {
    static func run(megabytes: Int) throws -> (flatToXMLMBps: Double, xmlToFlatMBps: Double, peakRSSBytes: Int) {
        let directory = NSTemporaryDirectory() + "sedgate-bench-\(getpid())-\(megabytes)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try ConversionBenchmark.run(
            mapping: try Support.mapping("ae-claims-1"), library: Support.library,
            sample: Support.root + "/mappings/examples/ae-claims-small.mtf", megabytes: megabytes, directory: directory)
    }

    @Test("a 1 MB file converts both ways and reports positive rates")
    func smoke() throws {
        let result = try Self.run(megabytes: 1)
        #expect(result.flatToXMLMBps > 0 && result.xmlToFlatMBps > 0 && result.peakRSSBytes > 0)
    }

    @Test(
        "the benchmark at SEDGATE_BENCH_MB megabytes",
        .enabled(if: ProcessInfo.processInfo.environment["SEDGATE_BENCH_MB"] != nil))
    func benchmark() throws {
        let megabytes = Int(ProcessInfo.processInfo.environment["SEDGATE_BENCH_MB"] ?? "") ?? 100
        let result = try Self.run(megabytes: megabytes)
        print(
            "bench convert \(megabytes) MB: flat→XML \(result.flatToXMLMBps) MB/s, XML→flat \(result.xmlToFlatMBps) MB/s, peak RSS \(result.peakRSSBytes / 1_048_576) MiB"
        )
    }

    @Test("120 units become 120 SED files and come back byte for byte, from the folder and from a list")
    func filesSmoke() throws {
        let directory = NSTemporaryDirectory() + "sedgate-bench-files-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try ConversionBenchmark.runFiles(
            mapping: try Support.mapping("ae-claims-1"),
            sample: Support.root + "/mappings/examples/ae-claims-small.mtf", count: 120, directory: directory)
        #expect(result.identical)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory + "/seds").sorted().first == "input-001.xml")
    }
}
