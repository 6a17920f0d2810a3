import CRDModels
import FoundationEssentials

/// The AWS-related process environment as a plain value. The library never reads `ProcessInfo`: the
/// executable passes its environment in, and tests pass a dictionary.
public struct AWSEnvironment: Sendable, Hashable {
    public var variables: [String: String]

    public init(_ variables: [String: String] = [:]) {
        self.variables = variables
    }

    /// The value of `name`, or nil when unset or empty (AWS SDKs treat empty as unset).
    public subscript(_ name: String) -> String? {
        guard let value = variables[name]?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return value
    }

    func flag(_ name: String) -> Bool { self[name]?.lowercased() == "true" }

    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    public var region: String? { self["AWS_REGION"] ?? self["AWS_DEFAULT_REGION"] }
    public var useFIPSEndpoint: Bool { flag("AWS_USE_FIPS_ENDPOINT") }
    public var useDualStackEndpoint: Bool { flag("AWS_USE_DUALSTACK_ENDPOINT") }
    /// `AWS_STS_REGIONAL_ENDPOINTS=legacy` sends the legacy regions to the global endpoint; default regional.
    public var stsRegionalEndpoints: Bool { self["AWS_STS_REGIONAL_ENDPOINTS"]?.lowercased() != "legacy" }
    /// `AWS_ENDPOINT_URL_<SERVICE>` then `AWS_ENDPOINT_URL`; `serviceID` is e.g. `ECR`, `ECR_PUBLIC`, `STS`.
    public func endpointOverride(serviceID: String) -> String? {
        self["AWS_ENDPOINT_URL_\(serviceID)"] ?? self["AWS_ENDPOINT_URL"]
    }
}
