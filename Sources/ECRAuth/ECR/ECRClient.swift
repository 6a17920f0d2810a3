import FoundationEssentials
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

    /// ECR answers at most this many `registryIds` per `GetAuthorizationToken` (PROTOCOLS 1.1).
    public static let maxRegistryIDsPerCall = 10

    /// One authorization per registry: the caller's default registry when `registryIDs` is empty, otherwise
    /// one per id. ECR takes 1...10 ids per call (the list is deprecated by AWS but still answered per id), so
    /// longer lists go out in batches of 10, one after another; any failed batch fails the whole request.
    public func getAuthorizationToken(
        region: String, registryIDs: [String] = [], credentials: any AWSCredentialProvider
    ) async throws -> [ECRAuthorization] {
        if registryIDs.isEmpty {
            return try await getAuthorizationTokenBatch(region: region, body: Data("{}".utf8), credentials: credentials)
        }
        var authorizations: [ECRAuthorization] = []
        for start in stride(from: 0, to: registryIDs.count, by: Self.maxRegistryIDsPerCall) {
            let batch = Array(registryIDs[start..<min(start + Self.maxRegistryIDsPerCall, registryIDs.count)])
            let body = try JSONEncoder().encode(["registryIds": batch])
            authorizations += try await getAuthorizationTokenBatch(region: region, body: body, credentials: credentials)
        }
        return authorizations
    }

    private func getAuthorizationTokenBatch(region: String, body: Data, credentials: any AWSCredentialProvider)
        async throws -> [ECRAuthorization]
    {
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
        if let scheme = host.firstRange(of: "://") { host = host[scheme.upperBound...] }
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
