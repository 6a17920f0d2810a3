import CRDModels
import FoundationEssentials

/// Where one API call goes and how it is signed.
public struct AWSEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Base URL without a trailing slash, e.g. `https://api.ecr.us-west-2.amazonaws.com`.
    public var url: String
    public var signingRegion: String
    public var signingName: String

    public init(url: String, signingRegion: String, signingName: String) {
        var trimmed = url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.url = trimmed
        self.signingRegion = signingRegion
        self.signingName = signingName
    }

    public var description: String { "\(url) (\(signingName)/\(signingRegion))" }
}

/// Resolves API endpoints from region, partition, FIPS/dual-stack switches and the standard overrides
/// (docs/PROTOCOLS.md 1.2, 1.4, 3.4). Pure: everything comes from the `AWSEnvironment` value.
public struct EndpointResolver: Sendable, Hashable {
    public var environment: AWSEnvironment

    public init(environment: AWSEnvironment = AWSEnvironment()) {
        self.environment = environment
    }

    /// ECR API: `api.ecr[-fips].<region>.<suffix>`, dual-stack `ecr[-fips].<region>.api.aws`.
    public func ecr(region: String) -> AWSEndpoint {
        if let override = environment.endpointOverride(serviceID: "ECR") {
            return AWSEndpoint(url: override, signingRegion: region, signingName: "ecr")
        }
        let partition = AWSPartition.endpoints(region: region)
        let fips = environment.useFIPSEndpoint ? "-fips" : ""
        let host =
            environment.useDualStackEndpoint
            ? "ecr\(fips).\(region).\(partition.dualStackDNSSuffix)"
            : "api.ecr\(fips).\(region).\(partition.dnsSuffix)"
        return AWSEndpoint(url: "https://\(host)", signingRegion: region, signingName: "ecr")
    }

    /// The region ECR Public authentication lives in ("The ECR Public API is only available in us-east-1").
    public static let ecrPublicRegion = "us-east-1"

    /// ECR Public API, always us-east-1: `api.ecr-public.us-east-1.amazonaws.com`, dual-stack
    /// `ecr-public.us-east-1.api.aws`. There is no FIPS ECR Public endpoint, so the FIPS switch does not apply.
    public func ecrPublic() -> AWSEndpoint {
        let region = Self.ecrPublicRegion
        if let override = environment.endpointOverride(serviceID: "ECR_PUBLIC") {
            return AWSEndpoint(url: override, signingRegion: region, signingName: "ecr-public")
        }
        let host =
            environment.useDualStackEndpoint
            ? "ecr-public.\(region).api.aws" : "api.ecr-public.\(region).amazonaws.com"
        return AWSEndpoint(url: "https://\(host)", signingRegion: region, signingName: "ecr-public")
    }

    /// Regions that `AWS_STS_REGIONAL_ENDPOINTS=legacy` sends to the global endpoint (botocore).
    static let stsLegacyGlobalRegions: Set<String> = [
        "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
        "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1",
        "us-east-2", "us-west-1", "us-west-2",
    ]

    /// STS: regional `sts.<region>.<suffix>` (botocore's default), FIPS `sts-fips.<region>.amazonaws.com`,
    /// dual-stack `sts[-fips].<region>.api.aws`; with `legacy` the global `sts.amazonaws.com` signed for us-east-1.
    public func sts(region: String) -> AWSEndpoint {
        if let override = environment.endpointOverride(serviceID: "STS") {
            return AWSEndpoint(url: override, signingRegion: region, signingName: "sts")
        }
        let partition = AWSPartition.endpoints(region: region)
        let fips = environment.useFIPSEndpoint ? "-fips" : ""
        if environment.useDualStackEndpoint {
            return AWSEndpoint(
                url: "https://sts\(fips).\(region).\(partition.dualStackDNSSuffix)", signingRegion: region,
                signingName: "sts")
        }
        if !environment.stsRegionalEndpoints, !environment.useFIPSEndpoint,
            Self.stsLegacyGlobalRegions.contains(region)
        {
            return AWSEndpoint(url: "https://sts.amazonaws.com", signingRegion: "us-east-1", signingName: "sts")
        }
        return AWSEndpoint(
            url: "https://sts\(fips).\(region).\(partition.dnsSuffix)", signingRegion: region, signingName: "sts")
    }
}
