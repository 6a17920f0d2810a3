import FoundationEssentials
import HTTPClient

/// AWS Signature Version 4 (header form), as botocore's `SigV4Auth` computes it for non-S3 services.
///
/// A pure value: the credentials, scope and date are inputs, so the official test vectors pin it exactly.
/// The session token is added as `X-Amz-Security-Token` *before* signing, so it is always signed
/// (docs/PROTOCOLS.md 2.4).
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    /// Signing region, e.g. `us-east-1` (the region in the endpoint host, or the configured one for overrides).
    public var region: String
    /// Signing name, e.g. `ecr`, `ecr-public`, `sts`.
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Headers that proxies and HTTP stacks add, drop or rewrite; signing them would break the signature.
    static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id", "connection",
        "content-length", "accept-encoding", "keep-alive", "proxy-authorization", "te", "upgrade",
    ]

    /// The intermediate values of one signature; exposed so tests can compare each against the vectors.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signedHeaders: String
        public var signature: String
        public var authorization: String
    }

    /// Returns `request` with `X-Amz-Date`, `X-Amz-Security-Token` (temporary credentials only) and
    /// `Authorization` set. Stale copies of those headers are replaced.
    public func sign(_ request: HTTPRequest, date: Date) throws -> HTTPRequest {
        var signed = request
        signed.headers.removeAll {
            let name = $0.name.lowercased()
            return name == "authorization" || name == "x-amz-date" || name == "x-amz-security-token"
        }
        signed.headers.append(HTTPHeader("X-Amz-Date", Self.amzDate(date)))
        if let token = credentials.sessionToken {
            signed.headers.append(HTTPHeader("X-Amz-Security-Token", token))
        }
        let result = try signature(for: signed, date: date)
        signed.headers.append(HTTPHeader("Authorization", result.authorization))
        return signed
    }

    /// Computes the signature of `request` exactly as it is (it must already carry `X-Amz-Date` and, for
    /// temporary credentials, `X-Amz-Security-Token`; `sign` adds both).
    public func signature(for request: HTTPRequest, date: Date) throws -> Signature {
        guard let components = URLComponents(string: request.url), let host = components.host, !host.isEmpty
        else {
            throw AWSError(
                code: "InvalidURL", message: "cannot sign request: '\(request.url)' is not an absolute URL",
                kind: .invalidParameter)
        }
        let canonicalURI = Self.canonicalURI(components.percentEncodedPath)
        let canonicalQuery = Self.canonicalQuery(components.percentEncodedQuery)

        var headers: [String: [String]] = [:]
        var order: [String] = []
        func add(_ name: String, _ value: String) {
            if headers[name] == nil { order.append(name) }
            headers[name, default: []].append(Self.trimAll(value))
        }
        if !request.headers.contains(where: { $0.name.lowercased() == "host" }) {
            add("host", Self.hostHeader(components))
        }
        for header in request.headers {
            let name = header.name.lowercased()
            if Self.unsignedHeaders.contains(name) { continue }
            add(name, header.value)
        }
        let names = order.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let payloadHash = Crypto.hex(Crypto.sha256(request.body))

        let canonicalRequest = [
            request.method.uppercased(), canonicalURI, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = credentialScope(date: date)
        let stringToSign = [
            "AWS4-HMAC-SHA256", Self.amzDate(date), scope, Crypto.hex(Crypto.sha256(canonicalRequest)),
        ].joined(separator: "\n")
        let signature = Crypto.hex(Crypto.hmacSHA256(key: signingKey(date: date), stringToSign))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
            signature: signature, authorization: authorization)
    }

    /// `YYYYMMDD/region/service/aws4_request`.
    public func credentialScope(date: Date) -> String {
        "\(Self.dateStamp(date))/\(region)/\(service)/aws4_request"
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    public func signingKey(date: Date) -> [UInt8] {
        let kDate = Crypto.hmacSHA256(key: Array(("AWS4" + credentials.secretAccessKey).utf8), Self.dateStamp(date))
        let kRegion = Crypto.hmacSHA256(key: kDate, region)
        let kService = Crypto.hmacSHA256(key: kRegion, service)
        return Crypto.hmacSHA256(key: kService, "aws4_request")
    }

    // MARK: - Canonical pieces (pure, static so tests can call them directly)

    /// `20150830T123600Z` in UTC.
    public static func amzDate(_ date: Date) -> String {
        let c = utcComponents(date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2)
            + pad(c.second, 2) + "Z"
    }

    /// `20150830` in UTC.
    public static func dateStamp(_ date: Date) -> String { String(amzDate(date).prefix(8)) }

    private static func utcComponents(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt  // named zones need FoundationInternationalization, which is not linked
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }

    /// The `host` value: with `:port` only when the port is not the scheme's default (matters for moto).
    static func hostHeader(_ components: URLComponents) -> String {
        var host = components.percentEncodedHost ?? components.host ?? ""
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        guard let port = components.port else { return host }
        let scheme = components.scheme?.lowercased()
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }

    /// Normalized path (dot segments and empty segments removed, as botocore's `normalize_url_path`), then
    /// URI-encoded keeping `/` and `~`. The input is the already encoded path, so `%` is encoded again:
    /// non-S3 services double-encode.
    static func canonicalURI(_ encodedPath: String) -> String {
        guard !encodedPath.isEmpty else { return "/" }
        var segments: [Substring] = []
        for segment in encodedPath.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !segments.isEmpty { segments.removeLast() }
                continue
            }
            segments.append(segment)
        }
        var path = "/" + segments.joined(separator: "/")
        if encodedPath.hasSuffix("/") && path != "/" { path += "/" }
        return uriEncode(path, keepSlash: true)
    }

    /// Each key and value decoded, then encoded with the unreserved set; sorted by key, then value.
    static func canonicalQuery(_ encodedQuery: String?) -> String {
        guard let encodedQuery, !encodedQuery.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for item in encodedQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = PercentEncoding.decode(parts[0]) ?? String(parts[0])
            let value = parts.count > 1 ? (PercentEncoding.decode(parts[1]) ?? String(parts[1])) : ""
            pairs.append((uriEncode(key, keepSlash: false), uriEncode(value, keepSlash: false)))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Strips the value and collapses internal whitespace runs to one space (SigV4 "trimall").
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .joined(separator: " ")
    }

    /// RFC 3986 encoding with the unreserved set `A-Za-z0-9-_.~` (and `/` when asked); uppercase hex.
    public static func uriEncode(_ string: String, keepSlash: Bool) -> String {
        PercentEncoding.encode(string, keepSlash: keepSlash)
    }
}
