// MTOMRoundTripTests: MTOMReader reads back exactly what MTOMWriter wrote, whatever the chunk size, and parts
// whose edges fall on or next to chunk edges are delimited exactly.

import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing

@Suite("MTOM write and read back")
struct MTOMRoundTripTests {
    static let root = Data(
        """
        <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>\
        <xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:a@sedgate"/>\
        </soap:Body></soap:Envelope>
        """.utf8)

    @Test(
        "root bytes, part bytes, ids, types and extra headers come back identical at every chunk size",
        arguments: [1, 3, 17, 100, 4_096, 65_536])
    func readsBack(chunkSize: Int) throws {
        let folder = try TemporaryDirectory("mtom-roundtrip")
        let first = TestBytes.random(70_001, seed: 1)
        let second = Gzip.compress(Data(repeating: 0x41, count: 10_000))
        let written = try MTOMWriter.write(
            root: Self.root,
            attachments: [
                MTOMAttachment(contentID: "a@sedgate", body: .data(first)),
                MTOMAttachment(
                    contentID: "b@sedgate", contentType: "text/plain",
                    headers: MIMEHeaders(["Content-Encoding": "gzip"]), body: .data(second)),
                MTOMAttachment(contentID: "empty@sedgate", body: .data(Data())),
            ],
            to: folder.appending("m.mime"))
        let reader = MTOMReader(chunkSize: chunkSize)
        for message in [
            try reader.read(file: written.path, contentType: written.contentType),
            try reader.read(file: written.path),
            try reader.read(data: TestBytes.contents(written.path), contentType: written.contentType),
        ] {
            #expect(message.boundary == written.boundary)
            #expect(message.rootBytes == Self.root)
            #expect(message.root.contentID == MTOMWriter.rootContentID)
            #expect(message.root.contentType.hasPrefix("application/xop+xml"))
            #expect(message.attachments.map(\.contentID) == ["a@sedgate", "b@sedgate", "empty@sedgate"])
            let b = try #require(message.part(contentID: "b@sedgate"))
            #expect(b.contentType == "text/plain")
            #expect(b.contentEncoding == "gzip")
            #expect(b.headers["content-transfer-encoding"] == "binary")
            #expect(try message.bytes(of: #require(message.part(contentID: "a@sedgate"))) == first)
            #expect(try message.bytes(of: b) == second)
            #expect(try message.bytes(of: #require(message.part(contentID: "empty@sedgate"))).isEmpty)
        }
    }

    @Test("parts of 64 KiB and one byte either side, from files and memory, are delimited exactly")
    func chunkEdges() throws {
        let folder = try TemporaryDirectory("mtom-edges")
        let sizes = [65_535, 65_536, 65_537, 131_071, 131_072, 1]
        let big = folder.appending("big.bin")
        try TestBytes.random(600_000, seed: 9).write(to: URL(fileURLWithPath: big))
        var attachments: [MTOMAttachment] = []
        var expected: [String: Data] = [:]
        var offset: Int64 = 0
        for (index, size) in sizes.enumerated() {
            let fromFile = index % 2 == 0
            let id = "p\(index)@sedgate"
            if fromFile {
                attachments.append(
                    MTOMAttachment(contentID: id, body: .file(path: big, offset: offset, length: Int64(size))))
                expected[id] = try TestBytes.contents(big).subdata(in: Int(offset)..<Int(offset) + size)
                offset += Int64(size)
            } else {
                expected[id] = TestBytes.random(size, seed: UInt64(index))
                attachments.append(MTOMAttachment(contentID: id, body: .data(expected[id]!)))
            }
        }
        let written = try MTOMWriter.write(root: Self.root, attachments: attachments, to: folder.appending("m.mime"))
        let message = try MTOMReader().read(file: written.path, contentType: written.contentType)
        #expect(message.attachments.count == sizes.count)
        for part in message.attachments {
            #expect(try message.bytes(of: part) == expected[part.contentID], "\(part.contentID)")
        }
    }

    @Test("bytes that resemble a delimiter but are not one stay inside the part")
    func nearDelimiters() throws {
        var fixture = MIMEFixture.basic()
        let tricky = Data("a\r\n--test-boundary-4\r\nb--test-boundary-42\r\n-\r\n--test-boundaryX".utf8)
        fixture.parts[1].body = tricky
        for chunkSize in [1, 2, 5, 64] {
            let message = try MTOMReader(chunkSize: chunkSize).read(
                data: fixture.bytes, contentType: fixture.contentType)
            #expect(try message.bytes(of: message.attachments[0]) == tricky)
        }
    }

    @Test("a part is copied to its own file as sent, or with its gzip undone")
    func copiesParts() throws {
        let folder = try TemporaryDirectory("mtom-copy")
        let plain = TestBytes.random(200_000, seed: 3)
        let written = try MTOMWriter.write(
            root: Self.root,
            attachments: [
                MTOMAttachment(
                    contentID: "z@sedgate", headers: MIMEHeaders(["Content-Encoding": "gzip"]),
                    body: .data(Gzip.compress(plain)))
            ],
            to: folder.appending("m.mime"))
        let message = try MTOMReader().read(file: written.path)
        let part = try #require(message.part(contentID: "z@sedgate"))
        try message.copy(part, to: folder.appending("z.gz"))
        #expect(try TestBytes.contents(folder.appending("z.gz")) == Gzip.compress(plain))
        try message.copyDecoded(part, to: folder.appending("z.bin"), limit: 200_000)
        #expect(try TestBytes.contents(folder.appending("z.bin")) == plain)
        let bomb = #expect(throws: SedgateError.self) {
            try message.copyDecoded(part, to: folder.appending("small.bin"), limit: 100_000)
        }
        #expect(bomb?.code == .hostileInput)
        #expect(!FileManager.default.fileExists(atPath: folder.appending("small.bin")))
    }

    @Test("the writer leaves only the finished file: no temporary file remains")
    func noTemporaryFiles() throws {
        let folder = try TemporaryDirectory("mtom-tmp")
        try MTOMWriter.write(root: Self.root, attachments: [], to: folder.appending("m.mime"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["m.mime"])
    }
}
