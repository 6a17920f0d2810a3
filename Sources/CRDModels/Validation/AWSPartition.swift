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
        var region = region
        guard let partition = region.withUTF8(Self.partition(ofRegion:)) else { return nil }
        self = partition
    }

    /// `init?(region:)` on the name's bytes: through `String.UTF8View` and its substrings, the comparisons with the
    /// lists below went through the generic collection algorithms, about 2,700 instructions per admission review.
    private static func partition(ofRegion name: UnsafeBufferPointer<UInt8>) -> AWSPartition? {
        let dash = UInt8(ascii: "-")
        // `<area>-<direction>-<n>`, where `<area>` may hold a dash itself (`us-gov`).
        guard let numberDash = name.lastIndex(of: dash), let directionDash = name[..<numberDash].lastIndex(of: dash)
        else { return nil }
        let number = name[(numberDash + 1)...]
        let direction = UnsafeBufferPointer(rebasing: name[(directionDash + 1)..<numberDash])
        let area = UnsafeBufferPointer(rebasing: name[..<directionDash])
        guard (1...2).contains(number.count), number.allSatisfy(Formats.isDigit),
            directions.contains(where: { direction.equals($0) })
        else { return nil }
        if awsAreas.contains(where: { area.equals($0) }) { return .aws }
        if area.equals("cn") { return .awsCN }
        if area.equals("us-gov") { return .awsUSGov }
        return nil
    }

    /// DNS suffix of the partition's service endpoints.
    public var dnsSuffix: String {
        switch self {
        case .aws, .awsUSGov: "amazonaws.com"
        case .awsCN: "amazonaws.com.cn"
        }
    }

    static let awsAreas: [StaticString] = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"]
    static let directions: [StaticString] = [
        "north", "south", "east", "west", "central", "northeast", "northwest", "southeast", "southwest",
    ]

    /// The same rule as one regular expression, used by the CRD schema's `pattern`.
    public static let regionPattern =
        "^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-"
        + "(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}$"
}

