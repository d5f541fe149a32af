// SEDFileOrderTests: the order `convert --to flat` reads a folder or a list in, and the names `convert --to xml`
// gives units, agree: unit order, whatever the padding, and never the order of a plain byte sort of unpadded names.

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("SED file order")
struct SEDFileOrderTests {
    @Test("unit order compares digit runs as numbers and the rest byte by byte")
    func unitOrder() {
        let sorted = ["x-10.xml", "b-1.xml", "x-2.xml", "x-1.xml", "a-2.xml", "x-02.xml", "a-10.xml", "x.xml"]
            .sorted(by: SEDFileList.unitOrder)
        #expect(sorted == ["a-2.xml", "a-10.xml", "b-1.xml", "x-1.xml", "x-02.xml", "x-2.xml", "x-10.xml", "x.xml"])
        let padded = (1...120).map { SEDFolderWriter.name(base: "claims", unit: $0, count: 120) }
        #expect(padded.sorted(by: SEDFileList.unitOrder) == padded)
        #expect(padded.sorted() == padded, "zero-padded names sort the same bytewise (ls, a shell glob)")
    }

    @Test("units are zero-padded to the width of the file's unit count")
    func names() {
        #expect(SEDFolderWriter.name(base: "claims", unit: 7, count: 12) == "claims-07.xml")
        #expect(SEDFolderWriter.name(base: "claims", unit: 3, count: 3) == "claims-3.xml")
        #expect(SEDFolderWriter.name(base: "claims", unit: 42, count: 500_000) == "claims-000042.xml")
        #expect(SEDFolderWriter.base(of: "in/ae.claims.mtf") == "ae.claims")
        #expect(SEDFolderWriter.base(of: ".hidden") == ".hidden")
    }

    @Test("a folder gives its *.xml files in unit order, without dot-files, other names or sub-folders")
    func folder() throws {
        let folder = NSTemporaryDirectory() + "sedgate-order-\(UUID().uuidString)"
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder + "/sub.xml", withIntermediateDirectories: true)
        for name in ["x-10.xml", "x-9.xml", ".x-11.xml.part", ".y.xml", "notes.txt", "x-1.xml"] {
            #expect(manager.createFile(atPath: folder + "/" + name, contents: Data()))
        }
        #expect(try SEDFileList.folder(folder) == ["x-1.xml", "x-9.xml", "x-10.xml"].map { folder + "/" + $0 })
        #expect(throws: SedgateError.self) { try SEDFileList.folder(folder + "/missing") }
    }

    @Test("a list gives its paths in the order listed, skipping empty lines and dropping a final CR")
    func list() throws {
        let path = NSTemporaryDirectory() + "sedgate-list-\(UUID().uuidString).txt"
        try "b/x-2.xml\r\n\na/x-10.xml\nc d/x-1.xml".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SEDFileList.list(path) == ["b/x-2.xml", "a/x-10.xml", "c d/x-1.xml"])
    }
}
