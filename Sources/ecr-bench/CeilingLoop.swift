import CRDModels
import Foundation
import KubeClient
import Synchronization

/// The write ceiling of the benchmark's server: a bare loop of the project's own `KubeClient` at the operator's
/// namespace parallelism (`--concurrency`), N creates of a Secret like the operator's (one in each of the run's N
/// ceiling namespaces, a new name per converge round), and N updates of the first round's per pass. Its time ends
/// when the run's tracker has seen a write of that name in all N namespaces, as the operator's phases do.
final class CeilingLoop: Sendable {
    let run: BenchRun
    let client: KubeClient
    let tracker: SecretTracker
    /// The Secrets as last written (each update is conditional on its resourceVersion).
    private let written: Mutex<[Secret?]>

    private init(run: BenchRun, client: KubeClient, tracker: SecretTracker) {
        self.run = run
        self.client = client
        self.tracker = tracker
        written = Mutex([Secret?](repeating: nil, count: run.options.namespaces))
    }

    static func connect(run: BenchRun, config: KubeConfig, tracker: SecretTracker) async throws -> CeilingLoop {
        let client = try await KubeClient.connect(config: config, maxConcurrentRequests: run.options.concurrency)
        return CeilingLoop(run: run, client: client, tracker: tracker)
    }

    /// A `.dockerconfigjson` the size of the operator's (the server checks that it is one).
    private static func dockerConfig(_ filler: Character) -> Data {
        let auth = String(repeating: filler, count: 160)
        return Data(#"{"auths":{"123456789012.dkr.ecr.us-west-2.amazonaws.com":{"auth":"\#(auth)"}}}"#.utf8)
    }

    /// The operator's metadata too (the server validates, stores and encodes it with every write): its labels,
    /// but another managed-by value (so the operator's watches do not see them), and its expiry annotation, which
    /// an update changes as a refresh does. No owner reference: these are nobody's. The owner-name label puts the
    /// writes in the tracker's watch.
    private var labels: [String: String] {
        [
            Labels.managedBy: "ecr-bench-ceiling", Labels.ownerKind: ClusterAWSECRImagePullSecret.resource.kind,
            Labels.ownerName: run.resourceName,
        ]
    }

    private static func annotations() -> [String: String] { [Annotations.expiresAt: Timestamp.format(Date())] }

    /// What one pass took: seconds until the tracker saw a write in all N namespaces, to the first one seen, and
    /// the CPU used.
    struct Pass {
        var seconds: Double
        var firstWrite: Double?
        var cpu: CPUTimes
    }

    /// The Secret name of create pass `round`: the first is the one the update passes rewrite.
    static func secretName(round: Int) -> String { round == 1 ? "ecr-bench-ceiling" : "ecr-bench-ceiling-r\(round)" }

    /// N creates of a new Secret name per round; prints when the first was seen and the CPU per create.
    func createAll(round: Int) async throws -> Pass {
        let payload = Self.dockerConfig("x")
        let labels = labels
        let name = Self.secretName(round: round)
        let label = round == 1 ? "ceiling_create" : "ceiling_create_\(round)"
        let pass = try await timed(label, counting: name) { index in
            let secret = try await self.client.create(
                Secret(
                    metadata: ObjectMeta(
                        name: name, namespace: self.run.ceilingNamespace(index), labels: labels,
                        annotations: Self.annotations()),
                    data: [".dockerconfigjson": payload], type: "kubernetes.io/dockerconfigjson"))
            if round == 1 { self.written.withLock { $0[index] = secret } }
        }
        if round > 1 { run.say(label, pass.seconds, "s") }
        if let first = pass.firstWrite { run.say("\(label)_first_secret", first, "s") }
        run.sayCPU(label, pass.cpu, count: run.options.namespaces, who: ["bench", "server"])
        return pass
    }

    /// N updates (new data and expiry); prints the CPU per update of the first pass.
    func updateAll(pass number: Int) async throws -> Pass {
        let payload = Self.dockerConfig(number.isMultiple(of: 2) ? "z" : "y")
        let name = number == 1 ? "ceiling_update" : "ceiling_update_\(number)"
        let pass = try await timed(name, counting: Self.secretName(round: 1)) { index in
            guard var secret = self.written.withLock({ $0[index] }) else { return }
            secret.data = [".dockerconfigjson": payload]
            secret.metadata.annotations = Self.annotations()
            let updated = try await self.client.update(secret)
            self.written.withLock { $0[index] = updated }
        }
        if number == 1 {
            run.sayCPU("ceiling_update", pass.cpu, count: run.options.namespaces, who: ["bench", "server"])
        }
        return pass
    }

    /// Runs `write` for every index at the run's parallelism and times it as the tracker sees it.
    private func timed(
        _ name: String, counting secretName: String, _ write: @escaping @Sendable (Int) async throws -> Void
    ) async throws -> Pass {
        let count = run.options.namespaces
        tracker.reset(counting: secretName)
        let before = run.cpuNow()
        let start = ContinuousClock.now
        try await run.forEachConcurrently(0..<count, write)
        let seconds = try await run.observed(by: tracker, count: count, since: start, name: name)
        return Pass(seconds: seconds, firstWrite: tracker.firstWrite(since: start), cpu: run.cpuNow() - before)
    }
}

/// CPU seconds of the operator, the test server (nil on a cluster) and the benchmark's own process.
struct CPUTimes: Sendable {
    var `operator`: Double?
    var server: Double?
    var bench: Double?

    static let zero = CPUTimes(operator: 0, server: 0, bench: 0)

    private static func combine(_ a: Double?, _ b: Double?, _ op: (Double, Double) -> Double) -> Double? {
        guard let a, let b else { return nil }
        return op(a, b)
    }

    static func - (after: CPUTimes, before: CPUTimes) -> CPUTimes {
        CPUTimes(
            operator: combine(after.operator, before.operator, -), server: combine(after.server, before.server, -),
            bench: combine(after.bench, before.bench, -))
    }

    static func + (a: CPUTimes, b: CPUTimes) -> CPUTimes {
        CPUTimes(
            operator: combine(a.operator, b.operator, +), server: combine(a.server, b.server, +),
            bench: combine(a.bench, b.bench, +))
    }
}
