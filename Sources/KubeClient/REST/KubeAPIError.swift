import CRDModels
import FoundationEssentials
import HTTPClient
import JSONDecoding

/// Why a Kubernetes API call failed.
///
/// API failures keep the server's `Status` (reason, message, causes) so callers can show the
/// server's own words; transport failures keep the `HTTPClientError` as `cause` and have code
/// `.transport`, so "the server said no" and "the server could not be reached" never blur.
public struct KubeAPIError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case notFound, conflict, alreadyExists, invalid, gone, throttled, unauthorized, forbidden
        case badRequest, serverError, timeout
        /// Any other non-2xx status.
        case unexpectedStatus
        /// The request never produced a response (connect, TLS, deadline, cancellation).
        case transport
        /// The response could not be decoded; `message` names the coding path.
        case decoding
        /// The request could not be built (missing namespace, bad name, bad configuration).
        case invalidRequest
    }

    public var code: Code
    public var message: String
    /// HTTP status of the response, when there was one.
    public var httpStatus: Int?
    /// The server's `Status` body, when it sent one.
    public var status: Status?
    /// How long the server asked us to wait (429 `Retry-After` or `details.retryAfterSeconds`).
    public var retryAfter: Duration?
    /// `GET /api/v1/namespaces/x/secrets/y`, for logs.
    public var request: String?
    public var cause: (any Error)?

    public init(
        code: Code, message: String, httpStatus: Int? = nil, status: Status? = nil, retryAfter: Duration? = nil,
        request: String? = nil, cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.status = status
        self.retryAfter = retryAfter
        self.request = request
        self.cause = cause
    }

    public var isNotFound: Bool { code == .notFound }
    public var isConflict: Bool { code == .conflict }
    public var isAlreadyExists: Bool { code == .alreadyExists }
    public var isInvalid: Bool { code == .invalid }
    /// 410 Gone or an `Expired`/`Gone` reason: the resourceVersion or continue token is too old; relist.
    public var isGone: Bool { code == .gone }
    public var isThrottled: Bool { code == .throttled }
    public var isUnauthorized: Bool { code == .unauthorized }
    public var isForbidden: Bool { code == .forbidden }
    public var isTransport: Bool { code == .transport }
    /// Worth retrying later unchanged: throttling, server errors, timeouts and transport failures.
    public var isTransient: Bool { [.throttled, .serverError, .timeout, .transport].contains(code) }

    /// The server's field-level causes (422 Invalid), empty otherwise.
    public var causes: [StatusCause] { status?.details?.causes ?? [] }

    public var description: String {
        var text = "Kubernetes API \(code.rawValue)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        if let request { text += " on \(request)" }
        text += ": \(message)"
        if let cause, code == .transport || code == .decoding { text += " [\(cause)]" }
        return text
    }

    /// Classifies a failed response. The status code decides first, as client-go's `errors.Is*` do
    /// (they look at reason and code); a reason refines 409 and the 410 family.
    public static func classify(httpStatus: Int, status: Status?) -> Code {
        let reason = status?.reason ?? ""
        switch reason {
        case "Expired", "Gone": return .gone
        case "AlreadyExists": return .alreadyExists
        default: break
        }
        switch httpStatus {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 410: return .gone
        case 422: return .invalid
        case 429: return .throttled
        case 504: return .timeout
        case 500...599: return reason == "Timeout" || reason == "ServerTimeout" ? .timeout : .serverError
        default: break
        }
        switch reason {
        case "NotFound": return .notFound
        case "Conflict": return .conflict
        case "Invalid": return .invalid
        case "TooManyRequests": return .throttled
        case "Unauthorized": return .unauthorized
        case "Forbidden": return .forbidden
        case "Timeout", "ServerTimeout": return .timeout
        case "InternalError", "ServiceUnavailable": return .serverError
        default: return .unexpectedStatus
        }
    }

    /// Builds the error for a non-2xx response: decodes a `Status` body if there is one and reads
    /// the server's requested delay.
    public static func fromResponse(
        httpStatus: Int, headers: [HTTPHeader], body: Data, request: String?, now: Date = Date()
    ) -> KubeAPIError {
        let status = try? FlatJSONDecoder().decode(Status.self, from: body)
        let validStatus = status?.kind == "Status" || status?.reason != nil ? status : nil
        let code = classify(httpStatus: httpStatus, status: validStatus)
        let retryHeader = headers.first { $0.hasName("Retry-After") }?.value
        let retryAfter = parseRetryAfter(retryHeader, now: now)
            ?? validStatus?.details?.retryAfterSeconds.map { Duration.seconds($0) }
        let message: String
        if let text = validStatus?.message, !text.isEmpty {
            message = text
        } else if !body.isEmpty, body.count <= 512, let text = String(data: body, encoding: .utf8) {
            message = "HTTP \(httpStatus): \(text.trimmingWhitespace())"
        } else {
            message = "HTTP \(httpStatus)"
        }
        return KubeAPIError(
            code: code, message: message, httpStatus: httpStatus, status: validStatus, retryAfter: retryAfter,
            request: request)
    }

    /// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 10.2.3); nil when absent or unparsable.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        guard let date = parseHTTPDate(value) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 5.6.7), the form servers send.
    static func parseHTTPDate(_ text: String) -> Date? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", let day = Int(parts[1]),
            let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let components = DateComponents(
            year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time[2])
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }

    /// Wraps a transport failure.
    static func transport(_ error: any Error, request: String) -> KubeAPIError {
        if let kubeError = error as? KubeAPIError { return kubeError }
        let message = (error as? HTTPClientError)?.description ?? String(describing: error)
        return KubeAPIError(code: .transport, message: message, request: request, cause: error)
    }

    /// Wraps a decoding failure, keeping the coding path in the message.
    static func decoding(_ error: any Error, type: String, request: String?) -> KubeAPIError {
        KubeAPIError(
            code: .decoding, message: "cannot decode \(type): \(describeDecodingError(error))", request: request,
            cause: error)
    }
}

/// A `DecodingError` in one line, with its coding path (`items[3].metadata.labels`).
func describeDecodingError(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return String(describing: error) }
    func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text.isEmpty ? "<root>" : text
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing key at \(path(context.codingPath + [key]))"
    case .typeMismatch(let type, let context):
        return "expected \(type) at \(path(context.codingPath)): \(context.debugDescription)"
    case .valueNotFound(let type, let context):
        return "null \(type) at \(path(context.codingPath))"
    case .dataCorrupted(let context):
        return "\(context.debugDescription) at \(path(context.codingPath))"
    @unknown default:
        return String(describing: error)
    }
}
