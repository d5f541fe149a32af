// InboundRouting: which channel a received SED lands in, chosen by rules over its envelope (receiver institution
// or prefix, sector, SED type, BUC), a default route, or `manual/` when nothing matches. Pure values; no I/O.

public import SedgateCore

/// Where an inbound SED is handed to the national side.
public enum InboundChannel: Sendable, Hashable, CustomStringConvertible {
    /// `inbound/` itself (nil) or one of its sub-folders.
    case inbound(folder: String?)
    /// `inbound/`, written back as a flat file by the named profile.
    case profile(String)
    /// `manual/`: for an operator (`sedgate queue manual`).
    case manual
    /// The web-service queue (`[npap.web]`): waits in `var/web/` for a national application to lock, fetch and
    /// acknowledge it over HTTP.
    case web
    /// The database queue (`[npap.database]`): a row of `sedgate_inbound`, kept in `var/db/` until taken.
    case database
    /// Collected by the named inbound batch (`[inbound-batches.<name>]`) into one flat file in `inbound/`.
    case batch(String)

    /// Reads `inbound`, `inbound/<folder>`, `profile:<name>` or `manual`; nil for anything else.
    public init?(_ text: String) {
        if text == "inbound" {
            self = .inbound(folder: nil)
        } else if text == "manual" {
            self = .manual
        } else if text == "web" {
            self = .web
        } else if text == "database" {
            self = .database
        } else if text.hasPrefix("inbound/"), Self.isPlainName(String(text.dropFirst(8))) {
            self = .inbound(folder: String(text.dropFirst(8)))
        } else if text.hasPrefix("profile:"), Self.isPlainName(String(text.dropFirst(8))) {
            self = .profile(String(text.dropFirst(8)))
        } else if text.hasPrefix("batch:"), Self.isPlainName(String(text.dropFirst(6))) {
            self = .batch(String(text.dropFirst(6)))
        } else {
            return nil
        }
    }

    /// The form `init?(_:)` reads.
    public var description: String {
        switch self {
        case .inbound(let folder): folder.map { "inbound/\($0)" } ?? "inbound"
        case .profile(let name): "profile:\(name)"
        case .manual: "manual"
        case .batch(let name): "batch:\(name)"
        case .web: "web"
        case .database: "database"
        }
    }

    /// The folder it lands in, relative to the spool root: `inbound`, `inbound/<folder>`, `manual`, or for a batch
    /// the node's own collecting folder, `var/collect/<name>` (the batch's file then lands in `inbound/`).
    public var folder: String {
        switch self {
        case .inbound(let folder): folder.map { "inbound/\($0)" } ?? "inbound"
        case .profile: "inbound"
        case .manual: "manual"
        case .batch(let name): "var/collect/\(name)"
        case .web: "var/web"
        case .database: "var/db"
        }
    }

    /// Letters, digits, `-`, `_` and `.` (not first): one safe path component.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
            }
    }
}

/// One routing rule: every field it names must match (an absent field matches anything); each field may list
/// several values.
public struct InboundRule: Sendable, Hashable {
    /// The rule's name (`[inbound-routes.<name>]`); rules are tried in the order of their names.
    public var name: String
    /// Receiving institutions: `DK:0002` exactly, or a prefix ending in `*` (`DK:00*`, `DK:*`).
    public var receivers: [String]
    public var sectors: Set<String>
    public var sedTypes: Set<String>
    public var bucTypes: Set<String>
    public var channel: InboundChannel

    public init(
        name: String, receivers: [String] = [], sectors: Set<String> = [], sedTypes: Set<String> = [],
        bucTypes: Set<String> = [], channel: InboundChannel
    ) {
        self.name = name
        self.receivers = receivers
        self.sectors = sectors
        self.sedTypes = sedTypes
        self.bucTypes = bucTypes
        self.channel = channel
    }

    /// Whether the envelope matches every field the rule names.
    public func matches(_ envelope: Envelope) -> Bool {
        let receiver = envelope.receiver.description
        let receiverMatches =
            receivers.isEmpty
            || receivers.contains { pattern in
                pattern.hasSuffix("*") ? receiver.hasPrefix(pattern.dropLast()) : receiver == pattern
            }
        return receiverMatches && (sectors.isEmpty || sectors.contains(envelope.sector))
            && (sedTypes.isEmpty || sedTypes.contains(envelope.sedType))
            && (bucTypes.isEmpty || bucTypes.contains(envelope.bucType))
    }
}

/// The routing of received SEDs: rules in name order, then the default route, then `manual/`.
///
/// With no rule and no default route configured, everything lands in `inbound/` (the gateway's behaviour before
/// routing existed, and flat-file profiles' `inbound-types` still apply there).
public struct InboundRouting: Sendable, Hashable {
    public var rules: [InboundRule]
    public var defaultChannel: InboundChannel?

    public init(rules: [InboundRule] = [], defaultChannel: InboundChannel? = nil) {
        self.rules = rules.sorted { $0.name < $1.name }
        self.defaultChannel = defaultChannel
    }

    /// Whether any routing is configured.
    public var isConfigured: Bool { !rules.isEmpty || defaultChannel != nil }

    /// The channel for `envelope`, and the rule that chose it (nil for the default route or no match).
    public func route(_ envelope: Envelope) -> (channel: InboundChannel, rule: String?) {
        guard isConfigured else { return (.inbound(folder: nil), nil) }
        if let rule = rules.first(where: { $0.matches(envelope) }) { return (rule.channel, rule.name) }
        return (defaultChannel ?? .manual, nil)
    }

    /// Every channel a rule or the default route names.
    public var channels: [InboundChannel] { rules.map(\.channel) + (defaultChannel.map { [$0] } ?? []) }

    /// The sub-folders of `inbound/` some route names, for the spool to create and the take-up watcher to watch.
    public var folders: [String] {
        let channels = rules.map(\.channel) + (defaultChannel.map { [$0] } ?? [])
        return Array(Set(channels.compactMap { if case .inbound(let folder?) = $0 { folder } else { nil } })).sorted()
    }
}
