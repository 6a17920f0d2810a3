import COpenSSL
import FoundationEssentials

/// OpenSSL keeps errors in a per-thread queue; every failing call is followed by `drain()` so the queue never
/// leaks one connection's error into another's message.
enum OpenSSLErrors {
    static func clear() {
        ERR_clear_error()
    }

    /// All queued errors as one line, oldest first; nil when the queue is empty.
    static func drain() -> String? {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            if messages.count >= 8 { break }
        }
        ERR_clear_error()
        return messages.isEmpty ? nil : messages.joined(separator: "; ")
    }
}

/// PEM parsing from memory.
enum PEM {
    /// Every certificate in `pem`, in order. The caller frees them with `X509_free`.
    static func certificates(_ pem: Data) throws -> [OpaquePointer] {
        var result: [OpaquePointer] = []
        try withMemoryBIO(pem) { bio in
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) {
                result.append(cert)
            }
            // Reaching the end of the data leaves a PEM "no start line" error; anything else is a real error.
            let last = ERR_peek_last_error()
            if last != 0, ERR_GET_REASON_shim(last) != PEM_R_NO_START_LINE {
                result.forEach { X509_free($0) }
                result = []
                throw TLSServerError(
                    code: .invalidCertificate, message: "cannot parse a PEM certificate", cause: OpenSSLErrors.drain())
            }
            ERR_clear_error()
        }
        return result
    }

    /// The first private key in `pem` (PKCS#8, PKCS#1 RSA or SEC1 EC). The caller frees it with `EVP_PKEY_free`.
    static func privateKey(_ pem: Data) throws -> OpaquePointer {
        try withMemoryBIO(pem) { bio in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
                throw TLSServerError(
                    code: .invalidPrivateKey, message: "cannot parse a PEM private key", cause: OpenSSLErrors.drain())
            }
            return key
        }
    }

    private static func withMemoryBIO<T>(_ data: Data, _ body: (OpaquePointer) throws -> T) throws -> T {
        try data.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw TLSServerError(code: .configuration, message: "BIO_new_mem_buf failed")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }
}

/// `ERR_GET_REASON` is a macro in OpenSSL 3; the reason is the low 23 bits unless the error is a system error.
@inline(__always)
func ERR_GET_REASON_shim(_ code: UInt) -> Int32 {
    Int32(truncatingIfNeeded: code & 0x7FFFFF)
}

/// Text out of X509 names and times.
enum X509Names {
    static func subject(_ cert: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(cert) else { return "" }
        return oneline(name)
    }

    /// The subject's first common name, if any.
    static func commonName(_ cert: OpaquePointer) -> String? {
        guard let name = X509_get_subject_name(cert) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var out: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&out, data)
        guard length >= 0, let out else { return nil }
        defer { CRYPTO_free(out, nil, 0) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    static func notAfter(_ cert: OpaquePointer) -> String {
        guard let time = X509_get0_notAfter(cert), let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard ASN1_TIME_print(bio, time) == 1 else { return "" }
        return readAll(bio)
    }

    private static func oneline(_ name: OpaquePointer) -> String {
        guard let text = X509_NAME_oneline(name, nil, 0) else { return "" }
        defer { CRYPTO_free(text, nil, 0) }
        return String(cString: text)
    }

    private static func readAll(_ bio: OpaquePointer) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let n = BIO_read(bio, &buffer, Int32(buffer.count))
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<Int(n)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
