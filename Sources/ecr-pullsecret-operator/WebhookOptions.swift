import ArgumentParser
import CRDModels
import HTTPServer
import KubeClient
import Logging
import ServiceLifecycle
import Webhook

/// The webhook's flags, included in the root command with `@OptionGroup`.
///
/// Defaults follow controller-runtime's webhook server (port 9443, certificates in
/// `/tmp/k8s-webhook-server/serving-certs`) so manifests written for kubebuilder operators fit.
struct WebhookOptions: ParsableArguments {
    @Option(name: .customLong("webhook"), help: "Serve the validating admission webhook (true or false).")
    var enabled: Bool = true

    @Option(name: .customLong("webhook-port"), help: "Port of the webhook's HTTPS listener.")
    var port: Int = 9443

    @Option(name: .customLong("webhook-bind-address"), help: "Address the webhook listens on.")
    var bindAddress: String = "0.0.0.0"

    @Option(
        name: .customLong("webhook-cert-dir"),
        help: "Directory holding tls.crt and tls.key (reloaded when they change).")
    var certDirectory: String = "/tmp/k8s-webhook-server/serving-certs"

    @Option(name: .customLong("webhook-cert-poll-interval"), help: "How often to re-read the certificate files.")
    var certPollInterval: DurationArgument = DurationArgument(.seconds(10))

    @Option(name: .customLong("webhook-max-body-bytes"), help: "Largest AdmissionReview accepted (413 beyond).")
    var maxBodyBytes: Int = 256 * 1024

    @Option(
        name: .customLong("webhook-max-inflight-bytes"),
        help: "Request body bytes all connections may hold at once; a request beyond it is answered 503 unread.")
    var maxInFlightBytes: Int = 16 * 1024 * 1024

    @Option(
        name: .customLong("webhook-max-pipelined-requests"),
        help: "Requests a connection may send ahead of the one being answered (more closes it).")
    var maxPipelinedRequests: Int = 1

    @Option(name: .customLong("webhook-header-timeout"), help: "Time allowed to read request headers (e.g. 10s).")
    var headerTimeout: DurationArgument = DurationArgument(.seconds(10))

    @Option(name: .customLong("webhook-body-timeout"), help: "Time allowed to read a request body.")
    var bodyTimeout: DurationArgument = DurationArgument(.seconds(30))

    @Option(name: .customLong("webhook-idle-timeout"), help: "How long an idle keep-alive connection stays open.")
    var idleTimeout: DurationArgument = DurationArgument(.seconds(90))

    @Option(name: .customLong("webhook-max-connections"), help: "Connections beyond this are refused.")
    var maxConnections: Int = 128

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--webhook-port must be between 0 and 65535, got \(port)")
        }
        guard maxBodyBytes > 0 else { throw ValidationError("--webhook-max-body-bytes must be positive") }
        guard maxConnections > 0 else { throw ValidationError("--webhook-max-connections must be positive") }
        guard maxPipelinedRequests >= 0 else {
            throw ValidationError("--webhook-max-pipelined-requests must be 0 or more, got \(maxPipelinedRequests)")
        }
        guard maxInFlightBytes >= maxBodyBytes else {
            throw ValidationError(
                "--webhook-max-inflight-bytes (\(maxInFlightBytes)) must be at least --webhook-max-body-bytes "
                    + "(\(maxBodyBytes)), or no request of the largest size could ever be read")
        }
    }

    /// The server configuration these flags describe, with TLS loaded from `--webhook-cert-dir`.
    /// Throws when the certificate pair cannot be loaded: the webhook must not start without one.
    func serverConfiguration(logger: Logger) throws -> HTTPServerConfiguration {
        let store = try CertificateStore(
            directory: certDirectory, pollInterval: certPollInterval.duration, logger: logger)
        return HTTPServerConfiguration(
            host: bindAddress, port: port, tls: store, maxBodyBytes: maxBodyBytes,
            headerReadTimeout: headerTimeout.duration, bodyReadTimeout: bodyTimeout.duration,
            idleTimeout: idleTimeout.duration, maxConnections: maxConnections,
            maxPipelinedRequests: maxPipelinedRequests, maxInFlightBodyBytes: maxInFlightBytes, name: "webhook")
    }

    /// The webhook's services for the ServiceGroup (its claim cache, then its HTTPS server), or nil with
    /// `--webhook=false`. The cache runs on every replica, through a client of its own so that its lists and
    /// the reconcilers' requests do not share one request budget.
    func makeServices(
        logger: Logger, config: KubeConfig, watchNamespace: String?, ambientPolicy: AmbientCredentialsPolicy
    ) async throws -> (cache: CachedSecretClaimLookup, services: [any Service])? {
        guard enabled else { return nil }
        var logger = logger
        logger[metadataKey: "component"] = "webhook"
        let client = try await KubeClient.connect(config: config, maxConcurrentRequests: 4, logger: logger)
        let cache = CachedSecretClaimLookup(client: client, namespace: watchNamespace, logger: logger)
        let server = WebhookServer.make(
            configuration: try serverConfiguration(logger: logger), ambientPolicy: ambientPolicy, claims: cache,
            logger: logger)
        return (cache, [ClaimCacheService(cache: cache), server])
    }
}

/// Runs the webhook's claim cache until graceful shutdown.
struct ClaimCacheService: Service {
    let cache: CachedSecretClaimLookup

    func run() async throws {
        await cancelWhenGracefulShutdown { await cache.run() }
    }
}

/// A duration flag: `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.
struct DurationArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var duration: Duration

    init(_ duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = argument
        var scale = 1.0
        for (suffix, factor) in units where argument.hasSuffix(suffix) {
            number = String(argument.dropLast(suffix.count))
            scale = factor
            break
        }
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        duration = .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    var description: String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    var defaultValueDescription: String { description }
}
