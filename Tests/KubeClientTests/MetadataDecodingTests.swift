import CRDModels
import Foundation
import JSONDecoding
import Testing

@testable import KubeClient

/// The client's direct reading of metadata-only write answers and watch events (`FlatJSONDecoder.metadataObject`,
/// `metadataWatchEvent`) against the `Codable` models it replaces on that path (`PartialObjectMetadata`,
/// `WatchEvent` with `TypeMetaDefaulted`): the same values, and the same errors (kind, key, coding path).
struct MetadataDecodingTests {
    let client = KubeClient(config: KubeConfig(server: "http://127.0.0.1:1"), transport: FakeTransport())

    /// A decoding error without its free text; anything else as it describes itself.
    static func summary(_ error: any Error) -> String {
        let error = (error as? KubeAPIError)?.cause ?? error
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context): return "dataCorrupted at \(path(context))"
        case .keyNotFound(let key, let context): return "keyNotFound \(key.stringValue) at \(path(context))"
        case .typeMismatch(let type, let context): return "typeMismatch \(type) at \(path(context))"
        case .valueNotFound(let type, let context): return "valueNotFound \(type) at \(path(context))"
        @unknown default: return "\(error)"
        }
    }

    static func outcome<T>(_ decode: () throws -> T, _ describe: (T) -> String) -> String {
        do { return describe(try decode()) } catch { return "error: " + summary(error) }
    }

    static func describe(_ object: PartialObjectMetadata) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "unencodable"
    }

    static func describe(_ event: WatchEvent<PartialObjectMetadata>) -> String {
        switch event {
        case .added(let object), .modified(let object), .deleted(let object):
            return "\(event.type) \(describe(object))"
        case .bookmark(let version): return "BOOKMARK \(version)"
        case .error(let status): return "ERROR \(status.code ?? 0) \(status.message ?? "")"
        }
    }

    /// Both ways' outcomes for `text` as a watch event line and as a write answer.
    func expectAlike(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let data = Data(text.utf8)
        let direct = Self.outcome({ try client.decodeWatchEvent(PartialObjectMetadata.self, from: data, request: "r") },
            Self.describe)
        let codable = Self.outcome(
            { try FlatJSONDecoder().decode(WatchEvent<PartialObjectMetadata>.self, from: data) }, Self.describe)
        #expect(direct == codable, "event: \(text)", sourceLocation: sourceLocation)
        let directAnswer = Self.outcome({ try client.decode(PartialObjectMetadata.self, from: data, request: "r") },
            Self.describe)
        let codableAnswer = Self.outcome(
            { try FlatJSONDecoder().decode(PartialObjectMetadata.self, from: data) }, Self.describe)
        #expect(directAnswer == codableAnswer, "answer: \(text)", sourceLocation: sourceLocation)
    }

    static let meta = #"{"name":"s","namespace":"ns","uid":"u-1","resourceVersion":"42","labels":{"a":"b"}}"#
    static let object = #"{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":\#(meta)}"#

    @Test(arguments: [
        // Whole events and answers, with or without the type meta a watch may leave out.
        #"{"type":"ADDED","object":\#(object)}"#, #"{"type":"MODIFIED","object":\#(object)}"#,
        #"{"type":"DELETED","object":\#(object)}"#, #"{"object":\#(object),"type":"MODIFIED"}"#,
        #"{"type":"MODIFIED","object":{"metadata":\#(meta)}}"#, #"{"type":"ADDED","object":{"kind":"K","metadata":{}}}"#,
        #"{"type":"ADDED","object":{"apiVersion":"v9","metadata":{}}}"#, object,
        #"{"apiVersion":"v1","kind":"Secret","metadata":\#(meta),"data":{"k":"dg=="}}"#,
        // Wrong or missing members at each level.
        #"{"type":"MODIFIED","object":{"apiVersion":null,"metadata":{}}}"#,
        #"{"type":"MODIFIED","object":{"apiVersion":"v1","kind":7,"metadata":{}}}"#,
        #"{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"K"}}"#,
        #"{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"K","metadata":null}}"#,
        #"{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"K","metadata":[]}}"#,
        #"{"type":"MODIFIED","object":{"metadata":{"name":5}}}"#,
        #"{"type":"MODIFIED","object":{"metadata":{"ownerReferences":[{"kind":"K"}]}}}"#,
        #"{"type":"MODIFIED","object":null}"#, #"{"type":"MODIFIED","object":[]}"#, #"{"type":"MODIFIED"}"#,
        #"{"type":null,"object":\#(object)}"#, #"{"type":5,"object":\#(object)}"#, #"{"object":\#(object)}"#,
        #"[]"#, #"null"#, #"{}"#, #"{"type":"ADDED","object":{}}"#, #"{"apiVersion":"v1"}"#,
        // Escapes, repeated members, other event types.
        #"{"type":"MODIFI\u0045D","object":\#(object)}"#, #"{"type":"ADDED","type":"DELETED","object":\#(object)}"#,
        #"{"type":"ADDED","object":{"metadata":{"name":"a"},"metadata":{"name":"b"}}}"#,
        #"{"type":"added","object":\#(object)}"#, #"{"type":"ADDEDX","object":\#(object)}"#,
        #"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"77"}}}"#,
        #"{"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old"}}"#,
        #"{"type":"MODIFIED","object":{"metadata":{"managedFields":[{"manager":"m"}]}}}"#,
        #"{"type":"MODIFIED","object":{"metadata":{"managedFields":{"manager":"m"}}}}"#,
        #"{"type":"MODIFIED","object":\#(object)"#,
    ])
    func decodesAsTheCodableModels(_ text: String) {
        expectAlike(text)
    }

    /// The events the API test server sends for a managed Secret's writes, read both ways.
    @Test func recordedShapesDecodeAlike() {
        let metadata = #"""
            {"name":"ecr-pull","namespace":"team-a","uid":"9d2c7f5e-0d6b-4a0c-8f7e-1b2a3c4d5e6f",
             "resourceVersion":"1042","creationTimestamp":"2026-11-30T12:00:00Z",
             "labels":{"app.kubernetes.io/managed-by":"ecr-pullsecret-operator","ecr.aws/owner-name":"r"},
             "annotations":{"ecr.aws/expires-at":"2026-11-30T24:00:00Z"},
             "ownerReferences":[{"apiVersion":"ecr.aws/v1","kind":"ClusterAWSECRImagePullSecret","name":"r",
               "uid":"6d1c3a5e-1b9f-4f0e-9c1d-2a7b8e9f0a1b","controller":true,"blockOwnerDeletion":true}],
             "managedFields":[{"manager":"ecr-pullsecret-operator","operation":"Update","apiVersion":"v1",
               "fieldsType":"FieldsV1","fieldsV1":{"f:type":{}}}]}
            """#
        expectAlike(#"{"type":"MODIFIED","object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","#
            + #""metadata":\#(metadata)}}"#)
        expectAlike(#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":\#(metadata)}"#)
    }

    /// A write's answer read with the metadata sent as `template`: the same outcome as without, whether the
    /// answer repeats the sent labels, annotations and owners or not (other values, orders, types, escapes).
    @Test func answersReadWithTheSentMetadataDecodeAlike() throws {
        let owner = OwnerReference(
            apiVersion: "ecr.aws/v1", kind: "K", name: "r", uid: "u-1", controller: true, blockOwnerDeletion: true)
        var sent = ObjectMeta(name: "s", namespace: "ns", labels: ["a": "1", "b": "2"], annotations: ["x": "y"])
        sent.ownerReferences = [owner]
        let owners = #"[{"apiVersion":"ecr.aws/v1","kind":"K","name":"r","uid":"u-1","controller":true,"#
            + #""blockOwnerDeletion":true}]"#
        let variants = [
            #""labels":{"a":"1","b":"2"},"annotations":{"x":"y"},"ownerReferences":\#(owners)"#,
            #""labels":{"b":"2","a":"1"},"annotations":{"x":"z"}"#, #""labels":{"a":"1"},"annotations":{}"#,
            #""labels":{"a":"1","b":"2","c":"3"}"#, #""labels":{"a":"1","a":"2"}"#, #""labels":{"a":"1","b":2}"#,
            #""labels":{"a":"1","b":"2"},"annotations":{"x":"y"}"#, #""labels":null,"annotations":[]"#,
            #""labels":{"a":"1","b":"2","a":"1"}"#, #""ownerReferences":[]"#, #""ownerReferences":null"#,
            #""ownerReferences":[{"apiVersion":"ecr.aws/v1","kind":"K","name":"r","uid":"u-1","controller":true}]"#,
            #""ownerReferences":[{"apiVersion":"ecr.aws/v1","kind":"K","name":"r","uid":"u-1","controller":true,"#
                + #""blockOwnerDeletion":1}]"#,
            #""ownerReferences":[{"apiVersion":"ecr.aws/v1","kind":"K","name":"r","uid":"u-2","controller":true,"#
                + #""blockOwnerDeletion":true}]"#,
            #""ownerReferences":\#(owners.dropLast())\#(owners.dropFirst())"#,
            #""ownerReferences":[null]"#, #""ownerReferences":{"a":1}"#,
        ]
        for variant in variants {
            let text = #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"ns",\#(variant)}}"#
            let data = Data(text.utf8)
            let withTemplate = Self.outcome(
                { try client.decode(PartialObjectMetadata.self, from: data, request: "r", template: sent) },
                Self.describe)
            let codable = Self.outcome(
                { try FlatJSONDecoder().decode(PartialObjectMetadata.self, from: data) }, Self.describe)
            #expect(withTemplate == codable, "\(text)")
        }
        let same = Data(#"{"apiVersion":"v1","kind":"Secret","metadata":{"labels":{"b":"2","a":"1"}}}"#.utf8)
        let answer = try client.decode(PartialObjectMetadata.self, from: same, request: "r", template: sent)
        #expect(answer.metadata.labels == sent.labels && answer.metadata.annotations == nil)
    }

    /// The identity strings an answer repeats from the template are the template's storage (strings of more than 15
    /// bytes are allocations); a different value is the answer's own.
    @Test func answersKeepTheTemplatesIdentityStrings() throws {
        func storage(_ text: String?) -> UnsafeRawPointer? {
            text?.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
        }
        var sent = ObjectMeta(name: "ecr-login-for-the-team", namespace: "team-payments-production")
        sent.uid = "0d9c5a4e-7a51-4d7e-9a0c-2f1b7b1f6c11"
        sent.creationTimestamp = "2026-12-01T18:00:00Z"
        func answer(uid: String) throws -> ObjectMeta {
            let text = #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"ecr-login-for-the-team","#
                + #""namespace":"team-payments-production","uid":"\#(uid)","resourceVersion":"12","#
                + #""creationTimestamp":"2026-12-01T18:00:00Z"}}"#
            return try client.decode(PartialObjectMetadata.self, from: Data(text.utf8), request: "r", template: sent)
                .metadata
        }
        let same = try answer(uid: sent.uid!)
        #expect(same.uid == sent.uid && same.resourceVersion == "12")
        #expect(storage(same.uid) != nil)
        for (kept, template) in [
            (same.name, sent.name), (same.namespace, sent.namespace), (same.uid, sent.uid),
            (same.creationTimestamp, sent.creationTimestamp),
        ] {
            #expect(storage(kept) == storage(template))
        }
        let other = try answer(uid: "7f0e2d1c-0000-4000-8000-000000000000")
        #expect(other.uid == "7f0e2d1c-0000-4000-8000-000000000000" && storage(other.uid) != storage(sent.uid))
    }

    /// The direct path builds what the models build (a check that the comparison above can fail).
    @Test func directValues() throws {
        let line = Data(#"{"type":"DELETED","object":{"metadata":{"name":"a","namespace":"b"}}}"#.utf8)
        let event = try client.decodeWatchEvent(PartialObjectMetadata.self, from: line, request: "r")
        guard case .deleted(let object) = event else {
            Issue.record("not a deletion: \(event)")
            return
        }
        #expect(object.apiVersion == "meta.k8s.io/v1" && object.kind == "PartialObjectMetadata")
        #expect(object.metadata == ObjectMeta(name: "a", namespace: "b"))
        let bad = Data(#"{"type":"ADDED","object":{"metadata":{"labels":{"a":1}}}}"#.utf8)
        #expect(
            Self.outcome({ try client.decodeWatchEvent(PartialObjectMetadata.self, from: bad, request: "r") },
                Self.describe) == "error: typeMismatch String at object.metadata.labels.a")
    }
}
