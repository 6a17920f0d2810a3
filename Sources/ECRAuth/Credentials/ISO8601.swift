import CRDModels
import FoundationEssentials

/// Lenient ISO 8601 timestamps as AWS sends them: `2026-11-22T22:42:11Z`, with or without fractional
/// seconds (moto sends microseconds), `Z` or a numeric offset.
enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingWhitespace()
        if let date = Timestamp.parse(trimmed) { return date }
        // No zone (some emulators): treat as UTC.
        if !trimmed.hasSuffix("Z"), !trimmed.contains("+"), trimmed.count >= 19 {
            return parse(trimmed + "Z")
        }
        // Epoch seconds, as moto's IMDS mock might send.
        return Double(trimmed).map { Date(timeIntervalSince1970: $0) }
    }
}
