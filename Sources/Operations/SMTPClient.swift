// SMTPClient: a minimal SMTP client (RFC 5321) for alert e-mail to the site's relay: EHLO, MAIL, RCPT, DATA with
// dot-stuffing, QUIT, plain TCP on a blocking socket with timeouts, run off the concurrency pool. No Swift package
// of the permitted set sends mail, and alerts need nothing more (no TLS or authentication: the relay is local).

import Dispatch
import Foundation
import Glibc
import SedgateCore

/// Sends one plain-text message through an SMTP relay.
enum SMTPClient {
    static func send(
        host: String, port: Int, from: String, to: [String], subject: String, body: String
    )
        async throws
    {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do {
                    try sendBlocking(host: host, port: port, from: from, to: to, subject: subject, body: body)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func sendBlocking(
        host: String, port: Int, from: String, to: [String], subject: String, body: String
    )
        throws
    {
        let connection = try Connection(host: host, port: port)
        defer { close(connection.fd) }
        try connection.expect(220)
        try connection.command("EHLO \(hostname())", 250)
        try connection.command("MAIL FROM:<\(clean(from))>", 250)
        for recipient in to { try connection.command("RCPT TO:<\(clean(recipient))>", 250) }
        try connection.command("DATA", 354)
        var message = "From: <\(clean(from))>\r\nTo: \(to.map { "<\(clean($0))>" }.joined(separator: ", "))\r\n"
        message += "Subject: \(clean(subject))\r\nDate: \(rfc5322Date())\r\n"
        message +=
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            message += (text.hasPrefix(".") ? "." : "") + text + "\r\n"
        }
        message += ".\r\n"
        try connection.write(message)
        try connection.expect(250)
        try? connection.command("QUIT", 221)
    }

    /// `text` without line breaks (a value in a header or command must not start another).
    static func clean(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map(UInt8.init(bitPattern:)), as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    static func rfc5322Date() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: Date())
    }

    /// One SMTP connection: a socket and what was read but not yet consumed.
    final class Connection {
        let fd: Int32
        var buffer: [UInt8] = []

        init(host: String, port: Int) throws {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
                throw SedgateError(.peerUnavailable, "cannot resolve the mail relay \(host)")
            }
            defer { freeaddrinfo(list) }
            var entry: UnsafeMutablePointer<addrinfo>? = first
            var connected: Int32 = -1
            while let info = entry, connected < 0 {
                entry = info.pointee.ai_next
                let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
                guard fd >= 0 else { continue }
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    connected = fd
                } else {
                    close(fd)
                }
            }
            guard connected >= 0 else {
                throw SedgateError(.peerUnavailable, "cannot connect to the mail relay \(host):\(port)")
            }
            fd = connected
        }

        func write(_ text: String) throws {
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard written > 0 else { throw SedgateError(.peerUnavailable, "the mail relay closed the connection") }
                bytes = bytes.dropFirst(written)
            }
        }

        func command(_ line: String, _ code: Int) throws {
            try write(line + "\r\n")
            try expect(code, after: line)
        }

        /// Reads one reply (all its lines) and checks its code.
        func expect(_ code: Int, after command: String = "the greeting") throws {
            while true {
                let line = try readLine()
                guard line.count >= 3, let got = Int(line.prefix(3)) else {
                    throw SedgateError(.protocolViolation, "the mail relay answered '\(line)' to \(command)")
                }
                if line.count > 3, line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                guard got == code else {
                    throw SedgateError(.peerUnavailable, "the mail relay answered '\(line)' to \(command)")
                }
                return
            }
        }

        func readLine() throws -> String {
            while true {
                if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<end], as: UTF8.self)
                    buffer.removeSubrange(...end)
                    return line.hasSuffix("\r") ? String(line.dropLast()) : line
                }
                var chunk = [UInt8](repeating: 0, count: 4_096)
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { throw SedgateError(.peerUnavailable, "the mail relay closed the connection") }
                buffer += chunk.prefix(count)
            }
        }
    }
}
