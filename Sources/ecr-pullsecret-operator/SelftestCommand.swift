import ArgumentParser
import FoundationEssentials
import HTTPClient

/// `ecr-pullsecret-operator selftest`: what the chart's `helm test` hook runs. Checks, from inside the
/// cluster, that the operator answers `/readyz` with 200 through its Service and that the webhook's
/// Service serves TLS that verifies against the CA the API server uses, for the Service's DNS name.
/// Prints one line per check and exits non-zero, naming what failed, when any check fails.
struct SelftestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check an installed operator: /readyz through its Service and the webhook's TLS endpoint.")

    @Option(help: "URL of the operator's /readyz (e.g. http://NAME-metrics.NAMESPACE.svc:8080/readyz).")
    var readyzURL: String

    @Option(help: "HTTPS URL of the webhook's /healthz (e.g. https://NAME-webhook.NAMESPACE.svc:443/healthz).")
    var webhookURL: String?

    @Option(help: "PEM file of the CA the webhook's certificate must verify against.")
    var webhookCAFile: String?

    @Option(help: "The same CA as base64 of the PEM (the chart's webhook.tls.caBundle).")
    var webhookCABundle: String?

    @Option(help: "Seconds each check may take, retries included.")
    var timeout: Int = 60

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        var failures: [String] = []
        let plain = CurlHTTPClient()
        if let problem = await check("operator /readyz", url: readyzURL, client: plain) { failures.append(problem) }
        if let webhookURL {
            let ca = try loadCA()
            let client = CurlHTTPClient(configuration: .init(tls: TLSConfiguration(caPEM: ca)))
            if let problem = await check("webhook TLS /healthz", url: webhookURL, client: client) {
                failures.append(problem)
            }
        }
        guard failures.isEmpty else {
            throw Failure(description: "selftest failed: " + failures.joined(separator: "; "))
        }
        print("selftest passed")
    }

    private func loadCA() throws -> Data? {
        if let webhookCAFile {
            guard let pem = FileManager.default.contents(atPath: webhookCAFile) else {
                throw ValidationError("--webhook-ca-file: cannot read \(webhookCAFile)")
            }
            return pem
        }
        if let webhookCABundle {
            guard let pem = Data(base64Encoded: webhookCABundle, options: .ignoreUnknownCharacters) else {
                throw ValidationError("--webhook-ca-bundle must be base64 of a PEM CA certificate")
            }
            return pem
        }
        return nil
    }

    /// Retries until 200 or the timeout (a fresh install may still be starting); nil when it passed.
    private func check(_ name: String, url: String, client: CurlHTTPClient) async -> String? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var last = ""
        while true {
            do {
                let response = try await client.send(HTTPRequest(url: url, timeout: .seconds(5)))
                if response.status == 200 {
                    print("ok: \(name) at \(url)")
                    return nil
                }
                let body = String(decoding: response.body.prefix(200), as: UTF8.self)
                last = "\(name) at \(url) answered \(response.status): \(body)"
            } catch {
                last = "\(name) at \(url) failed: \(error)"
            }
            if ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: .seconds(2))
        }
        print("FAIL: \(last)")
        return last
    }
}
