// swift-tools-version:6.1
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
]
let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")

let package = Package(
    name: "ecr-pullsecret-operator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ecr-pullsecret-operator", targets: ["ecr-pullsecret-operator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // System libraries from Debian packages, imported through module maps.
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev", "libnghttp2-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),

        // How credential-carrying types print themselves (every module below builds on it).
        .target(name: "Redaction"),
        // The two kinds, the core types they embed, and the pure validation rules. No I/O.
        .target(name: "CRDModels", dependencies: ["Redaction"]),
        // The JSON decoder of API answers, watch events and admission reviews (JSONDecoder's semantics, one scan).
        .target(name: "JSONDecoding", dependencies: ["CRDModels"]),
        // libcurl-based async HTTP client shared by the Kubernetes and AWS clients.
        .target(name: "HTTPClient", dependencies: ["CCurl", "Redaction", log]),
        // Kubernetes configuration, typed REST, watch and informers, events, leases.
        .target(
            name: "KubeClient", dependencies: ["CRDModels", "JSONDecoding", "HTTPClient", "Redaction", log, metrics]),
        // SigV4, credential providers, STS, ECR and ECR Public, the shared token cache.
        .target(
            name: "ECRAuth", dependencies: ["CRDModels", "HTTPClient", "Redaction", "COpenSSL", log, metrics]),
        // A small NIO HTTP/1.1 server with OpenSSL TLS and certificate reloading (webhook, probes, test server).
        .target(
            name: "HTTPServer",
            dependencies: [
                "COpenSSL", "HTTPClient", log, .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + nio),
        // The admission webhook.
        .target(
            name: "Webhook",
            dependencies: ["CRDModels", "JSONDecoding", "KubeClient", "HTTPServer", "Redaction", log, metrics] + nio),
        // Controller runtime and the two reconcilers.
        .target(
            name: "Operator",
            dependencies: [
                "CRDModels", "KubeClient", "ECRAuth", "HTTPServer", "Redaction", log, metrics,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + nio),
        // Kubernetes API test server and moto launcher: tests, benchmarks and the sandbox only.
        .target(
            name: "KubeTestSupport", dependencies: ["CRDModels", "HTTPClient", "HTTPServer", "COpenSSL", "Yams", log] + nio),
        .executableTarget(
            name: "ecr-pullsecret-operator",
            dependencies: [
                "Operator", "Webhook", "KubeClient", "ECRAuth", "HTTPClient", "CRDModels", log, metrics,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // The sandbox: the demo, and the API test server as a process (for the deployment smoke test).
        // Kept apart so the shipping binary links no test code.
        .executableTarget(
            name: "ecr-sandbox",
            dependencies: [
                "Operator", "KubeClient", "ECRAuth", "CRDModels", "KubeTestSupport", log,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]),

        // Benchmarks that print their figures (reconcile fan-out, webhook latency).
        .executableTarget(
            name: "ecr-bench",
            dependencies: [
                "Operator", "Webhook", "KubeClient", "ECRAuth", "KubeTestSupport", "HTTPClient", log,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // What the test targets share: `eventually`, `Locked`, `withTeardown`.
        .target(name: "AsyncTestSupport", path: "Tests/AsyncTestSupport"),
        // Fakes for the reconcilers: an in-memory API and a token source without AWS.
        .target(
            name: "OperatorTestSupport", dependencies: ["AsyncTestSupport", "Operator", "KubeClient", "CRDModels"],
            path: "Tests/OperatorTestSupport"),

        // Fuzzing (hack/fuzz.sh): the targets, the libFuzzer harness (a no-op program in a normal build) and
        // the test that replays their seeds and every saved crashing input.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "CRDModels", "JSONDecoding", "KubeClient", "ECRAuth", "Webhook", "KubeTestSupport", "HTTPClient",
            ],
            path: "Fuzz/FuzzTargets"),
        .target(name: "CFuzzEntry", path: "Fuzz/CFuzzEntry"),
        .executableTarget(name: "ecr-fuzz", dependencies: ["FuzzTargets", "CFuzzEntry"], path: "Fuzz/ecr-fuzz"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"]),

        .testTarget(name: "CRDModelsTests", dependencies: ["CRDModels", "Yams"]),
        // FlatJSONDecoder against JSONDecoder, for every test target that compares the two.
        .target(name: "JSONDecodingTestSupport", dependencies: ["JSONDecoding"], path: "Tests/JSONDecodingTestSupport"),
        .testTarget(name: "JSONDecodingTests", dependencies: ["JSONDecoding", "JSONDecodingTestSupport", "CRDModels"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["AsyncTestSupport", "HTTPClient", "KubeTestSupport"] + nio),
        .testTarget(
            name: "KubeClientTests",
            dependencies: [
                "AsyncTestSupport", "KubeClient", "KubeTestSupport", "CRDModels", "HTTPClient", "Yams",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        // Replays the recorded kube-apiserver corpus (test/kube-api-corpus) against the API test server.
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["KubeTestSupport", "KubeClient", "HTTPClient", "CRDModels", "JSONDecodingTestSupport"]),
        .testTarget(
            name: "ECRAuthTests",
            dependencies: [
                "AsyncTestSupport", "ECRAuth", "HTTPClient", "HTTPServer", "KubeTestSupport", log,
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ] + nio),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: [
                "AsyncTestSupport", "HTTPServer", "HTTPClient", "KubeTestSupport", log,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + nio),
        .testTarget(
            name: "WebhookTests",
            dependencies: [
                "AsyncTestSupport", "Webhook", "CRDModels", "JSONDecoding", "JSONDecodingTestSupport",
                "KubeTestSupport", "HTTPClient", "HTTPServer", "KubeClient", log,
                .product(name: "Prometheus", package: "swift-prometheus"),
            ] + nio),
        .testTarget(
            name: "OperatorTests",
            dependencies: ["AsyncTestSupport", "OperatorTestSupport", "Operator", "CRDModels", "KubeClient", "ECRAuth", log]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "AsyncTestSupport", "OperatorTestSupport", "Operator", "Webhook", "CRDModels", "KubeClient", "ECRAuth", "KubeTestSupport", "HTTPClient", log,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
