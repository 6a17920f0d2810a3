import CRDModels

/// What `AdmissionReviewer.parse` reads of an AdmissionReview, decoded in one pass with the objects typed as
/// `Object` (the endpoint's kind, as `AdmittedObject`). Every other field is skipped unread; `AdmissionReview`
/// stays the full model for building and answering reviews.
struct AdmissionEnvelope<Object: Decodable>: Decodable {
    var apiVersion: String
    var kind: String
    var request: Request?

    struct Request: Decodable {
        var uid: String
        var kind: GroupVersionKind
        var name: String?
        var namespace: String?
        var operation: String
        /// Absent or null: nil.
        var object: DecodedLater<Object>?
        var oldObject: DecodedLater<Object>?
    }
}

/// What the admission rules read of an object: its name, namespace and spec (CRDModels' validation reads
/// nothing else). The API server has checked the rest against the CRD's schema before it asks the webhook, so
/// labels, annotations, `managedFields` and status are skipped unread. `apiVersion`, `kind` and `metadata`
/// stay required, as in the full model.
struct AdmittedObject<Spec: Decodable & Equatable>: Decodable, Equatable {
    struct Metadata: Decodable, Equatable {
        var name: String?
        var namespace: String?
    }

    var apiVersion: String
    var kind: String
    var metadata: Metadata
    var spec: Spec

    var objectMeta: ObjectMeta { ObjectMeta(name: metadata.name, namespace: metadata.namespace) }
}

/// A value decoded where it stands whose decoding error is kept, not thrown, so that the checks that come
/// first in a review (its kind and version) decide the error a caller sees.
struct DecodedLater<Value: Decodable>: Decodable {
    private let result: Result<Value, any Error>
    /// Coding keys from the document's root to this value, left out of error paths.
    private let depth: Int

    init(from decoder: any Decoder) {
        do {
            result = .success(try Value(from: decoder))
            depth = 0
        } catch {
            result = .failure(error)
            depth = decoder.codingPath.count  // only on failure: building the path allocates
        }
    }

    /// The value, or `undecodableObject` naming `request.<field>`, the kind it should be, and the failing path
    /// inside it.
    func value(_ field: String, kind: String) throws(AdmissionRequestError) -> Value {
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            throw AdmissionRequestError(
                code: .undecodableObject,
                message: "request.\(field) is not a valid \(kind): "
                    + AdmissionReviewer.describe(error, droppingPrefix: depth))
        }
    }
}
