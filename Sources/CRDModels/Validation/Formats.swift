/// Syntax checks for Kubernetes and AWS names, as the API server and AWS define them.
enum Formats {
    /// DNS-1123 label: at most 63 lower-case alphanumerics or `-`, starting and ending alphanumeric.
    static func isDNS1123Label(_ text: String) -> Bool {
        guard (1...63).contains(text.utf8.count), let first = text.utf8.first, let last = text.utf8.last else {
            return false
        }
        return isLowerAlnum(first) && isLowerAlnum(last)
            && text.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
    static func isDNS1123Subdomain(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isDNS1123Subdomain($0) }
    }

    /// Label value: empty, or at most 63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
    static func isLabelValue(_ text: String) -> Bool {
        var text = text
        return text.isEmpty || text.withUTF8 { isQualifiedNamePart($0) }
    }

    /// Label or annotation key: an optional DNS-1123 subdomain prefix and `/`, then a name as in a label value.
    static func isQualifiedName(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return isQualifiedNamePart(bytes) }
            return isDNS1123Subdomain(UnsafeBufferPointer(rebasing: bytes[..<slash]))
                && isQualifiedNamePart(UnsafeBufferPointer(rebasing: bytes[(slash + 1)...]))
        }
    }

    /// Secret data key: at most 253 alphanumerics, `-`, `_`, `.`.
    static func isSecretKey(_ text: String) -> Bool {
        (1...253).contains(text.utf8.count) && text.utf8.allSatisfy(isNameByte)
    }

    /// AWS account id: exactly 12 decimal digits.
    static func isAccountID(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy(isDigit)
    }

    /// `arn:<partition>:iam::<12 digits>:role/<path/><name>`; returns the partition, or nil if not a role ARN.
    /// Role names are 1..64 of `[A-Za-z0-9+=,.@_-]`; path segments use the same characters.
    static func rolePartition(_ arn: String) -> AWSPartition? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "arn", let partition = AWSPartition(rawValue: parts[1]),
            parts[2] == "iam", parts[3].isEmpty, isAccountID(parts[4]), parts[5].hasPrefix("role/")
        else { return nil }
        let segments = parts[5].dropFirst("role/".count).split(separator: "/", omittingEmptySubsequences: false)
        guard let name = segments.last, (1...64).contains(name.utf8.count),
            segments.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isIAMNameByte) })
        else { return nil }
        return partition
    }

    /// sts:AssumeRole `ExternalId`: 2..1224 of `[\w+=,.@:/-]`.
    static func isExternalID(_ text: String) -> Bool {
        (2...1224).contains(text.utf8.count)
            && text.utf8.allSatisfy { isIAMNameByte($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }
    }

    /// The schema patterns equivalent to the checks above (RE2 syntax, as the API server evaluates them).
    enum Pattern {
        static let dns1123Label = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
        static let dns1123Subdomain = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
        static let accountID = "^[0-9]{12}$"
        static let secretKey = "^[-._a-zA-Z0-9]+$"
    }

    /// The bytes of every name are checked in place, without splitting them into strings, in their contiguous
    /// storage (through `Substring.UTF8View` a check cost 650 instructions): these run on every admission review.
    /// Each rule accepts only ASCII, so no byte of a multi-byte character can pass.
    private static func isDNS1123Subdomain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (1...253).contains(bytes.count) else { return false }
        // Every label between dots is non-empty and alphanumeric at both ends: a dot or the end follows an
        // alphanumeric, a label starts with one.
        var previous = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."): guard isLowerAlnum(previous) else { return false }
            case UInt8(ascii: "-"): guard previous != UInt8(ascii: ".") else { return false }
            default: guard isLowerAlnum(byte) else { return false }
            }
            previous = byte
        }
        return isLowerAlnum(previous)
    }

    /// A name as in a label value (a second `/` fails `isNameByte`).
    private static func isQualifiedNamePart(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else {
            return false
        }
        return isAlnum(first) && isAlnum(last) && bytes.allSatisfy(isNameByte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isDigit(byte)
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isLowerAlnum(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// Alphanumerics, `-`, `_` and `.`.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        isAlnum(byte) || "-_.".utf8.contains(byte)
    }

    private static func isIAMNameByte(_ byte: UInt8) -> Bool {
        isAlnum(byte) || "+=,.@_-".utf8.contains(byte)
    }
}
