import Foundation
import HTTPClient
import Testing

@testable import KubeClient

@Suite struct KubeAPIErrorTests {
    @Test(arguments: [
        (404, "NotFound", KubeAPIError.Code.notFound),
        (409, "Conflict", .conflict),
        (409, "AlreadyExists", .alreadyExists),
        (422, "Invalid", .invalid),
        (410, "Gone", .gone),
        (410, "Expired", .gone),
        (200, "Expired", .gone),
        (429, "TooManyRequests", .throttled),
        (401, "Unauthorized", .unauthorized),
        (403, "Forbidden", .forbidden),
        (400, "BadRequest", .badRequest),
        (500, "InternalError", .serverError),
        (503, "ServiceUnavailable", .serverError),
        (504, "Timeout", .timeout),
        (418, "", .unexpectedStatus),
    ])
    func classification(httpStatus: Int, reason: String, expected: KubeAPIError.Code) {
        let status = Status(reason: reason.isEmpty ? nil : reason, code: httpStatus)
        #expect(KubeAPIError.classify(httpStatus: httpStatus, status: status) == expected)
    }

    @Test func responseKeepsStatusAndCauses() {
        let body = """
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
             "message":"Secret \\"x\\" is invalid: data: Too long","reason":"Invalid",
             "details":{"name":"x","kind":"secrets","causes":[{"reason":"FieldValueTooLong","message":"Too long","field":"data"}]},
             "code":422}
            """
        let error = KubeAPIError.fromResponse(
            httpStatus: 422, headers: [], body: Data(body.utf8), request: "POST /api/v1/namespaces/n/secrets")
        #expect(error.isInvalid)
        #expect(error.message == #"Secret "x" is invalid: data: Too long"#)
        #expect(error.causes.first?.field == "data")
        #expect(error.status?.details?.name == "x")
        #expect(error.description.contains("POST /api/v1/namespaces/n/secrets"))
    }

    @Test func retryAfterComesFromTheHeaderOrTheDetails() {
        let fromHeader = KubeAPIError.fromResponse(
            httpStatus: 429, headers: [HTTPHeader("retry-after", "7")],
            body: Data(#"{"kind":"Status","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":3}}"#.utf8),
            request: nil)
        #expect(fromHeader.isThrottled)
        #expect(fromHeader.retryAfter == .seconds(7))
        let fromDetails = KubeAPIError.fromResponse(
            httpStatus: 429, headers: [],
            body: Data(#"{"kind":"Status","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":3}}"#.utf8),
            request: nil)
        #expect(fromDetails.retryAfter == .seconds(3))
        let now = Date(timeIntervalSince1970: 1_784_000_000)
        let date = KubeAPIError.parseRetryAfter("Tue, 14 Jul 2026 03:33:40 GMT", now: now)
        #expect(date == .seconds(20))
        #expect(KubeAPIError.parseRetryAfter("soon") == nil)
    }

    @Test func nonStatusBodiesStillGiveAClassAndAMessage() {
        let error = KubeAPIError.fromResponse(
            httpStatus: 502, headers: [], body: Data("<html>bad gateway</html>".utf8), request: nil)
        #expect(error.code == .serverError)
        #expect(error.status == nil)
        #expect(error.message.contains("bad gateway"))
        #expect(error.isTransient)
    }

    @Test func transportErrorsAreWrappedDistinctly() {
        let cause = HTTPClientError(code: .connectFailed, message: "connection refused")
        let error = KubeAPIError.transport(cause, request: "GET /api")
        #expect(error.isTransport)
        #expect(error.httpStatus == nil)
        #expect((error.cause as? HTTPClientError)?.code == .connectFailed)
        #expect(error.isTransient)
    }
}
