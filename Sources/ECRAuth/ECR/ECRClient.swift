import Foundation
import HTTPClient

/// ECR and ECR Public `GetAuthorizationToken` (AWS JSON 1.1; docs/PROTOCOLS.md 1.1 and 1.4).
public struct ECRClient: Sendable {
    public var client: AWSClient
    public var endpoints: EndpointResolver

    public init(client: AWSClient, endpoints: EndpointResolver) {
        self.client = client
        self.endpoints = endpoints
    }

    public static let privateAPI = "ecr:GetAuthorizationToken"
    public static let publicAPI = "ecr-public:GetAuthorizationToken"

    /// One authorization per registry: the caller's default registry when `registryIDs` is empty, otherwise
    /// one per id (ECR allows 1...10 ids; the list is deprecated by AWS but still answered per id).
    public func getAuthorizationToken(
        region: String, registryIDs: [String] = [], credentials: any AWSCredentialProvider
    ) async throws -> [ECRAuthorization] {
        guard registryIDs.count <= 10 else {
            throw AWSError(
                code: "InvalidParameter", message: "registryIds: at most 10 ids per call, got \(registryIDs.count)",
                kind: .invalidParameter, api: Self.privateAPI)
        }
        let body: Data
        if registryIDs.isEmpty {
            body = Data("{}".utf8)
        } else {
            body = try JSONEncoder().encode(["registryIds": registryIDs])
        }
        let operation = AWSClient.Operation(
            api: Self.privateAPI, endpoint: endpoints.ecr(region: region),
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-1.1"),
                HTTPHeader("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"),
            ],
            body: body)
        let response = try await client.send(operation, credentials: credentials)
        return try Self.parsePrivate(response.body, region: region, environment: endpoints.environment)
    }

    /// The ECR Public token for `public.ecr.aws` (always via us-east-1).
    public func getPublicAuthorizationToken(credentials: any AWSCredentialProvider) async throws -> ECRAuthorization {
        let operation = AWSClient.Operation(
            api: Self.publicAPI, endpoint: endpoints.ecrPublic(),
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-1.1"),
                HTTPHeader("X-Amz-Target", "SpencerFrontendService.GetAuthorizationToken"),
            ],
            body: Data("{}".utf8))
        let response = try await client.send(operation, credentials: credentials)
        return try Self.parsePublic(response.body)
    }

    // MARK: - Response parsing (pure)

    /// `expiresAt` is a JSON number of epoch seconds: integer, fractional or exponent form; Double takes all.
    struct AuthorizationData: Decodable {
        var authorizationToken: String
        var expiresAt: Double
        var proxyEndpoint: String?
    }

    struct PrivateResponse: Decodable { var authorizationData: [AuthorizationData] }
    struct PublicResponse: Decodable { var authorizationData: AuthorizationData }

    static func parsePrivate(_ body: Data, region: String, environment: AWSEnvironment = AWSEnvironment())
        throws -> [ECRAuthorization]
    {
        let decoded: PrivateResponse
        do {
            decoded = try JSONDecoder().decode(PrivateResponse.self, from: body)
        } catch {
            throw malformed(api: privateAPI, error)
        }
        guard !decoded.authorizationData.isEmpty else {
            throw AWSError(
                code: "MalformedResponse", message: "authorizationData is empty", kind: .malformed, api: privateAPI)
        }
        return try decoded.authorizationData.map { item in
            guard let endpoint = item.proxyEndpoint, let host = registryHost(fromProxyEndpoint: endpoint) else {
                throw AWSError(
                    code: "MalformedResponse", message: "authorizationData entry has no usable proxyEndpoint",
                    kind: .malformed, api: privateAPI)
            }
            return try ECRAuthorization(
                registryHost: host, token: item.authorizationToken,
                expiresAt: Date(timeIntervalSince1970: item.expiresAt), api: privateAPI)
        }
    }

    static func parsePublic(_ body: Data) throws -> ECRAuthorization {
        let decoded: PublicResponse
        do {
            decoded = try JSONDecoder().decode(PublicResponse.self, from: body)
        } catch {
            throw malformed(api: publicAPI, error)
        }
        return try ECRAuthorization(
            registryHost: RegistryHost.ecrPublic, token: decoded.authorizationData.authorizationToken,
            expiresAt: Date(timeIntervalSince1970: decoded.authorizationData.expiresAt), api: publicAPI)
    }

    /// `https://123456789012.dkr.ecr.us-west-2.amazonaws.com` → the host (with a port, if any).
    static func registryHost(fromProxyEndpoint endpoint: String) -> String? {
        var host = Substring(endpoint)
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        return host.isEmpty ? nil : String(host)
    }

    /// Decoding errors keep their coding path, never the body (it holds the token).
    static func malformed(api: String, _ error: any Error) -> AWSError {
        let detail: String
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            detail = "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            detail = "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted(let context)?:
            detail = "not valid JSON at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default:
            detail = "undecodable body"
        }
        return AWSError(
            code: "MalformedResponse", message: "GetAuthorizationToken response: \(detail)", kind: .malformed,
            api: api)
    }
}
