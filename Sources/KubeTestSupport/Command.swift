import Foundation

/// Runs a command without blocking a Swift concurrency thread: output goes to temporary files and the exit is
/// awaited through the termination handler. The process is killed (SIGKILL) at the deadline: children of the
/// test runner may inherit a blocked SIGTERM, so a polite signal could leave the wait hanging.
public struct Command {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var timedOut: Bool
    }

    public static func run(
        _ executable: String, _ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(30)
    ) async throws -> Result {
        let scratch = NSTemporaryDirectory() + "cmd-" + UUID().uuidString
        let outPath = scratch + ".out"
        let errPath = scratch + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        let killer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { p in continuation.resume(returning: p.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let stdin {
                input.fileHandleForWriting.write(stdin)
                try? input.fileHandleForWriting.close()
            }
        }
        killer.cancel()
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: status, stdout: stdout, stderr: stderr, timedOut: process.terminationReason == .uncaughtSignal)
    }

    /// `python3 -c script args...`
    public static func python(_ script: String, _ arguments: [String] = [], timeout: Duration = .seconds(60)) async throws -> Result {
        try await run("python3", ["-c", script] + arguments, timeout: timeout)
    }
}
