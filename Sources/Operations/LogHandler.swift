// LogHandler: sedgate's swift-log handler, one line per entry on standard error, in the human format or as JSON.
// Producers control file names and envelope fields, so every message and metadata value is escaped: a file
// name holding a line feed stays on its line instead of forging another.

import Foundation
public import Logging

/// Writes each entry as one line: human (`TIME LEVEL NODE STAGE: message key=value`) or one JSON object.
public struct SedgateLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: OperationsSettings.LogFormat

    public init(label: String, format: OperationsSettings.LogFormat) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.line(
            time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged,
            source: event.file, format: format)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The node a logger label names (`sedgate.AP-BE` → `AP-BE`).
    static func node(_ label: String) -> String {
        label.hasPrefix("sedgate.") ? String(label.dropFirst("sedgate.".count)) : label
    }

    /// The pipeline stage of the source file that logged (`AccessPoint/IntakeQueue.swift` → `intake`).
    static func stage(_ file: String) -> String {
        let base = String((file.split(separator: "/").last ?? "").split(separator: ".").first ?? "")
        return stages[base] ?? base.lowercased()
    }

    /// The stage of each source file that names one.
    private static let stages = [
        "IntakeQueue": "intake", "OutboundSender": "send", "InboundReceiver": "receive", "Forwarder": "forward",
        "RelayHandler": "relay", "Resequencer": "order", "TakeUpWatcher": "take-up", "Puller": "pull",
        "SeenSetExpiry": "expiry", "NodeCommands": "node", "AlertEngine": "alerts", "OperatorServer": "operator",
    ]

    /// One formatted entry, without its line feed.
    static func line(
        time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String,
        format: OperationsSettings.LogFormat
    ) -> String {
        let stamp = time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
        let node = Self.node(label)
        let stage = Self.stage(source)
        let keys = metadata.keys.sorted()
        switch format {
        case .json:
            var object = "{\"time\":\(json(stamp)),\"level\":\(json(level.rawValue)),\"node\":\(json(node))"
            object += ",\"stage\":\(json(stage))"
            if let sedId = metadata["sedId"] { object += ",\"sedId\":\(json("\(sedId)"))" }
            object += ",\"message\":\(json(message))"
            for key in keys where key != "sedId" { object += ",\(json(key)):\(json("\(metadata[key]!)"))" }
            return object + "}"
        case .human:
            var text = "\(stamp) \(level.rawValue) \(escape(node)) \(stage): \(escape(message))"
            for key in keys { text += " \(escape(key))=\(quoted("\(metadata[key]!)"))" }
            return text
        }
    }

    /// `text` with control characters (line feeds among them), backslashes and Unicode line separators escaped.
    public static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\\": result += "\\\\"
            case _
            where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A metadata value, escaped, in double quotes when it holds a space, a quote or `=` (so `key=value` parses).
    static func quoted(_ text: String) -> String {
        let escaped = escape(text)
        guard escaped.isEmpty || escaped.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else {
            return escaped
        }
        return "\"" + escaped.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `text` as a JSON string literal.
    static func json(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
