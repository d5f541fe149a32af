// MIMEFixture: hand-built multipart messages with a known boundary, for reader tests and refusals.

import Foundation

/// Builds a MIME multipart body part by part.
struct MIMEFixture {
    var boundary = "test-boundary-42"
    var parts: [(headers: [String], body: Data)] = []
    var closed = true

    /// The Content-Type an HTTP peer would send with this body.
    var contentType: String {
        "multipart/related; type=\"application/xop+xml\"; start=\"<root@test>\"; boundary=\"\(boundary)\""
    }

    /// Adds a part.
    mutating func add(_ headers: [String], _ body: Data) {
        parts.append((headers, body))
    }

    /// Adds a part with the usual headers.
    mutating func add(id: String, type: String = "application/octet-stream", _ body: Data) {
        add(["Content-Type: \(type)", "Content-Transfer-Encoding: binary", "Content-ID: <\(id)>"], body)
    }

    /// The message bytes.
    var bytes: Data {
        var data = Data()
        for (index, part) in parts.enumerated() {
            data.append(Data(((index == 0 ? "" : "\r\n") + "--\(boundary)\r\n").utf8))
            for header in part.headers { data.append(Data((header + "\r\n").utf8)) }
            data.append(Data("\r\n".utf8))
            data.append(part.body)
        }
        if closed { data.append(Data("\r\n--\(boundary)--\r\n".utf8)) }
        return data
    }

    /// A two-part message: a root `<root@test>` and one attachment `<a@test>`.
    static func basic(attachment: Data = Data("attached".utf8)) -> MIMEFixture {
        var fixture = MIMEFixture()
        fixture.add(id: "root@test", type: "application/xop+xml", Data("<root/>".utf8))
        fixture.add(id: "a@test", attachment)
        return fixture
    }
}
