import Foundation
import Logging
import NIOCore

/// The server's TLS identity and client-certificate CA. Filled in once the shared OpenSSL handler lands.
struct TLSMaterial: Sendable {
    var caPEM: Data

    static func make() throws -> TLSMaterial {
        throw APIError(code: 501, reason: "NotImplemented", message: "TLS for the test server is not available yet")
    }

    func addHandler(to channel: any Channel, logger: Logger) throws {}
}

extension TLSMaterial {
    func clientCertificate(user: String) throws -> (certificatePEM: Data, keyPEM: Data) {
        throw APIError(code: 501, reason: "NotImplemented", message: "TLS for the test server is not available yet")
    }
}
