/// Go's `time.Parse` error texts for the RFC 3339 layouts kube-apiserver decodes (`metav1.MicroTime`):
/// the layout is walked element by element and the first element the value does not fit is named.
enum GoTime {
    static let microLayout = "2006-01-02T15:04:05.000000Z07:00"

    private enum Element {
        case literal(String)
        case digits(String, min: Int, max: Int, range: ClosedRange<Int>, name: String)
        case fraction(String, digits: Int)
        case zone(String)
    }

    private static let microElements: [Element] = [
        .digits("2006", min: 4, max: 4, range: 0...9999, name: "year"), .literal("-"),
        .digits("01", min: 2, max: 2, range: 1...12, name: "month"), .literal("-"),
        .digits("02", min: 2, max: 2, range: 1...31, name: "day"), .literal("T"),
        .digits("15", min: 1, max: 2, range: 0...23, name: "hour"), .literal(":"),
        .digits("04", min: 2, max: 2, range: 0...59, name: "minute"), .literal(":"),
        .digits("05", min: 2, max: 2, range: 0...59, name: "second"),
        .fraction(".000000", digits: 6), .zone("Z07:00"),
    ]

    /// The error `time.Parse(microLayout, text)` returns, or nil when the text fits the layout.
    static func microTimeParseError(_ text: String) -> String? {
        var rest = Substring(text)
        let prefix = "parsing time \(StringValidation.quoted(text))"
        func cannot(_ element: String) -> String {
            "\(prefix) as \(StringValidation.quoted(microLayout)): cannot parse \(StringValidation.quoted(String(rest))) "
                + "as \(StringValidation.quoted(element))"
        }
        for element in microElements {
            switch element {
            case .literal(let literal):
                guard rest.hasPrefix(literal) else { return cannot(literal) }
                rest = rest.dropFirst(literal.count)
            case .digits(let layout, let min, let max, let range, let name):
                let digits = rest.prefix(max).prefix { $0.isASCII && $0.isNumber }
                guard digits.count >= min, let number = Int(digits) else { return cannot(layout) }
                if !range.contains(number) { return "\(prefix): \(name) out of range" }
                rest = rest.dropFirst(digits.count)
            case .fraction(let layout, let count):
                let digits = rest.dropFirst().prefix(count)
                guard rest.first == ".", digits.count == count, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    return cannot(layout)
                }
                rest = rest.dropFirst(count + 1)
            case .zone(let layout):
                if rest.first == "Z" {
                    rest = rest.dropFirst()
                    continue
                }
                let zone = Array(rest.prefix(6))
                guard zone.count == 6, zone[0] == "+" || zone[0] == "-", zone[3] == ":",
                    [zone[1], zone[2], zone[4], zone[5]].allSatisfy({ $0.isASCII && $0.isNumber })
                else { return cannot(layout) }
                rest = rest.dropFirst(6)
            }
        }
        return rest.isEmpty ? nil : "\(prefix): extra text: \(StringValidation.quoted(String(rest)))"
    }
}
