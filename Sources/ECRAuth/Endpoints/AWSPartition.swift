import CRDModels

/// Endpoint DNS of each partition. Which partition a region belongs to is CRDModels' rule
/// (`AWSPartition(region:)`), the one the spec validation uses.
extension AWSPartition {
    /// The partition of `region` for building endpoints: a region outside the supported partitions'
    /// pattern (rejected by validation; possible in an environment variable) is treated as `aws`.
    static func endpoints(region: String) -> AWSPartition { AWSPartition(region: region) ?? .aws }

    /// Suffix of the dual-stack service endpoints (`ecr.<region>.api.aws`).
    var dualStackDNSSuffix: String { self == .awsCN ? "api.amazonwebservices.com.cn" : "api.aws" }

    /// Suffix of the dual-stack registry hosts (`<acct>.dkr-ecr.<region>.on.aws`).
    var dualStackRegistrySuffix: String { self == .awsCN ? "on.amazonwebservices.com.cn" : "on.aws" }
}
