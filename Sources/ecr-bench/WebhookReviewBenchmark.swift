import ArgumentParser
import CRDModels
import Foundation
import HTTPServer
import Logging
import Webhook

/// `ecr-bench webhook-review`: the CPU time (of this thread) of one AdmissionReview's stages in this process,
/// without HTTP or TLS: decoding (`AdmissionReviewer.parse`), the decision, the encoded answer, and `review`, the
/// whole handler as the server calls it (routing, parse, claim lookup, decision, log call, encoding, response
/// headers). Steadier than the HTTP benchmark on a shared machine, so it shows what a change to decoding or
/// validation is worth; `--stages` runs a subset, e.g. to count one stage's allocations with `perf stat`.
struct WebhookReviewBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-review", abstract: "CPU time per AdmissionReview stage, in process.")

    @Option(help: "An AdmissionReview JSON file (default: a CREATE like the recorded one).")
    var body: String?

    @Option(help: "Iterations per stage.")
    var iterations: Int = 20000

    @Option(help: "The stages to run, comma-separated, of parse, decide, encode, review.")
    var stages: String = "parse,decide,encode,review"

    func run() throws {
        let review = try body.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
            ?? WebhookBenchmark.review(uid: "6c1f0a3e-0000-4000-8000-000000000003", region: "us-west-2")
        let parsed = try AdmissionReviewer.parse(review, for: .namespaced)
        let claims: Result<[SecretClaim], any Error> = .success(
            (0..<100).map { index in
                SecretClaim(
                    kind: "AWSECRImagePullSecret", name: "existing-\(index)", namespace: "team-\(index % 10)",
                    secretName: "ecr-login-\(index)", targetNamespaces: ["team-\(index % 10)"])
            })
        let response = AdmissionReviewer.decide(parsed, ambientPolicy: .clusterOnly, existingClaims: claims)
        print("webhook-review: \(review.count) byte review, \(iterations) iterations per stage, "
            + "allowed: \(response.allowed)")
        // The claims the webhook's cache index hands a review: those of the request's namespace.
        var logger = Logger(label: "bench.webhook-review")
        logger.logLevel = .warning
        let webhook = AdmissionWebhook(
            ambientPolicy: .clusterOnly, claims: StaticSecretClaimLookup(try claims.get()), logger: logger)
        let request = HTTPServerRequest(
            method: "POST", target: WebhookKind.namespaced.path, headers: ["Content-Type": "application/json"],
            body: review)
        measure("parse") { _ = try? AdmissionReviewer.parse(review, for: .namespaced) }
        measure("decide") { _ = AdmissionReviewer.decide(parsed, ambientPolicy: .clusterOnly, existingClaims: claims) }
        measure("encode") { _ = AdmissionReview.encoded(response: response) }
        measure("review") { _ = webhook.handle(request) }
    }

    private func measure(_ name: String, _ body: () -> Void) {
        guard stages.split(separator: ",").contains(Substring(name)) else { return }
        for _ in 0..<min(iterations, 1000) { body() }
        // This thread's CPU time, not the wall clock: other processes on a shared machine do not count.
        func cpuNanoseconds() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
        }
        let start = cpuNanoseconds()
        for _ in 0..<iterations { body() }
        print(String(format: "%@: %.2f us", name, (cpuNanoseconds() - start) / Double(iterations) / 1000))
    }
}
