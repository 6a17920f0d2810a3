import ECRAuth
import FoundationEssentials
import HTTPClient
import Logging

/// `TokenSource` over ECRAuth: credentials from the shared `CredentialProviderPool` (assumed-role
/// sessions reused across reconciles), tokens from the shared single-flight `ECRTokenCache`, so
/// resources with the same credential identity, region and endpoint share one AWS call per refresh.
public struct ECRTokenSource: TokenSource {
    public let cache: ECRTokenCache
    public let pool: CredentialProviderPool

    public init(cache: ECRTokenCache, pool: CredentialProviderPool) {
        self.cache = cache
        self.pool = pool
    }

    /// The production wiring: libcurl transport, endpoint overrides and the operator's own identity
    /// (default chain: environment, shared files, IRSA, Pod Identity, IMDS) from `environment`.
    /// `refresh` should be the reconcilers' policy (`OperatorSettings.refresh`), so the cache replaces a
    /// token when they expect a new one.
    public static func make(
        environment: [String: String], transport: (any HTTPTransport)? = nil, refresh: RefreshPolicy = RefreshPolicy(),
        retryPolicy: RetryPolicy = .default, logger: Logger
    ) -> ECRTokenSource {
        let awsEnvironment = AWSEnvironment(environment)
        let client = AWSClient(
            transport: transport ?? CurlHTTPClient(configuration: .init()), retryPolicy: retryPolicy, logger: logger)
        let endpoints = EndpointResolver(environment: awsEnvironment)
        let ambient: any AWSCredentialProvider
        do {
            ambient = try DefaultCredentialChain(environment: awsEnvironment, client: client)
        } catch {
            // Resources that rely on the operator's identity will report this error in their status.
            logger.warning("the operator's own AWS identity is unavailable", metadata: ["error": "\(error)"])
            ambient = DefaultCredentialChain(candidates: [])
        }
        let sts = STSClient(client: client, endpoints: endpoints)
        return ECRTokenSource(
            cache: ECRTokenCache(ecr: ECRClient(client: client, endpoints: endpoints), policy: refresh, logger: logger),
            pool: CredentialProviderPool(sts: sts, ambient: ambient))
    }

    public func tokens(for requests: TokenRequests, credentials: ResolvedCredentials, notBefore: Date?) async throws
        -> [IssuedToken]
    {
        let keys: AWSCredentials?
        switch credentials.source {
        case .keys(let id, let secret, let session):
            keys = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: session)
        case .ambient:
            keys = nil
        }
        let stsRegion = requests.regional.first?.region ?? EndpointResolver.ecrPublicRegion
        let provider = await pool.provider(
            keys: keys, roleARN: credentials.roleARN, externalID: credentials.externalID, region: stsRegion)
        var issued: [IssuedToken] = []
        func fetch(region: String, registryIDs: [String], isPublic: Bool) async throws {
            do {
                let token = try await cache.token(
                    credentials: provider, region: region, registryIDs: registryIDs, isPublic: isPublic,
                    notBefore: notBefore)
                for authorization in token.authorizations {
                    issued.append(
                        IssuedToken(
                            credential: RegistryCredential(
                                host: authorization.registryHost, username: authorization.username,
                                password: authorization.password),
                            expiresAt: authorization.expiresAt, obtainedAt: token.fetchedAt))
                }
            } catch let error as AWSError {
                throw Self.map(error)
            }
        }
        for regional in requests.regional {
            try await fetch(region: regional.region, registryIDs: regional.registryIDs, isPublic: false)
        }
        if requests.ecrPublic {
            try await fetch(region: EndpointResolver.ecrPublicRegion, registryIDs: [], isPublic: true)
        }
        return issued
    }

    static func map(_ error: AWSError) -> TokenSourceError {
        let reason: TokenSourceError.Reason =
            (error.api ?? "").hasPrefix("sts:") ? .assumeRoleFailed : .tokenRequestFailed
        return TokenSourceError(
            reason: reason, message: error.description, retryAfter: error.kind == .throttling ? .seconds(30) : nil)
    }
}
