// Timestamp: the one time format sedgate writes (journal, reports, receipts, .error files):
// ISO 8601 UTC with milliseconds.

public import Foundation

/// ISO 8601 UTC timestamps with milliseconds, e.g. `2026-11-23T10:15:00.123Z`.
public enum Timestamp {
    /// The current time, formatted.
    public static func now() -> String {
        iso8601(Date())
    }

    /// Parses a timestamp written by `iso8601(_:)` (or any ISO 8601 UTC time with or without fractions).
    public static func parse(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(timeZone: .gmt)))
    }

    /// Whether `text` (a timestamp) lies more than `lifetime` in the past; false when it cannot be read.
    public static func isOlder(_ text: String, than lifetime: Duration, now: Date = Date()) -> Bool {
        guard let date = parse(text) else { return false }
        return now.timeIntervalSince(date) > lifetime.timeInterval
    }

    /// `date` formatted.
    public static func iso8601(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}

extension Duration {
    /// The duration in seconds, to the attosecond's double precision (not truncated to whole seconds).
    public var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
