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
    public init?(region: String) {
        let parts = region.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, let number = parts.last, (1...2).contains(number.count),
            number.allSatisfy(\.isASCIIDigit), Self.directions.contains(parts[parts.count - 2])
        else { return nil }
        switch parts.count {
        case 3 where Self.awsAreas.contains(parts[0]): self = .aws
        case 3 where parts[0] == "cn": self = .awsCN
        case 4 where parts[0] == "us" && parts[1] == "gov": self = .awsUSGov
        default: return nil
        }
    }

    /// DNS suffix of the partition's service endpoints.
    public var dnsSuffix: String {
        switch self {
        case .aws, .awsUSGov: "amazonaws.com"
        case .awsCN: "amazonaws.com.cn"
        }
    }

    static let awsAreas: Set<String> = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"]
    static let directions: Set<String> = [
        "north", "south", "east", "west", "central", "northeast", "northwest", "southeast", "southwest",
    ]

    /// The same rule as one regular expression, used by the CRD schema's `pattern`.
    public static let regionPattern =
        "^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-"
        + "(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}$"
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
