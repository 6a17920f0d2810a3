import CRDModels
import FoundationEssentials
import JSONDecoding

/// The kinds this webhook validates, each on its own path.
public enum WebhookKind: String, Sendable, CaseIterable {
    case namespaced = "AWSECRImagePullSecret"
    case cluster = "ClusterAWSECRImagePullSecret"

    /// The path the ValidatingWebhookConfiguration points at.
    public var path: String {
        switch self {
        case .namespaced: "/validate-awsecrimagepullsecret"
        case .cluster: "/validate-clusterawsecrimagepullsecret"
        }
    }

    /// The kind validated at `path`, or nil. A switch, not a search of `allCases` (which builds an array):
    /// every request is routed through it.
    public init?(path: String) {
        switch path {
        case Self.namespaced.path: self = .namespaced
        case Self.cluster.path: self = .cluster
        default: return nil
        }
    }

    var descriptor: ResourceDescriptor {
        switch self {
        case .namespaced: AWSECRImagePullSecret.resource
        case .cluster: ClusterAWSECRImagePullSecret.resource
        }
    }
}

/// Why a body cannot be reviewed at all; answered with HTTP 400 and a JSON message, never a crash.
public struct AdmissionRequestError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case malformedBody, wrongKind, unknownVersion, missingRequest, missingObject, undecodableObject
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// An AdmissionReview whose envelope and object were decoded and checked against the endpoint's kind.
public struct ParsedAdmission: Sendable, Equatable {
    /// Boxed (`indirect`): the two resources inline made `ParsedAdmission` about 2 KB, copied by `memmove` at every
    /// return and binding on the way from the reader to the decision.
    indirect enum Objects: Sendable, Equatable {
        case namespaced(new: AWSECRImagePullSecret?, old: AWSECRImagePullSecret?)
        case cluster(new: ClusterAWSECRImagePullSecret?, old: ClusterAWSECRImagePullSecret?)
    }

    public var uid: String
    public var operation: String
    public var kind: WebhookKind
    public var name: String?
    public var namespace: String?
    var objects: Objects

    /// The Secret this request would claim; nil when nothing is being created or changed.
    public var claim: SecretClaim? {
        guard operation == "CREATE" || (operation == "UPDATE" && !specUnchanged) else { return nil }
        switch objects {
        case .namespaced(let new?, _):
            return new.secretClaim(requestNamespace: namespace)
        case .cluster(let new?, _):
            return new.secretClaim(requestNamespace: nil)
        default:
            return nil
        }
    }

    /// `team-a/registry` or `shared`, for messages and logs.
    public var displayName: String {
        let objectName = name ?? "(unnamed)"
        if kind == .namespaced, let namespace { return "\(namespace)/\(objectName)" }
        return objectName
    }
}

/// The admission decision as pure functions: parse a body, then decide from the request, the operator's
/// ambient-credentials policy and the claims of other resources. No I/O, so the rules are tested directly.
public enum AdmissionReviewer {
    /// Most warnings kubectl shows in full; longer ones are cut with an ellipsis.
    static let warningLimit = 120

    /// One decoder for every review (it holds no state between calls). Not `JSONDecoder`: see `FlatJSON`.
    private static let decoder = FlatJSONDecoder()

    /// Decodes an AdmissionReview for `kind`'s endpoint: by the fast path (`AdmissionFastPath`) when it takes the
    /// document, which it reads as `parseFully` does, else by `parseFully`, which reads and answers every document.
    public static func parse(_ body: Data, for kind: WebhookKind) throws(AdmissionRequestError) -> ParsedAdmission {
        if let parsed = AdmissionFastPath.parse(body, for: kind) { return parsed }
        return try parseFully(body, for: kind)
    }

    /// Decodes an AdmissionReview for `kind`'s endpoint in one pass: the objects are decoded as `kind`'s type
    /// where they stand, and their errors are kept until the envelope's checks (kind, version) have passed, so
    /// a review for the wrong endpoint is reported as such rather than as an undecodable object.
    package static func parseFully(
        _ body: Data, for kind: WebhookKind
    ) throws(AdmissionRequestError) -> ParsedAdmission {
        switch kind {
        case .namespaced:
            let (request, name, new, old) = try decodeEnvelope(body, AWSECRImagePullSecretSpec.self, for: kind)
            return ParsedAdmission(
                request, kind: kind, name: name,
                objects: .namespaced(
                    new: new?.resource(AWSECRImagePullSecret.init), old: old?.resource(AWSECRImagePullSecret.init)))
        case .cluster:
            let (request, name, new, old) = try decodeEnvelope(body, ClusterAWSECRImagePullSecretSpec.self, for: kind)
            return ParsedAdmission(
                request, kind: kind, name: name,
                objects: .cluster(
                    new: new?.resource(ClusterAWSECRImagePullSecret.init),
                    old: old?.resource(ClusterAWSECRImagePullSecret.init)))
        }
    }

    /// The envelope's checks in order (review kind, apiVersion, request, the request's kind and version),
    /// then the objects, read as `kind`'s type: a review for the wrong endpoint is reported as such rather than
    /// as an undecodable object; then the objects the operation needs. The name is the request's, else the object's.
    /// (Checked here on the small `AdmittedObject`s, before the resources are built: every look into
    /// `ParsedAdmission.Objects` copied a whole resource, retaining each of its strings; `webhook-review`'s parse,
    /// median of 8 alternating runs, 9.1 → 7.2 µs.)
    private static func decodeEnvelope<Spec: AdmittedSpec>(
        _ body: Data, _ type: Spec.Type, for kind: WebhookKind
    ) throws(AdmissionRequestError) -> (
        AdmissionEnvelope.Request, name: String?, new: AdmittedObject<Spec>?, old: AdmittedObject<Spec>?
    ) {
        let review: AdmissionEnvelope
        do {
            review = try AdmissionEnvelope(try decoder.object(from: body))
        } catch {
            throw AdmissionRequestError(
                code: .malformedBody, message: "body is not an AdmissionReview: \(describe(error))")
        }
        guard review.kindText == "AdmissionReview" else {
            throw AdmissionRequestError(code: .wrongKind, message: "kind must be AdmissionReview, got \(review.kind)")
        }
        guard review.apiVersionText == AdmissionReview.apiVersionV1 else {
            throw AdmissionRequestError(
                code: .unknownVersion,
                message: "apiVersion \(review.apiVersion) is not supported; use \(AdmissionReview.apiVersionV1)")
        }
        guard let request = review.request else {
            throw AdmissionRequestError(code: .missingRequest, message: "AdmissionReview has no request")
        }
        let expected = kind.descriptor
        guard request.kindTexts.kind == expected.kind, request.kindTexts.group == expected.group else {
            let got = request.kind.group.isEmpty ? request.kind.kind : "\(request.kind.kind).\(request.kind.group)"
            throw AdmissionRequestError(
                code: .wrongKind,
                message: "\(kind.path) validates \(expected.kind).\(expected.group), got \(got)")
        }
        guard request.kindTexts.version == expected.version else {
            throw AdmissionRequestError(
                code: .unknownVersion,
                message: "\(expected.kind) version \(request.kind.version) is not supported; use \(expected.version)")
        }
        let new = try request.object("object", Spec.self, kind: kind.rawValue)
        let old = try request.object("oldObject", Spec.self, kind: kind.rawValue)
        if request.operation == "CREATE" || request.operation == "UPDATE" {
            guard new != nil else {
                throw AdmissionRequestError(code: .missingObject, message: "\(request.operation) request has no object")
            }
            if request.operation == "UPDATE", old == nil {
                throw AdmissionRequestError(code: .missingObject, message: "UPDATE request has no oldObject")
            }
        }
        return (request, request.name ?? new.map { $0.metadata.name } ?? old?.metadata.name, new, old)
    }

    /// Decides a parsed request.
    ///
    /// - Parameter existingClaims: the claims of other resources, or the error that kept them from being read;
    ///   nil when no lookup was needed. A failed lookup denies (fails closed) with a message that says so: a
    ///   duplicate Secret claim would make two resources overwrite each other, and the API server retries.
    public static func decide(
        _ parsed: ParsedAdmission, ambientPolicy: AmbientCredentialsPolicy,
        existingClaims: Result<[SecretClaim], any Error>?
    ) -> AdmissionResponse {
        decide(
            parsed, ambientPolicy: ambientPolicy, claim: existingClaims == nil ? nil : parsed.claim,
            existingClaims: existingClaims)
    }

    /// `decide` with `parsed.claim` as the caller already made it to look up `existingClaims`.
    static func decide(
        _ parsed: ParsedAdmission, ambientPolicy: AmbientCredentialsPolicy, claim: SecretClaim?,
        existingClaims: Result<[SecretClaim], any Error>?
    ) -> AdmissionResponse {
        // DELETE (and CONNECT) are never blocked: a resource must always be removable.
        guard parsed.operation == "CREATE" || parsed.operation == "UPDATE" else {
            return .allow(parsed.uid)
        }
        // An update that leaves the spec alone (labels, annotations, the operator or `cleanup` removing the
        // finalizer of a resource being deleted) changes nothing the rules govern. Checking it anyway would make a
        // resource admitted under older rules or a wider ambient policy impossible to relabel or to delete.
        if parsed.operation == "UPDATE", parsed.specUnchanged {
            return .allow(parsed.uid)
        }
        var report: ValidationReport
        switch parsed.objects {
        case .namespaced(let new?, let old):
            report = new.admissionReport(old: old, requestNamespace: parsed.namespace, ambientPolicy: ambientPolicy)
        case .cluster(let new?, let old):
            report = new.admissionReport(old: old, ambientPolicy: ambientPolicy)
        default:
            return .deny(parsed.uid, message: "\(parsed.operation) request has no object")
        }
        if let claim, let existingClaims {
            switch existingClaims {
            case .success(let others):
                for conflict in SecretClaimConflict.find(for: claim, among: others) {
                    let namespaces = conflict.namespaces.map { "\"\($0)\"" }.joined(separator: ", ")
                    // Name the other resource only when it lives in the requester's own namespace: a tenant
                    // must not learn other tenants' or the platform's resources from a denial.
                    let sameNamespace = conflict.other.namespace != nil && conflict.other.namespace == claim.namespace
                    let owner = sameNamespace ? conflict.other.displayName : "another resource"
                    report.errors.append(
                        FieldViolation(
                            field: "spec.secretName",
                            message: "Secret \"\(claim.secretName)\" in namespace \(namespaces) is already claimed by "
                                + "\(owner); choose another secretName"))
                }
            case .failure(let error):
                report.errors.append(
                    FieldViolation(
                        field: "spec.secretName",
                        message: "cannot check whether another resource manages Secret \"\(claim.secretName)\": "
                            + "reading existing resources failed (\(describe(error))); "
                            + "not admitted until the check succeeds"))
            }
        }
        let warnings = shortWarnings(report.warnings)
        guard report.errors.isEmpty else {
            let details = report.errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
            return .deny(parsed.uid, message: "\(parsed.kind.rawValue) \(parsed.displayName) is invalid: \(details)",
                         warnings: warnings)
        }
        return .allow(parsed.uid, warnings: warnings)
    }

    /// De-duplicated warnings, each cut to `warningLimit` characters.
    static func shortWarnings(_ warnings: [String]) -> [String] {
        var seen = Set<String>()
        return warnings.compactMap { warning in
            let short = warning.count <= warningLimit ? warning : String(warning.prefix(warningLimit - 1)) + "…"
            return seen.insert(short).inserted ? short : nil
        }
    }

    /// A decoding error as "path: problem", without echoing values (an object may hold inline keys).
    /// `droppingPrefix` coding keys are left out of the path (to name a field relative to a nested object).
    static func describe(_ error: any Error, droppingPrefix: Int = 0) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.dropFirst(droppingPrefix)
                .map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacing(".[", with: "[")
            return joined.isEmpty ? "(root)" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing field \(key.stringValue)"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

extension ParsedAdmission {
    init(_ request: AdmissionEnvelope.Request, kind: WebhookKind, name: String?, objects: Objects) {
        self.init(
            uid: request.uid, operation: request.operation, kind: kind, name: name, namespace: request.namespace,
            objects: objects)
    }

    /// UPDATE whose new and old spec are equal.
    var specUnchanged: Bool {
        switch objects {
        case .namespaced(let new?, let old?): new.spec == old.spec
        case .cluster(let new?, let old?): new.spec == old.spec
        default: false
        }
    }
}
