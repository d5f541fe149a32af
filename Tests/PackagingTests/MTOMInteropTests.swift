// MTOMInteropTests: an MTOM file written by MTOMWriter is understood by an independent MIME parser
// (Python's standard `email` package), including the gzip-encoded part.

import Foundation
import Packaging
import SedgateTesting
import Testing

@Suite("MTOM interoperability with Python's email package")
struct MTOMInteropTests {
    /// Parses the message as an HTTP body with the given Content-Type and reports, as JSON, what it found.
    static let script = #"""
        import sys, json, hashlib, gzip, urllib.parse
        import xml.etree.ElementTree as ET
        from email.parser import BytesParser
        from email import policy
        content_type = sys.argv[1]
        body = sys.stdin.buffer.read()
        head = b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n"
        message = BytesParser(policy=policy.default).parsebytes(head + body)
        parts = list(message.iter_parts())
        start = message.get_param("start")
        root = next(p for p in parts if p["Content-ID"] == start)
        root_bytes = root.get_payload(decode=True)
        includes = {}
        for element in ET.fromstring(root_bytes).iter("{http://www.w3.org/2004/08/xop/include}Include"):
            cid = urllib.parse.unquote(element.get("href")[4:])
            part = next(p for p in parts if p["Content-ID"] == "<" + cid + ">")
            data = part.get_payload(decode=True)
            entry = {"sha256": hashlib.sha256(data).hexdigest(), "type": part.get_content_type()}
            if part["Content-Encoding"] == "gzip":
                entry["gunzipped"] = hashlib.sha256(gzip.decompress(data)).hexdigest()
            if part["Content-Disposition"]:
                entry["filename"] = part.get_filename()
            includes[cid] = entry
        print(json.dumps({
            "type": message.get_content_type(),
            "xopType": message.get_param("type"),
            "startInfo": message.get_param("start-info"),
            "start": start,
            "rootType": root.get_content_type(),
            "rootSHA256": hashlib.sha256(root_bytes).hexdigest(),
            "parts": len(parts),
            "defects": [str(d) for p in [message] + parts for d in p.defects],
            "includes": includes,
        }))
        """#

    struct Report: Decodable {
        struct Include: Decodable {
            var sha256: String
            var type: String
            var gunzipped: String?
            var filename: String?
        }
        var type: String
        var xopType: String
        var startInfo: String
        var start: String
        var rootType: String
        var rootSHA256: String
        var parts: Int
        var defects: [String]
        var includes: [String: Include]
    }

    @Test("Python's email package finds the multipart/related root and resolves every cid to identical bytes")
    func pythonReadsWhatWeWrite() async throws {
        let folder = try TemporaryDirectory("mtom-python")
        // A binary part taken from the middle of a file (so file ranges are honoured), larger than one chunk.
        let source = folder.appending("scan.bin")
        try TestBytes.random(300_000, seed: 7).write(to: URL(fileURLWithPath: source))
        let binary = try TestBytes.contents(source).subdata(in: 1_000..<151_000)
        let document = Data(String(repeating: "<claim amount=\"12.50\">gzip me</claim>\n", count: 2_000).utf8)
        let compressed = Gzip.compress(document)
        let root = Data(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" \
            xmlns:xop="http://www.w3.org/2004/08/xop/include"><soap:Body><payload>\
            <scan><xop:Include href="cid:scan.1%40sedgate"/></scan>\
            <doc><xop:Include href="cid:doc.2@sedgate"/></doc></payload></soap:Body></soap:Envelope>
            """.utf8)
        let written = try MTOMWriter.write(
            root: root,
            attachments: [
                MTOMAttachment(
                    contentID: "scan.1@sedgate", contentType: "image/tiff",
                    body: .file(path: source, offset: 1_000, length: 150_000)),
                MTOMAttachment(
                    contentID: "doc.2@sedgate", contentType: "application/xml",
                    headers: MIMEHeaders([
                        "Content-Encoding": "gzip", "Content-Disposition": "attachment; filename=\"claim.xml\"",
                    ]),
                    body: .data(compressed)),
            ],
            to: folder.appending("message.mime"))

        let output = try await PythonProcess.run(
            Self.script, arguments: [written.contentType], standardInput: written.path,
            errors: folder.appending("python.err"))
        let report = try JSONDecoder().decode(Report.self, from: output)

        #expect(report.type == "multipart/related")
        #expect(report.xopType == "application/xop+xml")
        #expect(report.startInfo == "application/soap+xml")
        #expect(report.start == "<root.message@sedgate>")
        #expect(report.rootType == "application/xop+xml")
        #expect(report.rootSHA256 == PayloadDigest.sha256(root))
        #expect(report.parts == 3)
        #expect(report.defects.isEmpty)
        #expect(report.includes.count == 2)
        #expect(report.includes["scan.1@sedgate"]?.sha256 == PayloadDigest.sha256(binary))
        #expect(report.includes["scan.1@sedgate"]?.type == "image/tiff")
        #expect(report.includes["doc.2@sedgate"]?.sha256 == PayloadDigest.sha256(compressed))
        #expect(report.includes["doc.2@sedgate"]?.gunzipped == PayloadDigest.sha256(document))
        #expect(report.includes["doc.2@sedgate"]?.filename == "claim.xml")
    }
}
