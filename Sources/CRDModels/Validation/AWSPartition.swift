/// The AWS partitions the operator supports, recognised from a region name.
///
/// Region names are checked by pattern rather than a fixed list, so regions AWS opens later are accepted
/// without a release (every region so far is `<area>-<direction>-<n>`):
/// - `aws`: `^(us|eu|ap|sa|ca|me|af|il|mx)-(<direction>)-\d{1,2}$` where `<direction>` is one of
///   north, south, east, west, central, northeast, northwest, southeast, southwest
/// - `aws-cn`: `^cn-(<direction>)-\d{1,2}$`
/// - `aws-us-gov`: `^us-gov-(<direction>)-\d{1,2}$`
/// The isolated partitions (`us-iso-*`, `us-isob-*`) are not supported.
public enum AWSPartition: String, Hashable, Sendable, CaseIterable {
    case aws
    case awsCN = "aws-cn"
    case awsUSGov = "aws-us-gov"

    /// The partition `region` belongs to, or nil if it is not a region of a supported partition.
    ///
    /// Compares bytes in place (checked on every admission review): every accepted region is ASCII, so a
    /// non-ASCII byte anywhere fails a comparison, as it failed the comparison of `Character`s.
    public init?(region: String) {
        let utf8 = region.utf8
        let dash = UInt8(ascii: "-")
        // `<area>-<direction>-<n>`, where `<area>` may hold a dash itself (`us-gov`).
        guard let numberDash = utf8.lastIndex(of: dash), let directionDash = utf8[..<numberDash].lastIndex(of: dash)
        else { return nil }
        let number = utf8[utf8.index(after: numberDash)...]
        let direction = utf8[utf8.index(after: directionDash)..<numberDash]
        let area = utf8[..<directionDash]
        guard (1...2).contains(number.count), number.allSatisfy(Formats.isDigit),
            Self.directions.contains(where: { $0.utf8.elementsEqual(direction) })
        else { return nil }
        if Self.awsAreas.contains(where: { $0.utf8.elementsEqual(area) }) {
            self = .aws
        } else if area.elementsEqual("cn".utf8) {
            self = .awsCN
        } else if area.elementsEqual("us-gov".utf8) {
            self = .awsUSGov
        } else {
            return nil
        }
    }

    /// DNS suffix of the partition's service endpoints.
    public var dnsSuffix: String {
        switch self {
        case .aws, .awsUSGov: "amazonaws.com"
        case .awsCN: "amazonaws.com.cn"
        }
    }

    static let awsAreas = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"]
    static let directions = [
        "north", "south", "east", "west", "central", "northeast", "northwest", "southeast", "southwest",
    ]

    /// The same rule as one regular expression, used by the CRD schema's `pattern`.
    public static let regionPattern =
        "^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-"
        + "(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}$"
}

