import CRDModels
import FoundationEssentials

/// Docker registry hosts for ECR (docs/PROTOCOLS.md 1.3): what goes into `.dockerconfigjson`.
public enum RegistryHost {
    /// The ECR Public registry.
    public static let ecrPublic = "public.ecr.aws"

    /// `<acct>.dkr.ecr[-fips].<region>.<suffix>`; dual-stack `<acct>.dkr-ecr[-fips].<region>.on.aws`
    /// (China dual-stack `<acct>.dkr.ecr.<region>.on.amazonwebservices.com.cn`, as the credential helper has it).
    public static func privateRegistry(
        accountID: String, region: String, fips: Bool = false, dualStack: Bool = false
    ) -> String {
        let partition = AWSPartition.endpoints(region: region)
        let fipsSuffix = fips ? "-fips" : ""
        if dualStack {
            let label = partition == .awsCN ? "dkr.ecr" : "dkr-ecr"
            return "\(accountID).\(label)\(fipsSuffix).\(region).\(partition.dualStackRegistrySuffix)"
        }
        return "\(accountID).dkr.ecr\(fipsSuffix).\(region).\(partition.dnsSuffix)"
    }

    /// The registry host for `accountID` in `region`, honouring the environment's FIPS / dual-stack switches.
    public static func privateRegistry(accountID: String, region: String, environment: AWSEnvironment) -> String {
        privateRegistry(
            accountID: accountID, region: region, fips: environment.useFIPSEndpoint,
            dualStack: environment.useDualStackEndpoint)
    }

    /// The parts of an ECR registry host, or nil when `host` is not one.
    public struct Parsed: Sendable, Hashable {
        public var accountID: String
        public var region: String
        public var fips: Bool
    }

    private static let suffixes = [
        "amazonaws.com.cn", "amazonaws.com", "amazonaws.eu", "on.aws", "on.amazonwebservices.com.cn",
        "sc2s.sgov.gov", "c2s.ic.gov", "cloud.adc-e.uk", "csp.hci.ic.gov",
    ]

    /// Mirrors amazon-ecr-credential-helper's registry regex, without a regex engine.
    public static func parse(_ host: String) -> Parsed? {
        var rest = Substring(host.lowercased())
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let suffix = suffixes.first(where: { rest.hasSuffix("." + $0) }) else { return nil }
        rest = rest.dropLast(suffix.count + 1)
        let labels = rest.split(separator: ".", omittingEmptySubsequences: false)
        let account: Substring
        let service: String
        let region: Substring
        switch labels.count {
        case 4 where labels[1] == "dkr":  // acct.dkr.ecr[-fips].region
            (account, service, region) = (labels[0], String(labels[2]), labels[3])
        case 3:  // acct.dkr-ecr[-fips].region
            (account, service, region) = (
                labels[0], String(labels[1]).replacing("dkr-", with: ""), labels[2]
            )
        default:
            return nil
        }
        guard account.count == 12, account.allSatisfy(\.isNumber), service == "ecr" || service == "ecr-fips",
            !region.isEmpty
        else { return nil }
        return Parsed(accountID: String(account), region: String(region), fips: service == "ecr-fips")
    }
}
