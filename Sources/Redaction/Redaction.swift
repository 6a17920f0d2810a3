/// How credential-carrying types print themselves: what helps debugging stays, the secret does not.
public enum Redaction {
    /// Printed in place of a secret value.
    public static let placeholder = "<redacted>"

    /// The first characters of an identifier that is not itself secret but not worth printing whole
    /// (an access key id: its prefix tells `AKIA` long-term keys from `ASIA` session keys).
    public static func prefix(_ value: String, length: Int = 4) -> String {
        value.count <= length ? value : value.prefix(length) + "…"
    }

    /// `placeholder` for a present secret, nil for an absent one (so a mirror keeps the optional's shape).
    public static func optional(_ value: String?) -> String? {
        value.map { _ in placeholder }
    }
}
