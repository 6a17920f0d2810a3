import COpenSSL
import FoundationEssentials

/// How a TLS server negotiates: protocol versions, suites, ALPN and optional client certificates.
///
/// The defaults follow the "intermediate" profile most Kubernetes webhooks use: TLS 1.2 and 1.3 only,
/// AEAD suites with forward secrecy, `http/1.1` by ALPN.
public struct TLSServerOptions: Sendable, Hashable {
    /// TLS 1.2 cipher list (OpenSSL syntax). TLS 1.3 suites are set separately.
    public var tls12Ciphers: String
    /// TLS 1.3 cipher suites (OpenSSL syntax).
    public var tls13CipherSuites: String
    /// Protocols offered by ALPN, most preferred first. A client that offers none of them still connects,
    /// without ALPN.
    public var alpnProtocols: [String]
    /// PEM bundle of CAs that sign client certificates. When set, the server asks for a client certificate
    /// and verifies it; the subject's common name reaches request handlers.
    public var clientCAPEM: Data?
    /// With `clientCAPEM` set: refuse the handshake when the client sends no certificate.
    public var requireClientCertificate: Bool
    /// Sessions kept for resumption, the oldest evicted first: TLS 1.2 session IDs and TLS 1.3 tickets, one per
    /// connection, each a kilobyte or two of memory in this process (TLS 1.2 tickets stay off: their key would
    /// outlive forward secrecy). A reconnecting client skips the certificate's signature; a client that only
    /// connects cannot make the process keep more than this many. 0 keeps none and resumes nothing.
    public var sessionCacheSize: Int

    public init(
        tls12Ciphers: String = TLSServerOptions.modernTLS12Ciphers,
        tls13CipherSuites: String = TLSServerOptions.modernTLS13Suites,
        alpnProtocols: [String] = ["http/1.1"],
        clientCAPEM: Data? = nil,
        requireClientCertificate: Bool = false,
        sessionCacheSize: Int = 1024
    ) {
        self.tls12Ciphers = tls12Ciphers
        self.tls13CipherSuites = tls13CipherSuites
        self.alpnProtocols = alpnProtocols
        self.clientCAPEM = clientCAPEM
        self.requireClientCertificate = requireClientCertificate
        self.sessionCacheSize = sessionCacheSize
    }

    public static let modernTLS12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    public static let modernTLS13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
}

/// Why a TLS context could not be built or a handshake failed.
public struct TLSServerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// The certificate PEM could not be parsed or holds no certificate.
        case invalidCertificate
        /// The private key PEM could not be parsed.
        case invalidPrivateKey
        /// The key does not belong to the certificate.
        case keyMismatch
        /// The client CA bundle could not be parsed.
        case invalidClientCA
        /// OpenSSL refused a setting (cipher list, versions).
        case configuration
        /// Reading the certificate files failed.
        case fileRead
        /// The TLS handshake failed (protocol version, no shared cipher, bad client certificate, garbage bytes).
        case handshakeFailed
        /// A TLS record could not be processed after the handshake.
        case protocolError
    }

    public var code: Code
    public var message: String
    /// OpenSSL's error queue or the underlying error, rendered as text.
    public var cause: String?

    public init(code: Code, message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        "TLS \(code.rawValue): \(message)" + (cause.map { " (\($0))" } ?? "")
    }
}

/// An OpenSSL `SSL_CTX` holding one certificate pair and the server options.
///
/// Immutable once built, so it is shared across event loops: OpenSSL allows `SSL_new` on one context from
/// many threads. Rotation builds a new context; connections keep a strong reference to the one they started
/// with, so they finish on the old pair.
public final class TLSServerContext: @unchecked Sendable {
    let ctx: OpaquePointer
    /// ALPN protocols in wire format behind a 2-byte total length, read by the select callback through its `arg`.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>
    /// The leaf certificate's subject and expiry, to tell pairs apart in logs.
    public let leafSubject: String
    public let leafNotAfter: String

    /// Builds a context from PEM data: `certificatePEM` is the leaf followed by any intermediates.
    public init(certificatePEM: Data, privateKeyPEM: Data, options: TLSServerOptions = TLSServerOptions()) throws {
        OpenSSLErrors.clear()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw TLSServerError(code: .configuration, message: "SSL_CTX_new failed", cause: OpenSSLErrors.drain())
        }
        var wire: [UInt8] = []
        for proto in options.alpnProtocols {
            let bytes = Array(proto.utf8)
            precondition(!bytes.isEmpty && bytes.count < 256, "ALPN protocol names are 1...255 bytes")
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        let alpn = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: wire.count + 2)
        _ = alpn.initialize(from: [UInt8(wire.count >> 8), UInt8(wire.count & 0xff)] + wire)
        self.ctx = ctx
        self.alpnWire = alpn
        var subject = ""
        var notAfter = ""
        do {
            try Self.configure(ctx, options: options)
            (subject, notAfter) = try Self.loadPair(ctx, certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
            if let ca = options.clientCAPEM {
                try Self.loadClientCA(ctx, pem: ca, require: options.requireClientCertificate)
            }
        } catch {
            SSL_CTX_free(ctx)
            alpn.deallocate()
            throw error
        }
        self.leafSubject = subject
        self.leafNotAfter = notAfter
        if !wire.isEmpty {
            SSL_CTX_set_alpn_select_cb(ctx, alpnSelect, UnsafeMutableRawPointer(alpnWire.baseAddress))
        }
    }

    deinit {
        SSL_CTX_free(ctx)
        alpnWire.deallocate()
    }

    private static func configure(_ ctx: OpaquePointer, options: TLSServerOptions) throws {
        guard copenssl_ctx_set_min_proto(ctx, TLS1_2_VERSION) == 1,
            copenssl_ctx_set_max_proto(ctx, TLS1_3_VERSION) == 1
        else {
            throw TLSServerError(code: .configuration, message: "cannot limit TLS to 1.2-1.3", cause: OpenSSLErrors.drain())
        }
        _ = copenssl_ctx_set_options(ctx, copenssl_server_hardening_options())
        guard SSL_CTX_set_cipher_list(ctx, options.tls12Ciphers) == 1 else {
            throw TLSServerError(
                code: .configuration, message: "invalid TLS 1.2 cipher list \(options.tls12Ciphers)",
                cause: OpenSSLErrors.drain())
        }
        guard SSL_CTX_set_ciphersuites(ctx, options.tls13CipherSuites) == 1 else {
            throw TLSServerError(
                code: .configuration, message: "invalid TLS 1.3 suites \(options.tls13CipherSuites)",
                cause: OpenSSLErrors.drain())
        }
        // Resumption from a bounded cache (`sessionCacheSize`). OpenSSL's default held up to 20,480 sessions, two per
        // TLS 1.3 handshake (its tickets are stateful with SSL_OP_NO_TICKET): a client that only connected grew the
        // process by 10 MiB per 8,000 handshakes. One ticket per connection, as a client resumes with one.
        if options.sessionCacheSize > 0 {
            _ = copenssl_ctx_sess_set_cache_size(ctx, options.sessionCacheSize)
            // Needed for resumption when client certificates are verified; harmless otherwise.
            let sid = Array("ecr-pullsecret-operator".utf8)
            _ = SSL_CTX_set_session_id_context(ctx, sid, UInt32(sid.count))
        } else {
            _ = copenssl_ctx_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))  // a size of 0 would be unlimited
        }
        guard SSL_CTX_set_num_tickets(ctx, options.sessionCacheSize > 0 ? 1 : 0) == 1 else {
            throw TLSServerError(
                code: .configuration, message: "cannot set the number of TLS 1.3 tickets", cause: OpenSSLErrors.drain())
        }
    }

    /// Loads the leaf, its chain and the key; returns the leaf's subject and expiry for logs.
    private static func loadPair(
        _ ctx: OpaquePointer, certificatePEM: Data, privateKeyPEM: Data
    ) throws -> (String, String) {
        let certs = try PEM.certificates(certificatePEM)
        defer { certs.forEach { X509_free($0) } }
        guard let leaf = certs.first else {
            throw TLSServerError(code: .invalidCertificate, message: "no PEM certificate found in tls.crt")
        }
        guard SSL_CTX_use_certificate(ctx, leaf) == 1 else {
            throw TLSServerError(
                code: .invalidCertificate, message: "OpenSSL rejected the certificate", cause: OpenSSLErrors.drain())
        }
        for intermediate in certs.dropFirst() {
            guard copenssl_ctx_add1_chain_cert(ctx, intermediate) == 1 else {
                throw TLSServerError(
                    code: .invalidCertificate, message: "OpenSSL rejected an intermediate certificate",
                    cause: OpenSSLErrors.drain())
            }
        }
        let key = try PEM.privateKey(privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        guard X509_check_private_key(leaf, key) == 1 else {
            throw TLSServerError(
                code: .keyMismatch, message: "tls.key does not match the certificate in tls.crt",
                cause: OpenSSLErrors.drain())
        }
        guard SSL_CTX_use_PrivateKey(ctx, key) == 1 else {
            throw TLSServerError(
                code: .invalidPrivateKey, message: "OpenSSL rejected the private key", cause: OpenSSLErrors.drain())
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSServerError(
                code: .keyMismatch, message: "tls.key does not match the certificate in tls.crt",
                cause: OpenSSLErrors.drain())
        }
        return (X509Names.subject(leaf), X509Names.notAfter(leaf))
    }

    private static func loadClientCA(_ ctx: OpaquePointer, pem: Data, require: Bool) throws {
        let cas = try PEM.certificates(pem)
        defer { cas.forEach { X509_free($0) } }
        guard !cas.isEmpty else {
            throw TLSServerError(code: .invalidClientCA, message: "no PEM certificate found in the client CA bundle")
        }
        guard let store = SSL_CTX_get_cert_store(ctx) else {
            throw TLSServerError(code: .configuration, message: "SSL_CTX has no certificate store")
        }
        for ca in cas {
            guard X509_STORE_add_cert(store, ca) == 1, SSL_CTX_add_client_CA(ctx, ca) == 1 else {
                throw TLSServerError(
                    code: .invalidClientCA, message: "OpenSSL rejected a client CA", cause: OpenSSLErrors.drain())
            }
        }
        let mode = SSL_VERIFY_PEER | (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0)
        SSL_CTX_set_verify(ctx, mode, nil)
    }
}

/// Picks the first server protocol the client also offers (RFC 7301 via `SSL_select_next_proto`); without a
/// match the handshake goes on without ALPN. `arg` points at a 2-byte length followed by the wire-format list.
private func alpnSelect(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outlen: UnsafeMutablePointer<UInt8>?, _ input: UnsafePointer<UInt8>?, _ inlen: UInt32,
    _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let out, let outlen, let input, let arg else { return SSL_TLSEXT_ERR_NOACK }
    let header = arg.assumingMemoryBound(to: UInt8.self)
    let serverLength = UInt32(header[0]) << 8 | UInt32(header[1])
    var selected: UnsafeMutablePointer<UInt8>?
    var selectedLength: UInt8 = 0
    let result = SSL_select_next_proto(&selected, &selectedLength, header + 2, serverLength, input, inlen)
    guard result == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_NOACK }
    out.pointee = UnsafePointer(selected)
    outlen.pointee = selectedLength
    return SSL_TLSEXT_ERR_OK
}
