// ConsoleSettings: a node's `[console]` table: where the operator console listens (off without `listen`), how long a
// session lasts, and after how many failed sign-ins a user name is locked out, for how long.

public import ConfigurationFile
public import SedgateCore

/// A node's console settings.
public struct ConsoleSettings: Sendable {
    /// `[console] listen = "HOST:PORT"`: the console's own plain-HTTP port; nil (the default) serves no console.
    public var listen: (host: String, port: Int)?
    /// `[console] session-minutes`: a session ends this long after its last request.
    public var sessionMinutes = 30
    /// `[console] lockout-failures`: failed sign-ins in a row after which a user name is locked out.
    public var lockoutFailures = 5
    /// `[console] lockout-minutes`: how long a locked-out user name waits.
    public var lockoutMinutes = 15

    public init() {}

    /// Reads `[console]` from `file` (marking its keys as known); the caller checks for unknown keys.
    public static func load(_ file: ConfigFile) throws(SedgateError) -> ConsoleSettings {
        var settings = ConsoleSettings()
        let listen = try file.string("console", "listen", default: "")
        if !listen.isEmpty {
            guard let colon = listen.lastIndex(of: ":"), colon != listen.startIndex,
                let port = Int(listen[listen.index(after: colon)...]), (1...65_535).contains(port)
            else {
                throw file.fail("console", "listen", "is '\(listen)'; it must be HOST:PORT, e.g. \"127.0.0.1:9480\"")
            }
            settings.listen = (String(listen[..<colon]), port)
        }
        func positive(_ key: String, _ fallback: Int) throws(SedgateError) -> Int {
            let value = try file.int("console", key, default: fallback)
            guard value >= 1 else { throw file.fail("console", key, "is \(value); it must be 1 or more") }
            return value
        }
        settings.sessionMinutes = try positive("session-minutes", settings.sessionMinutes)
        settings.lockoutFailures = try positive("lockout-failures", settings.lockoutFailures)
        settings.lockoutMinutes = try positive("lockout-minutes", settings.lockoutMinutes)
        return settings
    }
}
