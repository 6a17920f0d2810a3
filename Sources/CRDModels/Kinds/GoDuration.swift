/// A Go `time.Duration` string such as `6h`, `1h30m`, `90s` or `1.5h`, as Kubernetes users write them.
///
/// The text is kept as written, so a decoded spec encodes back to the same bytes, and an unparsable value
/// survives decoding to be reported by validation (with its field path) instead of failing the whole
/// object. `duration` parses on demand.
public struct GoDuration: Codable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let text: String

    public init(_ text: String) { self.text = text }
    public init(stringLiteral value: String) { self.text = value }

    /// The compact Go form of `duration` (see `format`).
    public init(_ duration: Duration) { self.text = Self.format(duration) }

    public init(from decoder: any Decoder) throws {
        text = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public var description: String { text }

    /// The parsed value, or nil if `text` is not a valid Go duration.
    public var duration: Duration? { try? Self.parse(text) }

    /// Parses like Go's `time.ParseDuration`: an optional sign, then one or more decimal numbers (with
    /// optional fraction) each followed by a unit `ns`, `us`, `µs`, `ms`, `s`, `m` or `h`. `0` alone is valid.
    public static func parse(_ text: String) throws(GoDurationError) -> Duration {
        var scalars = Substring(text).unicodeScalars[...]
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        if String(scalars) == "0" { return .zero }
        guard !scalars.isEmpty else { throw GoDurationError(text: text, problem: "is empty") }
        var totalNanos: Int64 = 0
        while !scalars.isEmpty {
            let integerDigits = scalars.prefix { $0.properties.numericType != nil && $0.isASCII }
            scalars = scalars.dropFirst(integerDigits.count)
            var fractionDigits = Substring.UnicodeScalarView()[...]
            if scalars.first == "." {
                scalars = scalars.dropFirst()
                fractionDigits = scalars.prefix { $0.properties.numericType != nil && $0.isASCII }
                scalars = scalars.dropFirst(fractionDigits.count)
            }
            guard !integerDigits.isEmpty || !fractionDigits.isEmpty else {
                throw GoDurationError(text: text, problem: "expects a number before each unit")
            }
            let unitText = String(scalars.prefix { !($0.isASCII && ($0.properties.numericType != nil || $0 == ".")) })
            scalars = scalars.dropFirst(unitText.unicodeScalars.count)
            guard !unitText.isEmpty else {
                throw GoDurationError(text: text, problem: "is missing a unit (one of ns, us, ms, s, m, h)")
            }
            guard let unit = units[unitText] else {
                throw GoDurationError(text: text, problem: "has unknown unit \"\(unitText)\" (use ns, us, ms, s, m, h)")
            }
            let nanos = try componentNanos(
                integer: String(integerDigits), fraction: String(fractionDigits), unit: unit, text: text)
            let (sum, overflow) = totalNanos.addingReportingOverflow(nanos)
            guard !overflow else { throw GoDurationError(text: text, problem: "is out of range") }
            totalNanos = sum
        }
        return .nanoseconds(negative ? -totalNanos : totalNanos)
    }

    /// Formats compactly: hours, minutes and seconds with zero parts left out (`6h`, `1h30m`, `1h0m5s` is
    /// written `1h5s`), sub-second values in `ms`, `µs` or `ns`; Go parses every form this produces.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        var nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        if nanos == 0 { return "0s" }
        var result = ""
        if nanos < 0 {
            result = "-"
            nanos = -nanos
        }
        if nanos < 1_000_000_000 {
            for (unit, size) in [("ms", Int64(1_000_000)), ("µs", 1_000), ("ns", 1)] where nanos >= size {
                return result + decimal(nanos, scale: size) + unit
            }
        }
        let hours = nanos / 3_600_000_000_000
        let minutes = (nanos / 60_000_000_000) % 60
        let secondNanos = nanos % 60_000_000_000
        if hours > 0 { result += "\(hours)h" }
        if minutes > 0 { result += "\(minutes)m" }
        if secondNanos > 0 { result += decimal(secondNanos, scale: 1_000_000_000) + "s" }
        return result
    }

    private static let units: [String: Int64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    private static func componentNanos(
        integer: String, fraction: String, unit: Int64, text: String
    ) throws(GoDurationError) -> Int64 {
        var value: Int64 = 0
        for digit in integer.utf8 {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(Int64(digit - 48))
            guard !overflow1, !overflow2 else { throw GoDurationError(text: text, problem: "is out of range") }
            value = next
        }
        let (whole, overflow) = value.multipliedReportingOverflow(by: unit)
        guard !overflow else { throw GoDurationError(text: text, problem: "is out of range") }
        // The fraction contributes at most one unit; digits beyond nanosecond precision are dropped, as in Go.
        var fractionNanos: Int64 = 0
        var scale = unit
        for digit in fraction.utf8 {
            scale /= 10
            if scale == 0 { break }
            fractionNanos += Int64(digit - 48) * scale
        }
        let (sum, overflow3) = whole.addingReportingOverflow(fractionNanos)
        guard !overflow3 else { throw GoDurationError(text: text, problem: "is out of range") }
        return sum
    }

    /// `value / scale` as a decimal without trailing zeros.
    private static func decimal(_ value: Int64, scale: Int64) -> String {
        let whole = value / scale
        var fraction = value % scale
        guard fraction > 0 else { return "\(whole)" }
        var digits = ""
        var place = scale / 10
        while fraction > 0, place > 0 {
            digits += "\(fraction / place)"
            fraction %= place
            place /= 10
        }
        return "\(whole).\(digits)"
    }
}

/// A duration string that is not a Go duration.
public struct GoDurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code = "InvalidDuration"
    public var text: String
    /// What is wrong, e.g. `has unknown unit "d" (use ns, us, ms, s, m, h)`.
    public var problem: String

    public var description: String { "\"\(text)\" \(problem)" }
}
