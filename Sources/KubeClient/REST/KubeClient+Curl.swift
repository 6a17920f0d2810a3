import FoundationEssentials
import HTTPClient
import Logging

extension KubeClient {
    /// A client over libcurl (`CurlHTTPClient`) with `config`'s TLS settings. At most
    /// `maxConcurrentRequests` requests are in flight (the limiter), over at most as many connections
    /// per host (HTTP/2 multiplexes them over one when the server offers it).
    public convenience init(
        config: KubeConfig, maxConcurrentRequests: Int = 32, requestTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "kube-client")
    ) {
        self.init(
            config: config, tls: config.tls, credentials: CredentialProvider(auth: config.auth),
            maxConcurrentRequests: maxConcurrentRequests, requestTimeout: requestTimeout, logger: logger)
    }

    private convenience init(
        config: KubeConfig, tls: TLSConfiguration, credentials: CredentialProvider, maxConcurrentRequests: Int,
        requestTimeout: Duration, logger: Logger
    ) {
        let transport = CurlHTTPClient(
            configuration: CurlHTTPClient.Configuration(tls: tls, maxConnectionsPerHost: maxConcurrentRequests))
        self.init(
            config: config, transport: transport, maxConcurrentRequests: maxConcurrentRequests,
            requestTimeout: requestTimeout, credentials: credentials, logger: logger)
    }

    /// Like the libcurl initializer, but first runs an exec plugin when the configuration uses one,
    /// so a plugin that returns a client certificate (instead of a token) is honoured. The
    /// certificate is fixed for the client's life: rotating it means making a new client.
    public static func connect(
        config: KubeConfig, maxConcurrentRequests: Int = 32, requestTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "kube-client")
    ) async throws -> KubeClient {
        let credentials = CredentialProvider(auth: config.auth)
        var tls = config.tls
        if let (certificate, key) = try await credentials.execClientCertificate(), tls.clientCertificatePEM == nil {
            tls.clientCertificatePEM = certificate
            tls.clientKeyPEM = key
        }
        return KubeClient(
            config: config, tls: tls, credentials: credentials, maxConcurrentRequests: maxConcurrentRequests,
            requestTimeout: requestTimeout, logger: logger)
    }
}
