// ConversionBench: generates a flat file of about N MB for a mapping, converts it to XML (streamed to one
// output file) and back, and reports MB/s each way and the process's peak resident memory.

import Conversion
import ConversionFunctions
import Foundation
import Glibc
import SedgateCore

/// `sedgate bench convert`: throughput of both directions on a generated file.
enum ConversionBenchmark {
    /// Generates `megabytes` MB of flat data for `mapping` in `directory` by repeating the SEDs of the sample
    /// file `sample` (any file the mapping reads, MTF profile), converts it to XML (all SEDs appended to one file)
    /// and back to MTF, and measures. Peak RSS is the process's high-water mark (VmHWM) after the run.
    static func run(
        mapping: Mapping, library: FunctionLibrary, sample: String, megabytes: Int, directory: String
    ) throws(SedgateError) -> (flatToXMLMBps: Double, xmlToFlatMBps: Double, peakRSSBytes: Int) {
        let result = try measure(
            mapping: mapping, library: library, sample: sample, megabytes: megabytes, directory: directory)
        return (result.flatToXMLMBps, result.xmlToFlatMBps, result.peakRSSBytes)
    }

    /// `run`, with MB per CPU second beside MB per wall second (a figure that holds on a shared machine).
    static func measure(
        mapping: Mapping, library: FunctionLibrary, sample: String, megabytes: Int, directory: String
    ) throws(SedgateError) -> (
        flatToXMLMBps: Double, xmlToFlatMBps: Double, peakRSSBytes: Int, flatToXMLMBpsPerCPU: Double,
        xmlToFlatMBpsPerCPU: Double
    ) {
        // 1. Take the sample's SEDs once, then write them over and over into a big flat file.
        var seds: [[UInt8]] = []
        _ = try FlatReader(mapping: mapping, profile: .mtf, source: sample).read(path: sample) { sed in
            seds.append(sed.bytes)
        }
        guard !seds.isEmpty else {
            throw SedgateError(.unsupportedInput, "the sample \(sample) holds no SED to repeat")
        }
        let flatPath = directory + "/bench-input.mtf"
        let target = megabytes << 20
        let perSED = max(1, (mapping.mtf?.recordLength ?? 100))
        let count = max(1, target / perSED)
        _ = try FlatWriter(mapping: mapping, profile: .mtf).write(
            seds: RepeatedSEDs(seds: seds, count: count), to: flatPath)

        // 2. Flat → XML, each SED appended to one file.
        let xmlPath = directory + "/bench-output.xml"
        let xmlFD = open(xmlPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard xmlFD >= 0 else { throw SedgateError(.io, "cannot create \(xmlPath)") }
        var sink = ByteSink(fd: xmlFD, name: xmlPath)
        let start = monotonicSeconds()
        let startCPU = cpuSeconds()
        let readSummary = try FlatReader(mapping: mapping, profile: .mtf, source: flatPath).read(path: flatPath) {
            (sed: ConvertedSED) throws(SedgateError) in try sink.write(sed.bytes)
        }
        try sink.flush()
        close(xmlFD)
        let readSeconds = monotonicSeconds() - start
        let readCPU = cpuSeconds() - startCPU

        // 3. XML → flat, reading the SEDs back one by one from the XML file.
        let backPath = directory + "/bench-back.mtf"
        let documents = try SEDFileSequence(path: xmlPath)
        let writeStart = monotonicSeconds()
        let writeStartCPU = cpuSeconds()
        let writeSummary = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: documents, to: backPath)
        let writeSeconds = monotonicSeconds() - writeStart
        let writeCPU = cpuSeconds() - writeStartCPU
        let megabytesRead = Double(readSummary.bytesRead) / 1_048_576
        let megabytesWritten = Double(writeSummary.bytesWritten) / 1_048_576
        return (
            megabytesRead / readSeconds, megabytesWritten / writeSeconds, peakRSS(), megabytesRead / readCPU,
            megabytesWritten / writeCPU
        )
    }

    /// The CPU time this process has used (all threads), in seconds: the conversion runs on one thread, so MB per
    /// CPU second is MB/s per core, whatever else shares the machine.
    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// What `runFiles` measured: seconds for each step, whether both round trips gave the input back byte for
    /// byte, and the process's peak RSS.
    public struct FilesResult: Sendable {
        /// Flat file → one SED file per unit (`convert --to xml`).
        public var toFolderSeconds: Double
        /// The folder's files, in unit order → one flat file (`convert --to flat <folder>`).
        public var fromFolderSeconds: Double
        /// A list of the files, one path a line → one flat file (`convert --to flat --list`).
        public var fromListSeconds: Double
        /// Whether both flat files written equal the input.
        public var identical: Bool
        /// VmHWM after the run, in bytes.
        public var peakRSSBytes: Int
    }

    /// `sedgate bench convert --seds N`: a flat file of `count` units (the SEDs of `sample`, repeated) becomes
    /// `count` SED files in a folder and comes back into one flat file from the folder and from a list, as
    /// `convert --to xml` and `convert --to flat` do it.
    static func runFiles(
        mapping: Mapping, sample: String, count: Int, directory: String
    ) throws(SedgateError) -> FilesResult {
        var seds: [[UInt8]] = []
        _ = try FlatReader(mapping: mapping, profile: .mtf, source: sample).read(path: sample) { sed in
            seds.append(sed.bytes)
        }
        guard !seds.isEmpty else {
            throw SedgateError(.unsupportedInput, "the sample \(sample) holds no SED to repeat")
        }
        let flatPath = directory + "/input.mtf"
        _ = try FlatWriter(mapping: mapping, profile: .mtf).write(
            seds: RepeatedSEDs(seds: seds, count: count), to: flatPath)

        let folder = directory + "/seds"
        var start = monotonicSeconds()
        _ = try SEDFolderWriter(mapping: mapping, profile: .mtf, folder: folder).convert(flatPath)
        let toFolder = monotonicSeconds() - start

        start = monotonicSeconds()
        let paths = try SEDFileList.folder(folder)
        _ = try FlatWriter(mapping: mapping, profile: .mtf).write(
            sedFiles: paths, to: directory + "/from-folder.mtf", read: readAll)
        let fromFolder = monotonicSeconds() - start

        let listPath = directory + "/list.txt"
        let list = Array(paths.map { $0 + "\n" }.joined().utf8)
        let fd = open(listPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SedgateError(.io, "cannot create \(listPath)") }
        var sink = ByteSink(fd: fd, name: listPath)
        try sink.write(list)
        try sink.flush()
        close(fd)
        start = monotonicSeconds()
        _ = try FlatWriter(mapping: mapping, profile: .mtf).write(
            sedFiles: try SEDFileList.list(listPath), to: directory + "/from-list.mtf", read: readAll)
        let fromList = monotonicSeconds() - start

        let input = try readAll(flatPath)
        let fromFolderBytes = try readAll(directory + "/from-folder.mtf")
        let fromListBytes = try readAll(directory + "/from-list.mtf")
        let identical = fromFolderBytes == input && fromListBytes == input
        return FilesResult(
            toFolderSeconds: toFolder, fromFolderSeconds: fromFolder, fromListSeconds: fromList,
            identical: identical, peakRSSBytes: peakRSS())
    }

    /// The whole file at `path` (read at its size: a ByteSource's 1 MiB buffer per small file would be measured
    /// instead of the conversion).
    static func readAll(_ path: String) throws(SedgateError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SedgateError(.io, "cannot open \(path)", location: .init(file: path)) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SedgateError(.io, "cannot stat \(path)") }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw SedgateError(.io, "cannot read \(path)", location: .init(file: path)) }
            offset += count
        }
        return bytes
    }

    static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// VmHWM from /proc/self/status, in bytes.
    static func peakRSS() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.filter { $0.isNumber }
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}

/// The same SEDs cycled `count` times.
struct RepeatedSEDs: Sequence, IteratorProtocol {
    let seds: [[UInt8]]
    let count: Int
    var index = 0

    mutating func next() -> [UInt8]? {
        guard index < count else { return nil }
        defer { index += 1 }
        return seds[index % seds.count]
    }
}

/// SED documents appended in one file, split at each `<?xml` declaration, read in bounded chunks.
struct SEDFileSequence: Sequence, IteratorProtocol {
    var source: ByteSource
    let fd: Int32
    static let marker = Array("<?xml ".utf8)

    init(path: String) throws(SedgateError) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SedgateError(.io, "cannot open \(path)") }
        source = ByteSource(fd: fd, name: path)
    }

    /// The index of the first occurrence of `needle` in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard !needle.isEmpty, start <= haystack.endIndex - needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { buffer in
            needle.withUnsafeBufferPointer { pattern in
                // memchr to each candidate first byte, memcmp for the rest (Glibc's memmem is not exported).
                let base = UnsafeRawPointer(buffer.baseAddress!)
                var offset = start - haystack.startIndex
                let last = buffer.count - pattern.count
                while offset <= last {
                    guard let found = memchr(base + offset, Int32(pattern[0]), last + 1 - offset) else { return nil }
                    offset = base.distance(to: UnsafeRawPointer(found))
                    if memcmp(base + offset, pattern.baseAddress!, pattern.count) == 0 {
                        return haystack.startIndex + offset
                    }
                    offset += 1
                }
                return nil
            }
        }
    }

    mutating func next() -> [UInt8]? {
        var document: [UInt8] = []
        while true {
            guard let window = try? source.peek(65536), !window.isEmpty else {
                close(fd)
                return document.isEmpty ? nil : document
            }
            // Find the next document start after the first byte of this one.
            let searchFrom = document.isEmpty ? 1 : 0
            if let found = Self.find(Self.marker, in: window, from: window.startIndex + searchFrom) {
                let length = found - window.startIndex
                document += window.prefix(length)
                source.consume(length)
                if !document.isEmpty { return document }
            } else {
                // Keep the last bytes in case the marker straddles the chunk boundary.
                let take = Swift.max(window.count - Self.marker.count, window.count < 65536 ? window.count : 1)
                document += window.prefix(take)
                source.consume(take)
            }
        }
    }
}
