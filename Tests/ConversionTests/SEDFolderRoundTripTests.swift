// SEDFolderRoundTripTests: a flat file of many units becomes one SED file per unit (as `sedgate convert --to xml`)
// and comes back byte for byte from the folder and from a list of paths (as `convert --to flat`).

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("SED folder round trip")
struct SEDFolderRoundTripTests {
    @Test("120 units become 120 SED files and come back byte for byte, from the folder and from a list")
    func roundTrip() throws {
        let directory = NSTemporaryDirectory() + "sedgate-folder-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mapping = try Support.mapping("ae-claims-1")
        let sample = Support.root + "/mappings/examples/ae-claims-small.mtf"
        var seds: [[UInt8]] = []
        _ = try FlatReader(mapping: mapping, profile: .mtf, source: sample).read(path: sample) { seds.append($0.bytes) }
        try #require(!seds.isEmpty)
        let units = (0..<120).map { seds[$0 % seds.count] }
        let flat = directory + "/input.mtf"
        _ = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: units, to: flat)

        let folder = directory + "/seds"
        _ = try SEDFolderWriter(mapping: mapping, profile: .mtf, folder: folder).convert(flat)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names.count == 120 && names.first == "input-001.xml")

        let read: (String) throws(SedgateError) -> [UInt8] = { path throws(SedgateError) in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SedgateError(.io, "cannot read \(path)")
            }
            return [UInt8](data)
        }
        let paths = try SEDFileList.folder(folder)
        _ = try FlatWriter(mapping: mapping, profile: .mtf).write(
            sedFiles: paths, to: directory + "/from-folder.mtf", read: read)
        let list = directory + "/list.txt"
        try Data(paths.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: list))
        _ = try FlatWriter(mapping: mapping, profile: .mtf).write(
            sedFiles: try SEDFileList.list(list), to: directory + "/from-list.mtf", read: read)

        let input = try read(flat)
        #expect(try read(directory + "/from-folder.mtf") == input)
        #expect(try read(directory + "/from-list.mtf") == input)
    }
}
