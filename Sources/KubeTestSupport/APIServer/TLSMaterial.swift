import Foundation
import HTTPServer
import Logging
import NIOCore

/// The test server's TLS identity: a throwaway CA (made with `openssl` by `TestCertificates`), a
/// serving certificate for 127.0.0.1/localhost, and the same CA for verifying client certificates,
/// whose CN becomes the user (as kube-apiserver's `--client-ca-file` authenticator does).
struct TLSMaterial: Sendable {
    let certificates: TestCertificates
    let context: TLSServerContext

    var caPEM: Data { certificates.ca.certificatePEM }

    static func make() throws -> TLSMaterial {
        let certificates = try TestCertificates.makeCA(commonName: "kube-api-test-server-ca")
        do {
            let serving = try certificates.server(commonName: "kube-apiserver")
            let context = try TLSServerContext(
                certificatePEM: serving.certificatePEM, privateKeyPEM: serving.keyPEM,
                options: TLSServerOptions(clientCAPEM: certificates.ca.certificatePEM, requireClientCertificate: false))
            return TLSMaterial(certificates: certificates, context: context)
        } catch {
            certificates.remove()
            throw error
        }
    }

    /// Puts the shared OpenSSL handler first in a new connection's pipeline.
    func addHandler(to channel: any Channel, logger: Logger) throws {
        try channel.pipeline.syncOperations.addHandler(OpenSSLServerHandler(context: context, logger: logger))
    }

    func clientCertificate(user: String, groups: [String]) throws -> (certificatePEM: Data, keyPEM: Data) {
        let issued = try certificates.client(commonName: user, organizations: groups)
        return (issued.certificatePEM, issued.keyPEM)
    }

    func remove() { certificates.remove() }
}
