import CRDModels
import JSONDecoding

/// What `AdmissionReviewer.parse` reads of an AdmissionReview, read member by member from the document's table
/// (`FlatJSONObject`): the envelope's few members cost a third of a review's CPU when decoded through `Codable`.
/// The values and errors (paths included) are those of the `Codable` model the tests keep as the reference:
/// members in declaration order, `request` optional, the objects read only when asked for, after the envelope's
/// checks. Every other member is skipped unread; `AdmissionReview` stays the full model for building and
/// answering reviews.
struct AdmissionEnvelope {
    var apiVersion: String
    var kind: String
    var request: Request?

    struct Request {
        var uid: String
        var kind: GroupVersionKind
        var name: String?
        var namespace: String?
        var operation: String
        /// The request's own members, for `object` and `oldObject`.
        let members: FlatJSONObject

        /// `object` or `oldObject` as `kind`'s object; nil when absent or null, `undecodableObject` naming
        /// `request.<field>`, the kind it should be and the failing path inside it when it cannot be read.
        func object<Spec: Decodable & Equatable>(
            _ field: String, _ type: Spec.Type, kind: String
        ) throws(AdmissionRequestError) -> AdmittedObject<Spec>? {
            do {
                return try members.objectIfPresent(field).map(AdmittedObject<Spec>.init)
            } catch {
                throw AdmissionRequestError(
                    code: .undecodableObject,
                    message: "request.\(field) is not a valid \(kind): "
                        + AdmissionReviewer.describe(error, droppingPrefix: members.codingPath.count + 1))
            }
        }
    }

    init(_ review: FlatJSONObject) throws {
        apiVersion = try review.string("apiVersion")
        kind = try review.string("kind")
        request = try review.objectIfPresent("request").map { request in
            let uid = try request.string("uid")
            let kind = try request.object("kind")
            return Request(
                uid: uid,
                kind: GroupVersionKind(
                    group: try kind.string("group"), version: try kind.string("version"),
                    kind: try kind.string("kind")),
                name: try request.stringIfPresent("name"), namespace: try request.stringIfPresent("namespace"),
                operation: try request.string("operation"), members: request)
        }
    }
}

/// What the admission rules read of an object: its name, namespace and spec (CRDModels' validation reads
/// nothing else). The API server has checked the rest against the CRD's schema before it asks the webhook, so
/// labels, annotations, `managedFields` and status are skipped unread. `apiVersion`, `kind` and `metadata`
/// stay required, as in the full model; the spec is read by `FlatJSONDecoder`'s direct reader of the kinds' specs,
/// with the values and errors of their `Codable` models (`FlatJSONValueDecoder.namespacedSpec`).
struct AdmittedObject<Spec: Decodable & Equatable>: Equatable {
    struct Metadata: Equatable {
        var name: String?
        var namespace: String?
    }

    var apiVersion: String
    var kind: String
    var metadata: Metadata
    var spec: Spec

    init(_ object: FlatJSONObject) throws {
        apiVersion = try object.string("apiVersion")
        kind = try object.string("kind")
        let metadata = try object.object("metadata")
        self.metadata = Metadata(
            name: try metadata.stringIfPresent("name"), namespace: try metadata.stringIfPresent("namespace"))
        spec = try object.decode(Spec.self, "spec")
    }

    /// The resource `make` builds from this object (the kind's `init(metadata:spec:status:)`), its spec moved, not
    /// copied.
    consuming func resource<Resource>(
        _ make: (ObjectMeta, consuming Spec, ImagePullSecretStatus?) -> Resource
    ) -> Resource {
        make(ObjectMeta(name: metadata.name, namespace: metadata.namespace), spec, nil)
    }
}
