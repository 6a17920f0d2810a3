import FoundationEssentials
import HTTPClient
import Logging

extension KubeClient {
    /// The libcurl client's loop thread as a task executor (`CurlHTTPClient.taskExecutor`); nil over another
    /// transport.
    public var transportExecutor: (any TaskExecutor)? { (transport as? CurlHTTPClient)?.taskExecutor }

    /// A client over libcurl (`CurlHTTPClient`) with `config`'s TLS settings. At most
    /// `maxConcurrentRequests` requests are in flight (the limiter). Over HTTP/1.1, as client-go's own
    /// transport does when HTTP/2 is off: each request and each watch on a connection of its own, with no
    /// per-host connection limit, so watches (one per referenced credentials Secret, besides the informers')
    /// never leave requests waiting for a connection. Not HTTP/2: against kube-apiserver (1.20.2,
    /// `hack/real-apiserver.sh`) libcurl 7.88.1 stalled a paginated LIST of namespaces multiplexed beside three
    /// idle watches after its first 16 KiB, every time, until the 30 s request timeout; over HTTP/1.1 the same
    /// list completes.
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
            configuration: CurlHTTPClient.Configuration(tls: tls, maxConnectionsPerHost: 0, http2: false))
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
