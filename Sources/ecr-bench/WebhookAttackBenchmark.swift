import ArgumentParser
import Foundation
import KubeTestSupport
import Synchronization
import Webhook

/// `ecr-bench webhook-attack`: the webhook's memory under many TLS connections that send large bodies and
/// stall, measured on the real operator binary.
///
/// Starts the real operator's webhook in a child process (`OperatorWebhookProcess`); once it is ready, Python `ssl` clients open `--connections`
/// connections that each start a `--body-bytes` AdmissionReview (half with Content-Length, half chunked),
/// push as much of it as the server reads, stall for `--hold` seconds, and close. The child's RSS is sampled
/// from /proc every 50 ms: idle before, peak during, and after `--settle` seconds.
struct WebhookAttackBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-attack", abstract: "Webhook RSS under stalled large-body TLS connections.")

    @Option(help: "Attacking TLS connections.")
    var connections: Int = 100

    @Option(help: "Body size each connection announces and tries to send.")
    var bodyBytes: Int = 3 * 1024 * 1024

    @Option(help: "Seconds the connections stall before closing.")
    var hold: Double = 5

    @Option(help: "Seconds after the connections close before RSS is read again.")
    var settle: Double = 5

    @Option(help: "The operator binary (default: next to this executable).")
    var operatorBinary: String?

    @Option(help: "Extra flags for the operator, e.g. --webhook-max-inflight-bytes=33554432.")
    var operatorFlag: [String] = []

    func validate() throws {
        guard connections > 0, bodyBytes > 0, hold >= 0, settle >= 0 else {
            throw ValidationError("--connections and --body-bytes must be positive, --hold and --settle not negative")
        }
    }

    func run() async throws {
        let certificates = try TestCertificates.makeCA()
        defer { certificates.remove() }
        try certificates.server().writeTLSPair(to: certificates.directory + "/serving")
        let process = try await OperatorWebhookProcess.start(
            binary: operatorBinary, certDirectory: certificates.directory + "/serving",
            workDirectory: certificates.directory, extraFlags: operatorFlag)
        let port = String(process.webhookPort)
        let ca = certificates.ca.certificatePath
        let path = WebhookKind.namespaced.path
        // A few ordinary reviews first, so idle means "warmed up", not "never served".
        let warm = try await Command.python(Self.warmScript, [port, ca, path])
        guard warm.stdout.contains("200 x50") else {
            await process.stop()
            throw ValidationError("warm-up reviews failed: \(warm.stdout) \(warm.stderr)")
        }
        try await Task.sleep(for: .seconds(1))
        let idle = process.rss()

        print(
            "webhook attack: \(connections) TLS connections x \(bodyBytes) bytes, stalled \(hold) s, "
                + "against the operator binary (pid \(process.pid), flags: \(operatorFlag))")
        let peakBox = Mutex(idle)
        let sampling = Task {
            while !Task.isCancelled {
                let now = process.rss()
                peakBox.withLock { $0 = max($0, now) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let arguments = [port, ca, path, String(connections), String(bodyBytes), String(hold)]
        let result = try await Command.python(Self.attackScript, arguments, timeout: .seconds(hold + 120))
        sampling.cancel()
        await sampling.value
        let peak = peakBox.withLock { $0 }
        try await Task.sleep(for: .seconds(settle))
        let after = process.rss()
        let stillServes = try await Command.python(Self.warmScript, [port, ca, path])
        await process.stop()

        print(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        if !result.stderr.isEmpty { print(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
        print(String(format: "RSS idle: %.1f MiB", Self.mebibytes(idle)))
        print(String(format: "RSS peak during the attack: %.1f MiB (target < 128 MiB)", Self.mebibytes(peak)))
        print(
            String(
                format: "RSS %.0f s after the connections closed: %.1f MiB (%+.1f MiB from idle; target within 10 MiB)",
                settle, Self.mebibytes(after), Self.mebibytes(after - idle)))
        print("reviews after the attack (status x count): \(stillServes.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    static func mebibytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

    static let warmScript = #"""
        import http.client, ssl, sys, json
        port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        ctx = ssl.create_default_context(cafile=ca)
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "warm", "operation": "CREATE", "namespace": "team-a", "name": "warm",
            "kind": {"group": "ecr.pullsecrets.dev", "version": "v1alpha1", "kind": "AWSECRImagePullSecret"},
            "resource": {"group": "ecr.pullsecrets.dev", "version": "v1alpha1", "resource": "awsecrimagepullsecrets"},
            "userInfo": {"username": "bench"}, "object": {"apiVersion": "ecr.pullsecrets.dev/v1alpha1",
            "kind": "AWSECRImagePullSecret", "metadata": {"name": "warm", "namespace": "team-a"},
            "spec": {"secretName": "ecr-login", "awsAccess": {"region": "us-west-2", "secretRef": {"name": "c"}}}}}}
        body = json.dumps(review).encode()
        c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
        statuses = []
        for i in range(50):
            c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse(); r.read(); statuses.append(r.status)
        print("%d x%d" % (statuses[0], statuses.count(statuses[0])))
        """#

    static let attackScript = #"""
        import socket, ssl, sys, threading, time
        port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        count, size, hold = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
        ctx = ssl.create_default_context(cafile=ca)
        lock = threading.Lock()
        held, stats = [], {"connected": 0, "refused": 0, "cut": 0, "sent": 0, "answers": {}}
        def attack(i):
            try:
                s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                                    server_hostname="localhost")
            except OSError:
                with lock: stats["refused"] += 1
                return
            chunked = i % 2 == 1
            head = "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" % path
            head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "Content-Length: %d\r\n\r\n" % size
            sent, block = 0, b"a" * 65536
            try:
                s.sendall(head.encode())
                while sent < size - 1:
                    n = min(len(block), size - 1 - sent)
                    s.sendall((b"%x\r\n" % n + block[:n] + b"\r\n") if chunked else block[:n])
                    sent += n
            except OSError:
                with lock: stats["cut"] += 1
            s.settimeout(0.2)
            try:
                first = s.recv(200).split(b"\r\n")[0].decode(errors="replace") or "closed"
            except (socket.timeout, ssl.SSLError, OSError):
                first = "no answer (stalled)"
            with lock:
                stats["connected"] += 1
                stats["sent"] += sent
                stats["answers"][first] = stats["answers"].get(first, 0) + 1
                held.append(s)
        threads = [threading.Thread(target=attack, args=(i,)) for i in range(count)]
        for t in threads: t.start()
        for t in threads: t.join()
        time.sleep(hold)
        for s in held:
            try: s.close()
            except OSError: pass
        print("connections: %d connected, %d refused at connect, %d cut off while sending; %.1f MiB sent" % (
            stats["connected"], stats["refused"], stats["cut"], stats["sent"] / 1048576.0))
        for answer, n in sorted(stats["answers"].items()): print("  %3d x %s" % (n, answer))
        """#
}
