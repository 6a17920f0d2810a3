/// Fingerprints of secrets for cache keys (`AWSCredentialProvider.identity`): the full HMAC-SHA256 under a
/// random key made once per process.
///
/// Why not a plain, truncated SHA-256: a plain hash lets anyone who reads it test guessed secrets offline,
/// and 64 bits (48 for external ids) leave room for two identities to share one cache entry and hence one
/// tenant's token. The keyed, untruncated digest has neither problem. It is still derived from a secret,
/// so it never goes into a log line or a message: print identities through `loggable(_:)`.
public enum CredentialFingerprint {
    /// Marks the digest inside an identity, so `loggable` can find it.
    static let marker = "#"
    static let digestHexLength = 64

    private static let processKey: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }()

    /// `#` and 64 hex digits over `parts`, each length-prefixed so that ("ab", "c") and ("a", "bc") differ.
    static func of(_ parts: [String]) -> String {
        let message = parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "\u{0}")
        return marker + Crypto.hex(Crypto.hmacSHA256(key: processKey, message))
    }

    /// `identity` with every fingerprint replaced by `#…`: what logs, metrics and status messages show.
    public static func loggable(_ identity: String) -> String {
        var result = ""
        var rest = Substring(identity)
        while let range = rest.firstRange(of: marker) {
            result += rest[..<range.lowerBound]
            let after = rest[range.upperBound...]
            let digits = after.prefix(digestHexLength)
            if digits.count == digestHexLength, digits.allSatisfy(\.isHexDigit) {
                result += marker + "…"
                rest = after.dropFirst(digestHexLength)
            } else {
                result += marker
                rest = after
            }
        }
        return result + rest
    }
}
