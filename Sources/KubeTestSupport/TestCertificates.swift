import Foundation

/// A throwaway certificate authority for tests, made with the `openssl` command in a temporary directory.
///
/// `TestCertificates.makeCA()` creates the CA; `server(...)` issues serving certificates (SANs 127.0.0.1 and
/// localhost unless told otherwise) and `client(commonName:)` issues client certificates for mutual TLS.
/// Keys are EC P-256 unless RSA is asked for. Everything is returned both as PEM data and as file paths.
public struct TestCertificates: Sendable {
    /// A certificate and its private key.
    public struct Issued: Sendable {
        public var commonName: String
        public var certificatePEM: Data
        public var keyPEM: Data
        public var certificatePath: String
        public var keyPath: String

        /// Writes `tls.crt` and `tls.key` into `directory` (created if needed), the layout of a
        /// `kubernetes.io/tls` Secret mounted as a volume.
        public func writeTLSPair(to directory: String) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try certificatePEM.write(to: URL(fileURLWithPath: directory + "/tls.crt"), options: .atomic)
            try keyPEM.write(to: URL(fileURLWithPath: directory + "/tls.key"), options: .atomic)
        }
    }

    public enum KeyType: Sendable {
        case ecP256, rsa2048
    }

    /// Why a certificate could not be made.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        /// What `openssl` printed on stderr.
        public var cause: String
        public var description: String { "\(message): \(cause)" }
    }

    /// The temporary directory holding every file this CA made.
    public let directory: String
    /// The CA certificate and key.
    public let ca: Issued
    public let keyType: KeyType

    /// Creates a new CA in a fresh temporary directory.
    public static func makeCA(commonName: String = "ecr-test-ca", keyType: KeyType = .ecP256) throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "ecr-test-certs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cert = directory + "/ca.crt"
        let key = directory + "/ca.key"
        try run(
            ["req", "-x509", "-nodes", "-days", "3", "-subj", "/CN=\(commonName)", "-keyout", key, "-out", cert]
                + keyArguments(keyType)
                + ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            what: "create the test CA")
        let issued = try load(commonName: commonName, certificatePath: cert, keyPath: key)
        return TestCertificates(directory: directory, ca: issued, keyType: keyType)
    }

    /// Issues a serving certificate signed by this CA.
    public func server(
        commonName: String = "localhost", dnsNames: [String] = ["localhost"], ipAddresses: [String] = ["127.0.0.1"],
        validDays: Int = 2
    ) throws -> Issued {
        let sans = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        var extensions = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                          "extendedKeyUsage=serverAuth"]
        if !sans.isEmpty { extensions.append("subjectAltName=" + sans.joined(separator: ",")) }
        return try issue(commonName: commonName, extensions: extensions, validDays: validDays)
    }

    /// Issues a client certificate whose subject is `CN=commonName` (plus `O=` for each organization, which the
    /// Kubernetes API server reads as groups).
    public func client(commonName: String, organizations: [String] = [], validDays: Int = 2) throws -> Issued {
        let extensions = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                          "extendedKeyUsage=clientAuth"]
        return try issue(
            commonName: commonName, organizations: organizations, extensions: extensions, validDays: validDays)
    }

    /// Removes the temporary directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func issue(
        commonName: String, organizations: [String] = [], extensions: [String], validDays: Int
    ) throws -> Issued {
        let base = directory + "/" + UUID().uuidString
        let key = base + ".key"
        let csr = base + ".csr"
        let cert = base + ".crt"
        let extFile = base + ".ext"
        try extensions.joined(separator: "\n").appending("\n").write(toFile: extFile, atomically: true, encoding: .utf8)
        let subject = "/CN=\(commonName)" + organizations.map { "/O=\($0)" }.joined()
        try Self.run(
            ["req", "-new", "-nodes", "-subj", subject, "-keyout", key, "-out", csr] + Self.keyArguments(keyType),
            what: "create a key and CSR for \(commonName)")
        let serial = "0x" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(30)
        try Self.run(
            ["x509", "-req", "-in", csr, "-CA", ca.certificatePath, "-CAkey", ca.keyPath, "-set_serial", serial,
             "-days", String(validDays), "-extfile", extFile, "-out", cert],
            what: "sign the certificate for \(commonName)")
        return try Self.load(commonName: commonName, certificatePath: cert, keyPath: key)
    }

    private static func keyArguments(_ keyType: KeyType) -> [String] {
        switch keyType {
        case .ecP256: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        case .rsa2048: ["-newkey", "rsa:2048"]
        }
    }

    private static func load(commonName: String, certificatePath: String, keyPath: String) throws -> Issued {
        Issued(
            commonName: commonName,
            certificatePEM: try Data(contentsOf: URL(fileURLWithPath: certificatePath)),
            keyPEM: try Data(contentsOf: URL(fileURLWithPath: keyPath)),
            certificatePath: certificatePath, keyPath: keyPath)
    }

    private static func run(_ arguments: [String], what: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(message: "cannot \(what): openssl did not start", cause: "\(error)")
        }
        let errorOutput = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                message: "cannot \(what): openssl exited with \(process.terminationStatus)",
                cause: String(decoding: errorOutput, as: UTF8.self))
        }
    }
}
