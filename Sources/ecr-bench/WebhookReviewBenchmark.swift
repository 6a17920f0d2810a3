import ArgumentParser
import CRDModels
import Foundation
import Webhook

/// `ecr-bench webhook-review`: the CPU time (of this thread) of one AdmissionReview's stages in this process,
/// without HTTP or TLS: decoding (`AdmissionReviewer.parse`), the decision, and the encoded answer. Steadier than
/// the HTTP benchmark on a shared machine, so it shows what a change to decoding or validation is worth.
struct WebhookReviewBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-review", abstract: "CPU time per AdmissionReview stage, in process.")

    @Option(help: "An AdmissionReview JSON file (default: a CREATE like the recorded one).")
    var body: String?

    @Option(help: "Iterations per stage.")
    var iterations: Int = 20000

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
        measure("parse") { _ = try? AdmissionReviewer.parse(review, for: .namespaced) }
        measure("decide") { _ = AdmissionReviewer.decide(parsed, ambientPolicy: .clusterOnly, existingClaims: claims) }
        measure("encode") { _ = AdmissionReview.encoded(response: response) }
    }

    private func measure(_ name: String, _ body: () -> Void) {
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
