import Foundation
import KubeTestSupport

/// `openssl s_server -www` on a loopback port: a real TLS peer that is not ours, for the client's
/// verification, client-certificate and SNI tests.
final class OpenSSLServer {
    let process = Process()
    let port: Int

    /// Lets s_server pick its own port (`-accept 127.0.0.1:0`) and reads it from its `ACCEPT` line, so
    /// no other test can take the port between choosing and binding it.
    init(certificate: String, key: String, clientCA: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        var arguments = ["s_server", "-accept", "127.0.0.1:0", "-cert", certificate, "-key", key, "-www"]
        if let clientCA { arguments += ["-Verify", "1", "-CAfile", clientCA] }
        process.arguments = arguments
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !(text.contains("ACCEPT") && text.hasSuffix("\n")) {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }  // s_server exited
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT") }),
            let parsed = line.split(separator: ":").last.flatMap({ Int($0) })
        else {
            kill(process.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "s_server did not start: \(text)"])
        }
        port = parsed
        // Keep draining its log so a full pipe never blocks it.
        let reader = output.fileHandleForReading
        Thread.detachNewThread { while !reader.availableData.isEmpty {} }
    }

    /// SIGKILL: children of the test runner may inherit a blocked SIGTERM, and s_server keeps no state.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// The certificate paths these tests hand to openssl and nghttpd: a CA, a server certificate for
/// 127.0.0.1/localhost/kube.test and a client certificate for `alice`, from `TestCertificates`.
struct TestPKI {
    let certificates: TestCertificates
    let server: TestCertificates.Issued
    let client: TestCertificates.Issued

    init() throws {
        certificates = try TestCertificates.makeCA()
        server = try certificates.server(dnsNames: ["localhost", "kube.test"])
        client = try certificates.client(commonName: "alice")
    }

    var directory: String { certificates.directory }
    var caCertificate: String { certificates.ca.certificatePath }
    var serverCertificate: String { server.certificatePath }
    var serverKey: String { server.keyPath }
    var clientCertificate: String { client.certificatePath }
    var clientKey: String { client.keyPath }

    func data(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func waitUntilListening(port: Int, timeout: TimeInterval = 10) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        close(fd)
        if result == 0 { return }
        usleep(20_000)
    }
    throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "port \(port) never listened"])
}
