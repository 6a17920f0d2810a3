import ArgumentParser
import CRDModels
import Foundation
import HTTPClient
import HTTPServer
import KubeTestSupport
import Logging
import Webhook

/// `ecr-bench webhook`: AdmissionReview latency at a steady rate over keep-alive TLS connections.
///
/// The webhook runs in this process with TLS on loopback; `CurlHTTPClient` sends CREATE reviews (half
/// allowed, half denied) on a fixed schedule. Latency is measured from each request's scheduled start, so a
/// stall shows up in the percentiles instead of silently lowering the rate (no coordinated omission).
struct WebhookBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "AdmissionReview latency over keep-alive HTTPS connections.")

    @Option(help: "Requests per second.")
    var rate: Int = 200

    @Option(help: "Seconds to measure (after warm-up).")
    var duration: Double = 10

    @Option(help: "Seconds of warm-up, not measured.")
    var warmup: Double = 1

    @Option(help: "Keep-alive connections the client may open.")
    var connections: Int = 4

    @Option(help: "Existing resources the claim lookup returns for each review.")
    var existingResources: Int = 100

    func validate() throws {
        guard rate > 0, duration > 0, warmup >= 0, connections > 0, existingResources >= 0 else {
            throw ValidationError("--rate, --duration and --connections must be positive")
        }
    }

    func run() async throws {
        var logger = Logger(label: "bench.webhook")
        logger.logLevel = .warning
        let certificates = try TestCertificates.makeCA()
        defer { certificates.remove() }
        let pair = try certificates.server()
        let store = try CertificateStore(
            source: .memory(certificatePEM: pair.certificatePEM, privateKeyPEM: pair.keyPEM), logger: logger)
        let claims = (0..<existingResources).map { index in
            SecretClaim(
                kind: "AWSECRImagePullSecret", name: "existing-\(index)", namespace: "team-\(index % 10)",
                secretName: "ecr-login-\(index)", targetNamespaces: ["team-\(index % 10)"])
        }
        let server = WebhookServer.make(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, tls: store, name: "webhook"),
            ambientPolicy: .clusterOnly, claims: StaticSecretClaimLookup(claims), logger: logger)
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let port = try await server.localPort()
        let client = CurlHTTPClient(
            configuration: .init(
                tls: TLSConfiguration(caPEM: certificates.ca.certificatePEM), maxConnectionsPerHost: connections))
        let url = "https://127.0.0.1:\(port)\(WebhookKind.namespaced.path)"
        let bodies = [Self.review(uid: "allowed", region: "us-west-2"), Self.review(uid: "denied", region: "")]

        print("webhook benchmark: \(rate) req/s for \(duration) s over \(connections) keep-alive TLS connection(s)")
        _ = try await drive(client: client, url: url, bodies: bodies, count: Int(warmup * Double(rate)))
        let started = ContinuousClock.now
        let result = try await drive(client: client, url: url, bodies: bodies, count: Int(duration * Double(rate)))
        let elapsed = ContinuousClock.now - started
        print(result.summary(elapsed: elapsed))
        print("TLS connections accepted by the server: \(server.acceptedConnectionCount)")
        server.shutdownGracefully()
        _ = try? await serving.value
        if result.failures > 0 { throw ExitCode(1) }
    }

    struct Result {
        var latencies: [Duration]
        var failures: Int
        var firstFailure: String?

        func summary(elapsed: Duration) -> String {
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> String {
                guard !sorted.isEmpty else { return "-" }
                let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
                return Self.milliseconds(sorted[max(index, 0)])
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let throughput = Double(latencies.count) / max(seconds, 1e-9)
            var lines = [
                "requests: \(latencies.count) ok, \(failures) failed",
                String(format: "throughput: %.1f req/s", throughput),
                "latency: p50 \(percentile(0.50)) ms, p90 \(percentile(0.90)) ms, p99 \(percentile(0.99)) ms, "
                    + "max \(sorted.last.map(Self.milliseconds) ?? "-") ms",
            ]
            if let firstFailure { lines.append("first failure: \(firstFailure)") }
            return lines.joined(separator: "\n")
        }

        static func milliseconds(_ duration: Duration) -> String {
            let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
            return String(format: "%.2f", ms)
        }
    }

    /// Sends `count` requests on the steady schedule and collects their latencies.
    private func drive(client: CurlHTTPClient, url: String, bodies: [Data], count: Int) async throws -> Result {
        let interval = Duration.seconds(1) / rate
        let start = ContinuousClock.now
        return await withTaskGroup(of: (Duration?, String?).self) { group in
            for index in 0..<count {
                let scheduled = start + interval * index
                try? await Task.sleep(until: scheduled, clock: .continuous)
                let body = bodies[index % bodies.count]
                group.addTask {
                    let request = HTTPRequest(
                        method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/json")],
                        body: body, timeout: .seconds(10))
                    do {
                        let response = try await client.send(request)
                        guard response.status == 200, response.body.count > 0 else {
                            return (nil, "HTTP \(response.status)")
                        }
                        return (ContinuousClock.now - scheduled, nil)
                    } catch {
                        return (nil, "\(error)")
                    }
                }
            }
            var result = Result(latencies: [], failures: 0)
            result.latencies.reserveCapacity(count)
            for await (latency, failure) in group {
                if let latency {
                    result.latencies.append(latency)
                } else {
                    result.failures += 1
                    if result.firstFailure == nil { result.firstFailure = failure }
                }
            }
            return result
        }
    }

    /// A CREATE review of an AWSECRImagePullSecret; an empty region makes it one that is denied.
    static func review(uid: String, region: String) -> Data {
        let json = """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"\(uid)",
            "kind":{"group":"ecr.pullsecrets.dev","version":"v1alpha1","kind":"AWSECRImagePullSecret"},
            "resource":{"group":"ecr.pullsecrets.dev","version":"v1alpha1","resource":"awsecrimagepullsecrets"},
            "name":"bench","namespace":"team-a","operation":"CREATE","userInfo":{"username":"bench"},
            "object":{"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"AWSECRImagePullSecret",
            "metadata":{"name":"bench","namespace":"team-a"},
            "spec":{"secretName":"ecr-login","awsAccess":{"region":"\(region)","secretRef":{"name":"aws-creds"}},
            "registries":[{"accountID":"123456789012"}]}},"oldObject":null,"dryRun":false}}
            """
        return Data(json.utf8)
    }
}
