import ArgumentParser
import Foundation
import HTTPClient

#if canImport(Glibc)
    import Glibc
#endif

/// The real `ecr-pullsecret-operator` binary in a child process: its startup time, probes, metrics and RSS
/// are its own.
struct OperatorProcess {
    let child: Process
    /// From launch to the first 200 of `/readyz`.
    let startup: Duration
    /// Whether `child` is a wrapper (strace) whose own child is the operator.
    let wrapped: Bool
    /// `http://127.0.0.1:PORT/metrics` of the operator.
    let metricsURL: String

    /// The operator's own process: the child, or the wrapper's child.
    var pid: Int32 {
        let wrapper = child.processIdentifier
        guard wrapped else { return wrapper }
        let path = "/proc/\(wrapper)/task/\(wrapper)/children"
        guard let children = try? String(contentsOfFile: path, encoding: .utf8),
            let first = children.split(separator: " ").first.flatMap({ Int32($0) })
        else { return wrapper }
        return first
    }

    static func start(
        binary: String, kubeconfig: String, context: String?, environment: [String: String], extraFlags: [String] = [],
        wrapper: [String] = []
    ) async throws -> OperatorProcess {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("operator binary not found at \(binary); build it or pass --operator-binary")
        }
        let probePort = try await OperatorWebhookProcess.freePort()
        let metricsPort = try await OperatorWebhookProcess.freePort()
        var arguments = ["--kubeconfig", kubeconfig]
        if let context { arguments += ["--context", context] }
        arguments += [
            "--webhook=false", "--log-level", "error", "--metrics-bind-address", "127.0.0.1:\(metricsPort)",
            "--health-probe-bind-address", "127.0.0.1:\(probePort)",
        ]
        let child = Process()
        if let tool = wrapper.first {
            // A wrapper (strace) runs the binary as its own child.
            child.executableURL = URL(fileURLWithPath: tool)
            child.arguments = Array(wrapper.dropFirst()) + [binary] + arguments + extraFlags
        } else {
            child.executableURL = URL(fileURLWithPath: binary)
            child.arguments = arguments + extraFlags
        }
        child.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let http = CurlHTTPClient(configuration: .init(maxConnectionsPerHost: 2))
        let launched = ContinuousClock.now
        try child.run()
        let deadline = launched + .seconds(120)
        while ContinuousClock.now < deadline, child.isRunning {
            let response = try? await http.send(
                HTTPRequest(url: "http://127.0.0.1:\(probePort)/readyz", timeout: .seconds(2)))
            if response?.status == 200 {
                return OperatorProcess(
                    child: child, startup: ContinuousClock.now - launched,
                    wrapped: !wrapper.isEmpty, metricsURL: "http://127.0.0.1:\(metricsPort)/metrics")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        if child.isRunning { child.terminate() }
        let status = child.isRunning ? "still running" : "exit status \(child.terminationStatus)"
        throw ValidationError("the operator did not become ready within 120 s (\(status))")
    }

    func stop() async {
        if child.isRunning { kill(pid, SIGTERM) }
        while child.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// VmRSS, RssAnon and RssFile of the child in MiB, from /proc.
    func memory() -> (rss: Double, anon: Double, file: Double) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0, 0) }
        var values: [String: Double] = [:]
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            if parts.count >= 2, let kilobytes = Double(parts[1]) { values[String(parts[0])] = kilobytes / 1024 }
        }
        return (values["VmRSS"] ?? 0, values["RssAnon"] ?? 0, values["RssFile"] ?? 0)
    }

    /// Resident MiB per mapped file (shared libraries, the binary), largest first, from /proc/PID/smaps.
    func residentByFile() -> [(file: String, mebibytes: Double)] {
        // FileHandle reads to the end; a /proc file reports size 0, which whole-file reads may trust.
        guard let data = try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/smaps")).readToEnd()
        else { return [] }
        let smaps = String(decoding: data, as: UTF8.self)
        var totals: [String: Double] = [:]
        var current: String?
        for line in smaps.split(separator: "\n") {
            if line.hasPrefix("Rss:") {
                let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
                if let current { totals[current, default: 0] += kilobytes / 1024 }
            } else if let first = line.first, first.isHexDigit, line.contains("-") {
                // A mapping header: address perms offset dev inode [path].
                let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                let path = fields.count == 6 ? fields[5].trimmingCharacters(in: .whitespaces) : ""
                current = path.hasPrefix("/") ? path.split(separator: "/").last.map(String.init) : nil
            }
        }
        return totals.map { ($0.key, $0.value) }.sorted { $0.mebibytes > $1.mebibytes }
    }
}
