import FoundationEssentials

/// RFC 3339 times as Kubernetes writes them (`metav1.Time`: whole seconds, `Z`; `MicroTime`: six
/// fractional digits).
public enum Timestamp {
    /// `2026-11-22T10:00:00Z`.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt))
    }

    /// `2026-11-22T10:00:00.123456Z`, for Lease and Event `MicroTime` fields.
    public static func formatMicro(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))
        let base = format(Date(timeIntervalSince1970: seconds))
        let digits = String(micros)
        return String(base.dropLast()) + "." + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "Z"
    }

    /// Parses RFC 3339 with or without fractional seconds, `Z` or a numeric offset.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: false)) {
            return date
        }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
