import CRDModels
import FoundationEssentials
import HTTPServer
import Logging
import NIOHTTP1

/// The webhook's HTTP side: routes the two validation paths and `/healthz`, decodes each AdmissionReview,
/// looks up other resources' Secret claims (from a cache in production: `CachedSecretClaimLookup`), and
/// answers with the decision of `AdmissionReviewer`.
public struct AdmissionWebhook: Sendable {
    public let ambientPolicy: AmbientCredentialsPolicy
    public let claims: any SecretClaimLookup
    let logger: Logger

    public init(ambientPolicy: AmbientCredentialsPolicy, claims: any SecretClaimLookup, logger: Logger) {
        self.ambientPolicy = ambientPolicy
        self.claims = claims
        self.logger = logger
    }

    /// The handler closure for `HTTPServer`: synchronous, so a review is answered on the connection's event loop
    /// inside the read that completed it (the claim lookup reads a cache and never waits).
    public var handler: HTTPServer.SynchronousHandler {
        { request in self.handle(request) }
    }

    public func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let path = request.path
        if path == "/healthz" || path == "/readyz" {
            guard request.method == "GET" || request.method == "HEAD" else { return methodNotAllowed("GET") }
            return .text(.ok, "ok")
        }
        guard let kind = WebhookKind(path: path) else {
            return Self.error(.notFound, "no handler for \(path); POST AdmissionReviews to "
                + WebhookKind.allCases.map(\.path).joined(separator: " or "))
        }
        guard request.method == "POST" else { return methodNotAllowed("POST") }
        return review(request.body, kind: kind)
    }

    /// Reviews one AdmissionReview body for `kind`.
    public func review(_ body: Data, kind: WebhookKind) -> HTTPServerResponse {
        let parsed: ParsedAdmission
        do {
            parsed = try AdmissionReviewer.parse(body, for: kind)
        } catch {
            logger.warning("bad admission request", metadata: ["webhook.kind": "\(kind.rawValue)", "error": "\(error)"])
            return Self.error(.badRequest, error.message)
        }
        var existing: Result<[SecretClaim], any Error>?
        let claim = parsed.claim
        if let claim {
            do {
                existing = .success(try claims.claims(relevantTo: claim))
            } catch {
                logger.warning(
                    "cannot read existing resources' Secret claims; denying",
                    metadata: ["webhook.uid": "\(parsed.uid)", "error": "\(error)"])
                existing = .failure(error)
            }
        }
        let response = AdmissionReviewer.decide(
            parsed, ambientPolicy: ambientPolicy, claim: claim, existingClaims: existing)
        logger.log(
            level: response.allowed ? .debug : .info,
            "admission decided",
            metadata: [
                "webhook.uid": "\(parsed.uid)", "webhook.kind": "\(kind.rawValue)",
                "webhook.operation": "\(parsed.operation)", "webhook.object": "\(parsed.displayName)",
                "webhook.allowed": "\(response.allowed)",
                "webhook.message": "\(response.status?.message ?? "")",
            ])
        return .json(.ok, bytes: AdmissionReview.encoded(response: response))
    }

    private func methodNotAllowed(_ allowed: String) -> HTTPServerResponse {
        var response = Self.error(.methodNotAllowed, "method not allowed; use \(allowed)")
        response.headers.replaceOrAdd(name: "Allow", value: allowed)
        return response
    }

    /// `{"message": ...}` with `status`.
    static func error(_ status: HTTPResponseStatus, _ message: String) -> HTTPServerResponse {
        let body = (try? JSONEncoder().encode(["message": message])) ?? Data(#"{"message":"error"}"#.utf8)
        return .json(status, body)
    }
}
