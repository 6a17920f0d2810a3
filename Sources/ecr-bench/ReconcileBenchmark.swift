import ArgumentParser
import CRDModels
import Dispatch
import Foundation
import HTTPClient
import KubeClient
import KubeTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `ecr-bench reconcile`: the real operator binary (a child process, tokens from moto) against the API test
/// server (a child process too, by default) or any cluster (`--kubeconfig`/`--context`). One
/// `ClusterAWSECRImagePullSecret` selects N fresh `ecr-bench-*` namespaces; the benchmark times converging
/// them, forced refreshes (a change of `spec.registries`, so every Secret's content changes), and the same
/// server's write ceiling measured by a bare loop of `KubeClient` (`CeilingLoop`: N creates paired with each converge
/// pass, N updates paired with each refresh, at the operator's namespace parallelism, alternating which of a pair
/// goes first). Prints `name: value unit` lines. Removes what it created, also on Ctrl-C or SIGTERM.
struct ReconcileBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile", abstract: "Cluster resource → Secrets in N namespaces: time, requests, memory.")

    @Option(help: "Namespaces to select.")
    var namespaces: Int = 1000

    @Option(help: "kubeconfig of a cluster to measure (default: the API test server in a child process).")
    var kubeconfig: String?

    @Option(help: "kubeconfig context (with --kubeconfig; default: its current-context).")
    var context: String?

    @Option(
        name: .customLong("server-pid"),
        help: """
            With --kubeconfig, a process of the cluster running on this machine (kube-apiserver, etcd; repeat the \
            option for each): their CPU is reported as the server's, per Secret, as on the test server.
            """)
    var serverPIDs: [Int32] = []

    @Option(help: "Forced refresh cycles (RSS is read after each), and as many update passes of the ceiling.")
    var refreshCycles: Int = 10

    @Option(
        help: """
            Converge passes, each paired with a create pass of the ceiling. The first converges the resource the \
            refreshes change; each further one, after the refreshes, is a new cluster resource with its own Secret \
            name over the same namespaces (N creates again). Odd pairs run the operator first, even pairs the \
            ceiling first.
            """)
    var convergeRounds: Int = 1

    @Option(help: "Concurrent writes of the ceiling loop: the operator's namespace parallelism.")
    var concurrency: Int = 16

    @Option(help: "The operator binary (default: next to this executable).")
    var operatorBinary: String?

    @Option(help: "Test server garbage-collection delay in seconds.")
    var gcDelay: Double = 5

    @Option(help: "Give up on one phase after this many seconds.")
    var timeout: Int = 600

    @Option(help: "The operator's --log-level; its log goes to this command's stderr (e.g. info, to see reconciles).")
    var operatorLogLevel: String = "error"

    @Option(help: "Secrets the operator does not manage, spread over the namespaces, created before it starts.")
    var unmanagedSecrets: Int = 0

    @Flag(help: "Run the operator under strace and count its TCP connects (adds overhead to every figure).")
    var traceConnects = false

    /// The CRDs the product ships, found from this source file (the benchmark runs in a checkout).
    static let crdDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/crd").path

    func validate() throws {
        guard namespaces >= 1 else { throw ValidationError("--namespaces must be at least 1, got \(namespaces)") }
        guard unmanagedSecrets >= 0 else {
            throw ValidationError("--unmanaged-secrets must be at least 0, got \(unmanagedSecrets)")
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1, got \(concurrency)") }
        guard convergeRounds >= 1 else {
            throw ValidationError("--converge-rounds must be at least 1, got \(convergeRounds)")
        }
        guard refreshCycles >= 1 else {
            throw ValidationError("--refresh-cycles must be at least 1, got \(refreshCycles)")
        }
        if context != nil, kubeconfig == nil { throw ValidationError("--context needs --kubeconfig") }
        if !serverPIDs.isEmpty, kubeconfig == nil { throw ValidationError("--server-pid needs --kubeconfig") }
        for pid in serverPIDs where BenchRun.cpuSeconds(pid: String(pid)) == nil {
            throw ValidationError("--server-pid \(pid): no such process whose CPU time can be read")
        }
    }

    func run() async throws {
        let run = BenchRun(options: self)
        // Ctrl-C and SIGTERM cancel the measurement; cleanup below still runs.
        let work = Task { try await run.measure() }
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { work.cancel() }
            source.resume()
            return source
        }
        let result = await work.result
        await run.cleanup()
        sources.forEach { $0.cancel() }
        try result.get()
    }
}

/// One run: its names, the processes it started, and what it must remove.
final class BenchRun: @unchecked Sendable {
    let options: ReconcileBenchmark
    let id = String(UUID().uuidString.prefix(6)).lowercased()
    let work = NSTemporaryDirectory() + "ecr-bench-" + UUID().uuidString
    var apiServer: LineProcess?
    var moto: MotoServer?
    var operatorProcess: OperatorProcess?
    var client: KubeClient?
    var createdNamespaces: [String] = []
    /// Cluster resources this run created and has not removed yet.
    var createdResources: [String] = []
    /// Requests this process sent to the server in a phase (subtracted from the server's count).
    let ownRequests = Atomic<Int>(0)
    /// Reads the operator's /metrics.
    let metricsClient = CurlHTTPClient(configuration: .init(maxConnectionsPerHost: 1))

    init(options: ReconcileBenchmark) { self.options = options }

    /// This executable, wherever it was started from.
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path

    var resourceName: String { resourceName(round: 1) }
    var secretName: String { "ecr-bench-login" }
    /// The cluster resource of converge pass `round` (the first is the one the refreshes change).
    func resourceName(round: Int) -> String { round == 1 ? "ecr-bench-\(id)" : "ecr-bench-\(id)-r\(round)" }
    var opsNamespace: String { "ecr-bench-\(id)-ops" }
    func namespace(_ index: Int) -> String { "ecr-bench-\(id)-\(index)" }
    func ceilingNamespace(_ index: Int) -> String { "ecr-bench-\(id)-c\(index)" }
    var onTestServer: Bool { options.kubeconfig == nil }

    func say(_ name: String, _ value: String, _ unit: String = "") {
        print("\(name): \(value)\(unit.isEmpty ? "" : " " + unit)")
    }

    func say(_ name: String, _ value: Double, _ unit: String, digits: Int = 3) {
        say(name, String(format: "%.\(digits)f", value), unit)
    }

    func measure() async throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let count = options.namespaces
        printMachine()

        // The server.
        let kubeconfigPath: String
        if let path = options.kubeconfig {
            kubeconfigPath = path
        } else {
            let server = try LineProcess(
                executable: Self.executable,
                arguments: ["apiserver", "--out-dir", work, "--gc-delay", String(options.gcDelay)])
            apiServer = server
            guard let line = server.readLine(), line.hasPrefix("ready ") else {
                throw ValidationError("the API test server did not start")
            }
            kubeconfigPath = work + "/kubeconfig"
        }
        let config = try KubeConfig.load(
            kubeconfigPath: kubeconfigPath, context: options.context, environment: ProcessInfo.processInfo.environment)
        say("target", onTestServer ? "API test server (ecr-bench apiserver: HTTPS, HTTP/1.1)" : config.server)
        say("namespaces", "\(count)")
        let client = try await KubeClient.connect(config: config, maxConcurrentRequests: options.concurrency)
        self.client = client
        _ = try await client.list(ClusterAWSECRImagePullSecret.self, options: ListOptions(limit: 1))

        // Namespaces (labelled for the selector) and the credentials Secret; moto accepts any keys.
        let label = "ecr-bench.pullsecrets.dev/run"
        _ = try await client.create(Namespace(metadata: ObjectMeta(name: opsNamespace)))
        createdNamespaces.append(opsNamespace)
        _ = try await client.create(
            Secret(
                metadata: ObjectMeta(name: "aws-creds", namespace: opsNamespace),
                data: [
                    "AWS_ACCESS_KEY_ID": Data("AKIAECRBENCH\(id)".utf8), "AWS_SECRET_ACCESS_KEY": Data("bench".utf8),
                ]))
        // The ceiling's loop writes into N namespaces of its own, unlabelled (the operator does not select them):
        // on a real API server the first write to a namespace in 30 s also pays the ResourceQuota admission's live
        // lookup of its quotas, and the loop's creates, right after converge, would otherwise find them looked up.
        try await forEachConcurrently(0..<count) { index in
            let labels = [label: self.id]
            _ = try await client.create(Namespace(metadata: ObjectMeta(name: self.namespace(index), labels: labels)))
            _ = try await client.create(Namespace(metadata: ObjectMeta(name: self.ceilingNamespace(index))))
        }
        createdNamespaces += (0..<count).map(namespace) + (0..<count).map(ceilingNamespace)
        try await createUnmanagedSecrets(client: client)

        let moto = try await MotoServer.start()
        self.moto = moto
        try moto.warmUpECR(region: "us-west-2")  // not timed: moto's first ECR request loads its backend (~1 s)

        // The operator.
        let binary = options.operatorBinary
            ?? URL(fileURLWithPath: Self.executable).deletingLastPathComponent()
                .appendingPathComponent("ecr-pullsecret-operator").path
        let connectLog = work + "/connects.log"
        let op = try await OperatorProcess.start(
            binary: binary, kubeconfig: kubeconfigPath, context: options.context,
            environment: ["AWS_ENDPOINT_URL": moto.endpoint],
            // The last --log-level wins over OperatorProcess's default.
            extraFlags: ["--log-level", options.operatorLogLevel],
            wrapper: options.traceConnects
                ? ["/usr/bin/strace", "-f", "--seccomp-bpf", "-e", "trace=connect", "-o", connectLog] : [])
        operatorProcess = op
        say("startup_to_readyz", op.startup.seconds, "s")
        try await Task.sleep(for: .seconds(1))
        sayMemory("rss_idle", op)
        for (file, mebibytes) in op.residentByFile().prefix(8) {
            say("rss_idle_file", String(format: "%.1f", mebibytes), "MiB \(file)")
        }

        // Each converge pass's resource name is on its Secrets (`Labels.ownerName`) and the ceiling's carry the
        // first's: the tracker observes all of them, so the server streams every timed write to it in every pass,
        // and each pass counts only the Secret name it writes.
        let owners = (1...options.convergeRounds).map { resourceName(round: $0) }.joined(separator: ",")
        let tracker = SecretTracker(prefix: "ecr-bench-\(id)-", labelSelector: "\(Labels.ownerName) in (\(owners))")
        let watching = Task { await tracker.follow(client: client) }
        defer { watching.cancel() }

        // The ceiling: the same server, a bare loop of the project's client at the same parallelism, each pass
        // paired with one of the operator's. The operator runs, idle: its watches select its managed-by value,
        // which the loop's Secrets do not carry, so the server streams none of them to it.
        let ceiling = try await CeilingLoop.connect(run: self, config: config, tracker: tracker)

        // Converge, then the ceiling's creates.
        var spec = ClusterAWSECRImagePullSecretSpec(
            secretName: secretName,
            awsAccess: .init(region: "us-west-2", secretRef: .init(name: "aws-creds", namespace: opsNamespace)),
            namespaceSelector: LabelSelector(matchLabels: [label: id]))
        let converge = try await convergePass(round: 1, spec: spec, tracker: tracker, count: count)
        sayMemory("rss_converged", op)
        var convergePairs = [(converge: converge.secrets, ceiling: try await ceiling.createAll(round: 1).seconds)]

        // Forced refreshes, each paired with one update pass of the ceiling (odd cycles the operator first, even
        // ones the ceiling first: the host moves by ±15 % within a minute, and neither should always meet the
        // server second): a new registry account changes every Secret's content (moto's password names it).
        var refreshes: [PhaseResult] = []
        var ceilingUpdates: [Double] = []
        var refreshCPU = CPUTimes.zero
        var ceilingUpdateCPU = CPUTimes.zero
        for cycle in 1...options.refreshCycles {
            spec.registries = [RegistrySpec(accountID: String(100_000_000_000 + cycle), region: "us-west-2")]
            let (result, update) = try await pair(ceilingFirst: cycle.isMultiple(of: 2)) { [spec] in
                let result = try await phase(
                    name: cycle == 1 ? "refresh" : "refresh_\(cycle)", tracker: tracker, count: count, quiet: cycle > 1
                ) {
                    // The operator may write status between the read and the update: read again on 409.
                    for attempt in 1... {
                        var current = try await client.get(ClusterAWSECRImagePullSecret.self, name: self.resourceName)
                        current.spec = spec
                        self.ownRequests.add(2, ordering: .relaxed)
                        do {
                            return try await client.update(current).metadata.generation ?? 0
                        } catch let error as KubeAPIError where error.isConflict && attempt < 10 {
                            continue
                        }
                    }
                    fatalError("unreachable")
                }
                sayMemory("rss_after_refresh_\(cycle)", op)
                return result
            } ceiling: {
                try await ceiling.updateAll(pass: cycle)
            }
            refreshes.append(result)
            refreshCPU = refreshCPU + result.cpu
            ceilingUpdates.append(update.seconds)
            ceilingUpdateCPU = ceilingUpdateCPU + update.cpu
        }
        if refreshes.count > 1 {
            say("refresh_median_of_\(refreshes.count)", median(refreshes.map(\.secrets)), "s")
            sayCPU("refresh_all", refreshCPU, count: count * refreshes.count)
            sayCPU("ceiling_update_all", ceilingUpdateCPU, count: count * refreshes.count, who: ["bench", "server"])
        }

        // Further converge passes (`--converge-rounds`), after the memory figures: each new resource writes N
        // Secrets more.
        if options.convergeRounds > 1 {
            spec.registries = nil
            for round in 2...options.convergeRounds {
                spec.secretName = "\(secretName)-r\(round)"
                let (pass, create) = try await pair(ceilingFirst: round.isMultiple(of: 2)) { [spec] in
                    try await convergePass(round: round, spec: spec, tracker: tracker, count: count)
                } ceiling: {
                    try await ceiling.createAll(round: round)
                }
                convergePairs.append((pass.secrets, create.seconds))
            }
        }
        if options.traceConnects, let log = try? String(contentsOfFile: connectLog, encoding: .utf8) {
            let port = URL(string: config.server)?.port ?? 443
            let connects = log.split(separator: "\n").filter { $0.contains("htons(\(port))") }.count
            say("operator_tcp_connects_to_apiserver", "\(connects)", "connections")
        }

        say("ceiling_create", convergePairs[0].ceiling, "s")
        for (index, seconds) in ceilingUpdates.enumerated() {
            say(index == 0 ? "ceiling_update" : "ceiling_update_\(index + 1)", seconds, "s")
        }
        // Ratio = ceiling time / operator time: the operator's throughput as a fraction of the bare loop's.
        say("converge_vs_ceiling_create", convergePairs[0].ceiling / convergePairs[0].converge, "x", digits: 2)
        say("refresh_vs_ceiling_update", ceilingUpdates[0] / refreshes[0].secrets, "x", digits: 2)
        if convergePairs.count > 1 {
            let rounds = convergePairs.count
            say("converge_median_of_\(rounds)", median(convergePairs.map(\.converge)), "s")
            say("ceiling_create_median_of_\(rounds)", median(convergePairs.map(\.ceiling)), "s")
            let ratios = convergePairs.map { $0.ceiling / $0.converge }
            let each = ratios.map { String(format: "%.2f", $0) }.joined(separator: " ")
            say("converge_vs_ceiling_create_each", each, "x")
            say("converge_vs_paired_ceiling_create_median_of_\(rounds)", median(ratios), "x", digits: 2)
        }
        if refreshes.count > 1 {
            let ceilingMedian = median(ceilingUpdates)
            say("ceiling_update_median_of_\(ceilingUpdates.count)", ceilingMedian, "s")
            let refreshMedian = median(refreshes.map(\.secrets))
            say("refresh_median_vs_ceiling_update_median", ceilingMedian / refreshMedian, "x", digits: 2)
            // Each refresh against the ceiling pass paired with it, then the middle of those ratios.
            let pairs = zip(ceilingUpdates, refreshes).map { $0 / $1.secrets }
            say("refresh_vs_paired_ceiling_update_median_of_\(pairs.count)", median(pairs), "x", digits: 2)
        }

        // Remove the resources while the operator runs (it may hold a finalizer), then stop it.
        for name in createdResources {
            try? await client.delete(ClusterAWSECRImagePullSecret.self, name: name)
        }
        let gone = ContinuousClock.now + .seconds(60)
        for name in createdResources {
            while ContinuousClock.now < gone,
                (try? await client.getIfPresent(ClusterAWSECRImagePullSecret.self, name: name)) != nil
            {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        createdResources = []
        await op.stop()
        operatorProcess = nil
    }

    /// Runs one pair: the operator's phase and the ceiling's pass, the ceiling's first when `ceilingFirst`.
    func pair<Phase, Pass>(
        ceilingFirst: Bool, operator phase: () async throws -> Phase, ceiling pass: () async throws -> Pass
    ) async throws -> (Phase, Pass) {
        if ceilingFirst {
            let ceiling = try await pass()
            return (try await phase(), ceiling)
        }
        let result = try await phase()
        return (result, try await pass())
    }

    /// The middle value (the upper one of an even count), as `refresh_median_of_N` reports.
    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    /// Seconds from `start` until the tracker has seen a write in `count` namespaces, checked as `phase` checks
    /// the operator's (every 20 ms).
    func observed(by tracker: SecretTracker, count: Int, since start: ContinuousClock.Instant, name: String)
        async throws -> Double
    {
        while tracker.written < count {
            guard ContinuousClock.now < start + .seconds(options.timeout) else {
                throw ValidationError("\(name): \(tracker.written)/\(count) Secrets seen within \(options.timeout) s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (ContinuousClock.now - start).seconds
    }

    struct PhaseResult {
        var secrets: Double
        var status: Double
        /// CPU used from the change until the phase's trailing requests landed.
        var cpu: CPUTimes
    }

    /// Starts a phase with `change` (returns the generation to wait for), then waits for N Secrets written
    /// (watch events in the run's namespaces) and for status `N/N` at that generation.
    func phase(
        name: String, resource: String? = nil, secretName: String? = nil, tracker: SecretTracker, count: Int,
        quiet: Bool = false, change: @escaping @Sendable () async throws -> Int64
    ) async throws -> PhaseResult {
        let resource = resource ?? resourceName
        guard let client else { throw CancellationError() }
        let serverBefore = await serverRequests()
        let awsBefore = moto?.requestCount() ?? 0
        let reconcilesBefore = await clusterReconciles()
        ownRequests.store(0, ordering: .relaxed)
        tracker.reset(counting: secretName ?? self.secretName)
        let cpuBefore = cpuNow()
        let start = ContinuousClock.now
        let generation = try await change()
        let deadline = start + .seconds(options.timeout)
        var secretsAt: Duration?
        var statusAt: Duration?
        while ContinuousClock.now < deadline, secretsAt == nil || statusAt == nil {
            try Task.checkCancellation()
            if secretsAt == nil, tracker.written >= count { secretsAt = ContinuousClock.now - start }
            if statusAt == nil {
                ownRequests.add(1, ordering: .relaxed)
                let object = try await client.get(ClusterAWSECRImagePullSecret.self, name: resource)
                if let status = object.status, (status.observedGeneration ?? 0) >= generation,
                    (status.namespaces?.synced ?? 0) >= count
                {
                    statusAt = ContinuousClock.now - start
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let secretsAt, let statusAt else {
            throw ValidationError("\(name): \(tracker.written)/\(count) Secrets written within \(options.timeout) s")
        }
        // Let trailing requests (events, a last status write) land before counting.
        try await Task.sleep(for: .milliseconds(500))
        let result = PhaseResult(secrets: secretsAt.seconds, status: statusAt.seconds, cpu: cpuNow() - cpuBefore)
        // Includes the status polls and the 500 ms above: small beside N writes, and the same for every build.
        sayCPU(name, result.cpu, count: count)
        say("\(name)_secrets", result.secrets, "s")
        // What comes before the first write (the change's watch event, the reconcile's reads and AWS calls) is
        // a fixed cost the ceiling's loop does not have: at 1,000 namespaces it weighs ten times more than at 10,000.
        if let first = tracker.firstWrite(since: start) { say("\(name)_first_secret", first, "s") }
        if quiet { return result }
        say("\(name)_status", result.status, "s")
        if let serverBefore, let serverAfter = await serverRequests() {
            let operatorRequests = serverAfter - serverBefore - ownRequests.load(ordering: .relaxed)
            say("\(name)_api_requests_per_namespace", Double(operatorRequests) / Double(count), "requests", digits: 2)
        } else {
            say(
                "\(name)_api_requests_per_namespace",
                "skipped (the kubeconfig's user may not read the API server's /metrics)")
        }
        if let moto {
            say("\(name)_aws_calls", "\(moto.requestCount() - awsBefore)", "calls")
        }
        if let reconcilesBefore, let reconcilesAfter = await clusterReconciles() {
            say("\(name)_reconciles", "\(reconcilesAfter - reconcilesBefore)", "finished")
        }
        return result
    }

    /// Converge pass `round`: creates its cluster resource with `spec` and waits for its N Secrets and status.
    func convergePass(round: Int, spec: ClusterAWSECRImagePullSecretSpec, tracker: SecretTracker, count: Int)
        async throws -> PhaseResult
    {
        guard let client else { throw CancellationError() }
        let name = resourceName(round: round)
        return try await phase(
            name: round == 1 ? "converge" : "converge_\(round)", resource: name, secretName: spec.secretName,
            tracker: tracker, count: count, quiet: round > 1
        ) {
            let created = try await client.create(
                ClusterAWSECRImagePullSecret(metadata: ObjectMeta(name: name), spec: spec))
            self.createdResources.append(name)
            self.ownRequests.add(1, ordering: .relaxed)
            return created.metadata.generation ?? 1
        }
    }

    /// Reconciles of the cluster kind the operator has finished (`ecr_pullsecret_reconcile_total`, any result).
    func clusterReconciles() async -> Int? {
        guard let url = operatorProcess?.metricsURL,
            let response = try? await metricsClient.send(HTTPRequest(url: url, timeout: .seconds(5))),
            response.status == 200
        else { return nil }
        return Self.sum(of: "ecr_pullsecret_reconcile_total", in: response.body, labelled: "clusterawsecrimagepullsecret")
    }

    /// User + system CPU seconds a process has used so far (`/proc/<pid>/stat` utime + stime); nil when unreadable.
    static func cpuSeconds(pid: String) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state is field 3, utime field 14, stime field 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds so far of the operator, the server (the test server, or the `--server-pid` processes; nil on
    /// a cluster without them) and this process.
    func cpuNow() -> CPUTimes {
        let serverPIDs = apiServer.map { [$0.process.processIdentifier] } ?? options.serverPIDs
        let server = serverPIDs.isEmpty ? nil : serverPIDs.reduce(0.0) { $0 + (Self.cpuSeconds(pid: String($1)) ?? 0) }
        return CPUTimes(
            operator: operatorProcess.flatMap { Self.cpuSeconds(pid: String($0.pid)) }, server: server,
            bench: Self.cpuSeconds(pid: "self"))
    }

    /// Prints `<name>_<who>_cpu_per_secret` in ms: each process's CPU in `used` over `count`.
    func sayCPU(_ name: String, _ used: CPUTimes, count: Int, who: [String] = ["operator", "server"]) {
        let parts: [(String, Double?)] = [("operator", used.operator), ("server", used.server), ("bench", used.bench)]
        for (label, seconds) in parts where who.contains(label) {
            guard let seconds else { continue }
            say("\(name)_\(label)_cpu_per_secret", seconds * 1000 / Double(count), "ms", digits: 3)
        }
    }

    /// Requests the server has answered so far: the test server's own count, or on a cluster the API server's
    /// `apiserver_request_total` summed over its series answered in JSON (read from its `/metrics`; nil when the
    /// kubeconfig's user may not read it). Kubernetes' own components talk protobuf: the API server's loopback
    /// client (e.g. the ResourceQuota admission's live LISTs of a namespace's quotas when a write finds none cached)
    /// and client-go controllers are left out; kubectl and other JSON clients are not (nor is this scrape: its
    /// answer is text).
    func serverRequests() async -> Int? {
        if let apiServer { return apiServer.ask("count").flatMap { Int($0) } }
        guard let client, let text = try? await client.nonResourceGET("/metrics", accept: "text/plain") else {
            return nil
        }
        return Self.sum(of: "apiserver_request_total", in: text, labelled: #"contentType="application/json"#)
    }

    /// The sum of a Prometheus text exposition's samples of `metric` whose labels contain `labelled`.
    static func sum(of metric: String, in text: Data, labelled: String) -> Int {
        var total = 0.0
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix(metric + "{") && line.contains(labelled) {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { total += value }
        }
        return Int(total)
    }

    func sayMemory(_ name: String, _ op: OperatorProcess) {
        let memory = op.memory()
        let parts = String(format: "MiB (anon %.1f, file %.1f)", memory.anon, memory.file)
        say(name, String(format: "%.1f", memory.rss), parts)
    }

    func printMachine() {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("MemTotal") }?
            .split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        let gibibytes = String(format: "%.1f", memory / 1_048_576)
        say("machine", "\(ProcessInfo.processInfo.activeProcessorCount) CPUs, \(cpu), \(gibibytes) GiB")
    }

    /// Removes the resource and namespaces (on a cluster; the test server just ends), stops the children.
    func cleanup() async {
        if let client, !onTestServer {
            for name in createdResources { try? await client.delete(ClusterAWSECRImagePullSecret.self, name: name) }
            let names = createdNamespaces
            try? await forEachConcurrently(names.indices) { index in
                try? await client.delete(Namespace.self, name: names[index])
            }
            if !names.isEmpty { print("cleanup: deleted the resource and \(names.count) namespaces") }
        }
        await operatorProcess?.stop()
        moto?.shutdown()
        apiServer?.stop()
        try? FileManager.default.removeItem(atPath: work)
    }

    /// Runs `body` for every index, `options.concurrency` at a time.
    func forEachConcurrently(
        _ indices: Range<Int>, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let width = options.concurrency
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = indices.lowerBound
            while next < indices.upperBound, next < indices.lowerBound + width {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            while try await group.next() != nil {
                if next < indices.upperBound {
                    let index = next
                    group.addTask { try await body(index) }
                    next += 1
                }
            }
        }
    }
}

/// Follows the Secrets a label selector picks (a metadata watch) and counts the run's namespaces in which a Secret
/// of the name given to `reset(counting:)` was written since.
final class SecretTracker: Sendable {
    let prefix: String
    let labelSelector: String
    private struct State {
        var name = ""
        var namespaces: Set<String> = []
        /// When the first write since `reset` was seen.
        var first: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    init(prefix: String, labelSelector: String) {
        self.prefix = prefix
        self.labelSelector = labelSelector
    }

    var written: Int { state.withLock { $0.namespaces.count } }

    /// Seconds from `start` to the first write seen since `reset`.
    func firstWrite(since start: ContinuousClock.Instant) -> Double? {
        state.withLock { $0.first.map { ($0 - start).seconds } }
    }

    func reset(counting name: String) { state.withLock { $0 = State(name: name) } }

    func follow(client: KubeClient) async {
        var resourceVersion: String?
        while !Task.isCancelled {
            let options = WatchOptions(labelSelector: labelSelector, resourceVersion: resourceVersion)
            do {
                for try await event in client.watchMetadata(Secret.resource, options: options) {
                    switch event {
                    case .added(let object), .modified(let object):
                        resourceVersion = object.metadata.resourceVersion
                        if let namespace = object.metadata.namespace, namespace.hasPrefix(prefix) {
                            state.withLock { state in
                                guard object.metadata.name == state.name else { return }
                                state.namespaces.insert(namespace)
                                if state.first == nil { state.first = .now }
                            }
                        }
                    case .deleted(let object): resourceVersion = object.metadata.resourceVersion
                    case .bookmark(let version): resourceVersion = version
                    case .error: break
                    }
                }
            } catch {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

extension BenchRun {
    /// `--unmanaged-secrets`: Secrets the operator must leave alone and should not hold in memory, like a
    /// cluster's own (service tokens, TLS keys, Helm releases, applied with kubectl): ~2 KiB of data each, every
    /// third with the `last-applied-configuration` annotation kubectl writes (a copy of the object, as big
    /// again). Spread round-robin over the run's namespaces.
    func createUnmanagedSecrets(client: KubeClient) async throws {
        let total = options.unmanagedSecrets
        guard total > 0 else { return }
        let start = ContinuousClock.now
        let data: [String: Data] = [
            "tls.crt": Data(String(repeating: "c", count: 1_300).utf8),
            "tls.key": Data(String(repeating: "k", count: 250).utf8),
            "token": Data(String(repeating: "t", count: 400).utf8),
        ]
        let applied = String(repeating: "a", count: 2_600)
        try await forEachConcurrently(0..<total) { index in
            let name = "unmanaged-\(index)"
            let namespace = self.namespace(index % self.options.namespaces)
            var annotations: [String: String]?
            if index % 3 == 0 {
                annotations = [
                    "kubectl.kubernetes.io/last-applied-configuration":
                        #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"\#(name)"},"data":"\#(applied)"}"#
                ]
            }
            let labels = ["app.kubernetes.io/name": "bench-app", "app.kubernetes.io/instance": "i\(index % 50)"]
            _ = try await client.create(
                Secret(
                    metadata: ObjectMeta(name: name, namespace: namespace, labels: labels, annotations: annotations),
                    data: data, type: "Opaque"))
        }
        say("unmanaged_secrets", "\(total)", "Secrets")
        say("unmanaged_secrets_created_in", (ContinuousClock.now - start).seconds, "s")
    }
}
