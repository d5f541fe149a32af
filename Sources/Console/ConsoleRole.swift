// ConsoleRole: what a console user may do. A viewer reads; an operator also steers the queue; a directory editor
// changes the directory entries of one country (and, if named, one sector); an administrator does everything and
// reads the audit trail. The server checks these on every request: a page hides what a role may not do, and a
// forged request for it is refused (403).

/// One role of a console user, written `viewer`, `operator`, `admin`, `editor:CC` or `editor:CC:SECTOR`.
public enum ConsoleRole: Hashable, Sendable, CustomStringConvertible {
    case viewer
    case `operator`
    case administrator
    /// Edits the directory entries of `country`, of `sector` only when one is named.
    case editor(country: String, sector: String?)

    /// Parses a role as `sedgate console user add --role` takes it; nil when it is none.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "viewer" where parts.count == 1: self = .viewer
        case "operator" where parts.count == 1: self = .operator
        case "admin" where parts.count == 1, "administrator" where parts.count == 1: self = .administrator
        case "editor" where (2...3).contains(parts.count):
            let country = parts[1]
            guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isUppercase }) else { return nil }
            let sector = parts.count == 3 ? parts[2] : nil
            if let sector, sector.isEmpty || !sector.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                return nil
            }
            self = .editor(country: country, sector: sector)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .viewer: return "viewer"
        case .operator: return "operator"
        case .administrator: return "admin"
        case .editor(let country, let sector): return "editor:\(country)" + (sector.map { ":\($0)" } ?? "")
        }
    }

    /// The forms `init?(_:)` accepts, for error messages.
    public static let syntax = "viewer, operator, admin, editor:CC or editor:CC:SECTOR"
}

/// What a set of roles allows.
public struct Permissions: Sendable, Equatable {
    public var roles: [ConsoleRole]

    public init(_ roles: [ConsoleRole]) { self.roles = roles }

    /// Holds, releases, expires, retries and routes SEDs by hand.
    public var canOperate: Bool { roles.contains(.operator) || roles.contains(.administrator) }
    /// Reads the audit trail.
    public var canAudit: Bool { roles.contains(.administrator) }
    /// Edits some directory entries.
    public var canEditDirectory: Bool {
        roles.contains { if case .editor = $0 { true } else { $0 == .administrator } }
    }

    /// Whether an entry of `country` with `sectors` may be changed.
    public func canEdit(country: String?, sectors: [String]) -> Bool {
        roles.contains { role in
            switch role {
            case .administrator: return true
            case .editor(let scope, let sector):
                return country == scope && (sector == nil || sectors.contains(sector!))
            default: return false
            }
        }
    }

    /// The countries this user edits (nil: every country).
    public var editableCountries: Set<String>? {
        if roles.contains(.administrator) { return nil }
        return Set(roles.compactMap { if case .editor(let country, _) = $0 { country } else { nil } })
    }
}
