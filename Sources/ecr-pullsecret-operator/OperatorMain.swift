import CRDModels
import ECRAuth
import FoundationEssentials
import HTTPServer
import KubeClient
import Logging
import Metrics
import Operator
import Prometheus
import ServiceLifecycle

/// Wires the process: logging and metrics bootstrap, the Kubernetes client, the token cache, the
/// runtime, the probe/metrics listeners and the webhook, all in one `ServiceGroup` that shuts down
/// gracefully on SIGTERM/SIGINT. The only place that reads the environment.
struct OperatorMain {
    let options: OperatorCommand
    let environment: [String: String]

    func run() async throws {
        MemoryTuning.apply()
        let registry = PrometheusCollectorRegistry()
        bootstrapObservability(registry: registry)
        let logger = Logger(label: "ecr-pullsecret-operator")

        let config = try KubeConfig.resolve(
            kubeconfigPath: options.kubeconfig, context: options.context, environment: environment)
        let client = try await KubeClient.connect(config: config, logger: logger)
        var services: [any Service] = []

        let identity = (environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName) + "_" + UUID().uuidString.prefix(8)
        var runtime: OperatorRuntime?
        if options.controllers {
            let leaseNamespace =
                options.leaderElectionNamespace ?? environment["POD_NAMESPACE"] ?? config.namespace
            let settings = OperatorSettings(
                ambientPolicy: options.allowAmbientCredentials,
                defaultRefreshInterval: try parseRefreshInterval(options.defaultRefreshInterval),
                watchNamespace: options.watchNamespace, watchSecrets: options.watchSecrets)
            let events = EventRecorder(
                client: client,
                configuration: .init(component: "ecr-pullsecret-operator", instance: environment["POD_NAME"]),
                logger: logger)
            let tokens = ECRTokenSource.make(environment: environment, logger: logger)
            // Lease requests get a client (and request budget) of their own: reconcile and webhook traffic
            // must not delay a renewal past the renew deadline.
            var leaseClient: KubeClient?
            if options.leaderElect {
                leaseClient = try await KubeClient.connect(config: config, maxConcurrentRequests: 2, logger: logger)
            }
            let made = OperatorRuntime(
                client: client, tokens: tokens, events: events,
                configuration: RuntimeConfiguration(
                    concurrency: options.concurrency, settings: settings,
                    leaderElection: options.leaderElect
                        ? LeaderElectionConfiguration(
                            namespace: leaseNamespace, name: options.leaderElectionId, identity: String(identity),
                            client: leaseClient)
                        : nil),
                logger: logger)
            services.append(made)
            runtime = made
        }
        let webhook = try await options.webhook.makeServices(
            logger: logger, config: config,
            watchNamespace: options.watchNamespace.isEmpty ? nil : options.watchNamespace,
            ambientPolicy: options.allowAmbientCredentials)
        let readyRuntime = runtime
        let webhookCache = webhook?.cache
        let ready: @Sendable () -> Bool = { (readyRuntime?.isReady ?? true) && (webhookCache?.hasSynced ?? true) }
        let metricsText: @Sendable () -> String = {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self) + (readyRuntime?.scrapeTimeMetrics() ?? "")
        }
        let metricsBind = try parseBind(options.metricsBindAddress, flag: "--metrics-bind-address")
        let probeBind = try parseBind(options.healthProbeBindAddress, flag: "--health-probe-bind-address")
        services.append(
            ProbeServer.make(
                host: metricsBind.host, port: metricsBind.port, logger: logger, isReady: ready, metricsText: metricsText))
        if probeBind != metricsBind {
            services.append(
                ProbeServer.make(
                    host: probeBind.host, port: probeBind.port, logger: logger, isReady: ready,
                    metricsText: metricsText))
        }
        services += webhook?.services ?? []
        services.append(MemoryTuning.TrimService(isReady: ready))
        logger.info(
            "starting",
            metadata: [
                "controllers": "\(options.controllers)", "webhook": "\(options.webhook.enabled)",
                "leader.elect": "\(options.leaderElect)",
                "watch.namespace": "\(options.watchNamespace.isEmpty ? "<all>" : options.watchNamespace)",
                "ambient.credentials": "\(options.allowAmbientCredentials.rawValue)",
            ])
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        // All the operator's tasks prefer one thread: its API client's libcurl loop, so a request is submitted, its
        // answer read and the awaiting task resumed without waking another thread (docs/benchmarks.md, "The API
        // client's loop"). The webhook's connections keep their own (the server's event loops), and blocking work
        // (exec plugins) goes to the global pool, as does everything over a transport other than libcurl.
        let executor = client.transportExecutor ?? globalConcurrentExecutor
        try await KubeClient.$taskExecutor.withValue(executor) {
            try await withTaskExecutorPreference(executor) { try await group.run() }
        }
    }

    private func bootstrapObservability(registry: PrometheusCollectorRegistry) {
        options.logFormat.bootstrap(level: options.logLevel)
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[KubeClientMetrics.durationLabel] = KubeClientMetrics.durationBuckets
        MetricsSystem.bootstrap(factory)
        Gauge(label: BuildInfo.metricName, dimensions: [("version", BuildInfo.version), ("commit", BuildInfo.commit)])
            .record(1)
    }
}
