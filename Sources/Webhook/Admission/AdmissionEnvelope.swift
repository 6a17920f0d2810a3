import CRDModels
import JSONDecoding

/// What `AdmissionReviewer.parseFully` reads of an AdmissionReview (every review `AdmissionFastPath` declines), read
/// member by member from the document's table (`FlatJSONObject`): the envelope's few members cost a third of a review's
/// CPU when decoded through `Codable`.
/// The values and errors (paths included) are those of the `Codable` model the tests keep as the reference:
/// members in declaration order, `request` optional, the objects read only when asked for, after the envelope's
/// checks. Every other member is skipped unread; `AdmissionReview` stays the full model for building and
/// answering reviews.
struct AdmissionEnvelope {
    /// Left in the document and compared in place (`FlatJSONString`): only checked, so never made into `String`s
    /// unless a check fails and a message names them. Likewise the request's kind and the objects' `apiVersion` and
    /// `kind`: of the parse's 19 allocations, 5 were these strings.
    let apiVersionText: FlatJSONString
    let kindText: FlatJSONString
    var request: Request?

    var apiVersion: String { apiVersionText.string }
    var kind: String { kindText.string }

    struct Request {
        var uid: String
        /// `request.kind`'s members (see `kind`).
        let kindTexts: (group: FlatJSONString, version: FlatJSONString, kind: FlatJSONString)
        var name: String?
        var namespace: String?
        var operation: String
        /// The request's own members, for `object` and `oldObject`.
        let members: FlatJSONObject

        var kind: GroupVersionKind {
            GroupVersionKind(
                group: kindTexts.group.string, version: kindTexts.version.string, kind: kindTexts.kind.string)
        }

        /// `object` or `oldObject` as `kind`'s object; nil when absent or null, `undecodableObject` naming
        /// `request.<field>`, the kind it should be and the failing path inside it when it cannot be read.
        func object<Spec: AdmittedSpec>(
            _ field: String, _ type: Spec.Type, kind: String
        ) throws(AdmissionRequestError) -> AdmittedObject<Spec>? {
            do {
                guard let object = try members.objectIfPresent(field) else { return nil }
                return try AdmittedObject<Spec>(object)
            } catch {
                throw AdmissionRequestError(
                    code: .undecodableObject,
                    message: "request.\(field) is not a valid \(kind): "
                        + AdmissionReviewer.describe(error, droppingPrefix: members.codingPath.count + 1))
            }
        }
    }

    init(_ review: FlatJSONObject) throws {
        apiVersionText = try review.text("apiVersion")
        kindText = try review.text("kind")
        request = try review.objectIfPresent("request").map { request in
            let uid = try request.string("uid")
            let kind = try request.object("kind")
            return Request(
                uid: uid, kindTexts: (try kind.text("group"), try kind.text("version"), try kind.text("kind")),
                name: try request.stringIfPresent("name"), namespace: try request.stringIfPresent("namespace"),
                operation: try request.string("operation"), members: request)
        }
    }
}

/// A kind's spec as `AdmittedObject` reads it: through the direct reader for its type, not `decode(Spec.self, ...)`,
/// whose generic path is not specialized across modules (`FlatJSONObject.namespacedSpec`).
protocol AdmittedSpec: Decodable, Equatable {
    static func read(_ object: FlatJSONObject, _ member: String) throws -> Self
}

extension AWSECRImagePullSecretSpec: AdmittedSpec {
    static func read(_ object: FlatJSONObject, _ member: String) throws -> Self { try object.namespacedSpec(member) }
}

extension ClusterAWSECRImagePullSecretSpec: AdmittedSpec {
    static func read(_ object: FlatJSONObject, _ member: String) throws -> Self { try object.clusterSpec(member) }
}

/// What the admission rules read of an object: its name, namespace and spec (CRDModels' validation reads
/// nothing else). The API server has checked the rest against the CRD's schema before it asks the webhook, so
/// labels, annotations, `managedFields` and status are skipped unread. `apiVersion`, `kind` and `metadata`
/// stay required, as in the full model; the spec is read by `FlatJSONDecoder`'s direct reader of the kinds' specs,
/// with the values and errors of their `Codable` models (`AdmittedSpec`).
struct AdmittedObject<Spec: AdmittedSpec> {
    struct Metadata: Equatable {
        var name: String?
        var namespace: String?
    }

    /// Required, but read by nothing: checked to be strings, never made into `String`s unless asked for.
    let apiVersionText: FlatJSONString
    let kindText: FlatJSONString
    var metadata: Metadata
    var spec: Spec

    var apiVersion: String { apiVersionText.string }
    var kind: String { kindText.string }

    init(_ object: FlatJSONObject) throws {
        apiVersionText = try object.text("apiVersion")
        kindText = try object.text("kind")
        let metadata = try object.object("metadata")
        self.metadata = Metadata(
            name: try metadata.stringIfPresent("name"), namespace: try metadata.stringIfPresent("namespace"))
        spec = try Spec.read(object, "spec")
    }

    /// The resource `make` builds from this object (the kind's `init(metadata:spec:status:)`), its spec moved, not
    /// copied.
    consuming func resource<Resource>(
        _ make: (ObjectMeta, consuming Spec, ImagePullSecretStatus?) -> Resource
    ) -> Resource {
        make(ObjectMeta(name: metadata.name, namespace: metadata.namespace), spec, nil)
    }
}
