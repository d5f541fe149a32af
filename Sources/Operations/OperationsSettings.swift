// OperationsSettings: the `[operator]`, `[log]`, `[statistics]` and `[alerts]` tables of a node's configuration:
// where the operator port listens, the log format, how often statistics are gathered, and the alert rules with
// where alerts go. Every key is optional; a node without `[operator] listen` serves no operator port.

public import ConfigurationFile
public import SedgateCore

/// A node's operations settings.
public struct OperationsSettings: Sendable {
    /// The log line format.
    public enum LogFormat: String, Sendable {
        /// `TIME LEVEL node stage: message key=value ...`, every value escaped.
        case human
        /// One JSON object per line.
        case json
    }

    /// `[operator] listen = "HOST:PORT"`: plain HTTP for `/metrics` and `/health`; nil serves nothing.
    public var listen: (host: String, port: Int)?
    public var logFormat: LogFormat = .human
    /// `[statistics] harvest-s`: how often the journal's changes are copied into the statistics; nil (0) turns the
    /// harvest off (`sedgate stats` still gathers what the journal holds when it runs).
    public var harvestInterval: Duration? = .seconds(30)
    public var alerts = AlertRules()
    /// `[operator-peers]`: other nodes' operator URLs (node id → `http://HOST:PORT`), for `sedgate trace --network`.
    public var operatorPeers: [String: String] = [:]

    public init() {}

    /// Reads the tables from `file` (marking their keys as known); the caller checks for unknown keys.
    public static func load(_ file: ConfigFile) throws(SedgateError) -> OperationsSettings {
        var settings = OperationsSettings()
        let listen = try file.string("operator", "listen", default: "")
        if !listen.isEmpty {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
                (1...65_535).contains(port), colon != listen.startIndex
            else {
                throw file.fail("operator", "listen", "is '\(listen)'; it must be HOST:PORT, e.g. \"127.0.0.1:9464\"")
            }
            settings.listen = (String(listen[..<colon]), port)
        }
        let format = try file.string("log", "format", default: "human")
        guard let logFormat = LogFormat(rawValue: format) else {
            throw file.fail("log", "format", "is '\(format)'; it must be \"human\" or \"json\"")
        }
        settings.logFormat = logFormat
        let harvest = try file.int("statistics", "harvest-s", default: 30)
        guard harvest >= 0 else {
            throw file.fail("statistics", "harvest-s", "is \(harvest); it must be 0 (off) or more")
        }
        settings.harvestInterval = harvest == 0 ? nil : .seconds(harvest)
        settings.operatorPeers = try file.stringTable("operator-peers")

        var rules = AlertRules()
        rules.interval = .seconds(try positive(file, "alerts", "interval-s", 30))
        rules.queueOlderThan = try optionalSeconds(file, "queue-older-than-s")
        rules.failuresPerHour = try optional(file, "failures-per-hour")
        rules.peerUnreachable = try optionalSeconds(file, "peer-unreachable-s")
        rules.certificateDays = try optional(file, "certificate-days")
        rules.diskFreeMB = try optional(file, "disk-free-mb")
        rules.backPressure = try file.bool("alerts", "back-pressure", default: false)
        rules.orderGaps = try file.bool("alerts", "order-gaps", default: false)
        rules.escalateAfter = try optionalSeconds(file, "escalate-after-s")
        rules.command = try file.strings("alerts", "command")
        let webhook = try file.string("alerts", "webhook", default: "")
        rules.webhook = webhook.isEmpty ? nil : webhook
        let smtp = try file.string("alerts", "smtp", default: "")
        if !smtp.isEmpty {
            guard let colon = smtp.lastIndex(of: ":"), let port = Int(smtp[smtp.index(after: colon)...]) else {
                throw file.fail("alerts", "smtp", "is '\(smtp)'; it must be HOST:PORT of a mail relay")
            }
            rules.smtp = (String(smtp[..<colon]), port)
        }
        rules.mailFrom = try file.string("alerts", "mail-from", default: "sedgate@localhost")
        rules.mailTo = try file.strings("alerts", "mail-to")
        rules.escalateTo = try file.strings("alerts", "escalate-to")
        if rules.smtp != nil, rules.mailTo.isEmpty {
            throw file.fail("alerts", "mail-to", "is missing: [alerts] smtp is set, so alerts need a recipient")
        }
        settings.alerts = rules
        return settings
    }

    private static func positive(
        _ file: ConfigFile, _ table: String, _ key: String, _ fallback: Int
    )
        throws(SedgateError) -> Int
    {
        let value = try file.int(table, key, default: fallback)
        guard value >= 1 else { throw file.fail(table, key, "is \(value); it must be 1 or more") }
        return value
    }

    private static func optional(_ file: ConfigFile, _ key: String) throws(SedgateError) -> Int? {
        let value = try file.int("alerts", key, default: -1)
        if value == -1 { return nil }
        guard value >= 0 else { throw file.fail("alerts", key, "is \(value); it must be 0 or more") }
        return value
    }

    private static func optionalSeconds(_ file: ConfigFile, _ key: String) throws(SedgateError) -> Duration? {
        try optional(file, key).map { .seconds($0) }
    }
}

/// The alert rules of `[alerts]`: each is off unless its key is set.
public struct AlertRules: Sendable {
    /// How often the conditions are evaluated.
    public var interval: Duration = .seconds(30)
    /// A destination's oldest waiting SED is older than this.
    public var queueOlderThan: Duration?
    /// More SEDs failed here in the last hour than this.
    public var failuresPerHour: Int?
    /// A peer has not accepted a connection for this long.
    public var peerUnreachable: Duration?
    /// The node's TLS certificate expires within this many days.
    public var certificateDays: Int?
    /// The spool's file system has less free space than this.
    public var diskFreeMB: Int?
    /// The node refuses new SEDs (back-pressure): free disk under `[limits] min-free-mb` or, at the CN, the queue
    /// at `[limits] max-queued`.
    public var backPressure = false
    /// A SED landed in the last hour without an earlier one of its conversation (after `[inbound] order-wait-s`).
    public var orderGaps = false
    /// An alert neither cleared nor acknowledged for this long is sent again, marked escalated, to `escalateTo` too.
    public var escalateAfter: Duration?
    /// A command run per notification, the alert as JSON on its standard input.
    public var command: [String] = []
    /// A URL the alert is POSTed to as JSON.
    public var webhook: String?
    /// The SMTP relay e-mail goes through.
    public var smtp: (host: String, port: Int)?
    public var mailFrom = "sedgate@localhost"
    public var mailTo: [String] = []
    public var escalateTo: [String] = []

    public init() {}

    /// Whether any rule is set (the alert service runs only then).
    public var isEmpty: Bool {
        queueOlderThan == nil && failuresPerHour == nil && peerUnreachable == nil && certificateDays == nil
            && diskFreeMB == nil && !backPressure && !orderGaps
    }
}
