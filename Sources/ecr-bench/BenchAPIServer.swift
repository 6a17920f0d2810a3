import ArgumentParser
import Foundation
import KubeTestSupport
import Logging

/// `ecr-bench apiserver`: the Kubernetes API test server (HTTPS, CRDs installed) in a process of its own, so
/// that neither the operator under test nor the benchmark's own client shares its CPU accounting or memory.
///
/// Writes `kubeconfig` into `--out-dir`, prints `ready <url>`, then answers one line per line on stdin:
/// `count` → the number of requests served so far. Ends when stdin closes.
struct BenchAPIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver", abstract: "The API test server for `reconcile` (driven over stdin).")

    @Option(help: "Directory to write the kubeconfig into.")
    var outDir: String

    @Option(help: "Garbage-collection delay in seconds (the test server's default, 0.02, rescans every object).")
    var gcDelay: Double = 5

    func run() async throws {
        var logger = Logger(label: "ecr-bench-apiserver")
        logger.logLevel = .error
        var options = KubeAPITestServerOptions()
        options.garbageCollectionDelay = .seconds(gcDelay)
        let server = try await KubeAPITestServer.start(
            tls: true, token: UUID().uuidString, options: options, logger: logger)
        try server.installCRDs(fromDirectory: ReconcileBenchmark.crdDirectory)
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        try server.writeKubeconfig(to: outDir + "/kubeconfig")
        FileHandle.standardOutput.write(Data("ready \(server.baseURL)\n".utf8))
        while let line = readLine() {
            if line == "count" { FileHandle.standardOutput.write(Data("\(server.requestCount())\n".utf8)) }
        }
        await server.shutdown()
    }
}

/// A child process spoken to line by line (the API server above).
final class LineProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    init(executable: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// The next line the child prints (blocking), nil at end of output.
    func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[buffer.index(after: newline)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    func ask(_ line: String) -> String? {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        return readLine()
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
