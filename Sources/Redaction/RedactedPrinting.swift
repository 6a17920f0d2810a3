/// A type that holds a credential describes itself once, as a list of fields already safe to print.
/// `description`, `debugDescription` and `customMirror` (what `String(reflecting:)` and `dump` show) all come
/// from that one list, so no rendering can show a field that another one redacts.
public protocol RedactedPrinting: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What `description` starts with: the type's name, unless an enum names its case.
    var printedName: String { get }
    /// The fields as they may be printed (secrets already replaced), in order; a nil value is left out.
    var printedFields: KeyValuePairs<String, Any?> { get }
}

extension RedactedPrinting {
    public var printedName: String { "\(Self.self)" }

    public var description: String {
        let fields = presentFields.map { "\($0.label): \($0.value)" }
        return "\(printedName)(\(fields.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self, children: presentFields.map { (label: Optional($0.label), value: $0.value) }, displayStyle: .struct)
    }

    private var presentFields: [(label: String, value: Any)] {
        printedFields.compactMap { field in field.value.map { (label: field.key, value: $0) } }
    }
}
