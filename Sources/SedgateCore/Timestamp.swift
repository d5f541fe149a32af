// Timestamp: the one time format sedgate writes (journal, reports, receipts, .error files):
// ISO 8601 UTC with milliseconds.

public import Foundation

/// ISO 8601 UTC timestamps with milliseconds, e.g. `2026-11-23T10:15:00.123Z`.
public enum Timestamp {
    /// The current time, formatted.
    public static func now() -> String {
        iso8601(Date())
    }

    /// `date` formatted.
    public static func iso8601(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
