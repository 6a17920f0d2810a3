import COpenSSL
import FoundationEssentials

/// SHA-256 and HMAC-SHA256 through OpenSSL's one-shot functions (no AWS SDK, no CryptoKit on Linux).
enum Crypto {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")
        return Array(out.prefix(Int(length)))
    }

    static func sha256(_ data: Data) -> [UInt8] { sha256([UInt8](data)) }
    static func sha256(_ string: String) -> [UInt8] { sha256(Array(string.utf8)) }

    static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { dataBytes in
                HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                    dataBytes.bindMemory(to: UInt8.self).baseAddress, dataBytes.count, &out, &length)
            }
        }
        precondition(result != nil, "HMAC(SHA-256) failed")
        return Array(out.prefix(Int(length)))
    }

    static func hmacSHA256(key: [UInt8], _ string: String) -> [UInt8] {
        hmacSHA256(key: key, data: Array(string.utf8))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var result = ""
        result.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0F)])
        }
        return result
    }
}
