/// The AWS partitions the operator supports; each has its own DNS suffixes.
public enum AWSPartition: String, Sendable, Hashable {
    case aws
    case awsCN = "aws-cn"
    case awsUSGov = "aws-us-gov"

    /// `cn-*` regions are aws-cn, `us-gov-*` are aws-us-gov, everything else is aws.
    public init(region: String) {
        if region.hasPrefix("cn-") {
            self = .awsCN
        } else if region.hasPrefix("us-gov-") {
            self = .awsUSGov
        } else {
            self = .aws
        }
    }

    /// Suffix of the classic (IPv4) service endpoints.
    public var dnsSuffix: String { self == .awsCN ? "amazonaws.com.cn" : "amazonaws.com" }

    /// Suffix of the dual-stack service endpoints (`ecr.<region>.api.aws`).
    public var dualStackDNSSuffix: String { self == .awsCN ? "api.amazonwebservices.com.cn" : "api.aws" }

    /// Suffix of the dual-stack registry hosts (`<acct>.dkr-ecr.<region>.on.aws`).
    public var dualStackRegistrySuffix: String { self == .awsCN ? "on.amazonwebservices.com.cn" : "on.aws" }
}
