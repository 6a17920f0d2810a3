import Foundation

/// The string checks of k8s.io/apimachinery `pkg/util/validation` (IsDNS1123Subdomain, IsQualifiedName,
/// IsValidLabelValue, IsConfigMapKey, ...): each returns the messages the real server prints, in its order.
enum StringValidation {
    static let dns1123LabelMaxLength = 63
    static let dns1123SubdomainMaxLength = 253
    static let qualifiedNameMaxLength = 63
    static let labelValueMaxLength = 63

    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123SubdomainFormat = dns1123LabelFormat + "(\\." + dns1123LabelFormat + ")*"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueFormat = "(" + qualifiedNameFormat + ")?"
    static let configMapKeyFormat = "[-._a-zA-Z0-9]+"

    static let dns1123LabelMessage = regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
            + "end with an alphanumeric character", dns1123LabelFormat, "my-name", "123-abc")
    static let dns1123SubdomainMessage = regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
            + "start and end with an alphanumeric character", dns1123SubdomainFormat, "example.com")
    static let qualifiedNameMessage = regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            + "character", qualifiedNameFormat, "MyName", "my.name", "123-abc")

    /// `validation.RegexError`: the examples are joined with a stray comma, as Go prints them.
    static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        guard !examples.isEmpty else { return message + " (regex used for validation is '\(format)')" }
        return message + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ")
            + "regex used for validation is '\(format)')"
    }

    static func maxLengthError(_ length: Int) -> String { "must be no more than \(length) characters" }

    // The formats above, matched by hand over ASCII (each anchored, as Go's `regexp.MustCompile("^" + format +
    // "$")`, compiled once, is): compiling an NSRegularExpression on every check was a third of this server's
    // CPU per write.

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    static func isDNS1123Label(_ text: some StringProtocol) -> Bool { isDNS1123Label(bytes: text.utf8) }

    private static func isDNS1123Label(bytes: some Collection<UInt8>) -> Bool {
        isRun(bytes, inner: { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }, ends: isLowerAlphanumeric)
    }

    /// `dns1123LabelFormat(\.dns1123LabelFormat)*`. Split on bytes, as Go's `strings.Split` does (and without
    /// `Character` segmentation, which made label checks a sixth of this server's CPU per Secret write).
    static func isDNS1123Subdomain(_ text: some StringProtocol) -> Bool {
        text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            .allSatisfy { isDNS1123Label(bytes: $0) }
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func isQualifiedNamePart(_ text: some StringProtocol) -> Bool {
        isRun(text.utf8, inner: { isAlphanumeric($0) || "-_.".utf8.contains($0) }, ends: isAlphanumeric)
    }

    /// `[-._a-zA-Z0-9]+`
    static func isConfigMapKeyFormat(_ text: some StringProtocol) -> Bool {
        isRun(text.utf8, inner: { isAlphanumeric($0) || "-_.".utf8.contains($0) }, ends: { _ in true })
    }

    /// A non-empty run of `inner` bytes whose first and last byte are also `ends` bytes.
    private static func isRun(
        _ bytes: some Collection<UInt8>, inner: (UInt8) -> Bool, ends: (UInt8) -> Bool
    ) -> Bool {
        guard let first = bytes.first, ends(first), bytes.allSatisfy(inner) else { return false }
        var last = first
        for byte in bytes { last = byte }
        return ends(last)
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func dns1123Label(_ text: String) -> [String] {
        var errors: [String] = []
        if text.utf8.count > dns1123LabelMaxLength { errors.append(maxLengthError(dns1123LabelMaxLength)) }
        if !isDNS1123Label(text) { errors.append(dns1123LabelMessage) }
        return errors
    }

    static func dns1123Subdomain(_ text: some StringProtocol) -> [String] {
        var errors: [String] = []
        if text.utf8.count > dns1123SubdomainMaxLength { errors.append(maxLengthError(dns1123SubdomainMaxLength)) }
        if !isDNS1123Subdomain(text) { errors.append(dns1123SubdomainMessage) }
        return errors
    }

    /// `IsQualifiedName`: an optional DNS-subdomain prefix and `/`, then a name part.
    static func qualifiedName(_ text: String) -> [String] {
        // Cut at the `/` bytes, as Go's `strings.Split` does (a cut there keeps both sides valid UTF-8), in place.
        let slash = UInt8(ascii: "/")
        var errors: [String] = []
        let name: Substring
        if let cut = text.utf8.firstIndex(of: slash) {
            let rest = text.utf8.index(after: cut)
            guard !text.utf8[rest...].contains(slash) else {
                return [
                    "a qualified name " + qualifiedNameMessage
                        + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
                ]
            }
            let prefix = text[..<cut]
            name = text[rest...]
            if prefix.isEmpty {
                errors.append("prefix part must be non-empty")
            } else {
                errors += dns1123Subdomain(prefix).map { "prefix part " + $0 }
            }
        } else {
            name = text[...]
        }
        if name.isEmpty {
            errors.append("name part must be non-empty")
        } else if name.utf8.count > qualifiedNameMaxLength {
            errors.append("name part " + maxLengthError(qualifiedNameMaxLength))
        }
        if !isQualifiedNamePart(name) { errors.append("name part " + qualifiedNameMessage) }
        return errors
    }

    static func labelValue(_ text: String) -> [String] {
        var errors: [String] = []
        if text.utf8.count > labelValueMaxLength { errors.append(maxLengthError(labelValueMaxLength)) }
        if !(text.isEmpty || isQualifiedNamePart(text)) {
            errors.append(
                regexError(
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                        + "and must start and end with an alphanumeric character", labelValueFormat,
                    "MyValue", "my_value", "12345"))
        }
        return errors
    }

    /// `IsConfigMapKey`: the keys of Secret and ConfigMap data.
    static func configMapKey(_ text: String) -> [String] {
        var errors: [String] = []
        if text.utf8.count > dns1123SubdomainMaxLength { errors.append(maxLengthError(dns1123SubdomainMaxLength)) }
        if !isConfigMapKeyFormat(text) {
            errors.append(
                regexError(
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configMapKeyFormat,
                    "key.name", "KEY_NAME", "key-name"))
        }
        guard errors.isEmpty else { return errors }
        if text == "." { return ["must not be '.'"] }
        if text == ".." { return ["must not be '..'"] }
        if text.hasPrefix("..") { return ["must not start with '..'"] }
        return []
    }
}
