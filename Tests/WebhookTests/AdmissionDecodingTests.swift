import CRDModels
import Foundation
import JSONDecoding
import JSONDecodingTestSupport
import Testing
@testable import Webhook

/// The webhook's direct envelope reader and `FlatJSONDecoder` against Foundation's `JSONDecoder` decoding the
/// `Codable` model of what the webhook reads (`ReferenceEnvelope`): for the recorded reviews and thousands of
/// mutations of them, all must accept the same documents, read the same values, and throw the same kind of error
/// at the same coding path. (The decoder's own edge cases: JSONDecodingTests.)
struct AdmissionDecodingTests {
    typealias ErrorSummary = DecodingComparison.ErrorSummary

    static func outcome<T: Decodable>(_ type: T.Type, _ body: Data, flat: Bool) -> Result<T, ErrorSummary> {
        DecodingComparison.outcome(T.self, body, flat: flat)
    }

    /// What `AdmissionReviewer.parse` reads of a review, comparable: from the `Codable` reference below (with
    /// either decoder) or from the webhook's direct reader (`AdmissionEnvelope`).
    struct Envelope<Object: Equatable>: Equatable {
        var apiVersion: String
        var kind: String
        var request: [String?]?
        var object: Result<Object, AdmissionRequestError>?
        var oldObject: Result<Object, AdmissionRequestError>?

        init<Model: Decodable>(_ envelope: ReferenceEnvelope<Model>, _ summary: (Model) -> Object) {
            apiVersion = envelope.apiVersion
            kind = envelope.kind
            let request = envelope.request
            self.request = request.map {
                [$0.uid, $0.kind.group, $0.kind.version, $0.kind.kind, $0.name, $0.namespace, $0.operation]
            }
            func read(_ later: DecodedLater<Model>, _ field: String) -> Result<Object, AdmissionRequestError> {
                Result { () throws(AdmissionRequestError) in summary(try later.value(field, kind: "\(Model.self)")) }
            }
            object = request?.object.map { read($0, "object") }
            oldObject = request?.oldObject.map { read($0, "oldObject") }
        }

        init<Spec>(direct envelope: AdmissionEnvelope, objectKind: String) where Object == AdmittedSummary<Spec> {
            apiVersion = envelope.apiVersion
            kind = envelope.kind
            let request = envelope.request
            self.request = request.map {
                [$0.uid, $0.kind.group, $0.kind.version, $0.kind.kind, $0.name, $0.namespace, $0.operation]
            }
            func read(_ field: String) -> Result<Object, AdmissionRequestError>? {
                do throws(AdmissionRequestError) {
                    return try request?.object(field, Spec.self, kind: objectKind).map { .success(AdmittedSummary($0)) }
                } catch {
                    return .failure(error)
                }
            }
            object = read("object")
            oldObject = read("oldObject")
        }
    }

    /// The fields the webhook reads of an object, from either reader.
    struct AdmittedSummary<Spec: AdmittedSpec>: Equatable {
        var apiVersion, kind: String
        var name, namespace: String?
        var spec: Spec

        init(_ object: ReferenceAdmitted<Spec>) {
            (apiVersion, kind, name, namespace, spec) =
                (object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace, object.spec)
        }

        init(_ object: AdmittedObject<Spec>) {
            (apiVersion, kind, name, namespace, spec) =
                (object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace, object.spec)
        }
    }

    /// The direct reader's outcome for a review whose objects are read as `Spec`'s kind.
    static func directOutcome<Spec: AdmittedSpec>(
        _ type: Spec.Type, _ body: Data
    ) -> Result<Envelope<AdmittedSummary<Spec>>, ErrorSummary> {
        do {
            let envelope = try AdmissionEnvelope(try FlatJSONDecoder().object(from: body))
            return .success(Envelope(direct: envelope, objectKind: "\(ReferenceAdmitted<Spec>.self)"))
        } catch {
            return .failure(DecodingComparison.summary(error))
        }
    }

    /// Whether both decoders agree on `body`, and the direct reader with the `Codable` reference. The one difference
    /// allowed: JSONDecoder checks only the strings it reads, so it accepts a document with a bad escape, control
    /// character or invalid UTF-8 in a member nobody asks for; FlatJSON refuses it (and so must
    /// `JSONSerialization`, which reads everything).
    static func compareEnvelopes(_ body: Data, _ label: String) -> Bool {
        func agree<T: Equatable>(_ flat: Result<T, ErrorSummary>, _ foundation: Result<T, ErrorSummary>) -> Bool {
            if flat == foundation { return true }
            guard case .failure(ErrorSummary(description: "dataCorrupted")) = flat else { return false }
            return (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) == nil
        }
        func both<Model: Decodable & Equatable>(_ type: Model.Type) -> Bool {
            agree(
                outcome(ReferenceEnvelope<Model>.self, body, flat: true).map { Envelope($0) { $0 } },
                outcome(ReferenceEnvelope<Model>.self, body, flat: false).map { Envelope($0) { $0 } })
        }
        // What the webhook reads: only name, namespace and spec of the objects, each kind's spec.
        func direct<Spec: AdmittedSpec>(_ type: Spec.Type) -> Bool {
            agree(
                directOutcome(Spec.self, body),
                outcome(ReferenceEnvelope<ReferenceAdmitted<Spec>>.self, body, flat: false)
                    .map { Envelope($0) { AdmittedSummary($0) } })
        }
        let results = [
            both(AWSECRImagePullSecret.self), both(ClusterAWSECRImagePullSecret.self),
            direct(AWSECRImagePullSecretSpec.self), direct(ClusterAWSECRImagePullSecretSpec.self),
            fastPathAgrees(body, .namespaced), fastPathAgrees(body, .cluster),
        ]
        let agreed = !results.contains(false)
        #expect(agreed, "\(label) \(results): \(String(decoding: body, as: UTF8.self))")
        return agreed
    }

    /// `AdmissionReviewer.parse`'s fast path either declines `body` or reads what the full reader reads.
    static func fastPathAgrees(_ body: Data, _ kind: WebhookKind) -> Bool {
        guard let fast = AdmissionFastPath.parse(body, for: kind) else { return true }
        let full = Result { () throws(AdmissionRequestError) in try AdmissionReviewer.parseFully(body, for: kind) }
        return full == .success(fast)
    }

    static func recordedBodies() throws -> [(name: String, body: Data)] {
        try RecordedAdmission.files().compactMap { file in
            try file.received.map { (file.name, try $0.serialized()) }
        }
    }

    @Test func recordedReviewsDecodeAlike() throws {
        let bodies = try Self.recordedBodies()
        #expect(bodies.count >= 10)
        var taken = 0
        for (name, body) in bodies {
            _ = Self.compareEnvelopes(body, name)
            // Every recorded review the full reader takes, the fast path takes too (it is the webhook's usual path).
            for kind in WebhookKind.allCases where (try? AdmissionReviewer.parseFully(body, for: kind)) != nil {
                #expect(AdmissionFastPath.parse(body, for: kind) != nil, "\(name) as \(kind) left to the full reader")
                taken += 1
            }
            guard case .success = Self.directOutcome(AWSECRImagePullSecretSpec.self, body) else {
                Issue.record("\(name) did not decode")
                continue
            }
        }
        #expect(taken >= 10)
    }

    /// What the fast path takes (valid ASCII JSON, read members plain and once) and what it leaves to the full reader,
    /// which reads it all the same: escapes, repeats and non-ASCII text where it matters, a trailing comma, deep nesting.
    @Test func theFastPathTakesPlainReviewsAndLeavesTheRestToTheFullReader() throws {
        func review(spec extra: String = "", skipped: String = #""s""#, kind: String = "AWSECRImagePullSecret") -> Data {
            Data(
                #"""
                {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u-1",
                 "kind":{"group":"ecr.pullsecrets.dev","version":"v1alpha1","kind":"\#(kind)"},"name":null,
                 "namespace":"team-a","operation":"UPDATE","userInfo":{"username":"a\"b\u00e9\n","groups":["x"]},
                 "object":{"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"AWSECRImagePullSecret",
                  "metadata":{"namespace":"team-a","generation":-1.5e+3,"labels":{"skipped":\#(skipped)}},
                  "spec":{"secretName":"ecr-login","awsAccess":{"region":"us-west-2","secretRef":{"name":"aws"}}\#(extra)}},
                 "oldObject":{"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"AWSECRImagePullSecret",
                  "metadata":{"name":"old-name","namespace":"team-a"},
                  "spec":{"secretName":"ecr-login","awsAccess":{"region":"us-west-2"}}},"dryRun":false}}
                """#.utf8)
        }
        let cases: [(String, Data, taken: Bool)] = [
            ("plain, escapes in skipped strings", review(), true),
            ("every spec member", review(spec: #", "registries":[{"accountID":"123456789012","region":null}], "#
                + #""ecrPublic":true,"refreshInterval":"1h","secretTemplate":{"labels":{"a":"b"},"annotations":null},"#
                + #""serviceAccounts":["default"],"namespaces":{"not":"read for this kind"}"#), true),
            ("an escape in a value read", review(spec: #","serviceAccounts":["de\u0066ault"]"#), false),
            ("a read member repeated", review(spec: #","secretName":"other""#), false),
            ("a trailing comma", review(skipped: #"[1,2,]"#), false),
            ("non-ASCII text", review(skipped: "\"caf\u{E9}\""), false),
            ("nested deeper than the fast path goes",
             review(skipped: String(repeating: "[", count: 100) + String(repeating: "]", count: 100)), false),
            ("the other endpoint's kind", review(kind: "ClusterAWSECRImagePullSecret"), false),
        ]
        for (label, body, taken) in cases {
            let fast = AdmissionFastPath.parse(body, for: .namespaced)
            let full = Result { () throws(AdmissionRequestError) in
                try AdmissionReviewer.parseFully(body, for: .namespaced)
            }
            #expect((fast != nil) == taken, "\(label)")
            if let fast { #expect(full == .success(fast), "\(label)") }
            // `parse` answers as the full reader does either way.
            #expect(Result { () throws(AdmissionRequestError) in try AdmissionReviewer.parse(body, for: .namespaced) }
                == full, "\(label)")
        }
        // The object's name stands in for the request's, even when it has none: then the old object's is not used.
        let plain = try AdmissionReviewer.parse(review(), for: .namespaced)
        #expect(plain.name == nil && plain.displayName == "team-a/(unnamed)")
        // What the fast path declines is still read whole: here the escape, resolved.
        let escaped = try AdmissionReviewer.parse(review(spec: #","serviceAccounts":["de\u0066ault"]"#), for: .namespaced)
        guard case .namespaced(let new?, _) = escaped.objects else {
            Issue.record("no object")
            return
        }
        #expect(new.spec.serviceAccounts == ["default"])
    }

    /// The cluster kind's own members (the recorded reviews have none): a selector with both parts, listed namespaces,
    /// registries; taken by the fast path and read as the full reader reads them, each on its own and broken.
    @Test func theFastPathReadsTheClusterKindsSpecAsTheFullReader() throws {
        func review(_ spec: String) -> Data {
            Data(
                #"""
                {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-2","operation":"CREATE",
                 "kind":{"group":"ecr.pullsecrets.dev","version":"v1alpha1","kind":"ClusterAWSECRImagePullSecret"},
                 "name":"shared","object":{"apiVersion":"ecr.pullsecrets.dev/v1alpha1","kind":"ClusterAWSECRImagePullSecret",
                  "metadata":{"name":"shared"},"spec":{"secretName":"ecr-login",
                  "awsAccess":{"region":"eu-west-1","roleARN":"arn:aws:iam::123456789012:role/r","externalID":null,
                   "secretRef":{"name":"aws","namespace":"platform","sessionTokenKey":"t"}}\#(spec)}}}}
                """#.utf8)
        }
        let members = [
            #""namespaces":["team-a","team-b"]"#,
            #""namespaceSelector":{"matchLabels":{"ecr":"yes"},"#
                + #""matchExpressions":[{"key":"env","operator":"In","values":["dev","prod"]},{"key":"x","operator":"Exists"}]}"#,
            #""namespaceSelector":{}"#,
            #""registries":[{"accountID":"123456789012"},{"accountID":"210987654321","region":"us-east-1"}]"#,
            #""refreshInterval":"30m","ecrPublic":false,"serviceAccounts":null"#,
        ]
        let broken = [
            #""namespaces":["team-a",null]"#, #""namespaceSelector":{"matchExpressions":[{"key":"env"}]}"#,
            #""namespaceSelector":{"matchLabels":{"a":1}}"#, #""registries":[{"region":"us-east-1"}]"#,
            #""namespaceSelector":{"matchLabels":{"a":"b","a":"c"}}"#,
        ]
        let all = members.filter { $0 != #""namespaceSelector":{}"# }.joined(separator: ",")  // each member once
        for (spec, taken) in members.map({ (",\($0)", true) }) + [(",\(all)", true)] + broken.map({ (",\($0)", false) })
        {
            let body = review(spec)
            let fast = AdmissionFastPath.parse(body, for: .cluster)
            #expect((fast != nil) == taken, "\(spec)")
            #expect(Self.fastPathAgrees(body, .cluster), "\(spec)")
            #expect(
                Result { () throws(AdmissionRequestError) in try AdmissionReviewer.parse(body, for: .cluster) }
                    == Result { () throws(AdmissionRequestError) in try AdmissionReviewer.parseFully(body, for: .cluster) },
                "\(spec)")
        }
    }

    /// Every member the webhook reads, and pairs of them, removed or replaced by a value of each other JSON type: the
    /// direct reader must fail first where the `Codable` model fails first (members read in the same order).
    @Test func everyReadMemberBrokenAloneAndInPairsDecodesAlike() throws {
        let paths = [
            ["apiVersion"], ["kind"], ["request"], ["request", "uid"], ["request", "kind"],
            ["request", "kind", "group"],
            ["request", "kind", "version"], ["request", "kind", "kind"], ["request", "name"], ["request", "namespace"],
            ["request", "operation"], ["request", "object"], ["request", "object", "apiVersion"],
            ["request", "object", "kind"], ["request", "object", "metadata"], ["request", "object", "metadata", "name"],
            ["request", "object", "metadata", "namespace"], ["request", "object", "spec"],
            ["request", "object", "spec", "secretName"], ["request", "object", "spec", "awsAccess"],
            ["request", "object", "spec", "awsAccess", "region"],
            ["request", "object", "spec", "awsAccess", "secretRef"],
            ["request", "object", "spec", "ecrPublic"], ["request", "object", "spec", "namespaces"],
            ["request", "oldObject"], ["request", "oldObject", "spec"], ["request", "oldObject", "spec", "secretName"],
        ]
        let replacements: [Any?] = [nil, NSNull(), 42, "x", [String: Any](), [Any]()]
        func replacing(_ document: Any, _ path: ArraySlice<String>, with value: Any?) -> Any {
            guard var object = document as? [String: Any], let first = path.first else { return document }
            if path.count == 1 {
                object[first] = value
            } else if let inner = object[first] {
                object[first] = replacing(inner, path.dropFirst(), with: value)
            }
            return object
        }
        var compared = 0
        // Pairs (which member is read first) in three reviews, absent or of the wrong type: enough for the order.
        for (number, (name, body)) in try Self.recordedBodies().enumerated() {
            let original = try JSONSerialization.jsonObject(with: body)
            for (index, path) in paths.enumerated() {
                for second in [nil] + (number < 3 ? paths[(index + 1)...].map(Optional.some) : []) {
                    for value in second == nil ? replacements : [nil, 42] {
                        var document = replacing(original, path[...], with: value)
                        if let second { document = replacing(document, second[...], with: value) }
                        let mutated = try JSONSerialization.data(withJSONObject: document)
                        compared += 1
                        guard Self.compareEnvelopes(mutated, "\(name) \(path) \(second ?? []) = \(value ?? "absent")")
                        else { return }
                    }
                }
            }
        }
        #expect(compared > 2_000)
    }

    /// Byte-level mutations (replace, insert, delete, truncate, repeat a slice) of every recorded review.
    @Test func mutatedReviewsDecodeAlike() throws {
        var random = SplitMix64(seed: 0x5EED)
        let alphabet = Array(#"{}[],:"\ 0123456789-+.eEtrufalsn/abu"#.utf8) + [0x00, 0x0A, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        var compared = 0
        var failures = 0
        for (name, original) in try Self.recordedBodies() {
            for round in 0..<400 {
                var bytes = [UInt8](original)
                for _ in 0...(round % 3) {
                    let at = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 5 {
                    case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                    case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                    case 2: bytes.remove(at: at)
                    case 3: bytes.removeSubrange(at...)
                    default:
                        let end = min(bytes.count, at + 1 + Int(random.next() % 40))
                        bytes.insert(contentsOf: bytes[at..<end], at: at)
                    }
                    if bytes.isEmpty { bytes = [UInt8(ascii: "{")] }
                }
                compared += 1
                if !Self.compareEnvelopes(Data(bytes), "\(name) mutation \(round)") { failures += 1 }
                if failures > 5 { return }
            }
        }
        #expect(compared > 4000)
    }
}

/// The `Codable` model of what `AdmissionReviewer.parse` reads of a review (the webhook reads it directly, see
/// `AdmissionEnvelope`): the reference the direct reader must match.
struct ReferenceEnvelope<Object: Decodable>: Decodable {
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

/// The reference of `AdmittedObject`.
struct ReferenceAdmitted<Spec: Decodable & Equatable>: Decodable, Equatable {
    struct Metadata: Decodable, Equatable {
        var name: String?
        var namespace: String?
    }

    var apiVersion: String
    var kind: String
    var metadata: Metadata
    var spec: Spec
}

/// A value decoded where it stands whose decoding error is kept, not thrown, so that the envelope's checks come
/// first, as in the webhook.
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
            depth = decoder.codingPath.count
        }
    }

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
