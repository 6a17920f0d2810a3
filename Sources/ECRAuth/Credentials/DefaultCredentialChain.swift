import FoundationEssentials

/// The operator's own identity, resolved like botocore's default chain: environment keys, a profile that
/// assumes a role, web identity (IRSA) from the environment, profile keys, container / Pod Identity, IMDS.
/// The first source that yields credentials is kept for later calls; each source is cached and refreshed
/// ahead of expiry.
public actor DefaultCredentialChain: AWSCredentialProvider {
    public nonisolated let identity: String
    /// The candidate sources in order, with the name the error message uses.
    private let candidates: [(name: String, provider: any AWSCredentialProvider)]
    private var resolved: (any AWSCredentialProvider)?

    public init(candidates: [(name: String, provider: any AWSCredentialProvider)], identity: String = "default-chain") {
        self.candidates = candidates
        self.identity = identity
    }

    /// Builds the chain from the environment value; reads the shared files once, now.
    public init(
        environment: AWSEnvironment, client: AWSClient, now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        var list: [(String, any AWSCredentialProvider)] = []
        let endpoints = EndpointResolver(environment: environment)
        let sts = STSClient(client: client, endpoints: endpoints)
        let region = environment.region ?? "us-east-1"
        let env = EnvironmentCredentialProvider(environment: environment)
        if env.isConfigured { list.append(("environment", env)) }
        let shared = SharedFilesCredentialProvider(environment: environment, client: client)
        if shared.isConfigured, shared.assumesRole {
            list.append(("shared config (assume role)", shared.cached(now: now)))
        }
        if let web = WebIdentityCredentialProvider(environment: environment, sts: sts, region: region) {
            list.append(("web identity", web.cached(now: now)))
        }
        if shared.isConfigured, !shared.assumesRole { list.append(("shared files", shared.cached(now: now))) }
        if let container = try ContainerCredentialProvider(environment: environment, client: client) {
            list.append(("container", container.cached(now: now)))
        }
        if let imds = IMDSCredentialProvider(environment: environment, client: client) {
            list.append(("instance metadata", imds.cached(now: now)))
        }
        self.init(candidates: list)
    }

    /// Names of the sources in the order they are tried (for startup logs).
    public nonisolated var sourceNames: [String] { candidates.map(\.name) }

    public func credentials() async throws -> AWSCredentials {
        if let resolved { return try await resolved.credentials() }
        var failures: [String] = []
        for candidate in candidates {
            do {
                let credentials = try await candidate.provider.credentials()
                resolved = candidate.provider
                return credentials
            } catch let error as AWSError {
                failures.append("\(candidate.name): \(error.code): \(error.message)")
            } catch {
                failures.append("\(candidate.name): \(error)")
            }
        }
        throw AWSError(
            code: "CredentialsNotFound",
            message: failures.isEmpty
                ? "no AWS credential source is configured (environment, shared files, web identity, container, IMDS)"
                : "no AWS credential source worked: " + failures.joined(separator: "; "),
            kind: .credentialsUnavailable)
    }

    public func invalidate() async {
        await resolved?.invalidate()
    }
}
